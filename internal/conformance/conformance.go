package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

// Setup is the adapter configuration a case runs under.
type Setup struct {
	Realm        string // WithRealm when not empty
	Optional     bool   // WithCredentialsOptional
	Cookie       string // WithCookie when not empty
	Skip         bool   // WithSkip(path has prefix "/health")
	ErrorHandler bool   // WithErrorHandler(the custom handler below)
	Query        string // WithQueryToken when not empty
	Bare         bool   // WithBareToken
	ContextKey   string // WithContextKey when not empty (net/http has the request context only)
}

// Request is one request of a case.
type Request struct {
	Path          string
	Authorization []string // each value is sent as its own header line
	Cookie        []string // each value is sent as its own Cookie line
}

// Answer is what came back.
type Answer struct {
	Status int
	Header http.Header // without Date
	Body   string
}

// Adapter runs requests through one framework.
type Adapter struct {
	Name string
	// Start builds the app for s and returns a function that sends one
	// request through the framework's real request path, and a stop function.
	Start func(t testing.TB, v *core.Verifier, s Setup) (do func(Request) Answer, stop func())
}

// Adapters lists the four adapters.
func Adapters() []Adapter {
	return []Adapter{
		{"nethttp", startServer(NetHTTP)},
		{"gin", startServer(Gin)},
		{"echo", startServer(Echo)},
		{"fiber", startFiber},
	}
}

// ErrorCode names err's class for the custom error handler: the X-Error
// header it writes.
func ErrorCode(err error) string {
	switch {
	case errors.Is(err, core.ErrInvalidRequest):
		return "invalid_request"
	case errors.Is(err, core.ErrMissingToken):
		return "missing"
	case errors.Is(err, core.ErrInsufficientScope):
		return "insufficient_scope"
	case errors.Is(err, core.ErrKeysUnavailable):
		return "unavailable"
	case errors.Is(err, core.ErrInvalidToken):
		return "invalid_token"
	}
	return "other"
}

// Saw renders what a handler saw: the claims from the adapter's accessor
// (fromAdapter) and from core.FromContext (fromContext), which must agree.
func Saw(fromAdapter *core.Claims, okAdapter bool, fromContext *core.Claims, okContext bool) string {
	if okAdapter != okContext || fromAdapter != fromContext {
		return "mismatch between the adapter's Claims and core.FromContext"
	}
	if !okAdapter {
		return "anonymous"
	}
	c := fromAdapter
	return fmt.Sprintf("sub=%s use=%s scopes=%s groups=%s", c.Subject, c.TokenUse,
		strings.Join(c.Scopes, ","), strings.Join(c.Groups, ","))
}

// Stored renders whether the framework's own store held the claims under
// key (WithContextKey), as v: "" when key is empty or the request has no
// claims and nothing is stored.
func Stored(key string, v any, claims *core.Claims) string {
	if key == "" {
		return ""
	}
	if c, _ := v.(*core.Claims); c != nil && c == claims {
		return " stored=" + key
	}
	if v == nil && claims == nil {
		return ""
	}
	return " stored value differs from the claims"
}

// The answers of the custom error handler and the echo handler.
const (
	customStatus = http.StatusTeapot
	customBody   = "custom"
	textType     = "text/plain"
)

var routes = []struct {
	path     string
	policies []core.Policy
}{
	{"/me", nil},
	{"/admin", []core.Policy{core.RequireScopes("admin")}},
	{"/staff", []core.Policy{core.RequireGroups("staff")}},
	{"/access", []core.Policy{core.RequireTokenUse("access")}},
	{"/health", nil},
	{"/health/admin", []core.Policy{core.RequireScopes("admin")}},
}

func skipPath(path string) bool { return strings.HasPrefix(path, "/health") }

// unguarded is a route with Require but without the authentication
// middleware in front of it (a misconfiguration): its policies.
const unguarded = "/unguarded"

var unguardedPolicies = []core.Policy{core.RequireScopes("read")}

