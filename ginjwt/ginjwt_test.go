package ginjwt_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/ginjwt"
	"github.com/jwtgate/jwtgate/internal/adaptertest"
)

// newVerifier is the adapters' shared fixture.
func newVerifier(tb testing.TB, cacheSize int) (*core.Verifier, string) {
	return adaptertest.NewVerifier(tb, cacheSize)
}

func newEngine(mw ...gin.HandlerFunc) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/me", append(mw, func(c *gin.Context) { c.String(http.StatusOK, "ok") })...)
	return r
}

// TestAbortsChain checks that a refusal stops the chain: no later handler
// runs, and nothing is written after the answer.
func TestAbortsChain(t *testing.T) {
	v, _ := newVerifier(t, 0)
	ran := false
	r := newEngine(ginjwt.New(v), func(c *gin.Context) { ran = true })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/me", nil))
	if ran || rec.Code != http.StatusUnauthorized || rec.Header().Get("Content-Type") != core.ContentType {
		t.Errorf("got ran=%v, %d %q; want the chain aborted with 401 application/json", ran, rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestNilVerifierRefuses(t *testing.T) {
	r := newEngine(ginjwt.New(nil))
	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Authorization", "Bearer abc.def.ghi")
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("got %d; want 503", rec.Code)
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

func BenchmarkGin(b *testing.B) {
	b.Run("noauth", func(b *testing.B) { benchServe(b, newEngine(), "") })
	b.Run("cold", func(b *testing.B) {
		v, token := newVerifier(b, -1)
		benchServe(b, newEngine(ginjwt.New(v)), "Bearer "+token)
	})
	b.Run("warm", func(b *testing.B) {
		v, token := newVerifier(b, 0)
		benchServe(b, newEngine(ginjwt.New(v)), "Bearer "+token)
	})
}
