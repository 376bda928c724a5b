package refresh

import (
	"context"
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
}

func newNamedHosts() *namedHosts {
	return &namedHosts{addrs: map[string]string{}, seen: map[string][]string{}}
}

// serve starts h as hostport ("api.test:80") and records the Authorization
// header of each request it gets.
func (n *namedHosts) serve(t *testing.T, hostport string, h http.HandlerFunc) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		n.seen[hostport] = append(n.seen[hostport], r.Header.Get("Authorization"))
		n.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	n.mu.Lock()
	n.addrs[hostport] = srv.Listener.Addr().String()
	n.mu.Unlock()
}

func (n *namedHosts) auth(hostport string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.seen[hostport]...)
}

func (n *namedHosts) transport() *http.Transport {
	var d net.Dialer
	return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		n.mu.Lock()
		to, ok := n.addrs[strings.ToLower(strings.NewReplacer("[", "", "]", "").Replace(addr))]
		n.mu.Unlock()
		if !ok {
			return nil, errors.New("no test server for " + addr)
		}
		return d.DialContext(ctx, network, to)
	}}
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

// TestTransportSendsTokenOnlyToFirstHost: without WithHosts the first
// request's host is the only one that gets the access token (R24).
func TestTransportSendsTokenOnlyToFirstHost(t *testing.T) {
	e := newEnv(t)
	n := newNamedHosts()
	n.serve(t, "api.test:80", okHandler)
	n.serve(t, "api.test:8080", okHandler)
	n.serve(t, "other.test:80", func(w http.ResponseWriter, r *http.Request) {
		unauthorized(w, `Bearer error="invalid_token"`)
	})
	x := &plainExchanger{}
	tk := testTokens(e)
	src := e.source(x, tk)
	c := &http.Client{Transport: src.Transport(n.transport())}

	getStatus(t, c, "http://API.test/first")
	getStatus(t, c, "http://api.test:8080/other-port")
	if code := getStatus(t, c, "http://other.test/"); code != http.StatusUnauthorized {
		t.Errorf("other host: status %d; want its 401 passed through", code)
	}
	if got := n.auth("api.test:80"); len(got) != 1 || got[0] != bearerOf(tk) {
		t.Errorf("first host got Authorization %q; want the access token", got)
	}
	if got := n.auth("api.test:8080"); len(got) != 1 || got[0] != bearerOf(tk) {
		t.Errorf("first host, other port, got Authorization %q; want the access token", got)
	}
	if got := n.auth("other.test:80"); len(got) != 1 || got[0] != "" {
		t.Errorf("other host got Authorization %q; want none", got)
	}
	if len(x.got) != 0 {
		t.Errorf("a 401 from another host caused %d refreshes; want 0", len(x.got))
	}
	// A second Transport of the same Source keeps the pinned host.
	c2 := &http.Client{Transport: src.Transport(n.transport())}
	getStatus(t, c2, "http://other.test/")
	if got := n.auth("other.test:80"); len(got) != 2 || got[1] != "" {
		t.Errorf("other host through a second Transport got Authorization %q; want none", got)
	}
}

// TestTransportDropsTokenOnCrossHostRedirect: a redirect that leaves the
// allowed hosts reaches the new host without the access token, whatever the
// redirect status; a redirect within the host keeps it (R24).
func TestTransportDropsTokenOnCrossHostRedirect(t *testing.T) {
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			e := newEnv(t)
			n := newNamedHosts()
			n.serve(t, "api.test:80", func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/away":
					http.Redirect(w, r, "http://evil.test/steal", status)
				case "/sub":
					http.Redirect(w, r, "http://sub.api.test/steal", status)
				case "/here":
					http.Redirect(w, r, "/landing", status)
				default:
					io.WriteString(w, "ok")
				}
			})
			n.serve(t, "evil.test:80", okHandler)
			n.serve(t, "sub.api.test:80", okHandler)
			tk := testTokens(e)
			src := e.source(&plainExchanger{}, tk)
			c := &http.Client{Transport: src.Transport(n.transport())}
			for _, path := range []string{"/here", "/away", "/sub"} {
				req, _ := http.NewRequest(http.MethodPost, "http://api.test"+path, strings.NewReader("body"))
				resp, err := c.Do(req)
				if err != nil {
					t.Fatalf("POST %s: %v", path, err)
				}
				resp.Body.Close()
			}
			if got := n.auth("api.test:80"); len(got) != 4 || strings.Join(got, "") != strings.Repeat(bearerOf(tk), 4) {
				t.Errorf("api.test got Authorization %q; want the token on all 4 requests", got)
			}
			for _, h := range []string{"evil.test:80", "sub.api.test:80"} {
				if got := n.auth(h); len(got) != 1 || got[0] != "" {
					t.Errorf("%s got Authorization %q after a redirect; want none", h, got)
				}
			}
		})
	}
}

