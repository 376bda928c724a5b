package nethttp_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/adaptertest"
	"github.com/jwtgate/jwtgate/nethttp"
)

// newVerifier is the adapters' shared fixture.
func newVerifier(tb testing.TB, cacheSize int) (*core.Verifier, string) {
	return adaptertest.NewVerifier(tb, cacheSize)
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })

func TestNilVerifierRefuses(t *testing.T) {
	h := nethttp.New(nil).Handler(ok)
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer abc.def.ghi")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != core.RetryAfter {
		t.Errorf("got %d, Retry-After %q; want 503, %q", rec.Code, rec.Header().Get("Retry-After"), core.RetryAfter)
	}
}

func TestRequireWithoutMiddlewareAnswers500(t *testing.T) {
	rec := httptest.NewRecorder()
	nethttp.Require()(ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	want := `{"error":"server_error","error_description":"internal server error"}`
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("WWW-Authenticate") != "" || rec.Body.String() != want {
		t.Errorf("got %d %q %q; want 500, no challenge, %q", rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body, want)
	}
}

func TestErrorHandlerGetsCoreError(t *testing.T) {
	v, _ := newVerifier(t, 0)
	var got error
	h := nethttp.New(v, nethttp.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(http.StatusTeapot)
	})).Handler(ok)
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer abc.def.ghi")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusTeapot || !errors.Is(got, core.ErrInvalidToken) {
		t.Errorf("got %d, %v; want 418, an error matching ErrInvalidToken", rec.Code, got)
	}
}

// benchServe measures one request through h with authorization set.
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

func newMux(mw func(http.Handler) http.Handler) http.Handler {
	h := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	if mw != nil {
		h = mw(h)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /me", h)
	return mux
}

func BenchmarkNetHTTP(b *testing.B) {
	b.Run("noauth", func(b *testing.B) { benchServe(b, newMux(nil), "") })
	b.Run("cold", func(b *testing.B) {
		v, token := newVerifier(b, -1)
		benchServe(b, newMux(nethttp.New(v).Handler), "Bearer "+token)
	})
	b.Run("warm", func(b *testing.B) {
		v, token := newVerifier(b, 0)
		benchServe(b, newMux(nethttp.New(v).Handler), "Bearer "+token)
	})
}
