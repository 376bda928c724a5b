package coretest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/coretest"
	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/nethttp"
)

func TestVerifierAcceptsMintedTokens(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  jwttest.IssuerConfig
		core core.Config
		c    jwttest.Claims
	}{
		{"generic", jwttest.IssuerConfig{}, core.Config{}, jwttest.Claims{}},
		{"generic id token", jwttest.IssuerConfig{ClientID: "web"}, core.Config{TokenUse: "id"}, jwttest.Claims{TokenUse: "id"}},
		{"cognito access", jwttest.IssuerConfig{Cognito: true}, core.Config{TokenUse: "access"}, jwttest.Claims{Groups: []string{"admin"}}},
		{"cognito id", jwttest.IssuerConfig{Cognito: true, IDKey: jwttest.NewKey("ES256", "id")}, core.Config{TokenUse: "id"}, jwttest.Claims{TokenUse: "id"}},
		{"own audience", jwttest.IssuerConfig{}, core.Config{Audience: []string{"orders-api"}}, jwttest.Claims{Audience: []string{"orders-api"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iss := coretest.NewIssuer(t, tc.cfg)
			v := iss.Verifier(t, tc.core)
			token, err := iss.Mint("alice", tc.c)
			if err != nil {
				t.Fatal(err)
			}
			c, err := v.Verify(context.Background(), token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.Subject != "alice" || c.Issuer != iss.URL || c.ClientID != iss.Config().ClientID {
				t.Errorf("sub/iss/client got %q/%q/%q; want alice/%s/%s", c.Subject, c.Issuer, c.ClientID, iss.URL, iss.Config().ClientID)
			}
			if tc.c.Groups != nil && strings.Join(c.Groups, ",") != strings.Join(tc.c.Groups, ",") {
				t.Errorf("groups got %v; want %v", c.Groups, tc.c.Groups)
			}
		})
	}
}

func TestVerifierRefusals(t *testing.T) {
	iss := coretest.NewIssuer(t, jwttest.IssuerConfig{Cognito: true})
	v := iss.Verifier(t, core.Config{TokenUse: "access"})
	for _, tc := range []struct {
		name string
		c    jwttest.Claims
		want error
	}{
		{"expired", jwttest.Claims{TTL: -time.Minute}, core.ErrTokenExpired},
		{"id token", jwttest.Claims{TokenUse: "id"}, core.ErrInvalidTokenUse},
		{"other client", jwttest.Claims{ClientID: "someone-else"}, core.ErrInvalidAudience},
		{"no exp", jwttest.Claims{Extra: map[string]any{"exp": nil}}, core.ErrInvalidToken},
		{"other issuer", jwttest.Claims{Extra: map[string]any{"iss": "https://other.example"}}, core.ErrInvalidIssuer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token, err := iss.Mint("alice", tc.c)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(context.Background(), token)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v; want %v", err, tc.want)
			}
		})
	}
}

func TestCoreIssuer(t *testing.T) {
	for _, cognito := range []bool{false, true} {
		iss := coretest.NewIssuer(t, jwttest.IssuerConfig{Cognito: cognito})
		got := iss.CoreIssuer()
		want := core.Issuer{URL: iss.URL, JWKSURL: iss.URL + jwttest.JWKSPath, Cognito: cognito}
		if got.URL != want.URL || got.JWKSURL != want.JWKSURL || got.Cognito != want.Cognito || got.JWKS != nil {
			t.Errorf("got %+v; want %+v", got, want)
		}
	}
}

func TestVerifierUsesIssuerClock(t *testing.T) {
	past := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	iss := coretest.NewIssuer(t, jwttest.IssuerConfig{Now: func() time.Time { return past }})
	v := iss.Verifier(t, core.Config{})
	token, err := iss.Mint("alice", jwttest.Claims{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(context.Background(), token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if want := past.Add(time.Hour); !c.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt got %v; want %v", c.ExpiresAt, want)
	}
}

func TestBearer(t *testing.T) {
	iss := coretest.NewIssuer(t, jwttest.IssuerConfig{})
	got := iss.Bearer(t, "alice", jwttest.Claims{})
	if !strings.HasPrefix(got, "Bearer ") || strings.Count(got, ".") != 2 {
		t.Errorf("got %q; want Bearer and a compact JWS", got)
	}
}

// recorder is a testing.TB that records failures instead of stopping.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestFailures(t *testing.T) {
	iss := coretest.NewIssuer(t, jwttest.IssuerConfig{})
	r := &recorder{TB: t}
	iss.Verifier(r, core.Config{Leeway: time.Hour}) // over the 5-minute bound
	if !strings.HasPrefix(r.failed, "coretest: core.New: ") {
		t.Errorf("Verifier failure got %q; want coretest: core.New: …", r.failed)
	}
	r.failed = ""
	iss.Bearer(r, "alice", jwttest.Claims{Extra: map[string]any{"x": make(chan int)}})
	if !strings.Contains(r.failed, "cannot be encoded") {
		t.Errorf("Bearer failure got %q; want the Mint error", r.failed)
	}
}

// The handler under test reads the verified claims from its context.
func meHandler(w http.ResponseWriter, r *http.Request) {
	c, _ := core.FromContext(r.Context())
	fmt.Fprintf(w, "hello %s %v", c.Subject, c.Groups)
}

// TestHandler is the package doc's handler test, checked.
func TestHandler(t *testing.T) {
	iss := coretest.NewIssuer(t, jwttest.IssuerConfig{})
	h := nethttp.New(iss.Verifier(t, core.Config{})).Handler(http.HandlerFunc(meHandler))
	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Authorization", iss.Bearer(t, "alice", jwttest.Claims{Groups: []string{"admin"}}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	if rec.Code != http.StatusOK || rec.Body.String() != "hello alice [admin]" {
		t.Errorf("got %d %q; want 200 \"hello alice [admin]\"", rec.Code, rec.Body)
	}
}

func TestMintConcurrent(t *testing.T) {
	iss := coretest.NewIssuer(t, jwttest.IssuerConfig{Cognito: true})
	v := iss.Verifier(t, core.Config{TokenUse: "access"})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 10 {
				sub := fmt.Sprintf("user-%d-%d", g, n)
				token, err := iss.Mint(sub, jwttest.Claims{Groups: []string{sub}})
				if err != nil {
					t.Errorf("Mint: %v", err)
					return
				}
				c, err := v.Verify(context.Background(), token)
				if err != nil || c.Subject != sub || len(c.Groups) != 1 || c.Groups[0] != sub {
					t.Errorf("got %+v, %v; want subject and group %s", c, err, sub)
				}
			}
		})
	}
	wg.Wait()
}
