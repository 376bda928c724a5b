package conformance

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

const clientID = "conformance-client"

// fixture is one issuer with a key, and a second issuer whose keys can never
// be loaded.
type fixture struct {
	v                *core.Verifier
	iss, downIss     string
	key, other, lost *jwttest.Key
}

func newFixture(t testing.TB, cacheSize int) *fixture {
	t.Helper()
	key := jwttest.NewKey("RS256", "k1")
	srv := jwttest.NewServer(key)
	t.Cleanup(srv.Close)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	t.Cleanup(down.Close)
	v, err := core.New(context.Background(), core.Config{
		Issuers: []core.Issuer{
			{URL: srv.URL, JWKSURL: srv.JWKSURL(), Cognito: true},
			{URL: down.URL, JWKSURL: down.URL + "/jwks.json", Cognito: true},
		},
		Audience:    []string{clientID},
		AnyTokenUse: true, // the table sends ID and access tokens
		CacheSize:   cacheSize,
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return &fixture{
		v: v, iss: srv.URL, downIss: down.URL, key: key,
		other: jwttest.NewKey("RS256", "k1"), // same kid, other key: bad signature
		lost:  jwttest.NewKey("RS256", "k9"), // kid the JWKS does not have
	}
}

// access returns the claims of a Cognito access token; edit changes them.
func (f *fixture) access(edit func(map[string]any)) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": f.iss, "sub": "alice", "client_id": clientID, "token_use": "access",
		"scope": "read write", "cognito:groups": []string{"staff"}, "username": "alice",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "j1",
	}
	if edit != nil {
		edit(c)
	}
	return c
}

// sign signs claims with k, with a Cognito-shaped header.
func sign(k *jwttest.Key, claims map[string]any) string {
	return k.SignWithHeader(map[string]any{"alg": k.Alg, "kid": k.Kid}, claims)
}

// Case is one row of the table.
type Case struct {
	Name  string
	Setup Setup
	Req   Request
	// Want: Status, and the headers WWW-Authenticate, Retry-After,
	// Content-Type ("" means absent), X-Error, and the body.
	Status                 int
	WWW, RetryAfter, CType string
	XError                 string
	Body                   string
}

const (
	ctJSON = "application/json"
	chal   = `Bearer realm="api", error="invalid_token", error_description=`
)

func bearer(tok string) []string { return []string{"Bearer " + tok} }

func body(code, desc string) string {
	return `{"error":"` + code + `","error_description":"` + desc + `"}`
}

