package refresh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// acceptLatest is a resource server that accepts only the IdP's latest
// access token (or, before any refresh, none) and answers 401 invalid_token.
func acceptLatest(p *idp) func(w http.ResponseWriter, r *http.Request, tok, body string) {
	return func(w http.ResponseWriter, r *http.Request, tok, body string) {
		if tok != "" && tok == p.lastIssued() {
			io.WriteString(w, "ok")
			return
		}
		unauthorized(w, `Bearer realm="api", error="invalid_token"`)
	}
}

func get(t *testing.T, e *env, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if e.err(err) != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestConcurrent401sShareOneRefresh: a hundred requests rejected with the
// same access token cause exactly one refresh, and each is retried once with
// the new token (R01).
func TestConcurrent401sShareOneRefresh(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.delay = 200 * time.Millisecond
	const n = 100
	// Hold every request made with the initial token until all n arrived, so
	// all of them really are rejected for the same token.
	var v1 atomic.Int64
	all := make(chan struct{})
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request, tok, body string) {
		if tok == "AT-0-initial" {
			if v1.Add(1) == n {
				close(all)
			}
			select {
			case <-all:
			case <-time.After(10 * time.Second):
			}
		}
		acceptLatest(p)(w, r, tok, body)
	})
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(time.Hour)))
	c := &http.Client{Transport: src.Transport(nil)}
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Get(a.srv.URL)
			if e.err(err) != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	if got := p.calls.Load(); got != 1 {
		t.Errorf("refresh calls = %d; want 1", got)
	}
	for i, c := range codes {
		if c != 200 {
			t.Errorf("request %d: status %d; want 200", i, c)
		}
	}
	if got := a.requests.Load(); got != 2*n {
		t.Errorf("API requests = %d; want %d (each retried once)", got, 2*n)
	}
}

// Test401ForReplacedTokenRetriesWithoutRefresh: a 401 for an access token
// that was already replaced retries with the current token instead of
// refreshing again (R02).
func Test401ForReplacedTokenRetriesWithoutRefresh(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	release := make(chan struct{})
	var first atomic.Bool
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request, tok, body string) {
		if r.URL.Path == "/slow" && first.CompareAndSwap(false, true) {
			<-release // answered 401 for v1 only once v2 exists
		}
		acceptLatest(p)(w, r, tok, body)
	})
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(time.Hour)))
	c := &http.Client{Transport: src.Transport(nil)}
	done := make(chan int)
	go func() {
		resp, err := c.Get(a.srv.URL + "/slow")
		if e.err(err) != nil {
			t.Errorf("slow request: %v", err)
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for a.requests.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	// Another request meets the 401 first and refreshes.
	if code, _ := get(t, e, c, a.srv.URL+"/fast"); code != 200 {
		t.Fatalf("fast request: %d", code)
	}
	close(release)
	if code := <-done; code != 200 {
		t.Errorf("slow request status = %d; want 200 (retried with current token)", code)
	}
	if got := p.calls.Load(); got != 1 {
		t.Errorf("refresh calls = %d; want 1 (no refresh for a superseded token)", got)
	}
}

// TestSecond401IsReturnedWithoutAnotherRefresh: an API that always answers
// 401 gets one refresh and one retry per request, then its 401 is returned:
// no loop (R03).
func TestSecond401IsReturnedWithoutAnotherRefresh(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request, tok, body string) {
		unauthorized(w, `Bearer error="invalid_token"`)
	})
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(time.Hour)))
	c := &http.Client{Transport: src.Transport(nil)}
	for i := 1; i <= 2; i++ {
		if code, _ := get(t, e, c, a.srv.URL); code != 401 {
			t.Errorf("status = %d; want 401", code)
		}
		if got := p.calls.Load(); got != int64(i) {
			t.Errorf("after request %d: refresh calls = %d; want %d", i, got, i)
		}
		if got := a.requests.Load(); got != int64(2*i) {
			t.Errorf("after request %d: API requests = %d; want %d", i, got, 2*i)
		}
	}
}

