package refresh

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// secrets collects every secret a test creates, so that logs and error
// strings can be searched for them (R23).
type secrets struct {
	mu sync.Mutex
	v  map[string]bool
}

func (s *secrets) add(v string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.v == nil {
		s.v = map[string]bool{}
	}
	s.v[v] = true
	return v
}

func (s *secrets) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.v))
	for k := range s.v {
		out = append(out, k)
	}
	return out
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// env bundles what most tests need and checks R23 at cleanup: no secret in
// the log or in any error the test recorded.
type env struct {
	t      *testing.T
	clock  *fakeClock
	logs   *syncBuffer
	log    *slog.Logger
	sec    *secrets
	mu     sync.Mutex
	errs   []string
	sleeps []time.Duration
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), logs: &syncBuffer{}, sec: &secrets{}}
	e.log = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(e.checkNoLeak)
	return e
}

// err records an error's text for the R23 check and returns it.
func (e *env) err(err error) error {
	if err != nil {
		e.mu.Lock()
		e.errs = append(e.errs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		e.mu.Unlock()
	}
	return err
}

func (e *env) checkNoLeak() {
	logs := e.logs.String()
	e.mu.Lock()
	errs := strings.Join(e.errs, "\n")
	e.mu.Unlock()
	for _, s := range e.sec.list() {
		if strings.Contains(logs, s) {
			e.t.Errorf("R23: log contains secret %q:\n%s", s, logs)
		}
		if strings.Contains(errs, s) {
			e.t.Errorf("R23: an error string contains secret %q:\n%s", s, errs)
		}
	}
}

// source builds a Source with the env's clock, logger and a recording sleep.
func (e *env) source(x Exchanger, initial *Tokens, opts ...Option) *Source {
	opts = append([]Option{WithClock(e.clock.Now), WithLogger(e.log)}, opts...)
	s := NewSource(x, initial, opts...)
	s.sleep = func(ctx context.Context, d time.Duration) error {
		e.mu.Lock()
		e.sleeps = append(e.sleeps, d)
		e.mu.Unlock()
		e.clock.Advance(d)
		return ctx.Err()
	}
	e.t.Cleanup(func() { s.Close() })
	return s
}

func (e *env) recordedSleeps() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Duration(nil), e.sleeps...)
}

// fakeJWT builds an unsigned compact JWS with the given claims (the Source
// only reads exp/iat/username, never verifies).
func fakeJWT(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	b, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(b) + ".c2ln"
}

// idp is a fake OAuth 2.0 token endpoint that counts calls, tracks which
// refresh tokens were sent and how often, and lets tests inject faults.
type idp struct {
	t      *testing.T
	e      *env
	srv    *httptest.Server
	calls  atomic.Int64
	mu     sync.Mutex
	n      int
	valid  map[string]bool
	seen   map[string]int
	issued []string // access tokens, in order
	// knobs (set before use, or under mu)
	rotate    bool
	expiresIn any // nil: omitted
	tokenType string
	delay     time.Duration
	block     chan struct{} // if non-nil, every call waits for it
	fault     func(w http.ResponseWriter, r *http.Request, call int64) bool
	clientID  string
	secret    string
	lastAuth  string
	lastForm  map[string][]string
	lastURL   string
}

func newIDP(t *testing.T, e *env) *idp {
	p := &idp{t: t, e: e, valid: map[string]bool{}, seen: map[string]int{}, tokenType: "Bearer", expiresIn: 3600}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.mu.Lock()
		if p.block != nil {
			select {
			case <-p.block:
			default:
				close(p.block)
			}
		}
		p.mu.Unlock()
		p.srv.Close()
	})
	return p
}

// refreshToken registers a valid refresh token.
func (p *idp) refreshToken(v string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.e.sec.add(v)
	p.valid[v] = true
	return v
}

func (p *idp) exchanger() *OAuth2Exchanger {
	return NewOAuth2Exchanger(&oauth2.Config{
		ClientID: p.clientID, ClientSecret: p.secret,
		Endpoint: oauth2.Endpoint{TokenURL: p.srv.URL + "/token"},
	})
}

func (p *idp) timesSeen(rt string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[rt]
}

func (p *idp) lastIssued() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.issued) == 0 {
		return ""
	}
	return p.issued[len(p.issued)-1]
}

func (p *idp) serve(w http.ResponseWriter, r *http.Request) {
	call := p.calls.Add(1)
	p.mu.Lock()
	block, delay, fault := p.block, p.delay, p.fault
	p.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-r.Context().Done():
			return
		}
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "form", http.StatusBadRequest)
		return
	}
	rt := r.PostForm.Get("refresh_token")
	p.mu.Lock()
	p.seen[rt]++
	p.lastAuth = r.Header.Get("Authorization")
	p.lastForm = r.PostForm
	p.lastURL = r.URL.String()
	p.mu.Unlock()
	if fault != nil && fault(w, r, call) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.PostForm.Get("grant_type") != "refresh_token" {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"unsupported_grant_type"}`)
		return
	}
	p.mu.Lock()
	if !p.valid[rt] {
		p.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_grant","error_description":"refresh token is invalid"}`)
		return
	}
	p.n++
	at := p.e.sec.add(fmt.Sprintf("AT-%d-%s", p.n, strings.Repeat("x", 8)))
	id := p.e.sec.add(fmt.Sprintf("ID-%d-%s", p.n, strings.Repeat("y", 8)))
	p.issued = append(p.issued, at)
	ans := map[string]any{"access_token": at, "id_token": id}
	if p.tokenType != "" {
		ans["token_type"] = p.tokenType
	}
	if p.expiresIn != nil {
		ans["expires_in"] = p.expiresIn
	}
	if p.rotate {
		nrt := p.e.sec.add(fmt.Sprintf("RT-%d-%s", p.n, strings.Repeat("z", 8)))
		delete(p.valid, rt)
		p.valid[nrt] = true
		ans["refresh_token"] = nrt
	}
	p.mu.Unlock()
	json.NewEncoder(w).Encode(ans)
}

// initialTokens returns tokens with a valid refresh token and an access
// token that expires at exp.
func (p *idp) initialTokens(exp time.Time) *Tokens {
	return &Tokens{
		AccessToken:  p.e.sec.add("AT-0-initial"),
		RefreshToken: p.refreshToken("RT-0-initial"),
		TokenType:    "Bearer",
		Expiry:       exp,
	}
}

// api is a fake resource server; accept decides per access token.
type api struct {
	srv      *httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	seen     []string // Authorization values
	bodies   []string
	handler  func(w http.ResponseWriter, r *http.Request, token string, body string)
}

func newAPI(t *testing.T, h func(w http.ResponseWriter, r *http.Request, token, body string)) *api {
	a := &api{handler: h}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.requests.Add(1)
		b, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization")
		a.mu.Lock()
		a.seen = append(a.seen, auth)
		a.bodies = append(a.bodies, string(b))
		a.mu.Unlock()
		a.handler(w, r, strings.TrimPrefix(auth, "Bearer "), string(b))
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func unauthorized(w http.ResponseWriter, challenge string) {
	if challenge != "" {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, `{"error":"invalid_token"}`)
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// oauth2Config builds an *oauth2.Config for a token URL and client.
type oauth2Config struct{ TokenURL, ClientID, ClientSecret string }

func (c oauth2Config) cfg() *oauth2.Config {
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: oauth2.Endpoint{TokenURL: c.TokenURL}}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
