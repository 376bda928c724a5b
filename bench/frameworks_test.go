package bench

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	ginjwtpeer "github.com/appleboy/gin-jwt/v2"
	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/gin-gonic/gin"
	"github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	labechojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fasthttp"
)

// Every framework row serves GET / with a handler that answers 200 "ok"
// after checking, where there is auth, that the middleware handed it claims
// with the fixture's subject. Framework rows run RS256, the common case.
const frameworkAlg = "RS256"

// ---- drivers: one request through a framework, result checked -----------

// benchHandler drives an http.Handler (net/http, gin, echo) through an
// httptest recorder, one request per iteration.
func benchHandler(b *testing.B, h http.Handler, authorization string) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	serve := func() error {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Body.String() != "ok" {
			return errors.New("got " + http.StatusText(rec.Code) + " " + rec.Body.String() + "; want 200 ok")
		}
		return nil
	}
	measure(b, serve)
}

// benchFiber drives a Fiber app without a socket: app.Handler() on one
// fasthttp.RequestCtx, the response and user values reset between requests
// as fasthttp's server does on a kept-alive connection.
func benchFiber(b *testing.B, app *fiber.App, authorization string) {
	b.Helper()
	h := app.Handler()
	var req fasthttp.Request
	req.Header.SetMethod(fasthttp.MethodGet)
	req.SetRequestURI("/")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, nil, nil)
	serve := func() error {
		h(&ctx)
		ok := ctx.Response.StatusCode() == fasthttp.StatusOK && string(ctx.Response.Body()) == "ok"
		var err error
		if !ok {
			err = errors.New("got " + ctx.Response.String() + "; want 200 ok")
		}
		ctx.Response.Reset()
		ctx.ResetUserValues()
		return err
	}
	measure(b, serve)
}

// ---- framework apps --------------------------------------------------------

func okHTTP(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }

func newGin(mw ...gin.HandlerFunc) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.GET("/", append(mw, func(c *gin.Context) { c.String(http.StatusOK, "ok") })...)
	return e
}

func newEcho(h echo.HandlerFunc, mw ...echo.MiddlewareFunc) *echo.Echo {
	e := echo.New()
	e.GET("/", h, mw...)
	return e
}

func okEcho(c echo.Context) error { return c.String(http.StatusOK, "ok") }

func newFiber(h fiber.Handler, mw ...fiber.Handler) *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", append(mw, h)...)
	return app
}

func okFiber(c *fiber.Ctx) error { return c.SendString("ok") }

// ---- the context-only floor ---------------------------------------------

// The context-only rows put in front of the same handler the least any
// authentication middleware must do to hand a handler its claims through
// the request context, as DESIGN's adapters do: no header read, no check,
// one fixed value. What they cost over noauth is what the framework charges
// for a context (net/http, Gin and Echo: Request.WithContext, a copy of the
// request; Echo also its per-request middleware closure); what jwtgate-warm
// costs over them is jwtgate's own work.

type floorKey struct{}

var floorValue = &struct{ sub string }{subject}

func floorOK(ctx context.Context) bool {
	v, ok := ctx.Value(floorKey{}).(*struct{ sub string })
	return ok && v.sub == subject
}

func contextOnlyHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), floorKey{}, floorValue)))
	})
}

func contextOnlyOKHTTP(w http.ResponseWriter, r *http.Request) {
	if !floorOK(r.Context()) {
		http.Error(w, "no claims", http.StatusInternalServerError)
		return
	}
	w.Write([]byte("ok"))
}

func contextOnlyGin(c *gin.Context) {
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), floorKey{}, floorValue))
}

func contextOnlyOKGin(c *gin.Context) {
	if !floorOK(c.Request.Context()) {
		c.String(http.StatusInternalServerError, "no claims")
		return
	}
	c.String(http.StatusOK, "ok")
}

func contextOnlyEcho(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), floorKey{}, floorValue)))
		return next(c)
	}
}