// Test403NeverRefreshes: 403 insufficient_scope is returned as is, without a
// refresh (R04).
func Test403NeverRefreshes(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request, tok, body string) {
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="admin"`)
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "forbidden body")
	})
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(time.Hour)))
	c := &http.Client{Transport: src.Transport(nil)}
	code, body := get(t, e, c, a.srv.URL)
	if code != 403 || body != "forbidden body" {
		t.Errorf("got %d %q; want 403 %q", code, body, "forbidden body")
	}
	if p.calls.Load() != 0 || a.requests.Load() != 1 {
		t.Errorf("refresh calls = %d, API requests = %d; want 0, 1", p.calls.Load(), a.requests.Load())
	}
}

// TestRefreshesOnlyForBearerInvalidTokenChallenges: only a Bearer challenge
// with error=invalid_token (or no error), or a bare 401, causes a refresh;
// other errors and schemes do not (R05).
func TestRefreshesOnlyForBearerInvalidTokenChallenges(t *testing.T) {
	cases := []struct {
		name      string
		header    []string
		refreshes bool
	}{
		{"bearer invalid_token", []string{`Bearer realm="api", error="invalid_token", error_description="expired"`}, true},
		{"bearer no error", []string{`Bearer realm="api"`}, true},
		{"bare bearer", []string{`Bearer`}, true},
		{"lower-case scheme", []string{`bearer error="invalid_token"`}, true},
		{"no challenge", nil, true},
		{"dpop invalid_token", []string{`DPoP algs="ES256", error="invalid_token"`}, false},
		{"bearer insufficient_scope", []string{`Bearer error="insufficient_scope"`}, false},
		{"bearer invalid_request", []string{`Bearer error="invalid_request"`}, false},
		{"basic", []string{`Basic realm="x"`}, false},
		{"dpop then bearer", []string{`DPoP algs="ES256", Bearer realm="api", error="invalid_token"`}, true},
		{"two header lines", []string{`DPoP algs="ES256"`, `Bearer error="invalid_token"`}, true},
		{"quoted comma", []string{`Bearer realm="a, b", error="invalid_token"`}, true},
		{"token unquoted", []string{`Bearer error=invalid_token`}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			p := newIDP(t, e)
			a := newAPI(t, func(w http.ResponseWriter, r *http.Request, tok, body string) {
				if tok != "" && tok == p.lastIssued() {
					io.WriteString(w, "ok")
					return
				}
				for _, h := range tc.header {
					w.Header().Add("WWW-Authenticate", h)
				}
				w.WriteHeader(http.StatusUnauthorized)
			})
			src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(time.Hour)))
			c := &http.Client{Transport: src.Transport(nil)}
			code, _ := get(t, e, c, a.srv.URL)
			wantCalls, wantCode := int64(0), 401
			if tc.refreshes {
				wantCalls, wantCode = 1, 200
			}
			if got := p.calls.Load(); got != wantCalls || code != wantCode {
				t.Errorf("refresh calls = %d, status = %d; want %d, %d", got, code, wantCalls, wantCode)
			}
		})
	}
}

// countingStore records saves and can block them.
type countingStore struct {
	MemoryStore
	saves   atomic.Int64
	nilSave atomic.Int64
	gate    chan struct{} // if non-nil, Save waits for it
	entered chan *Tokens
	fail    error
}

func (c *countingStore) Save(ctx context.Context, t *Tokens) error {
	if c.entered != nil {
		c.entered <- t.clone()
	}
	if c.gate != nil {
		<-c.gate
	}
	c.saves.Add(1)
	if t == nil {
		c.nilSave.Add(1)
	}
	if c.fail != nil {
		return c.fail
	}
	return c.MemoryStore.Save(ctx, t)
}

// TestRotatedRefreshTokenReplacesTheOldOneAtomically: a rotated refresh token
// is stored with its access token and expiry before anyone sees them, and the
// old one is never sent again (R06).
func TestRotatedRefreshTokenReplacesTheOldOneAtomically(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.rotate = true
	p.expiresIn = 600
	st := &countingStore{gate: make(chan struct{}), entered: make(chan *Tokens, 1)}
	init := p.initialTokens(e.clock.Now().Add(-time.Minute)) // expired
	src := e.source(p.exchanger(), init, WithStore(st))

	got := make(chan *Tokens, 2)
	go func() {
		tk, err := src.Token(context.Background())
		if e.err(err) != nil {
			t.Errorf("Token: %v", err)
		}
		got <- tk
	}()
	saved := <-st.entered // Save is running; nobody may see the new tokens yet
	select {
	case tk := <-got:
		t.Fatalf("a caller saw tokens before they were saved: %v", tk)
	case <-time.After(50 * time.Millisecond):
	}
	// A concurrent caller waits as well (no refresh of its own).
	go func() {
		tk, err := src.Token(context.Background())
		if e.err(err) != nil {
			t.Errorf("Token 2: %v", err)
		}
		got <- tk
	}()
	time.Sleep(20 * time.Millisecond)
	close(st.gate)
	for range 2 {
		tk := <-got
		if tk == nil {
			continue
		}
		if *tk != *saved {
			t.Errorf("caller got %v; want exactly the saved tokens %v", tk, saved)
		}
	}
	if saved.RefreshToken == init.RefreshToken || saved.AccessToken == init.AccessToken {
		t.Errorf("saved tokens not rotated: %v", saved)
	}
	if want := e.clock.Now().Add(600 * time.Second); !saved.Expiry.Equal(want) {
		t.Errorf("saved expiry = %v; want %v (with the new tokens)", saved.Expiry, want)
	}
	// More refreshes: every refresh token is sent exactly once.
	st.entered = nil
	for range 3 {
		e.clock.Advance(601 * time.Second)
		if _, err := src.Token(context.Background()); e.err(err) != nil {
			t.Fatalf("Token: %v", err)
		}
	}
	if got := p.calls.Load(); got != 4 {
		t.Errorf("refresh calls = %d; want 4", got)
	}
	p.mu.Lock()
	for rt, n := range p.seen {
		if n != 1 {
			t.Errorf("refresh token %q sent %d times; want once", rt, n)
		}
	}
	p.mu.Unlock()
	stored, _ := st.Load(context.Background())
	cur, _ := src.Token(context.Background())
	if stored == nil || *stored != *cur {
		t.Errorf("store holds %v; want the current tokens %v", stored, cur)
	}
}

// TestAnswerWithoutRefreshTokenKeepsTheOldOne: an answer without
// refresh_token keeps the one that was sent (R07).
func TestAnswerWithoutRefreshTokenKeepsTheOldOne(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.rotate = false
	init := p.initialTokens(e.clock.Now().Add(-time.Minute))
	src := e.source(p.exchanger(), init)
	tk, err := src.Token(context.Background())
	if e.err(err) != nil {
		t.Fatal(err)
	}
	if tk.RefreshToken != init.RefreshToken {
		t.Errorf("refresh token = %q; want the old one kept", tk.RefreshToken)
	}
	if tk.AccessToken == init.AccessToken {
		t.Errorf("access token not replaced")
	}
}

// TestInvalidGrantRequiresSignIn: invalid_grant is final: no retry, tokens
// cleared, every waiter and later caller gets ErrReauthenticate until
// SetTokens (R08).
func TestInvalidGrantRequiresSignIn(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.block = make(chan struct{})
	st := &countingStore{}
	init := &Tokens{AccessToken: e.sec.add("AT-dead"), RefreshToken: e.sec.add("RT-revoked"), Expiry: e.clock.Now().Add(-time.Second)}
	src := e.source(p.exchanger(), init, WithStore(st))
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := src.Token(context.Background())
			errs <- e.err(err)
		}()
	}
	for p.calls.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(p.block)
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrReauthenticate) {
			t.Errorf("waiter got %v; want ErrReauthenticate", err)
		}
	}
	if got := p.calls.Load(); got != 1 {
		t.Errorf("refresh calls = %d; want 1 (no retry)", got)
	}
	if st.nilSave.Load() != 1 {
		t.Errorf("store cleared %d times; want 1", st.nilSave.Load())
	}
	// Later calls fail fast, without the token endpoint, through every path.
	if _, err := src.Token(context.Background()); !errors.Is(e.err(err), ErrReauthenticate) {
		t.Errorf("later Token: %v; want ErrReauthenticate", err)
	}
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request, tok, body string) { io.WriteString(w, "ok") })
	_, err := (&http.Client{Transport: src.Transport(nil)}).Get(a.srv.URL)
	if !errors.Is(e.err(err), ErrReauthenticate) || a.requests.Load() != 0 {
		t.Errorf("transport: err %v, API requests %d; want ErrReauthenticate, 0", err, a.requests.Load())
	}
	if got := p.calls.Load(); got != 1 {
		t.Errorf("refresh calls after terminal = %d; want 1", got)
	}
	var xe *ExchangeError
	if !errors.As(err, &xe) || xe.Code != "invalid_grant" || xe.StatusCode != 400 || xe.Description != "refresh token is invalid" {
		t.Errorf("ExchangeError = %+v; want code invalid_grant, 400, description kept", xe)
	}
	// Re-login.
	if err := src.SetTokens(context.Background(), p.initialTokens(e.clock.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if tk, err := src.Token(context.Background()); e.err(err) != nil || tk.AccessToken != "AT-0-initial" {
		t.Errorf("after SetTokens: %v, %v", tk, err)
	}
}

// TestClientConfigurationErrorsAreNotRetried: invalid_client,
// unauthorized_client and invalid_scope are configuration errors:
// ErrMisconfigured, no retry loop (R09).
func TestClientConfigurationErrorsAreNotRetried(t *testing.T) {
	for _, code := range []string{"invalid_client", "unauthorized_client", "invalid_scope"} {
		for _, status := range []int{400, 401} {
			t.Run(fmt.Sprintf("%s_%d", code, status), func(t *testing.T) {
				e := newEnv(t)
				p := newIDP(t, e)
				p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(status)
					fmt.Fprintf(w, `{"error":%q}`, code)
					return true
				}
				init := p.initialTokens(e.clock.Now().Add(-time.Second))
				src := e.source(p.exchanger(), init)
				for range 3 {
					_, err := src.Token(context.Background())
					if !errors.Is(e.err(err), ErrMisconfigured) || errors.Is(err, ErrReauthenticate) {
						t.Errorf("err = %v; want ErrMisconfigured", err)
					}
				}
				if got := p.calls.Load(); got != 1 {
					t.Errorf("refresh calls = %d; want 1 (no retry loop)", got)
				}
				if len(e.recordedSleeps()) != 0 {
					t.Errorf("backoff sleeps %v; want none", e.recordedSleeps())
				}
				// Tokens are kept (the refresh token is not at fault).
				src.mu.Lock()
				cur := src.cur
				src.mu.Unlock()
				if cur == nil || cur.RefreshToken != init.RefreshToken {
					t.Errorf("tokens dropped on a configuration error")
				}
			})
		}
	}
}

// TestTransientFailuresRetryWithBackoffAndKeepTokens: 5xx, resets and DNS
// failures are retried a bounded number of times with backoff; the access and
// refresh tokens are kept (R10).
func TestTransientFailuresRetryWithBackoffAndKeepTokens(t *testing.T) {
	faults := map[string]func(w http.ResponseWriter){
		"500": func(w http.ResponseWriter) { w.WriteHeader(500) },
		"503": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(503)
			io.WriteString(w, `{"error":"temporarily_unavailable"}`)
		},
		"connection reset": func(w http.ResponseWriter) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0)
				}
				conn.Close()
			}
		},
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			p := newIDP(t, e)
			p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
				if call <= 2 {
					fault(w)
					return true
				}
				return false
			}
			init := p.initialTokens(e.clock.Now().Add(-time.Second))
			src := e.source(p.exchanger(), init, WithBackoff(100*time.Millisecond, time.Second))
			tk, err := src.Token(context.Background())
			if e.err(err) != nil {
				t.Fatalf("Token: %v", err)
			}
			if tk.AccessToken != p.lastIssued() || p.calls.Load() != 3 {
				t.Errorf("got %v after %d calls; want new tokens after 3", tk, p.calls.Load())
			}
			sl := e.recordedSleeps()
			if len(sl) != 2 {
				t.Fatalf("sleeps = %v; want 2", sl)
			}
			// Equal jitter: attempt n waits within [base·2ⁿ/2, base·2ⁿ].
			for i, d := range sl {
				hi := 100 * time.Millisecond << i
				if d < hi/2 || d > hi {
					t.Errorf("sleep %d = %v; want in [%v, %v]", i, d, hi/2, hi)
				}
			}
			if got := p.timesSeen(init.RefreshToken); got != 3 {
				t.Errorf("refresh token sent %d times; want 3 (kept across retries)", got)
			}
		})
	}

	t.Run("all attempts fail, token still valid", func(t *testing.T) {
		e := newEnv(t)
		p := newIDP(t, e)
		var down atomic.Bool
		down.Store(true)
		p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
			if down.Load() {
				w.WriteHeader(502)
				return true
			}
			return false
		}
		init := p.initialTokens(e.clock.Now().Add(20 * time.Second)) // within the 30 s delta
		src := e.source(p.exchanger(), init, WithRetries(2))
		tk, err := src.Token(context.Background())
		if e.err(err) != nil || tk.AccessToken != init.AccessToken {
			t.Fatalf("got %v, %v; want the current, still valid token", tk, err)
		}
		if got := p.calls.Load(); got != 3 {
			t.Errorf("calls = %d; want 3 (bounded)", got)
		}
		// Backing off: no new attempt, still the current token.
		if tk, err := src.Token(context.Background()); e.err(err) != nil || tk.AccessToken != init.AccessToken || p.calls.Load() != 3 {
			t.Errorf("during backoff: %v, %v, calls %d", tk, err, p.calls.Load())
		}
		// Expired and still backing off: fail fast with ErrUnavailable.
		e.clock.Advance(21 * time.Second)
		src.mu.Lock()
		src.retryAt = e.clock.Now().Add(time.Second)
		src.mu.Unlock()
		if _, err := src.Token(context.Background()); !errors.Is(e.err(err), ErrUnavailable) || p.calls.Load() != 3 {
			t.Errorf("expired during backoff: err %v, calls %d; want ErrUnavailable, 3", err, p.calls.Load())
		}
		// Recovery with the same refresh token.
		down.Store(false)
		e.clock.Advance(2 * time.Second)
		tk, err = src.Token(context.Background())
		if e.err(err) != nil || tk.AccessToken != p.lastIssued() {
			t.Errorf("after recovery: %v, %v", tk, err)
		}
		if p.timesSeen(init.RefreshToken) != 4 {
			t.Errorf("refresh token sent %d times; want 4 (never discarded)", p.timesSeen(init.RefreshToken))
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		e := newEnv(t)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		p := newIDP(t, e)
		x := NewOAuth2Exchanger(oauth2Config{TokenURL: "http://" + addr + "/token"}.cfg())
		src := e.source(x, p.initialTokens(e.clock.Now().Add(-time.Second)), WithRetries(1))
		_, err = src.Token(context.Background())
		if !errors.Is(e.err(err), ErrUnavailable) {
			t.Errorf("err = %v; want ErrUnavailable", err)
		}
		if len(e.recordedSleeps()) != 1 {
			t.Errorf("sleeps %v; want 1 retry", e.recordedSleeps())
		}
	})
}

// TestHangingTokenEndpointTimesOutAndWaitersLeave: a hanging token endpoint
// is cut by the per-attempt timeout; waiters leave on their own context
// without cancelling the refresh (R11).
func TestHangingTokenEndpointTimesOutAndWaitersLeave(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.block = make(chan struct{})
	init := p.initialTokens(e.clock.Now().Add(-time.Second))
	src := e.source(p.exchanger(), init, WithTimeout(300*time.Millisecond), WithRetries(0))

	// A caller with a short deadline leaves; the refresh goes on.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := src.Token(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("impatient caller: %v; want its own DeadlineExceeded", err)
	}
	// A patient caller joins the same refresh and sees the attempt time out.
	_, err = src.Token(context.Background())
	if !errors.Is(e.err(err), ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("patient caller: %v; want ErrUnavailable wrapping DeadlineExceeded", err)
	}
	if got := p.calls.Load(); got != 1 {
		t.Errorf("calls = %d; want 1 (the leaving caller did not cancel or restart it)", got)
	}
	// After the backoff the next caller starts a new attempt.
	p.mu.Lock()
	close(p.block)
	p.block = nil
	p.mu.Unlock()
	e.clock.Advance(time.Minute)
	tk, err := src.Token(context.Background())
	if e.err(err) != nil || tk.AccessToken != p.lastIssued() || p.calls.Load() != 2 {
		t.Errorf("next attempt: %v, %v, calls %d", tk, err, p.calls.Load())
	}
}

// TestRetryAfterIsHonoured: after a 429 with Retry-After no new attempt is
// made before it, and callers fail fast meanwhile (R12).
func TestRetryAfterIsHonoured(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	var limited atomic.Bool
	limited.Store(true)
	p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
		if limited.Load() {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	}
	init := p.initialTokens(e.clock.Now().Add(-time.Second))
	src := e.source(p.exchanger(), init)
	_, err := src.Token(context.Background())
	var xe *ExchangeError
	if !errors.As(e.err(err), &xe) || xe.RetryAfter != 2*time.Second || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v; want ErrUnavailable with RetryAfter 2s", err)
	}
	if sl := e.recordedSleeps(); len(sl) != 0 || p.calls.Load() != 1 {
		t.Errorf("sleeps %v, calls %d; want no in-flight wait and 1 call", sl, p.calls.Load())
	}
	limited.Store(false)
	e.clock.Advance(1900 * time.Millisecond)
	if _, err := src.Token(context.Background()); e.err(err) == nil || p.calls.Load() != 1 {
		t.Errorf("before Retry-After: err %v, calls %d; want fail fast, 1", err, p.calls.Load())
	}
	e.clock.Advance(200 * time.Millisecond)
	if tk, err := src.Token(context.Background()); e.err(err) != nil || tk.AccessToken != p.lastIssued() || p.calls.Load() != 2 {
		t.Errorf("after Retry-After: %v, %v, calls %d", tk, err, p.calls.Load())
	}

	t.Run("bounded", func(t *testing.T) {
		e := newEnv(t)
		p := newIDP(t, e)
		p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
			if call == 1 {
				w.Header().Set("Retry-After", "100000")
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		}
		src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(-time.Second)), WithBackoff(time.Second, 10*time.Second))
		src.Token(context.Background())
		e.clock.Advance(10*time.Second + time.Millisecond)
		if _, err := src.Token(context.Background()); e.err(err) != nil || p.calls.Load() != 2 {
			t.Errorf("after the bound: err %v, calls %d; want success on call 2", err, p.calls.Load())
		}
	})
}

// TestClockAheadOfIssuerRefreshesOnExpiresIn: with the client clock ahead of
// the issuer, expiry comes from expires_in measured on receipt, not from the
// token's exp (R13).
func TestClockAheadOfIssuerRefreshesOnExpiresIn(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	e.clock.t = time.Now().Add(10 * time.Minute) // client 10 min ahead of the IdP
	// The IdP's tokens are JWTs stamped by its own (real) clock.
	p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
		now := time.Now()
		at := e.sec.add(fakeJWT(map[string]any{"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "n": call}))
		p.mu.Lock()
		p.issued = append(p.issued, at)
		ei := p.expiresIn
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if ei == nil {
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer"}`, at)
		} else {
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":300}`, at)
		}
		return true
	}
	for _, withExpiresIn := range []bool{true, false} {
		t.Run(fmt.Sprintf("expires_in=%v", withExpiresIn), func(t *testing.T) {
			p.calls.Store(0)
			p.mu.Lock()
			p.expiresIn = nil
			if withExpiresIn {
				p.expiresIn = 300
			}
			p.mu.Unlock()
			src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(-time.Second)))
			tk, err := src.Token(context.Background())
			if e.err(err) != nil {
				t.Fatal(err)
			}
			if want := e.clock.Now().Add(5 * time.Minute); !tk.Expiry.Equal(want) {
				t.Errorf("expiry = %v; want receipt + 5 min = %v (local clock)", tk.Expiry, want)
			}
			for range 5 {
				src.Token(context.Background())
			}
			e.clock.Advance(4 * time.Minute)
			src.Token(context.Background())
			if got := p.calls.Load(); got != 1 {
				t.Errorf("calls = %d; want 1 (no refresh loop from the skewed exp)", got)
			}
			// A 401 still drives a refresh.
			a := newAPI(t, acceptLatest(p))
			p.mu.Lock()
			p.issued = append(p.issued, "revoked-by-the-api") // the API now refuses the current token
			p.mu.Unlock()
			if code, _ := get(t, e, &http.Client{Transport: src.Transport(nil)}, a.srv.URL); code != 200 || p.calls.Load() != 2 {
				t.Errorf("401-driven refresh: status %d, calls %d; want 200, 2", code, p.calls.Load())
			}
		})
	}
}

