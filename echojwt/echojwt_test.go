package echojwt_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/echojwt"
	"github.com/jwtgate/jwtgate/internal/adaptertest"
)

// newVerifier is the adapters' shared fixture.
func newVerifier(tb testing.TB, cacheSize int) (*core.Verifier, string) {
	return adaptertest.NewVerifier(tb, cacheSize)
}

func newEcho(mw ...echo.MiddlewareFunc) *echo.Echo {
	e := echo.New()
	e.Use(mw...) // Echo applies middleware per request: its closure is one allocation of every request
	e.GET("/me", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	return e
}

// TestErrorHandlerEchoFlow checks that an error returned by the error
// handler goes through Echo's HTTPErrorHandler.
func TestErrorHandlerEchoFlow(t *testing.T) {
	v, _ := newVerifier(t, 0)
	var got error
	e := newEcho(echojwt.New(v, echojwt.WithErrorHandler(func(c echo.Context, err error) error {
		got = err
		return echo.NewHTTPError(http.StatusUnauthorized, "nope")
	})))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/me", nil))
	if rec.Code != http.StatusUnauthorized || !errors.Is(got, core.ErrMissingToken) {
		t.Errorf("got %d, %v; want 401 from Echo's error handler, ErrMissingToken", rec.Code, got)
	}
	if body := rec.Body.String(); body != "{\"message\":\"nope\"}\n" {
		t.Errorf("body %q; want Echo's own error body", body)
	}
}

// TestDefaultBypassesEchoErrorHandler checks that the default refusal is
// written directly, not by Echo's HTTPErrorHandler.
func TestDefaultBypassesEchoErrorHandler(t *testing.T) {
	v, _ := newVerifier(t, 0)
	e := newEcho(echojwt.New(v))
	called := false
	e.HTTPErrorHandler = func(err error, c echo.Context) { called = true }
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/me", nil))
	if called || rec.Code != http.StatusUnauthorized || rec.Header().Get("Content-Type") != core.ContentType {
		t.Errorf("got called=%v, %d %q; want 401 application/json written directly", called, rec.Code, rec.Header().Get("Content-Type"))
	}
}

func benchServe(b *testing.B, h http.Handler, authorization string) {
	req := httptest.NewRequest("GET", "/me", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
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

func BenchmarkEcho(b *testing.B) {
	b.Run("noauth", func(b *testing.B) { benchServe(b, newEcho(), "") })
	b.Run("cold", func(b *testing.B) {
		v, token := newVerifier(b, -1)
		benchServe(b, newEcho(echojwt.New(v)), "Bearer "+token)
	})
	b.Run("warm", func(b *testing.B) {
		v, token := newVerifier(b, 0)
		benchServe(b, newEcho(echojwt.New(v)), "Bearer "+token)
	})
}
