package core

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/internal/alg"
	"github.com/jwtgate/jwtgate/internal/keyset"
)

// Shared fixture of the verifier tests (prefix vt): one key per algorithm,
// generated once; a fixed clock; an issuer with a static JWK Set.

const (
	vtIss = "https://issuer.test"
	vtAud = "api://jwtgate-test"
)

var vtNow = time.Unix(1_700_000_000, 0).UTC()

var vtKeys struct {
	sync.Mutex
	m map[string]*jwttest.Key
}

// vtKey returns the shared key of alg (kid "k-<alg>"), made on first use.
func vtKey(alg string) *jwttest.Key {
	vtKeys.Lock()
	defer vtKeys.Unlock()
	if vtKeys.m == nil {
		vtKeys.m = make(map[string]*jwttest.Key)
	}
	k, ok := vtKeys.m[alg]
	if !ok {
		k = jwttest.NewKey(alg, "k-"+strings.ToLower(alg))
		vtKeys.m[alg] = k
	}
	return k
}

// vtAsym lists the shared asymmetric keys.
func vtAsym() []*jwttest.Key {
	var ks []*jwttest.Key
	for _, alg := range []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"} {
		ks = append(ks, vtKey(alg))
	}
	return ks
}

// vtConfig returns a Config with one static issuer holding keys (all
// asymmetric shared keys when none are given), vtAud, and the fixed clock.
func vtConfig(keys ...*jwttest.Key) Config {
	if len(keys) == 0 {
		keys = vtAsym()
	}
	return Config{
		Issuers:  []Issuer{{URL: vtIss, JWKS: jwttest.JWKS(keys...)}},
		Audience: []string{vtAud},
		Now:      func() time.Time { return vtNow },
		Logger:   slog.New(slog.DiscardHandler),
	}
}

// vtSet returns a JWK Set of the given members.
func vtSet(t testing.TB, members ...map[string]any) []byte {
	return vtJSON(t, map[string]any{"keys": members})
}

// vtNew builds a Verifier from cfg and closes it with the test.
func vtNew(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	v, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// vtClaims returns valid claims: iss, aud, sub, exp (+1 h), iat (-10 s), scope.
func vtClaims(kv ...any) map[string]any {
	m := map[string]any{
		"iss":   vtIss,
		"aud":   vtAud,
		"sub":   "user-1",
		"exp":   vtNow.Unix() + 3600,
		"iat":   vtNow.Unix() - 10,
		"scope": "read write",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(m, k)
			continue
		}
		m[k] = kv[i+1]
	}
	return m
}

// vtDel marks a claim for deletion in vtClaims.
var vtDel any = nil

// vtHeader returns the header {"alg":k.Alg,"kid":k.Kid,"typ":"JWT"} with kv
// applied (a nil value deletes).
func vtHeader(k *jwttest.Key, kv ...any) map[string]any {
	m := map[string]any{"alg": k.Alg, "kid": k.Kid, "typ": "JWT"}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(m, kv[i].(string))
			continue
		}
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func vtJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// vtCase is one row of a verification table: a token and the error it must
// give (nil: accepted).
type vtCase struct {
	name  string
	token string
	want  error
}

// vtRun verifies every case with v, and checks that failures match
// ErrInvalidToken too (token failures) and carry no claims.
func vtRun(t *testing.T, v *Verifier, cases []vtCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tc.token)
			vtCheck(t, c, err, tc.want)
		})
	}
}

func vtCheck(t *testing.T, c *Claims, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("Verify: got %v; want success", err)
		}
		if c == nil || c.Issuer == "" {
			t.Fatalf("Verify: got claims %+v; want verified claims", c)
		}
		return
	}
	if err == nil {
		t.Fatalf("Verify: got success (%+v); want %v", c, want)
	}
	if c != nil {
		t.Errorf("Verify: got claims %+v with error %v; want nil", c, err)
	}
	if !errors.Is(err, want) {
		t.Errorf("Verify: got %v; want errors.Is %v", err, want)
	}
	if errors.Is(want, ErrInvalidToken) && !errors.Is(err, ErrInvalidToken) {
		t.Errorf("Verify: got %v; want it to match ErrInvalidToken too", err)
	}
	// Error text never carries claim values or token bytes.
	for _, leak := range []string{vtIss, "user-1", vtAud, "issuer.test", "eyJ"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("Verify: error %q contains %q from the token", err, leak)
		}
	}
}

// vtCounting counts the key lookups of one issuer.
type vtCounting struct {
	n atomic.Int64
}

// vtCount makes the key lookups of issuer iss in v counted.
func vtCount(v *Verifier, iss string) *vtCounting {
	is := v.issuers[iss]
	c := &vtCounting{}
	next := is.key
	is.key = func(ctx context.Context, kid string, a alg.ID) (*keyset.Key, error) {
		c.n.Add(1)
		return next(ctx, kid, a)
	}
	return c
}

// vtEventually polls cond for up to 5 s.
func vtEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// vtSegments splits a token into its three segments.
func vtSegments(tok string) (h, p, s string) {
	parts := strings.SplitN(tok, ".", 3)
	return parts[0], parts[1], parts[2]
}