// TestClockBehindIssuerRefreshesOnceOn401: with the client clock behind the
// issuer, the token is used until a 401, then refreshed once: no tight loop
// (R14).
func TestClockBehindIssuerRefreshesOnceOn401(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.expiresIn = nil // expiry from exp: the client thinks the token lives 10 min longer
	e.clock.t = time.Now().Add(-10 * time.Minute)
	old := e.sec.add(fakeJWT(map[string]any{"exp": time.Now().Add(-time.Minute).Unix(), "sub": "u"}))
	init := &Tokens{AccessToken: old, RefreshToken: p.refreshToken("RT-behind")}
	src := e.source(p.exchanger(), init)
	if tk, _ := src.Token(context.Background()); tk == nil || tk.AccessToken != old || p.calls.Load() != 0 {
		t.Fatalf("the token must be used until the server says 401")
	}
	a := newAPI(t, acceptLatest(p))
	c := &http.Client{Transport: src.Transport(nil)}
	for range 3 {
		if code, _ := get(t, e, c, a.srv.URL); code != 200 {
			t.Errorf("status %d; want 200", code)
		}
	}
	if got := p.calls.Load(); got != 1 {
		t.Errorf("calls = %d; want exactly 1 refresh, no loop", got)
	}
	if got := a.requests.Load(); got != 4 {
		t.Errorf("API requests = %d; want 4", got)
	}
}

