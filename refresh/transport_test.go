package refresh

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// namedHosts serves several httptest servers under made-up host names: the
// returned transport dials "name:port" to the server registered for it.
type namedHosts struct {
	mu    sync.Mutex
	addrs map[string]string // "host:port" → listener address
	seen  map[string][]string
	roots *x509.CertPool // trusts the TLS servers
}

func newNamedHosts() *namedHosts {
	return &namedHosts{addrs: map[string]string{}, seen: map[string][]string{}, roots: x509.NewCertPool()}
}

// serve starts h over plain http as hostport ("api.test:80") and records
// the Authorization header of each request it gets.
func (n *namedHosts) serve(t *testing.T, hostport string, h http.HandlerFunc) {
	n.start(t, hostport, h, false)
}

// serveTLS is serve over https ("api.test:443").
func (n *namedHosts) serveTLS(t *testing.T, hostport string, h http.HandlerFunc) {
	n.start(t, hostport, h, true)
}

func (n *namedHosts) start(t *testing.T, hostport string, h http.HandlerFunc, tls bool) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		n.seen[hostport] = append(n.seen[hostport], r.Header.Get("Authorization"))
		n.mu.Unlock()
		h(w, r)
	}))
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	n.mu.Lock()
	n.addrs[hostport] = srv.Listener.Addr().String()
	if tls {
		n.roots.AddCert(srv.Certificate())
	}
	n.mu.Unlock()
}

func (n *namedHosts) auth(hostport string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.seen[hostport]...)
}

func (n *namedHosts) transport() *http.Transport {
	var d net.Dialer
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			n.mu.Lock()
			to, ok := n.addrs[strings.ToLower(strings.NewReplacer("[", "", "]", "").Replace(addr))]
			n.mu.Unlock()
			if !ok {
				return nil, errors.New("no test server for " + addr)
			}
			return d.DialContext(ctx, network, to)
		},
		// The made-up names are not in httptest's certificate; the name
		// it does hold is checked instead, against its own root.
		TLSClientConfig: &tls.Config{RootCAs: n.roots, ServerName: "example.com"},
	}
}

func okHandler(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }

func bearerOf(tk *Tokens) string { return "Bearer " + tk.AccessToken }

func testTokens(e *env) *Tokens {
	return &Tokens{AccessToken: e.sec.add("AT-hosts"), RefreshToken: e.sec.add("RT-hosts"), Expiry: e.clock.Now().Add(time.Hour)}
}

func getStatus(t *testing.T, c *http.Client, url string) int {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestTransportSendsTokenOnlyToFirstOrigin: without WithHosts the first
// request's origin (scheme, host, port) is the only one that gets the
// access token (R24).
func TestTransportSendsTokenOnlyToFirstOrigin(t *testing.T) {
	e := newEnv(t)
	n := newNamedHosts()
	n.serveTLS(t, "api.test:443", okHandler)
	n.serveTLS(t, "api.test:8443", okHandler)
	n.serve(t, "api.test:80", okHandler)
	n.serveTLS(t, "other.test:443", func(w http.ResponseWriter, r *http.Request) {
		unauthorized(w, `Bearer error="invalid_token"`)
	})
	x := &plainExchanger{}
	tk := testTokens(e)
	src := e.source(x, tk)
	c := &http.Client{Transport: src.Transport(n.transport())}

	getStatus(t, c, "https://API.test/first")
	getStatus(t, c, "https://api.test:443/default-port")
	getStatus(t, c, "https://api.test:8443/other-port")
	getStatus(t, c, "http://api.test/plain")
	if code := getStatus(t, c, "https://other.test/"); code != http.StatusUnauthorized {
		t.Errorf("other host: status %d; want its 401 passed through", code)
	}
	want := map[string][]string{
		"api.test:443":   {bearerOf(tk), bearerOf(tk)},
		"api.test:8443":  {""},
		"api.test:80":    {""},
		"other.test:443": {""},
	}
	for h, w := range want {
		if got := n.auth(h); strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("%s got Authorization %q; want %q", h, got, w)
		}
	}
	if len(x.got) != 0 {
		t.Errorf("a 401 from another origin caused %d refreshes; want 0", len(x.got))
	}
	// A second Transport of the same Source keeps the pinned origin.
	c2 := &http.Client{Transport: src.Transport(n.transport())}
	getStatus(t, c2, "https://other.test/")
	if got := n.auth("other.test:443"); len(got) != 2 || got[1] != "" {
		t.Errorf("other host through a second Transport got Authorization %q; want none", got)
	}
}