func cases(f *fixture) []Case {
	valid := sign(f.key, f.access(nil))
	aliceSaw := "sub=alice use=access scopes=read,write groups=staff"
	noGroup := sign(f.key, f.access(func(c map[string]any) { delete(c, "cognito:groups") }))
	id := sign(f.key, map[string]any{
		"iss": f.iss, "sub": "alice", "aud": clientID, "token_use": "id", "cognito:username": "alice",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	})
	missing := body("unauthorized", "a bearer token is required")
	badReq := body("invalid_request", "the bearer credentials are malformed or sent more than once")
	scope := body("insufficient_scope", "the token does not grant access to this resource")
	def, cookie, skip, opt := Setup{}, Setup{Cookie: "session"}, Setup{Skip: true}, Setup{Optional: true}
	realm, custom := Setup{Realm: "orders"}, Setup{ErrorHandler: true}
	query, bare, key := Setup{Query: "access_token"}, Setup{Bare: true}, Setup{ContextKey: "user"}
	queryCookie := Setup{Query: "access_token", Cookie: "session"}
	return []Case{
		{"B04 no header", def, Request{Path: "/me"}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},
		{"B04 other scheme", def, Request{Path: "/me", Authorization: []string{"Basic dXNlcjpwYXNz"}}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},
		{"B02 lowercase bearer", def, Request{Path: "/me", Authorization: []string{"bearer " + valid}}, 200, "", "", textType, "", aliceSaw},
		{"B03 F13 two headers", def, Request{Path: "/me", Authorization: []string{"Bearer " + valid, "Bearer " + valid}}, 400, `Bearer realm="api", error="invalid_request"`, "", ctJSON, "", badReq},
		{"B05 empty token", def, Request{Path: "/me", Authorization: []string{"Bearer "}}, 400, `Bearer realm="api", error="invalid_request"`, "", ctJSON, "", badReq},
		{"B02 trailing junk", def, Request{Path: "/me", Authorization: []string{"Bearer " + valid + " x"}}, 400, `Bearer realm="api", error="invalid_request"`, "", ctJSON, "", badReq},
		{"B06 malformed token", def, Request{Path: "/me", Authorization: bearer("not-a-jwt")}, 401, chal + `"the token is invalid"`, "", ctJSON, "", body("invalid_token", "the token is invalid")},
		{"B06 bad signature", def, Request{Path: "/me", Authorization: bearer(sign(f.other, f.access(nil)))}, 401, chal + `"the token signature is invalid"`, "", ctJSON, "", body("invalid_token", "the token signature is invalid")},
		{"B06 expired", def, Request{Path: "/me", Authorization: bearer(sign(f.key, f.access(func(c map[string]any) {
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = time.Now().Add(-time.Hour).Unix()
		})))}, 401, chal + `"the token has expired"`, "", ctJSON, "", body("invalid_token", "the token has expired")},
		{"B06 wrong iss", def, Request{Path: "/me", Authorization: bearer(sign(f.key, f.access(func(c map[string]any) { c["iss"] = "https://evil.example" })))}, 401, chal + `"the token issuer is not accepted"`, "", ctJSON, "", body("invalid_token", "the token issuer is not accepted")},
		{"B06 wrong aud", def, Request{Path: "/me", Authorization: bearer(sign(f.key, f.access(func(c map[string]any) { c["client_id"] = "someone-else" })))}, 401, chal + `"the token audience is not accepted"`, "", ctJSON, "", body("invalid_token", "the token audience is not accepted")},
		{"B06 unknown kid", def, Request{Path: "/me", Authorization: bearer(sign(f.lost, f.access(nil)))}, 401, chal + `"the token signing key is unknown"`, "", ctJSON, "", body("invalid_token", "the token signing key is unknown")},
		{"ID token on an access route", def, Request{Path: "/access", Authorization: bearer(id)}, 403, `Bearer realm="api", error="insufficient_scope"`, "", ctJSON, "", scope},
		{"access token on an access route", def, Request{Path: "/access", Authorization: bearer(valid)}, 200, "", "", textType, "", aliceSaw},
		{"B07 missing scope", def, Request{Path: "/admin", Authorization: bearer(valid)}, 403, `Bearer realm="api", error="insufficient_scope", scope="admin"`, "", ctJSON, "", scope},
		{"B07 missing group", def, Request{Path: "/staff", Authorization: bearer(noGroup)}, 403, `Bearer realm="api", error="insufficient_scope"`, "", ctJSON, "", scope},
		{"group present", def, Request{Path: "/staff", Authorization: bearer(valid)}, 200, "", "", textType, "", aliceSaw},
		{"B11 valid token, claims echoed", def, Request{Path: "/me", Authorization: bearer(valid)}, 200, "", "", textType, "", aliceSaw},
		{"keys unavailable", def, Request{Path: "/me", Authorization: bearer(sign(f.key, f.access(func(c map[string]any) { c["iss"] = f.downIss })))}, 503, "", "5", ctJSON, "", body("temporarily_unavailable", "the signing keys are unavailable, retry later")},
		{"cookie ignored without WithCookie", def, Request{Path: "/me", Cookie: []string{"session=" + valid}}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},

		{"cookie source", cookie, Request{Path: "/me", Cookie: []string{"a=1; session=" + valid + "; b=2"}}, 200, "", "", textType, "", aliceSaw},
		{"cookie source, header still works", cookie, Request{Path: "/me", Authorization: bearer(valid)}, 200, "", "", textType, "", aliceSaw},
		{"B03 token in header and cookie", cookie, Request{Path: "/me", Authorization: bearer(valid), Cookie: []string{"session=" + valid}}, 400, `Bearer realm="api", error="invalid_request"`, "", ctJSON, "", badReq},
		{"B03 cookie twice", cookie, Request{Path: "/me", Cookie: []string{"session=" + valid + "; session=" + valid}}, 400, `Bearer realm="api", error="invalid_request"`, "", ctJSON, "", badReq},
		{"cookie with an invalid token", cookie, Request{Path: "/me", Cookie: []string{"session=" + sign(f.other, f.access(nil))}}, 401, chal + `"the token signature is invalid"`, "", ctJSON, "", body("invalid_token", "the token signature is invalid")},
		{"cookie setup, no credentials", cookie, Request{Path: "/me"}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},

		{"skip predicate", skip, Request{Path: "/health"}, 200, "", "", textType, "", "anonymous"},
		{"skip predicate ignores a bad token", skip, Request{Path: "/health", Authorization: []string{"Bearer a", "Bearer b"}}, 200, "", "", textType, "", "anonymous"},
		{"skipped request has no claims for Require", skip, Request{Path: "/health/admin", Authorization: bearer(valid)}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},
		{"skip predicate false", skip, Request{Path: "/me"}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},

		{"optional without a token", opt, Request{Path: "/me"}, 200, "", "", textType, "", "anonymous"},
		{"optional with a token", opt, Request{Path: "/me", Authorization: bearer(valid)}, 200, "", "", textType, "", aliceSaw},
		{"optional with an invalid token", opt, Request{Path: "/me", Authorization: bearer(sign(f.other, f.access(nil)))}, 401, chal + `"the token signature is invalid"`, "", ctJSON, "", body("invalid_token", "the token signature is invalid")},
		{"optional with a malformed header", opt, Request{Path: "/me", Authorization: []string{"Bearer"}}, 400, `Bearer realm="api", error="invalid_request"`, "", ctJSON, "", badReq},
		{"optional without a token on a Require route", opt, Request{Path: "/admin"}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},

		{"realm", realm, Request{Path: "/me"}, 401, `Bearer realm="orders"`, "", ctJSON, "", missing},
		{"realm on Require", realm, Request{Path: "/admin", Authorization: bearer(valid)}, 403, `Bearer realm="orders", error="insufficient_scope", scope="admin"`, "", ctJSON, "", scope},
		{"realm on Require for a skipped request", Setup{Skip: true, Realm: "orders"}, Request{Path: "/health/admin"}, 401, `Bearer realm="orders"`, "", ctJSON, "", missing},
		{"realm on Require without a token where optional", Setup{Optional: true, Realm: "orders"}, Request{Path: "/admin"}, 401, `Bearer realm="orders"`, "", ctJSON, "", missing},
		{"custom error handler on Require for a skipped request", Setup{Skip: true, ErrorHandler: true}, Request{Path: "/health/admin"}, customStatus, "", "", textType, "missing", customBody},

		{"custom error handler", custom, Request{Path: "/me", Authorization: bearer(sign(f.other, f.access(nil)))}, customStatus, "", "", textType, "invalid_token", customBody},
		{"custom error handler, missing", custom, Request{Path: "/me"}, customStatus, "", "", textType, "missing", customBody},
		{"custom error handler on Require", custom, Request{Path: "/admin", Authorization: bearer(valid)}, customStatus, "", "", textType, "insufficient_scope", customBody},
		{"B12 Require without the middleware in front, no token", def, Request{Path: "/unguarded"}, 500, "", "", ctJSON, "", body("server_error", "internal server error")},
		{"B12 Require without the middleware in front, valid token", def, Request{Path: "/unguarded", Authorization: bearer(valid)}, 500, "", "", ctJSON, "", body("server_error", "internal server error")},
		{"B12 Require without the middleware in front ignores the error handler", custom, Request{Path: "/unguarded", Authorization: bearer(valid)}, 500, "", "", ctJSON, "", body("server_error", "internal server error")},
		{"query token ignored without WithQueryToken", def, Request{Path: "/me?access_token=" + valid}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},
		{"query token", query, Request{Path: "/me?access_token=" + valid}, 200, "", "", textType, "", aliceSaw},
		{"query setup, header still works", query, Request{Path: "/me", Authorization: bearer(valid)}, 200, "", "", textType, "", aliceSaw},
		{"query setup, no credentials", query, Request{Path: "/me"}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},
		{"B03 token in header and query", query, Request{Path: "/me?access_token=" + valid, Authorization: bearer(valid)}, 400, `Bearer realm="api", error="invalid_request"`, "", ctJSON, "", badReq},
		{"B03 query parameter twice", query, Request{Path: "/me?access_token=" + valid + "&access_token=" + valid}, 400, `Bearer realm="api", error="invalid_request"`, "", ctJSON, "", badReq},
		{"empty query parameter", query, Request{Path: "/me?access_token="}, 400, `Bearer realm="api", error="invalid_request"`, "", ctJSON, "", badReq},
		{"query token that does not verify", query, Request{Path: "/me?access_token=" + sign(f.other, f.access(nil))}, 401, chal + `"the token signature is invalid"`, "", ctJSON, "", body("invalid_token", "the token signature is invalid")},
		{"query token on a Require route", query, Request{Path: "/admin?access_token=" + valid}, 403, `Bearer realm="api", error="insufficient_scope", scope="admin"`, "", ctJSON, "", scope},
		{"B03 token in cookie and query", queryCookie, Request{Path: "/me?access_token=" + valid, Cookie: []string{"session=" + valid}}, 400, `Bearer realm="api", error="invalid_request"`, "", ctJSON, "", badReq},

		{"bare token ignored without WithBareToken", def, Request{Path: "/me", Authorization: []string{valid}}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},
		{"bare token", bare, Request{Path: "/me", Authorization: []string{valid}}, 200, "", "", textType, "", aliceSaw},
		{"bare setup, Bearer still works", bare, Request{Path: "/me", Authorization: bearer(valid)}, 200, "", "", textType, "", aliceSaw},
		{"bare setup, another scheme", bare, Request{Path: "/me", Authorization: []string{"Basic dXNlcjpwYXNz"}}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},
		{"bare setup, a lone scheme word", bare, Request{Path: "/me", Authorization: []string{"Basic"}}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},
		{"bare setup, a value that is not a JWS", bare, Request{Path: "/me", Authorization: []string{"abc.def"}}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},
		{"bare setup and optional, a lone scheme word", Setup{Bare: true, Optional: true}, Request{Path: "/me", Authorization: []string{"Negotiate"}}, 200, "", "", textType, "", "anonymous"},
		{"bare token that does not verify", bare, Request{Path: "/me", Authorization: []string{sign(f.other, f.access(nil))}}, 401, chal + `"the token signature is invalid"`, "", ctJSON, "", body("invalid_token", "the token signature is invalid")},

		{"claims under a context key", key, Request{Path: "/me", Authorization: bearer(valid)}, 200, "", "", textType, "", aliceSaw + " stored=user"},
		{"context key setup, no credentials", key, Request{Path: "/me"}, 401, `Bearer realm="api"`, "", ctJSON, "", missing},

		{"custom error handler, success", custom, Request{Path: "/me", Authorization: bearer(valid)}, 200, "", "", textType, "", aliceSaw},
	}
}