// TestOddExpiresInValues: missing, zero, negative, string and huge expires_in
// values (R15).
func TestOddExpiresInValues(t *testing.T) {
	cases := []struct {
		name      string
		expiresIn any
		want      func(now time.Time) time.Time
	}{
		{"missing", nil, func(time.Time) time.Time { return time.Time{} }},
		{"zero", 0, func(time.Time) time.Time { return time.Time{} }},
		{"negative", -30, func(now time.Time) time.Time { return now }},
		{"string", "3600", func(now time.Time) time.Time { return now.Add(time.Hour) }},
		{"huge", 1e12, func(now time.Time) time.Time { return now.Add(24 * time.Hour) }},
		{"huge string", "1000000000000", func(now time.Time) time.Time { return now.Add(24 * time.Hour) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			p := newIDP(t, e)
			p.expiresIn = tc.expiresIn
			src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(-time.Second)))
			tk, err := src.Token(context.Background())
			if e.err(err) != nil {
				t.Fatal(err)
			}
			if want := tc.want(e.clock.Now()); !tk.Expiry.Equal(want) {
				t.Errorf("expiry = %v; want %v", tk.Expiry, want)
			}
			// No refresh loop, whatever the value.
			for range 10 {
				src.Token(context.Background())
			}
			if got := p.calls.Load(); got != 1 {
				t.Errorf("calls = %d; want 1", got)
			}
			if tc.name == "negative" {
				// Treated as expired: refreshed once more after the guard.
				e.clock.Advance(6 * time.Second)
				src.Token(context.Background())
				if got := p.calls.Load(); got != 2 {
					t.Errorf("calls = %d; want 2", got)
				}
			}
		})
	}
}