// TestTransportNeverPinsPlainHTTP: a first request over plain http to a
// host that is not loopback pins that origin but gets no token, and says
// why at warn level (R24).
func TestTransportNeverPinsPlainHTTP(t *testing.T) {
	e := newEnv(t)
	n := newNamedHosts()
	n.serve(t, "api.test:80", okHandler)
	n.serveTLS(t, "api.test:443", okHandler)
	src := e.source(&plainExchanger{}, testTokens(e))
	c := &http.Client{Transport: src.Transport(n.transport())}
	getStatus(t, c, "http://api.test/")
	getStatus(t, c, "https://api.test/")
	for _, h := range []string{"api.test:80", "api.test:443"} {
		if got := n.auth(h); len(got) != 1 || got[0] != "" {
			t.Errorf("%s got Authorization %q; want none", h, got)
		}
	}
	if logs := e.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "plain http") {
		t.Errorf("logs = %s; want a warning about plain http", logs)
	}
}

// TestTransportDropsTokenOnRedirectToAnotherOrigin: a redirect that leaves
// the token's origin — another host, plain http on the same host, another
// port — reaches it without the access token, whatever the redirect status;
// a redirect within the origin keeps it (R24).
func TestTransportDropsTokenOnRedirectToAnotherOrigin(t *testing.T) {
	targets := map[string]string{
		"/away":       "https://evil.test/steal",
		"/sub":        "https://sub.api.test/steal",
		"/plain":      "http://api.test/steal",
		"/plain-port": "http://api.test:8080/steal",
		"/port":       "https://api.test:8443/steal",
	}
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			e := newEnv(t)
			n := newNamedHosts()
			n.serveTLS(t, "api.test:443", func(w http.ResponseWriter, r *http.Request) {
				if to, ok := targets[r.URL.Path]; ok {
					http.Redirect(w, r, to, status)
					return
				}
				if r.URL.Path == "/here" {
					http.Redirect(w, r, "/landing", status)
					return
				}
				io.WriteString(w, "ok")
			})
			for _, h := range []string{"evil.test:443", "sub.api.test:443", "api.test:8443"} {
				n.serveTLS(t, h, okHandler)
			}
			for _, h := range []string{"api.test:80", "api.test:8080"} {
				n.serve(t, h, okHandler)
			}
			tk := testTokens(e)
			src := e.source(&plainExchanger{}, tk)
			c := &http.Client{Transport: src.Transport(n.transport())}
			for _, path := range []string{"/here", "/away", "/sub", "/plain", "/plain-port", "/port"} {
				req, _ := http.NewRequest(http.MethodPost, "https://api.test"+path, strings.NewReader("body"))
				resp, err := c.Do(req)
				if err != nil {
					t.Fatalf("POST %s: %v", path, err)
				}
				resp.Body.Close()
			}
			if got := n.auth("api.test:443"); len(got) != 7 || strings.Join(got, "") != strings.Repeat(bearerOf(tk), 7) {
				t.Errorf("api.test got Authorization %q; want the token on all 7 requests", got)
			}
			for _, h := range []string{"evil.test:443", "sub.api.test:443", "api.test:80", "api.test:8080", "api.test:8443"} {
				if got := n.auth(h); len(got) != 1 || got[0] != "" {
					t.Errorf("%s got Authorization %q after a redirect; want none", h, got)
				}
			}
		})
	}
}

// TestTransportStripsAnyAuthorizationOnRedirectAway: even a header the
// caller set by hand, which net/http keeps on a redirect to a subdomain or
// to plain http on the same host, does not follow a redirect out of the
// token's origins.
func TestTransportStripsAnyAuthorizationOnRedirectAway(t *testing.T) {
	for _, to := range []string{"https://sub.api.test/", "http://api.test/"} {
		t.Run(to, func(t *testing.T) {
			e := newEnv(t)
			n := newNamedHosts()
			n.serveTLS(t, "api.test:443", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, to, http.StatusFound)
			})
			n.serveTLS(t, "sub.api.test:443", okHandler)
			n.serve(t, "api.test:80", okHandler)
			src := e.source(&plainExchanger{}, testTokens(e))
			c := &http.Client{Transport: src.Transport(n.transport())}
			req, _ := http.NewRequest(http.MethodGet, "https://api.test/", nil)
			req.Header.Set("Authorization", "Basic c2VjcmV0")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			for _, h := range []string{"sub.api.test:443", "api.test:80"} {
				if got := n.auth(h); len(got) > 1 || (len(got) == 1 && got[0] != "") {
					t.Errorf("%s got Authorization %q after a redirect; want none", h, got)
				}
			}
		})
	}
}