// TestConformance runs the table through every adapter, checks each answer
// against the table and B10: the four answers to each case are
// byte-identical (status, every header but Date, body).
func TestConformance(t *testing.T) {
	f := newFixture(t, 0)
	tab := cases(f)
	adapters := Adapters()
	answers := make([][]Answer, len(tab)) // [case][adapter]
	for _, a := range adapters {
		t.Run(a.Name, func(t *testing.T) {
			apps := map[Setup]func(Request) Answer{}
			for i, tc := range tab {
				do, ok := apps[tc.Setup]
				if !ok {
					var stop func()
					do, stop = a.Start(t, f.v, tc.Setup)
					t.Cleanup(stop)
					apps[tc.Setup] = do
				}
				got := do(tc.Req)
				answers[i] = append(answers[i], got)
				check(t, tc, got)
			}
		})
	}
	t.Run("B10 byte-identical", func(t *testing.T) {
		for i, tc := range tab {
			if len(answers[i]) != len(adapters) {
				t.Fatalf("%s: %d answers; want %d", tc.Name, len(answers[i]), len(adapters))
			}
			ref := answers[i][0]
			for j, got := range answers[i][1:] {
				if d := diff(ref, got); d != "" {
					t.Errorf("%s: %s differs from %s: %s", tc.Name, adapters[j+1].Name, adapters[0].Name, d)
				}
			}
		}
	})
}

