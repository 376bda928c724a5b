// Package testsrv is a key server for tests whose answer a test switches
// while it runs, with a count of the requests it served. It serves the
// tests of core and internal/keyset; it is not part of jwtgate's API.
package testsrv

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Server is an httptest.Server whose handler is switched with Set.
type Server struct {
	*httptest.Server
	// Fetches counts the requests served.
	Fetches atomic.Int64
	handler atomic.Pointer[http.HandlerFunc]
}

// New starts a Server answering with h and closes it when the test ends.
func New(t testing.TB, h http.HandlerFunc) *Server {
	t.Helper()
	s := &Server{}
	s.Set(h)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Fetches.Add(1)
		(*s.handler.Load())(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Set makes h answer the next requests.
func (s *Server) Set(h http.HandlerFunc) { s.handler.Store(&h) }

// JSON answers with body as application/json.
func JSON(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}
}

// Status answers with the status code only.
func Status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
}