// TestTransportStripsAnyAuthorizationOnRedirectAway: even a header the
// caller set by hand, which net/http keeps on a redirect to a subdomain,
// does not follow a redirect out of the allowed hosts.
func TestTransportStripsAnyAuthorizationOnRedirectAway(t *testing.T) {
	e := newEnv(t)
	n := newNamedHosts()
	n.serve(t, "api.test:80", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://sub.api.test/", http.StatusFound)
	})
	n.serve(t, "sub.api.test:80", okHandler)
	src := e.source(&plainExchanger{}, testTokens(e))
	c := &http.Client{Transport: src.Transport(n.transport())}
	req, _ := http.NewRequest(http.MethodGet, "http://api.test/", nil)
	req.Header.Set("Authorization", "Basic c2VjcmV0")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := n.auth("sub.api.test:80"); len(got) != 1 || got[0] != "" {
		t.Errorf("subdomain got Authorization %q after a redirect; want none", got)
	}
}

// TestWithHostsListsTheTokensHosts: only the listed hosts (and ports, when
// given) get the token, whichever host comes first.
func TestWithHostsListsTheTokensHosts(t *testing.T) {
	e := newEnv(t)
	n := newNamedHosts()
	for _, h := range []string{"public.test:80", "a.test:80", "b.test:8443", "b.test:9000", "c.test:80", "127.0.0.1:80", "::1:80"} {
		n.serve(t, h, okHandler)
	}
	tk := testTokens(e)
	src := e.source(&plainExchanger{}, tk, WithHosts("A.test", "b.test:8443", "http://c.test", "127.0.0.1", "::1"))
	c := &http.Client{Transport: src.Transport(n.transport())}
	for _, u := range []string{"http://public.test/", "http://a.test/", "http://b.test:8443/", "http://b.test:9000/", "http://c.test/", "http://127.0.0.1/", "http://[::1]/"} {
		getStatus(t, c, u)
	}
	want := map[string]string{
		"public.test:80": "", "a.test:80": bearerOf(tk), "b.test:8443": bearerOf(tk), "b.test:9000": "",
		"c.test:80": bearerOf(tk), "127.0.0.1:80": bearerOf(tk), "::1:80": bearerOf(tk),
	}
	for h, w := range want {
		if got := n.auth(h); len(got) != 1 || got[0] != w {
			t.Errorf("%s got Authorization %q; want %q", h, got, w)
		}
	}
}

func TestWithHostsRefusesWhatIsNotAHost(t *testing.T) {
	for _, bad := range []string{"", "api.test/path", "user@api.test", "api test", "https://", "api.test?x=1"} {
		t.Run(bad, func(t *testing.T) {
			e := newEnv(t)
			src := e.source(&plainExchanger{}, testTokens(e), WithHosts("good.test", bad))
			c := &http.Client{Transport: src.Transport(nil)}
			_, err := c.Get("http://good.test/")
			if !errors.Is(err, ErrMisconfigured) || !strings.Contains(err.Error(), "WithHosts") {
				t.Errorf("GET = %v; want an ErrMisconfigured naming WithHosts", err)
			}
		})
	}
}