func contextOnlyOKEcho(c echo.Context) error {
	if !floorOK(c.Request().Context()) {
		return c.String(http.StatusInternalServerError, "no claims")
	}
	return c.String(http.StatusOK, "ok")
}

// contextOnlyFiber does what fiberjwt does with claims: Locals for
// fiberjwt.Claims, and the user context for core.FromContext.
func contextOnlyFiber(c *fiber.Ctx) error {
	c.Locals(floorKey{}, floorValue)
	c.SetUserContext(context.WithValue(c.UserContext(), floorKey{}, floorValue))
	return c.Next()
}

func contextOnlyOKFiber(c *fiber.Ctx) error {
	if !floorOK(c.UserContext()) || c.Locals(floorKey{}) != any(floorValue) {
		return c.Status(http.StatusInternalServerError).SendString("no claims")
	}
	return c.SendString("ok")
}

// ---- peers' middleware --------------------------------------------------

type handwrittenKey struct{}

// handwrittenMiddleware is the net/http middleware people write on
// golang-jwt + keyfunc: parser built once, struct claims into the context.
func handwrittenMiddleware(b testing.TB) func(http.Handler) http.Handler {
	kf := newKeyfunc(b).Keyfunc
	p := handwrittenParser()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			c, err := parseHandwritten(p, kf, tok)
			if err != nil {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), handwrittenKey{}, c)))
		})
	}
}

func handwrittenOK(w http.ResponseWriter, r *http.Request) {
	if c, ok := r.Context().Value(handwrittenKey{}).(*structClaims); !ok || c.Subject != subject {
		http.Error(w, "no claims", http.StatusInternalServerError)
		return
	}
	w.Write([]byte("ok"))
}

// auth0Middleware is auth0/go-jwt-middleware v2 with its caching JWKS
// provider (discovery from the issuer) and validator (iss, aud, exp).
func auth0Middleware(b testing.TB) func(http.Handler) http.Handler {
	iss, err := url.Parse(fx.issuer)
	if err != nil {
		b.Fatal(err)
	}
	provider := jwks.NewCachingProvider(iss, 5*time.Minute)
	v, err := validator.New(provider.KeyFunc, validator.RS256, fx.issuer, []string{audience})
	if err != nil {
		b.Fatal(err)
	}
	return jwtmiddleware.New(v.ValidateToken).CheckJWT
}

func auth0OK(w http.ResponseWriter, r *http.Request) {
	c, ok := r.Context().Value(jwtmiddleware.ContextKey{}).(*validator.ValidatedClaims)
	if !ok || c.RegisteredClaims.Subject != subject {
		http.Error(w, "no claims", http.StatusInternalServerError)
		return
	}
	w.Write([]byte("ok"))
}

// ginJWTPeer is appleboy/gin-jwt v2 with a static RSA key (it has no JWKS
// support; it checks exp only).
func ginJWTPeer(b testing.TB) gin.HandlerFunc {
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(fx.rsaKey)})
	pubDER, err := x509.MarshalPKIXPublicKey(&fx.rsaKey.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	mw, err := ginjwtpeer.New(&ginjwtpeer.GinJWTMiddleware{
		Realm:            "api",
		SigningAlgorithm: "RS256",
		PrivKeyBytes:     priv,
		PubKeyBytes:      pub,
	})
	if err != nil {
		b.Fatal(err)
	}
	return mw.MiddlewareFunc()
}

func ginJWTPeerOK(c *gin.Context) {
	if ginjwtpeer.ExtractClaims(c)["sub"] != subject {
		c.String(http.StatusInternalServerError, "no claims")
		return
	}
	c.String(http.StatusOK, "ok")
}

// echoJWTPeer is labstack/echo-jwt v4 with keyfunc v3 as its KeyFunc (its
// README's JWKS recipe; no iss/aud checks by default).
func echoJWTPeer(b testing.TB) echo.MiddlewareFunc {
	mw, err := labechojwt.Config{KeyFunc: newKeyfunc(b).Keyfunc}.ToMiddleware()
	if err != nil {
		b.Fatal(err)
	}
	return mw
}

