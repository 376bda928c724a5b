package bench

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/echojwt"
	"github.com/jwtgate/jwtgate/fiberjwt"
	"github.com/jwtgate/jwtgate/ginjwt"
	"github.com/jwtgate/jwtgate/nethttp"
)

func jwtgateOKHTTP(w http.ResponseWriter, r *http.Request) {
	c, _ := core.FromContext(r.Context())
	if checkClaims(c) != nil {
		http.Error(w, "no claims", http.StatusInternalServerError)
		return
	}
	w.Write([]byte("ok"))
}

func benchNetHTTPJwtgate(b *testing.B, auth string) {
	for _, m := range modes {
		b.Run("jwtgate-"+m.name, func(b *testing.B) {
			h := nethttp.New(newVerifier(b, m.cacheSize)).Handler(http.HandlerFunc(jwtgateOKHTTP))
			benchHandler(b, h, auth)
		})
	}
}

func jwtgateOKGin(c *gin.Context) {
	cl, _ := ginjwt.Claims(c)
	if checkClaims(cl) != nil {
		c.String(http.StatusInternalServerError, "no claims")
		return
	}
	c.String(http.StatusOK, "ok")
}

func benchGinJwtgate(b *testing.B, auth string) {
	for _, m := range modes {
		b.Run("jwtgate-"+m.name, func(b *testing.B) {
			gin.SetMode(gin.ReleaseMode)
			e := gin.New()
			e.GET("/", ginjwt.New(newVerifier(b, m.cacheSize)), jwtgateOKGin)
			benchHandler(b, e, auth)
		})
	}
}

func jwtgateOKEcho(c echo.Context) error {
	cl, _ := echojwt.Claims(c)
	if checkClaims(cl) != nil {
		return c.String(http.StatusInternalServerError, "no claims")
	}
	return c.String(http.StatusOK, "ok")
}

func benchEchoJwtgate(b *testing.B, auth string) {
	for _, m := range modes {
		b.Run("jwtgate-"+m.name, func(b *testing.B) {
			benchHandler(b, newEcho(jwtgateOKEcho, echojwt.New(newVerifier(b, m.cacheSize))), auth)
		})
	}
}

func jwtgateOKFiber(c *fiber.Ctx) error {
	cl, _ := fiberjwt.Claims(c)
	if checkClaims(cl) != nil {
		return c.Status(http.StatusInternalServerError).SendString("no claims")
	}
	return c.SendString("ok")
}

func benchFiberJwtgate(b *testing.B, auth string) {
	for _, m := range modes {
		b.Run("jwtgate-"+m.name, func(b *testing.B) {
			benchFiber(b, newFiber(jwtgateOKFiber, fiberjwt.New(newVerifier(b, m.cacheSize))), auth)
		})
	}
}

// jwtgateLoadTargets are the four adapters with the default (warm) cache for
// the loopback load test.
func jwtgateLoadTargets() []loadTarget {
	return []loadTarget{
		{"NetHTTP", "jwtgate-warm", func(t *testing.T) (string, func()) {
			return startHTTP(t, nethttp.New(newVerifier(t, 0)).Handler(http.HandlerFunc(jwtgateOKHTTP)))
		}},
		{"Gin", "jwtgate-warm", func(t *testing.T) (string, func()) {
			gin.SetMode(gin.ReleaseMode)
			e := gin.New()
			e.GET("/", ginjwt.New(newVerifier(t, 0)), jwtgateOKGin)
			return startHTTP(t, e)
		}},
		{"Echo", "jwtgate-warm", func(t *testing.T) (string, func()) {
			return startHTTP(t, newEcho(jwtgateOKEcho, echojwt.New(newVerifier(t, 0))))
		}},
		{"Fiber", "jwtgate-warm", func(t *testing.T) (string, func()) {
			return startFiber(t, newFiber(jwtgateOKFiber, fiberjwt.New(newVerifier(t, 0))))
		}},
	}
}
