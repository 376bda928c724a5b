package jwttest

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
)

// Paths the Server and Issuer serve, relative to their URL.
const (
	// DiscoveryPath is the OpenID Connect discovery document.
	DiscoveryPath = "/.well-known/openid-configuration"
	// JWKSPath is the JWK Set.
	JWKSPath = "/.well-known/jwks.json"
	// TokenPath is the Issuer's OAuth 2.0 token endpoint.
	TokenPath = "/oauth2/token"
)

// Server is an OpenID Connect issuer's key publication on an httptest server
// bound to 127.0.0.1: the discovery document at URL + DiscoveryPath and the
// JWK Set at URL + JWKSPath. Its URL is the issuer (iss) value. All methods
// are safe for concurrent use, also while requests are served.
type Server struct {
	// URL is the server's base URL, "http://127.0.0.1:port" (https for
	// NewTLSServer), without a trailing slash. It is the issuer value.
	URL string

	ts    *httptest.Server
	tls   bool
	token http.Handler // the Issuer's token endpoint; nil for a plain Server

	mu        sync.Mutex
	jwks      []byte
	algs      []string
	overrides map[string]http.Handler

	fetches     atomic.Int64
	discoveries atomic.Int64
	tokenReqs   atomic.Int64
}

// NewServer starts a Server on 127.0.0.1 that publishes the public JWKs of
// keys. Close it when done (t.Cleanup(s.Close)).
func NewServer(keys ...*Key) *Server {
	return newServer(false, nil, keys).start()
}

// NewTLSServer is NewServer over HTTPS with httptest's self-signed
// certificate; Client returns an *http.Client that trusts it.
func NewTLSServer(keys ...*Key) *Server {
	return newServer(true, nil, keys).start()
}

// newServer makes a Server whose URL is known but which does not serve
// until start is called, so that everything the handlers read is set first.
func newServer(tls bool, token http.Handler, keys []*Key) *Server {
	s := &Server{token: token, overrides: map[string]http.Handler{}, tls: tls}
	s.SetKeys(keys...)
	s.ts = httptest.NewUnstartedServer(s)
	if tls {
		// Clients that do not trust the test certificate are expected in
		// tests; their handshake errors are noise.
		s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	}
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	s.URL = scheme + s.ts.Listener.Addr().String()
	return s
}

func (s *Server) start() *Server {
	if s.tls {
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	return s
}

// JWKSURL returns URL + JWKSPath.
func (s *Server) JWKSURL() string { return s.URL + JWKSPath }

// DiscoveryURL returns URL + DiscoveryPath.
func (s *Server) DiscoveryURL() string { return s.URL + DiscoveryPath }

// Client returns an HTTP client for the server: for NewTLSServer it trusts
// the test certificate.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// SetKeys replaces the published keys (key rotation): later JWKS responses
// list exactly the public JWKs of keys, and the discovery document their
// algorithms. It undoes SetJWKS.
func (s *Server) SetKeys(keys ...*Key) {
	body := JWKS(keys...)
	var algs []string
	for _, k := range keys {
		if !slices.Contains(algs, k.Alg) {
			algs = append(algs, k.Alg)
		}
	}
	s.mu.Lock()
	s.jwks, s.algs = body, algs
	s.mu.Unlock()
}

// SetJWKS makes the JWKS endpoint answer exactly body (200,
// application/json), for malformed or unusual key sets. SetKeys undoes it.
func (s *Server) SetJWKS(body []byte) {
	b := slices.Clone(body)
	s.mu.Lock()
	s.jwks = b
	s.mu.Unlock()
}

// SetHandler makes h answer every request for path (JWKSPath, DiscoveryPath,
// TokenPath or any other path), for failures, delays, redirects and odd
// content types. If h is nil, the built-in answer is restored. Requests are
// still counted by Fetches, Discoveries and TokenRequests. A handler that
// blocks must return when r.Context() is done, or Close waits for it.
func (s *Server) SetHandler(path string, h http.Handler) {
	s.mu.Lock()
	if h == nil {
		delete(s.overrides, path)
	} else {
		s.overrides[path] = h
	}
	s.mu.Unlock()
}

// Fetches returns the number of requests for JWKSPath so far, whatever
// their outcome.
func (s *Server) Fetches() int64 { return s.fetches.Load() }

// Discoveries returns the number of requests for DiscoveryPath so far.
func (s *Server) Discoveries() int64 { return s.discoveries.Load() }

// Close closes client connections and shuts the server down.
func (s *Server) Close() {
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// ServeHTTP routes the server's requests. It is exported only so that Server
// satisfies http.Handler; tests talk to it over URL.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case JWKSPath:
		s.fetches.Add(1)
	case DiscoveryPath:
		s.discoveries.Add(1)
	case TokenPath:
		if s.token != nil {
			s.tokenReqs.Add(1)
		}
	}
	s.mu.Lock()
	h := s.overrides[r.URL.Path]
	jwks, algs := s.jwks, s.algs
	s.mu.Unlock()
	if h != nil {
		h.ServeHTTP(w, r)
		return
	}
	switch {
	case r.URL.Path == TokenPath && s.token != nil:
		s.token.ServeHTTP(w, r)
	case r.URL.Path == JWKSPath, r.URL.Path == DiscoveryPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body := jwks
		if r.URL.Path == DiscoveryPath {
			body = s.discovery(algs)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) discovery(algs []string) []byte {
	if len(algs) == 0 {
		algs = []string{"RS256"}
	}
	doc := map[string]any{
		"issuer":                                s.URL,
		"jwks_uri":                              s.URL + JWKSPath,
		"response_types_supported":              []string{"code", "token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": algs,
	}
	if s.token != nil {
		doc["token_endpoint"] = s.URL + TokenPath
		doc["grant_types_supported"] = []string{"password", "refresh_token"}
		doc["token_endpoint_auth_methods_supported"] = []string{"client_secret_basic", "client_secret_post", "none"}
	}
	b, _ := json.Marshal(doc)
	return b
}