// TestTransportLoopbackAnyPort: a loopback host pinned by the first request
// gets the token on every port, over http and https, redirects included;
// another name for the same machine does not (R24).
func TestTransportLoopbackAnyPort(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	seen := map[string][]string{}
	handler := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name] = append(seen[name], r.Header.Get("Authorization"))
			mu.Unlock()
			io.WriteString(w, "ok")
		}
	}
	a := httptest.NewServer(handler("a"))
	defer a.Close()
	tlsB := httptest.NewTLSServer(handler("b"))
	defer tlsB.Close()
	c3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen["c"] = append(seen["c"], r.Header.Get("Authorization"))
		mu.Unlock()
		http.Redirect(w, r, a.URL+"/from-c", http.StatusTemporaryRedirect)
	}))
	defer c3.Close()

	tk := testTokens(e)
	src := e.source(&plainExchanger{}, tk)
	base := tlsB.Client().Transport.(*http.Transport).Clone()
	c := &http.Client{Transport: src.Transport(base)}
	getStatus(t, c, a.URL)
	getStatus(t, c, tlsB.URL)
	getStatus(t, c, c3.URL)
	_, port, _ := net.SplitHostPort(a.Listener.Addr().String())
	getStatus(t, c, "http://localhost:"+port+"/other-name")
	mu.Lock()
	defer mu.Unlock()
	want := map[string][]string{
		"a": {bearerOf(tk), bearerOf(tk), ""},
		"b": {bearerOf(tk)},
		"c": {bearerOf(tk)},
	}
	for name, w := range want {
		if got := seen[name]; strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("server %s got Authorization %q; want %q", name, got, w)
		}
	}
}

// TestWithHostsListsTheTokensOrigins: only the listed origins get the
// token, whichever comes first: a bare host means https on 443, plain http
// needs an explicit http:// entry, loopback hosts without a port match any
// port.
func TestWithHostsListsTheTokensOrigins(t *testing.T) {
	e := newEnv(t)
	n := newNamedHosts()
	for _, h := range []string{"public.test:443", "a.test:443", "a.test:8443", "b.test:8443", "b.test:9000", "d.test:9443", "d.test:443", "f.test:443"} {
		n.serveTLS(t, h, okHandler)
	}
	for _, h := range []string{"a.test:80", "c.test:8080", "c.test:80", "e.test:80", "f.test:80", "127.0.0.1:80", "127.0.0.1:8081", "::1:80", "127.0.0.2:80", "127.0.0.2:9"} {
		n.serve(t, h, okHandler)
	}
	tk := testTokens(e)
	src := e.source(&plainExchanger{}, tk,
		WithHosts("A.test", "b.test:8443", "http://c.test:8080", "https://d.test:9443", "e.test", "http://F.test", "127.0.0.1", "::1", "127.0.0.2:9"))
	c := &http.Client{Transport: src.Transport(n.transport())}
	for _, u := range []string{
		"https://public.test/", "https://a.test/", "http://a.test/", "https://a.test:8443/",
		"https://b.test:8443/", "https://b.test:9000/", "http://c.test:8080/", "http://c.test/",
		"https://d.test:9443/", "https://d.test/", "http://e.test/", "http://f.test/", "https://f.test/",
		"http://127.0.0.1/", "http://127.0.0.1:8081/", "http://[::1]/", "http://127.0.0.2/", "http://127.0.0.2:9/",
	} {
		getStatus(t, c, u)
	}
	at := bearerOf(tk)
	want := map[string]string{
		"public.test:443": "", "a.test:443": at, "a.test:80": "", "a.test:8443": "",
		"b.test:8443": at, "b.test:9000": "", "c.test:8080": at, "c.test:80": "",
		"d.test:9443": at, "d.test:443": "", "e.test:80": "", "f.test:80": at, "f.test:443": "",
		"127.0.0.1:80": at, "127.0.0.1:8081": at, "::1:80": at, "127.0.0.2:80": "", "127.0.0.2:9": at,
	}
	for h, w := range want {
		if got := n.auth(h); len(got) != 1 || got[0] != w {
			t.Errorf("%s got Authorization %q; want %q", h, got, w)
		}
	}
}

func TestWithHostsRefusesWhatIsNotAHost(t *testing.T) {
	for _, bad := range []string{"", "api.test/path", "user@api.test", "api test", "https://", "api.test?x=1",
		"ftp://api.test", "ws://api.test", "api.test:99999", "api.test:0", "api.test:", "http://api.test:x"} {
		t.Run(bad, func(t *testing.T) {
			e := newEnv(t)
			src := e.source(&plainExchanger{}, testTokens(e), WithHosts("good.test", bad))
			c := &http.Client{Transport: src.Transport(nil)}
			_, err := c.Get("https://good.test/")
			if !errors.Is(err, ErrMisconfigured) || !strings.Contains(err.Error(), "WithHosts") {
				t.Errorf("GET = %v; want an ErrMisconfigured naming WithHosts", err)
			}
		})
	}
}
