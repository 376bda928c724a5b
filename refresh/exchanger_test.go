package refresh

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// plainExchanger implements only Exchanger.
type plainExchanger struct {
	mu  sync.Mutex
	got []string
}

func (p *plainExchanger) Exchange(_ context.Context, rt string) (*Tokens, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, rt)
	return &Tokens{AccessToken: "AT-plain-new"}, nil
}

// requestExchanger implements RequestExchanger and records its requests.
type requestExchanger struct {
	plainExchanger
	reqs []Request
}

func (r *requestExchanger) ExchangeRequest(_ context.Context, req Request) (*Tokens, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	req.Current.AccessToken = "changed by the exchanger" // must not reach the Source
	return &Tokens{AccessToken: "AT-request-new", Expiry: req.Now().Add(time.Hour)}, nil
}

func TestPlainExchangerGetsTheRefreshToken(t *testing.T) {
	e := newEnv(t)
	x := &plainExchanger{}
	src := e.source(x, &Tokens{AccessToken: "AT-old", RefreshToken: "RT-old", Expiry: e.clock.Now()})
	tk, err := src.Token(context.Background())
	if err != nil || tk.AccessToken != "AT-plain-new" || tk.RefreshToken != "RT-old" {
		t.Fatalf("Token = %v, %v; want the new access token and the kept refresh token", tk, err)
	}
	if len(x.got) != 1 || x.got[0] != "RT-old" {
		t.Errorf("Exchange got %q; want [RT-old]", x.got)
	}
}

func TestRequestExchangerGetsCurrentTokensClockAndClient(t *testing.T) {
	e := newEnv(t)
	x := &requestExchanger{}
	hc := &http.Client{}
	cur := &Tokens{AccessToken: "AT-old", IDToken: "ID-old", RefreshToken: "RT-old", TokenType: "Bearer", Expiry: e.clock.Now()}
	src := e.source(x, cur, WithHTTPClient(hc))
	e.clock.Advance(time.Minute)
	tk, err := src.Token(context.Background())
	if err != nil || tk.AccessToken != "AT-request-new" {
		t.Fatalf("Token = %v, %v; want AT-request-new", tk, err)
	}
	if len(x.got) != 0 {
		t.Errorf("Exchange called %d times; want ExchangeRequest only", len(x.got))
	}
	if len(x.reqs) != 1 {
		t.Fatalf("ExchangeRequest called %d times; want 1", len(x.reqs))
	}
	r := x.reqs[0]
	if r.Current == nil || r.Current.RefreshToken != "RT-old" || r.Current.IDToken != "ID-old" {
		t.Errorf("Request.Current = %v; want the tokens being replaced", r.Current)
	}
	if r.Now == nil {
		t.Fatalf("Request.Now is nil; want the Source's clock")
	}
	if got, want := r.Now(), e.clock.Now(); !got.Equal(want) {
		t.Errorf("Request.Now() = %v; want the Source's clock %v", got, want)
	}
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		if s := fmt.Sprintf(verb, r); strings.Contains(s, "RT-old") || strings.Contains(s, "AT-old") {
			t.Errorf("%s of a Request prints a token: %s", verb, s)
		}
	}
	if r.HTTPClient != hc {
		t.Errorf("Request.HTTPClient = %p; want the WithHTTPClient client %p", r.HTTPClient, hc)
	}
	if !tk.Expiry.Equal(e.clock.Now().Add(time.Hour)) {
		t.Errorf("expiry = %v; want Now + 1h", tk.Expiry)
	}
	if cur.AccessToken != "AT-old" {
		t.Errorf("the exchanger changed the caller's tokens through Request.Current")
	}
}

// TestFirstRunWithoutTokenSaysSignInFirst: no initial tokens and no store.
func TestFirstRunWithoutTokenSaysSignInFirst(t *testing.T) {
	e := newEnv(t)
	x := &plainExchanger{}
	src := e.source(x, nil)
	_, err := src.Token(context.Background())
	if !errors.Is(err, ErrNoToken) || !errors.Is(err, ErrReauthenticate) || !errors.Is(err, ErrReauthenticationRequired) {
		t.Errorf("Token = %v; want ErrNoToken and ErrReauthenticate (also named ErrReauthenticationRequired)", err)
	}
	if err == nil || err.Error() != "refresh: no tokens yet: sign in first" {
		t.Errorf("message %q; want %q", err, "refresh: no tokens yet: sign in first")
	}
	// Through the Transport, as an http.Client returns it.
	c := &http.Client{Transport: src.Transport(nil)}
	if _, err := c.Get("http://127.0.0.1:1/"); !errors.Is(err, ErrNoToken) {
		t.Errorf("GET = %v; want ErrNoToken", err)
	}
	// An empty store behaves the same.
	src2 := e.source(x, nil, WithStore(&MemoryStore{}))
	if _, err := src2.Token(context.Background()); !errors.Is(err, ErrNoToken) {
		t.Errorf("empty store: Token = %v; want ErrNoToken", err)
	}
	if len(x.got) != 0 {
		t.Errorf("the exchanger was called %d times without tokens", len(x.got))
	}
	// After sign-in the Source works.
	if err := src.SetTokens(context.Background(), &Tokens{AccessToken: "AT-signed-in", RefreshToken: "RT-1"}); err != nil {
		t.Fatal(err)
	}
	if tk, err := src.Token(context.Background()); err != nil || tk.AccessToken != "AT-signed-in" {
		t.Errorf("after SetTokens: %v, %v", tk, err)
	}
	// A refresh token that is rejected is not "no token".
	if errors.Is(errNoRefreshToken, ErrNoToken) {
		t.Errorf("errNoRefreshToken matches ErrNoToken; it means something else")
	}
}

func TestErrorMessages(t *testing.T) {
	for err, want := range map[error]string{
		ErrNoToken:         "refresh: no tokens yet: sign in first",
		ErrReauthenticate:  "refresh: sign-in required: the refresh token is expired, revoked or reused",
		ErrMisconfigured:   "refresh: the token endpoint rejected the client configuration",
		ErrUnavailable:     "refresh: the token endpoint is unavailable",
		ErrInvalidResponse: "refresh: invalid token response",
		ErrClosed:          "refresh: source closed",
	} {
		if err.Error() != want {
			t.Errorf("got %q; want %q", err.Error(), want)
		}
	}
}

// TestErrorQuotesOnlyCodeShapedValues: Error names a server's error code
// only when it looks like an RFC 6749 code, a Cognito exception or
// cognito-local's Unsupported, so that a code echoing a token stays out
// (R23).
func TestErrorQuotesOnlyCodeShapedValues(t *testing.T) {
	for code, want := range map[string]string{
		"invalid_grant":                 `code "invalid_grant"`,
		"NotAuthorizedException":        `code "NotAuthorizedException"`,
		"Unsupported":                   `code "Unsupported"`,
		"eyJhbGciOiJSUzI1NiJ9.e30.c2ln": "code (unrecognised)",
		"RT-looks-like-a-token":         "code (unrecognised)",
	} {
		got := (&ExchangeError{Kind: ErrMisconfigured, Code: code}).Error()
		if !strings.Contains(got, want) {
			t.Errorf("got %q; want it to contain %q", got, want)
		}
	}
}