// TestUnusableSuccessAnswersKeepTheOldTokens: a 200 without access_token or
// with a token_type other than Bearer is an error, and the old tokens are
// kept (R16).
func TestUnusableSuccessAnswersKeepTheOldTokens(t *testing.T) {
	cases := []struct {
		name string
		body string
		ok   bool
	}{
		{"no access_token", `{"token_type":"Bearer","expires_in":60}`, false},
		{"empty access_token", `{"access_token":"","token_type":"Bearer"}`, false},
		{"mac", `{"access_token":"AT-new","token_type":"mac"}`, false},
		{"DPoP", `{"access_token":"AT-new","token_type":"DPoP"}`, false},
		{"lower-case bearer", `{"access_token":"AT-new","token_type":"bearer"}`, true},
		{"upper-case bearer", `{"access_token":"AT-new","token_type":"BEARER"}`, true},
		{"null", `null`, false},
		{"not json", `access_token=AT-new`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			p := newIDP(t, e)
			p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tc.body)
				return true
			}
			init := p.initialTokens(e.clock.Now().Add(-time.Second))
			src := e.source(p.exchanger(), init)
			tk, err := src.Token(context.Background())
			e.err(err)
			if tc.ok {
				if err != nil || tk.AccessToken != "AT-new" || tk.TokenType != "Bearer" {
					t.Errorf("got %v, %v; want AT-new, Bearer", tk, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidResponse) {
				t.Errorf("err = %v; want ErrInvalidResponse", err)
			}
			if p.calls.Load() != 1 {
				t.Errorf("calls = %d; want 1 (not retried at once)", p.calls.Load())
			}
			src.mu.Lock()
			cur := src.cur
			src.mu.Unlock()
			if cur == nil || *cur != *init {
				t.Errorf("old tokens not kept: %v", cur)
			}
		})
	}
}