// NetHTTP builds the net/http app of s.
func NetHTTP(v *core.Verifier, s Setup) http.Handler {
	var opts []nethttp.Option
	if s.Realm != "" {
		opts = append(opts, nethttp.WithRealm(s.Realm))
	}
	if s.Optional {
		opts = append(opts, nethttp.WithCredentialsOptional())
	}
	if s.Cookie != "" {
		opts = append(opts, nethttp.WithCookie(s.Cookie))
	}
	if s.Skip {
		opts = append(opts, nethttp.WithSkip(func(r *http.Request) bool { return skipPath(r.URL.Path) }))
	}
	if s.Query != "" {
		opts = append(opts, nethttp.WithQueryToken(s.Query))
	}
	if s.Bare {
		opts = append(opts, nethttp.WithBareToken())
	}
	if s.ErrorHandler {
		opts = append(opts, nethttp.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("X-Error", ErrorCode(err))
			w.Header().Set("Content-Type", textType)
			w.WriteHeader(customStatus)
			_, _ = io.WriteString(w, customBody)
		}))
	}
	auth := nethttp.New(v, opts...)
	echoH := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, okA := nethttp.Claims(r)
		c, okC := core.FromContext(r.Context())
		w.Header().Set("Content-Type", textType)
		var stored any // net/http's only store is the request context
		if okC {
			stored = c
		}
		_, _ = io.WriteString(w, Saw(a, okA, c, okC)+Stored(s.ContextKey, stored, a))
	})
	mux := http.NewServeMux()
	for _, rt := range routes {
		var h http.Handler = echoH
		if rt.policies != nil {
			h = nethttp.Require(rt.policies...)(h)
		}
		mux.Handle("GET "+rt.path, auth.Handler(h))
	}
	mux.Handle("GET "+unguarded, nethttp.Require(unguardedPolicies...)(echoH))
	return mux
}