func check(t *testing.T, tc Case, got Answer) {
	t.Helper()
	h := got.Header
	if got.Status != tc.Status {
		t.Errorf("%s: status %d; want %d", tc.Name, got.Status, tc.Status)
	}
	for _, kv := range [][3]string{
		{"WWW-Authenticate", tc.WWW}, {"Retry-After", tc.RetryAfter}, {"Content-Type", tc.CType}, {"X-Error", tc.XError},
	} {
		vals := h.Values(kv[0])
		want := []string{kv[1]}
		if kv[1] == "" {
			want = nil
		}
		if !slices.Equal(vals, want) {
			t.Errorf("%s: %s %q; want %q", tc.Name, kv[0], vals, want)
		}
	}
	if got.Body != tc.Body {
		t.Errorf("%s: body %q; want %q", tc.Name, got.Body, tc.Body)
	}
}

// diff describes how two answers differ, or returns "".
func diff(a, b Answer) string {
	var d []string
	if a.Status != b.Status {
		d = append(d, "status")
	}
	if a.Body != b.Body {
		d = append(d, "body "+b.Body)
	}
	for k, v := range a.Header {
		if !slices.Equal(v, b.Header[k]) {
			d = append(d, k+": "+strings.Join(v, "|")+" vs "+strings.Join(b.Header[k], "|"))
		}
	}
	for k, v := range b.Header {
		if _, ok := a.Header[k]; !ok {
			d = append(d, "extra "+k+": "+strings.Join(v, "|"))
		}
	}
	return strings.Join(d, "; ")
}

// TestConcurrent sends the table's requests from several goroutines at once
// through each adapter (one app per setup, shared), under -race, and checks
// every answer against the table.
func TestConcurrent(t *testing.T) {
	f := newFixture(t, 0)
	tab := cases(f)
	for _, a := range Adapters() {
		t.Run(a.Name, func(t *testing.T) {
			apps := map[Setup]func(Request) Answer{}
			for _, tc := range tab {
				if _, ok := apps[tc.Setup]; !ok {
					do, stop := a.Start(t, f.v, tc.Setup)
					t.Cleanup(stop)
					apps[tc.Setup] = do
				}
			}
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range tab {
						tc := tab[(i+g*7)%len(tab)]
						check(t, tc, apps[tc.Setup](tc.Req))
					}
				}()
			}
			wg.Wait()
		})
	}
}
