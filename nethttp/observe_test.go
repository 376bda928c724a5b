package nethttp_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/nethttp"
)

// TestOnResultThroughMiddleware checks that every request through the
// middleware is reported exactly once, with the class of the answer it got.
func TestOnResultThroughMiddleware(t *testing.T) {
	const (
		iss     = "https://issuer.test"
		down    = "https://down.test" // its key set never loads
		aud     = "api"
		sub     = "alice"
		hourSec = 3600
	)
	now := time.Unix(1_700_000_000, 0)
	key := jwttest.NewKey("ES256", "k1")
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()

	var mu sync.Mutex
	var got []core.Result
	v, err := core.New(context.Background(), core.Config{
		Issuers: []core.Issuer{
			{URL: iss, JWKS: jwttest.JWKS(key)},
			{URL: down, JWKSURL: failing.URL},
		},
		Audience: []string{aud},
		Policies: []core.Policy{core.RequireScopes("read")},
		Now:      func() time.Time { return now },
		Logger:   slog.New(slog.DiscardHandler),
		OnResult: func(_ context.Context, r core.Result) {
			mu.Lock()
			got = append(got, r)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	claims := func(kv ...any) map[string]any {
		m := map[string]any{"iss": iss, "aud": aud, "sub": sub, "scope": "read", "exp": now.Unix() + hourSec}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	valid := key.Sign(claims())
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	h := nethttp.New(v).Handler(ok)
	cases := []struct {
		name   string
		auth   string
		ctx    context.Context
		status int
		want   core.Result
	}{
		{"ok", "Bearer " + valid, nil, 200, core.Result{Class: core.ClassOK, Issuer: iss, Cache: core.CacheMiss}},
		{"ok again", "Bearer " + valid, nil, 200, core.Result{Class: core.ClassOK, Issuer: iss, Cache: core.CacheHit}},
		{"missing", "", nil, 401, core.Result{Class: core.ClassMissing}},
		{"invalid request", "Bearer", nil, 400, core.Result{Class: core.ClassInvalidRequest}},
		{"expired", "Bearer " + key.Sign(claims("exp", now.Unix()-1)), nil, 401,
			core.Result{Class: core.ClassInvalidToken, Reason: core.ReasonExpired, Issuer: iss, Cache: core.CacheMiss}},
		{"issuer", "Bearer " + key.Sign(claims("iss", "https://other.test")), nil, 401,
			core.Result{Class: core.ClassInvalidToken, Reason: core.ReasonIssuer, Cache: core.CacheMiss}},
		{"scope", "Bearer " + key.Sign(claims("scope", "write")), nil, 403,
			core.Result{Class: core.ClassInsufficientScope, Issuer: iss, Cache: core.CacheMiss}},
		{"keys unavailable", "Bearer " + key.Sign(claims("iss", down)), nil, 503,
			core.Result{Class: core.ClassUnavailable, Reason: core.ReasonKeys, Issuer: down, Cache: core.CacheMiss}},
		{"interrupted", "Bearer " + key.Sign(claims("iss", down, "sub", "bob")), cancelled, 503,
			core.Result{Class: core.ClassUnavailable, Reason: core.ReasonInterrupted, Issuer: down, Cache: core.CacheMiss}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			req := httptest.NewRequest("GET", "/", nil)
			if tc.ctx != nil {
				req = req.WithContext(tc.ctx)
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Errorf("status: got %d; want %d", rec.Code, tc.status)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("got %d results %+v; want exactly one", len(got), got)
			}
			r := got[0]
			if (r.Err == nil) != (tc.want.Class == core.ClassOK) {
				t.Errorf("Result.Err: got %v; want an error exactly when refused", r.Err)
			}
			r.Err = nil
			if r != tc.want {
				t.Errorf("got %+v; want %+v", r, tc.want)
			}
		})
	}
}

// TestRouteRefusalLoggedAtDebug checks that a route's Require refusal is
// logged at debug level through the Verifier's logger, on a cache miss and
// on a hit, and is not reported to OnResult a second time.
func TestRouteRefusalLoggedAtDebug(t *testing.T) {
	const iss = "https://issuer.test"
	now := time.Unix(1_700_000_000, 0)
	key := jwttest.NewKey("ES256", "k1")
	var logs bytes.Buffer
	var results atomic.Int64
	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{{URL: iss, JWKS: jwttest.JWKS(key)}},
		Audience: []string{"api"},
		Now:      func() time.Time { return now },
		Logger:   slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnResult: func(context.Context, core.Result) { results.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	logs.Reset()
	token := key.Sign(map[string]any{"iss": iss, "aud": "api", "sub": "alice", "scope": "read", "exp": now.Unix() + 3600})
	h := nethttp.New(v).Handler(nethttp.Require(core.RequireScopes("admin"))(ok))
	for _, round := range []string{"miss", "hit"} {
		logs.Reset()
		results.Store(0)
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s: status: got %d; want 403", round, rec.Code)
		}
		out := logs.String()
		for _, want := range []string{`"level":"DEBUG"`, `"msg":"jwtgate: policy refused the token"`, `"answer":"insufficient_scope"`,
			`"route":true`, `"issuer":"` + iss + `"`, "requires scope admin"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: got %s; want it to contain %s", round, out, want)
			}
		}
		if strings.Contains(out, token[len(token)-20:]) {
			t.Errorf("%s: got %s; want no token bytes", round, out)
		}
		if n := results.Load(); n != 1 {
			t.Errorf("%s: got %d results; want 1 (the authentication)", round, n)
		}
	}
}