// TestOversizedOrNonJSONAnswersAreRefused: answers over 1 MiB or with a wrong
// content type are refused (R17).
func TestOversizedOrNonJSONAnswersAreRefused(t *testing.T) {
	big := `{"access_token":"AT-new","token_type":"Bearer","pad":"` + strings.Repeat("a", 1<<20) + `"}`
	cases := []struct {
		name, ctype, body string
		ok                bool
	}{
		{"over 1 MiB", "application/json", big, false},
		{"html", "text/html", `{"access_token":"AT-new","token_type":"Bearer"}`, false},
		{"text/plain", "text/plain", `access_token=AT-new&token_type=Bearer`, false},
		{"form", "application/x-www-form-urlencoded", `access_token=AT-new&token_type=Bearer&expires_in=60`, true},
		{"json charset", "application/json; charset=utf-8", `{"access_token":"AT-new","token_type":"Bearer"}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			p := newIDP(t, e)
			p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
				w.Header().Set("Content-Type", tc.ctype)
				io.WriteString(w, tc.body)
				return true
			}
			src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(-time.Second)))
			tk, err := src.Token(context.Background())
			e.err(err)
			if tc.ok {
				if err != nil || tk.AccessToken != "AT-new" {
					t.Errorf("got %v, %v", tk, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidResponse) {
				t.Errorf("err = %v; want ErrInvalidResponse", err)
			}
		})
	}
	t.Run("x/oauth2 cap alone", func(t *testing.T) {
		// Without our wrapper, x/oauth2's 1 MiB LimitReader truncates the JSON,
		// which fails to parse: the exchanger still reports an invalid answer.
		e := newEnv(t)
		p := newIDP(t, e)
		p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, big)
			return true
		}
		x := p.exchanger()
		x.client.Transport = http.DefaultTransport
		_, err := x.Exchange(context.Background(), "RT-0-initial")
		if !errors.Is(e.err(err), ErrInvalidResponse) {
			t.Errorf("err = %v; want ErrInvalidResponse", err)
		}
	})
}

// TestRetryReplaysOnlyRewindableBodies: a request is retried after a refresh
// only when its body can be replayed (R18).
func TestRetryReplaysOnlyRewindableBodies(t *testing.T) {
	cases := []struct {
		name    string
		req     func(url string) *http.Request
		retried bool
	}{
		{"GetBody", func(url string) *http.Request {
			r, _ := http.NewRequest("POST", url, strings.NewReader("payload"))
			return r
		}, true},
		{"no body", func(url string) *http.Request {
			r, _ := http.NewRequest("GET", url, nil)
			return r
		}, true},
		{"NoBody", func(url string) *http.Request {
			r, _ := http.NewRequest("POST", url, http.NoBody)
			return r
		}, true},
		{"stream", func(url string) *http.Request {
			r, _ := http.NewRequest("POST", url, io.NopCloser(io.MultiReader(strings.NewReader("payload"))))
			return r
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			p := newIDP(t, e)
			a := newAPI(t, acceptLatest(p))
			src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(time.Hour)))
			req := tc.req(a.srv.URL)
			resp, err := src.Transport(nil).RoundTrip(req)
			if e.err(err) != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if req.Header.Get("Authorization") != "" {
				t.Errorf("the caller's request was modified")
			}
			if p.calls.Load() != 1 {
				t.Errorf("calls = %d; want 1 (refreshed either way)", p.calls.Load())
			}
			want, wantReq := 401, int64(1)
			if tc.retried {
				want, wantReq = 200, 2
			}
			if resp.StatusCode != want || a.requests.Load() != wantReq {
				t.Errorf("status %d, API requests %d; want %d, %d", resp.StatusCode, a.requests.Load(), want, wantReq)
			}
			if tc.retried && req.Method == "POST" && req.Body != http.NoBody {
				a.mu.Lock()
				if len(a.bodies) != 2 || a.bodies[0] != "payload" || a.bodies[1] != "payload" {
					t.Errorf("bodies = %q; want the payload twice", a.bodies)
				}
				a.mu.Unlock()
			}
		})
	}
}

// TestTokenEndpointRedirectsAreNotFollowed: a redirect from the token
// endpoint is not followed, so the refresh token and client secret never go
// to another host (R19).
func TestTokenEndpointRedirectsAreNotFollowed(t *testing.T) {
	for _, code := range []int{301, 302, 307, 308} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			e := newEnv(t)
			var elsewhere atomic.Int64
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				elsewhere.Add(1)
			}))
			defer other.Close()
			p := newIDP(t, e)
			p.secret = e.sec.add("client-secret-value")
			p.clientID = "cid"
			p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
				http.Redirect(w, r, other.URL+"/steal", code)
				return true
			}
			src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(-time.Second)))
			_, err := src.Token(context.Background())
			if !errors.Is(e.err(err), ErrMisconfigured) {
				t.Errorf("err = %v; want ErrMisconfigured", err)
			}
			if elsewhere.Load() != 0 {
				t.Errorf("redirect followed: %d requests elsewhere", elsewhere.Load())
			}
		})
	}
	t.Run("cognito", func(t *testing.T) {
		e := newEnv(t)
		var elsewhere atomic.Int64
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
		defer other.Close()
		red := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL, http.StatusTemporaryRedirect)
		}))
		defer red.Close()
		x, err := NewCognitoExchanger(CognitoConfig{Endpoint: red.URL, ClientID: "cid"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = x.Exchange(context.Background(), e.sec.add("RT-cognito"))
		if !errors.Is(e.err(err), ErrMisconfigured) || elsewhere.Load() != 0 {
			t.Errorf("err %v, requests elsewhere %d; want ErrMisconfigured, 0", err, elsewhere.Load())
		}
	})
}

// TestSharedRotatingRefreshTokenRevokesTheFamily shows the behaviour the
// package documentation warns about: two Sources on one rotating refresh
// token (R20).
func TestSharedRotatingRefreshTokenRevokesTheFamily(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.rotate = true
	rt := p.refreshToken("RT-shared")
	a := e.source(p.exchanger(), &Tokens{AccessToken: e.sec.add("AT-a"), RefreshToken: rt, Expiry: e.clock.Now()})
	b := e.source(p.exchanger(), &Tokens{AccessToken: e.sec.add("AT-b"), RefreshToken: rt, Expiry: e.clock.Now()})
	if _, err := a.Token(context.Background()); e.err(err) != nil {
		t.Fatal(err)
	}
	if _, err := b.Token(context.Background()); !errors.Is(e.err(err), ErrReauthenticate) {
		t.Errorf("second Source: %v; want ErrReauthenticate (reuse of a rotated token)", err)
	}
	if p.timesSeen(rt) != 2 {
		t.Errorf("shared token sent %d times", p.timesSeen(rt))
	}
}

// TestStampedeAtExpiryMinusDeltaRefreshesOnce: a thousand callers at expiry −
// delta share one refresh (R21).
func TestStampedeAtExpiryMinusDeltaRefreshesOnce(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.delay = 50 * time.Millisecond
	init := p.initialTokens(e.clock.Now().Add(30 * time.Second)) // exactly expiry − delta
	src := e.source(p.exchanger(), init)
	const n = 1000
	start := make(chan struct{})
	var wg sync.WaitGroup
	var bad atomic.Int64
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tk, err := src.Token(context.Background())
			if e.err(err) != nil || tk.AccessToken == init.AccessToken {
				bad.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if got := p.calls.Load(); got != 1 {
		t.Errorf("calls = %d; want 1", got)
	}
	if bad.Load() != 0 {
		t.Errorf("%d callers did not get the refreshed token", bad.Load())
	}
}

// TestShutdownDuringRefreshAbortsWithoutLeaks: Close or the end of the
// WithContext context aborts a refresh in flight: waiters get ErrClosed and
// no goroutine is left behind (R22).
func TestShutdownDuringRefreshAbortsWithoutLeaks(t *testing.T) {
	for _, how := range []string{"Close", "WithContext"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t)
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			hang := make(chan struct{})
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				select {
				case <-hang:
				case <-r.Context().Done():
				}
			}))
			defer srv.Close()
			defer close(hang)
			runtime.GC()
			before := runtime.NumGoroutine()

			x := NewOAuth2Exchanger(oauth2Config{TokenURL: srv.URL}.cfg())
			root, cancel := context.WithCancel(context.Background())
			defer cancel()
			src := NewSource(x, &Tokens{AccessToken: e.sec.add("AT-x"), RefreshToken: e.sec.add("RT-x"), Expiry: time.Now()},
				WithContext(root), WithLogger(e.log), WithHTTPClient(&http.Client{Transport: tr}))
			const n = 20
			errs := make(chan error, n)
			for range n {
				go func() {
					_, err := src.Token(context.Background())
					errs <- e.err(err)
				}()
			}
			for calls.Load() < 1 {
				time.Sleep(time.Millisecond)
			}
			if how == "Close" {
				src.Close()
			} else {
				cancel()
			}
			for range n {
				err := <-errs
				if !errors.Is(err, ErrClosed) || !errors.Is(err, context.Canceled) {
					t.Errorf("waiter got %v; want ErrClosed and context.Canceled", err)
				}
			}
			if _, err := src.Token(context.Background()); !errors.Is(err, ErrClosed) {
				t.Errorf("after shutdown: %v; want ErrClosed", err)
			}
			tr.CloseIdleConnections()
			deadline := time.Now().Add(5 * time.Second)
			for {
				tr.CloseIdleConnections()
				runtime.GC()
				g := runtime.NumGoroutine()
				if g <= before+1 { // +1: the hung handler until srv.Close
					break
				}
				if time.Now().After(deadline) {
					buf := make([]byte, 1<<16)
					t.Errorf("goroutines: %d before, %d after\n%s", before, g, buf[:runtime.Stack(buf, true)])
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// TestSecretsStayOutOfLogsAndErrors drives the answers most likely to leak:
// bodies and descriptions that echo the refresh token and the client secret
// (R23).
func TestSecretsStayOutOfLogsAndErrors(t *testing.T) {
	bodies := map[string]struct {
		status int
		ctype  string
		body   string
	}{
		"500 echo":            {500, "text/plain", "bad request for refresh_token=%[1]s secret=%[2]s"},
		"400 no code":         {400, "application/json", `{"message":"token %[1]s secret %[2]s"}`},
		"400 description":     {400, "application/json", `{"error":"invalid_grant","error_description":"token %[1]s is revoked (%[2]s)"}`},
		"200 bad json":        {200, "application/json", `{"access_token": %[1]s %[2]s}`},
		"200 bad token_type":  {200, "application/json", `{"access_token":"%[1]s","token_type":"%[2]s"}`},
		"401 invalid_client":  {401, "application/json", `{"error":"invalid_client","error_description":"%[2]s"}`},
		"200 html":            {200, "text/html", `<p>%[1]s %[2]s</p>`},
		"200 error code json": {200, "application/json", `{"error":"x%[1]s","error_description":"%[2]s"}`},
	}
	for name, b := range bodies {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			p := newIDP(t, e)
			p.clientID = "cid"
			p.secret = e.sec.add("cs-TOPSECRET")
			rt := p.refreshToken("RT-TOPSECRET")
			p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
				w.Header().Set("Content-Type", b.ctype)
				w.WriteHeader(b.status)
				fmt.Fprintf(w, b.body, rt, p.secret)
				return true
			}
			src := e.source(p.exchanger(), &Tokens{AccessToken: e.sec.add("AT-TOPSECRET"), RefreshToken: rt, Expiry: e.clock.Now()}, WithRetries(1))
			_, err := src.Token(context.Background())
			if e.err(err) == nil {
				t.Fatal("no error")
			}
			// Panics would carry the same values: none of our paths panic, and
			// Tokens prints redacted.
			tk := &Tokens{AccessToken: "AT-TOPSECRET", RefreshToken: rt}
			e.err(errors.New(fmt.Sprint(tk) + fmt.Sprintf("%v %+v %#v", tk, tk, tk)))
		})
	}
	t.Run("RetrieveError body never surfaces", func(t *testing.T) {
		e := newEnv(t)
		p := newIDP(t, e)
		rt := p.refreshToken("RT-IN-BODY")
		p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
			w.WriteHeader(503)
			fmt.Fprintf(w, "echo %s", rt)
			return true
		}
		_, err := p.exchanger().Exchange(context.Background(), rt)
		var xe *ExchangeError
		if !errors.As(e.err(err), &xe) || !errors.Is(err, ErrUnavailable) || xe.StatusCode != 503 {
			t.Errorf("err = %#v", err)
		}
	})
}

// TestRefreshTokenGoesOnlyToTheTokenEndpoint proxies every request the client
// makes and checks where the refresh token goes (R24).
func TestRefreshTokenGoesOnlyToTheTokenEndpoint(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.rotate = true
	p.clientID = "cid"
	p.secret = e.sec.add("cs-r24")
	var mu sync.Mutex
	var leaks []string
	type seen struct{ where, what string }
	check := func(s seen) {
		for _, v := range e.sec.list() {
			if strings.HasPrefix(v, "RT-") && strings.Contains(s.what, v) {
				mu.Lock()
				leaks = append(leaks, s.where)
				mu.Unlock()
			}
		}
	}
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request, tok, body string) {
		var hdr bytes.Buffer
		r.Header.Write(&hdr)
		check(seen{"API request", r.URL.String() + hdr.String() + body})
		acceptLatest(p)(w, r, tok, body)
	})
	inner := p.fault
	p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
		var hdr bytes.Buffer
		r.Header.Write(&hdr)
		check(seen{"token endpoint URL or header", r.URL.String() + hdr.String()})
		if r.Method != http.MethodPost || r.PostForm.Get("refresh_token") == "" {
			t.Errorf("token request: %s without refresh_token in the body", r.Method)
		}
		if inner != nil {
			return inner(w, r, call)
		}
		return false
	}
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(-time.Second)))
	c := &http.Client{Transport: src.Transport(nil)}
	for i := range 4 {
		if i == 2 {
			p.mu.Lock()
			p.issued = append(p.issued, "force-401")
			p.mu.Unlock()
		}
		req, _ := http.NewRequest("POST", a.srv.URL+"/x?q=1", strings.NewReader("data"))
		resp, err := c.Do(req)
		if e.err(err) != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		e.clock.Advance(2 * time.Hour)
	}
	if p.calls.Load() < 3 {
		t.Errorf("only %d refreshes happened", p.calls.Load())
	}
	if len(leaks) > 0 {
		t.Errorf("refresh token seen in: %v", leaks)
	}
}
