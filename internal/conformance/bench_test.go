package conformance

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fasthttp"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/echojwt"
	"github.com/jwtgate/jwtgate/fiberjwt"
	"github.com/jwtgate/jwtgate/ginjwt"
	"github.com/jwtgate/jwtgate/nethttp"
)

// BenchmarkAdapters measures, in one process so that the ratios hold, each
// framework with no auth, with jwtgate and the cache off (cold: a full
// verification per request), and with the cache on (warm: the same token on
// every request). The handler writes "ok".
func BenchmarkAdapters(b *testing.B) {
	type app struct {
		name string
		http func(v *core.Verifier) http.Handler // v nil: no auth
		fib  func(v *core.Verifier) *fiber.App
	}
	apps := []app{
		{name: "nethttp", http: func(v *core.Verifier) http.Handler {
			var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
			if v != nil {
				h = nethttp.New(v).Handler(h)
			}
			mux := http.NewServeMux()
			mux.Handle("GET /me", h)
			return mux
		}},
		{name: "gin", http: func(v *core.Verifier) http.Handler {
			gin.SetMode(gin.ReleaseMode)
			r := gin.New()
			if v != nil {
				r.Use(ginjwt.New(v))
			}
			r.GET("/me", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
			return r
		}},
		{name: "echo", http: func(v *core.Verifier) http.Handler {
			e := echo.New()
			if v != nil {
				e.Use(echojwt.New(v))
			}
			e.GET("/me", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
			return e
		}},
		{name: "fiber", fib: func(v *core.Verifier) *fiber.App {
			a := fiber.New(fiber.Config{DisableStartupMessage: true})
			if v != nil {
				a.Use(fiberjwt.New(v))
			}
			a.Get("/me", func(c *fiber.Ctx) error { return c.SendString("ok") })
			return a
		}},
	}
	cold, warm := newFixture(b, -1), newFixture(b, 0)
	token := sign(cold.key, cold.access(nil))
	warmToken := sign(warm.key, warm.access(nil))
	for _, a := range apps {
		for _, mode := range []struct {
			name  string
			v     *core.Verifier
			token string
		}{{"noauth", nil, ""}, {"cold", cold.v, token}, {"warm", warm.v, warmToken}} {
			b.Run(a.name+"/"+mode.name, func(b *testing.B) {
				if a.fib != nil {
					benchFiber(b, a.fib(mode.v), mode.token)
				} else {
					benchHTTP(b, a.http(mode.v), mode.token)
				}
			})
		}
	}
}

func benchHTTP(b *testing.B, h http.Handler, token string) {
	req := httptest.NewRequest("GET", "/me", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// benchFiber serves on one RequestCtx, reset between requests as fasthttp
// does on a kept-alive connection.
func benchFiber(b *testing.B, app *fiber.App, token string) {
	h := app.Handler()
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("GET")
	ctx.Request.SetRequestURI("/me")
	if token != "" {
		ctx.Request.Header.Set("Authorization", "Bearer "+token)
	}
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		ctx.ResetUserValues()
		h(&ctx)
		if ctx.Response.StatusCode() != http.StatusOK {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