// Gin builds the Gin app of s.
func Gin(v *core.Verifier, s Setup) http.Handler {
	var opts []ginjwt.Option
	if s.Realm != "" {
		opts = append(opts, ginjwt.WithRealm(s.Realm))
	}
	if s.Optional {
		opts = append(opts, ginjwt.WithCredentialsOptional())
	}
	if s.Cookie != "" {
		opts = append(opts, ginjwt.WithCookie(s.Cookie))
	}
	if s.Skip {
		opts = append(opts, ginjwt.WithSkip(func(c *gin.Context) bool { return skipPath(c.Request.URL.Path) }))
	}
	if s.Query != "" {
		opts = append(opts, ginjwt.WithQueryToken(s.Query))
	}
	if s.Bare {
		opts = append(opts, ginjwt.WithBareToken())
	}
	if s.ContextKey != "" {
		opts = append(opts, ginjwt.WithContextKey(s.ContextKey))
	}
	if s.ErrorHandler {
		opts = append(opts, ginjwt.WithErrorHandler(func(c *gin.Context, err error) {
			c.Header("X-Error", ErrorCode(err))
			c.Data(customStatus, textType, []byte(customBody))
		}))
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	echoH := func(c *gin.Context) {
		a, okA := ginjwt.Claims(c)
		cc, okC := core.FromContext(c.Request.Context())
		var stored any
		if s.ContextKey != "" {
			stored, _ = c.Get(s.ContextKey)
		}
		c.Data(http.StatusOK, textType, []byte(Saw(a, okA, cc, okC)+Stored(s.ContextKey, stored, a)))
	}
	r.GET(unguarded, ginjwt.Require(unguardedPolicies...), echoH) // before Use: no middleware
	r.Use(ginjwt.New(v, opts...))
	for _, rt := range routes {
		hs := []gin.HandlerFunc{echoH}
		if rt.policies != nil {
			hs = []gin.HandlerFunc{ginjwt.Require(rt.policies...), echoH}
		}
		r.GET(rt.path, hs...)
	}
	return r
}

// Echo builds the Echo app of s.
func Echo(v *core.Verifier, s Setup) http.Handler {
	var opts []echojwt.Option
	if s.Realm != "" {
		opts = append(opts, echojwt.WithRealm(s.Realm))
	}
	if s.Optional {
		opts = append(opts, echojwt.WithCredentialsOptional())
	}
	if s.Cookie != "" {
		opts = append(opts, echojwt.WithCookie(s.Cookie))
	}
	if s.Skip {
		opts = append(opts, echojwt.WithSkip(func(c echo.Context) bool { return skipPath(c.Request().URL.Path) }))
	}
	if s.Query != "" {
		opts = append(opts, echojwt.WithQueryToken(s.Query))
	}
	if s.Bare {
		opts = append(opts, echojwt.WithBareToken())
	}
	if s.ContextKey != "" {
		opts = append(opts, echojwt.WithContextKey(s.ContextKey))
	}
	if s.ErrorHandler {
		opts = append(opts, echojwt.WithErrorHandler(func(c echo.Context, err error) error {
			c.Response().Header().Set("X-Error", ErrorCode(err))
			return c.Blob(customStatus, textType, []byte(customBody))
		}))
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	auth := echojwt.New(v, opts...)
	echoH := func(c echo.Context) error {
		a, okA := echojwt.Claims(c)
		cc, okC := core.FromContext(c.Request().Context())
		var stored any
		if s.ContextKey != "" {
			stored = c.Get(s.ContextKey)
		}
		return c.Blob(http.StatusOK, textType, []byte(Saw(a, okA, cc, okC)+Stored(s.ContextKey, stored, a)))
	}
	for _, rt := range routes {
		mw := []echo.MiddlewareFunc{auth}
		if rt.policies != nil {
			mw = append(mw, echojwt.Require(rt.policies...))
		}
		e.GET(rt.path, echoH, mw...)
	}
	e.GET(unguarded, echoH, echojwt.Require(unguardedPolicies...))
	return e
}

// Fiber builds the Fiber app of s.
func Fiber(v *core.Verifier, s Setup) *fiber.App {
	var opts []fiberjwt.Option
	if s.Realm != "" {
		opts = append(opts, fiberjwt.WithRealm(s.Realm))
	}
	if s.Optional {
		opts = append(opts, fiberjwt.WithCredentialsOptional())
	}
	if s.Cookie != "" {
		opts = append(opts, fiberjwt.WithCookie(s.Cookie))
	}
	if s.Skip {
		opts = append(opts, fiberjwt.WithSkip(func(c *fiber.Ctx) bool { return skipPath(c.Path()) }))
	}
	if s.Query != "" {
		opts = append(opts, fiberjwt.WithQueryToken(s.Query))
	}
	if s.Bare {
		opts = append(opts, fiberjwt.WithBareToken())
	}
	if s.ContextKey != "" {
		opts = append(opts, fiberjwt.WithContextKey(s.ContextKey))
	}
	if s.ErrorHandler {
		opts = append(opts, fiberjwt.WithErrorHandler(func(c *fiber.Ctx, err error) error {
			c.Set("X-Error", ErrorCode(err))
			c.Set(fiber.HeaderContentType, textType)
			return c.Status(customStatus).SendString(customBody)
		}))
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	echoH := func(c *fiber.Ctx) error {
		a, okA := fiberjwt.Claims(c)
		cc, okC := core.FromContext(c.UserContext())
		c.Set(fiber.HeaderContentType, textType)
		var stored any
		if s.ContextKey != "" {
			stored = c.Locals(s.ContextKey)
		}
		return c.SendString(Saw(a, okA, cc, okC) + Stored(s.ContextKey, stored, a))
	}
	app.Get(unguarded, fiberjwt.Require(unguardedPolicies...), echoH) // before Use: no middleware
	app.Use(fiberjwt.New(v, opts...))
	for _, rt := range routes {
		hs := []fiber.Handler{echoH}
		if rt.policies != nil {
			hs = []fiber.Handler{fiberjwt.Require(rt.policies...), echoH}
		}
		app.Get(rt.path, hs...)
	}
	return app
}

// newRequest makes the HTTP request of r for base.
func newRequest(base string, r Request) *http.Request {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, base+r.Path, nil)
	if err != nil {
		panic(err) // a broken case table
	}
	for _, a := range r.Authorization {
		req.Header.Add("Authorization", a)
	}
	for _, c := range r.Cookie {
		req.Header.Add("Cookie", c)
	}
	return req
}

func answerOf(t testing.TB, resp *http.Response) Answer {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("reading body: %v", err)
	}
	h := resp.Header.Clone()
	h.Del("Date")
	return Answer{Status: resp.StatusCode, Header: h, Body: string(b)}
}

// startServer serves an http.Handler app on a loopback httptest server.
func startServer(build func(*core.Verifier, Setup) http.Handler) func(testing.TB, *core.Verifier, Setup) (func(Request) Answer, func()) {
	return func(t testing.TB, v *core.Verifier, s Setup) (func(Request) Answer, func()) {
		srv := httptest.NewServer(build(v, s))
		client := srv.Client()
		do := func(r Request) Answer {
			resp, err := client.Do(newRequest(srv.URL, r))
			if err != nil {
				t.Errorf("request %s: %v", r.Path, err)
				return Answer{}
			}
			return answerOf(t, resp)
		}
		return do, srv.Close
	}
}

// startFiber sends requests through Fiber's app.Test, which parses the raw
// request bytes with fasthttp as its server does.
func startFiber(t testing.TB, v *core.Verifier, s Setup) (func(Request) Answer, func()) {
	app := Fiber(v, s)
	do := func(r Request) Answer {
		resp, err := app.Test(newRequest("http://example.test", r), -1)
		if err != nil {
			t.Errorf("request %s: %v", r.Path, err)
			return Answer{}
		}
		return answerOf(t, resp)
	}
	return do, func() { _ = app.Shutdown() }
}