func echoJWTPeerOK(c echo.Context) error {
	t, ok := c.Get("user").(*jwt.Token)
	if !ok {
		return c.String(http.StatusInternalServerError, "no claims")
	}
	if sub, _ := t.Claims.GetSubject(); sub != subject {
		return c.String(http.StatusInternalServerError, "no claims")
	}
	return c.String(http.StatusOK, "ok")
}

// fiberContribPeer is gofiber/contrib/jwt with its own JWKS support
// (keyfunc v2 underneath; no iss/aud checks by default).
func fiberContribPeer() fiber.Handler {
	return jwtware.New(jwtware.Config{JWKSetURLs: []string{fx.jwksURL}})
}

func fiberContribPeerOK(c *fiber.Ctx) error {
	t, ok := c.Locals("user").(*jwt.Token)
	if !ok {
		return c.Status(http.StatusInternalServerError).SendString("no claims")
	}
	if sub, _ := t.Claims.GetSubject(); sub != subject {
		return c.Status(http.StatusInternalServerError).SendString("no claims")
	}
	return c.SendString("ok")
}

// ---- peer and floor rows ----------------------------------------------------

func BenchmarkNetHTTP(b *testing.B) {
	auth := fx.bearer(frameworkAlg)
	b.Run("noauth", func(b *testing.B) { benchHandler(b, http.HandlerFunc(okHTTP), "") })
	b.Run("context-only", func(b *testing.B) { benchHandler(b, contextOnlyHTTP(http.HandlerFunc(contextOnlyOKHTTP)), auth) })
	b.Run("handwritten-golang-jwt", func(b *testing.B) {
		benchHandler(b, handwrittenMiddleware(b)(http.HandlerFunc(handwrittenOK)), auth)
	})
	b.Run("auth0", func(b *testing.B) { benchHandler(b, auth0Middleware(b)(http.HandlerFunc(auth0OK)), auth) })
	benchNetHTTPJwtgate(b, auth)
}

func BenchmarkGin(b *testing.B) {
	auth := fx.bearer(frameworkAlg)
	b.Run("noauth", func(b *testing.B) { benchHandler(b, newGin(), "") })
	b.Run("context-only", func(b *testing.B) {
		gin.SetMode(gin.ReleaseMode)
		e := gin.New()
		e.GET("/", contextOnlyGin, contextOnlyOKGin)
		benchHandler(b, e, auth)
	})
	b.Run("gin-jwt", func(b *testing.B) {
		e := gin.New()
		e.GET("/", ginJWTPeer(b), ginJWTPeerOK)
		benchHandler(b, e, auth)
	})
	benchGinJwtgate(b, auth)
}

func BenchmarkEcho(b *testing.B) {
	auth := fx.bearer(frameworkAlg)
	b.Run("noauth", func(b *testing.B) { benchHandler(b, newEcho(okEcho), "") })
	b.Run("context-only", func(b *testing.B) { benchHandler(b, newEcho(contextOnlyOKEcho, contextOnlyEcho), auth) })
	b.Run("echo-jwt", func(b *testing.B) { benchHandler(b, newEcho(echoJWTPeerOK, echoJWTPeer(b)), auth) })
	benchEchoJwtgate(b, auth)
}

func BenchmarkFiber(b *testing.B) {
	auth := fx.bearer(frameworkAlg)
	b.Run("noauth", func(b *testing.B) { benchFiber(b, newFiber(okFiber), "") })
	b.Run("context-only", func(b *testing.B) { benchFiber(b, newFiber(contextOnlyOKFiber, contextOnlyFiber), auth) })
	b.Run("contrib-jwt", func(b *testing.B) { benchFiber(b, newFiber(fiberContribPeerOK, fiberContribPeer()), auth) })
	benchFiberJwtgate(b, auth)
}
