package core

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/internal/testsrv"
)

// vtClock is a settable clock for cache tests.
type vtClock struct{ ns atomic.Int64 }

func newVTClock(t time.Time) *vtClock {
	c := &vtClock{}
	c.ns.Store(t.UnixNano())
	return c
}
func (c *vtClock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *vtClock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *vtClock) add(d time.Duration) { c.ns.Add(int64(d)) }

func TestCacheHitIsACopy(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	n := vtCount(v, vtIss)
	tok := k.Sign(vtClaims("aud", []string{vtAud, "b"}, "cognito:groups", []string{"g1", "g2"}))
	first, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	// Change everything the caller can reach.
	first.Subject = "changed"
	first.Scopes[0] = "changed"
	first.Audience = append(first.Audience, "appended")
	first.Groups[1] = "changed"
	for i := 0; i < 3; i++ {
		c, err := v.Verify(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if c == first || c.Subject != "user-1" || !slices.Equal(c.Scopes, []string{"read", "write"}) ||
			!slices.Equal(c.Audience, []string{vtAud, "b"}) || !slices.Equal(c.Groups, []string{"g1", "g2"}) {
			t.Fatalf("hit %d: got %+v; want the verified claims, fresh", i, c)
		}
		// Appending to one slice never writes into another.
		c.Audience = append(c.Audience, "x")
		c.Groups = append(c.Groups, "y")
		if !slices.Equal(c.Scopes, []string{"read", "write"}) || !slices.Equal(c.Groups, []string{"g1", "g2", "y"}) {
			t.Fatalf("append leaked: got %+v", c)
		}
	}
	if got := n.n.Load(); got != 1 { // the first call only
		t.Errorf("key lookups: got %d; want 1", got)
	}
}

func TestCacheRechecksTime(t *testing.T) {
	k := vtKey("ES256")
	clock := newVTClock(vtNow)
	cfg := vtConfig(k)
	cfg.Now = clock.now
	cfg.Leeway = 10 * time.Second
	v := vtNew(t, cfg)
	exp := vtNow.Add(time.Minute)
	nbf := vtNow.Add(-time.Minute)
	tok := k.Sign(vtClaims("exp", exp.Unix(), "nbf", nbf.Unix(), "iat", nbf.Unix()))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	// Clock moves back before nbf - leeway: the hit is refused.
	clock.set(nbf.Add(-11 * time.Second))
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrTokenNotYetValid) {
		t.Errorf("hit before nbf: got %v; want ErrTokenNotYetValid", err)
	}
	clock.set(vtNow)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("again in the window: %v", err)
	}
	if v.cache.len() != 1 {
		t.Fatalf("cache entries: got %d; want 1", v.cache.len())
	}
	// exp + leeway - 1 ns: still valid; at exp + leeway: expired and dropped.
	clock.set(exp.Add(10*time.Second - 1))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Errorf("hit within leeway: got %v", err)
	}
	clock.set(exp.Add(10 * time.Second))
	_, err := v.Verify(context.Background(), tok)
	if !errors.Is(err, ErrTokenExpired) || !errors.Is(err, ErrInvalidToken) {
		t.Errorf("hit after exp: got %v; want ErrTokenExpired", err)
	}
	if v.cache.len() != 0 {
		t.Errorf("expired entry kept: %d entries", v.cache.len())
	}
}

func TestCachePoliciesRerun(t *testing.T) {
	k := vtKey("ES256")
	type denyKey struct{}
	var calls atomic.Int64
	cfg := vtConfig(k)
	cfg.Policies = []Policy{func(ctx context.Context, c *Claims) error {
		calls.Add(1)
		if ctx.Value(denyKey{}) != nil {
			return fmt.Errorf("%w: denied", ErrInsufficientScope)
		}
		return nil
	}}
	v := vtNew(t, cfg)
	tok := k.Sign(vtClaims())
	for i := 0; i < 3; i++ {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	deny := context.WithValue(context.Background(), denyKey{}, true)
	if c, err := v.Verify(deny, tok); !errors.Is(err, ErrInsufficientScope) || c != nil || errors.Is(err, ErrInvalidToken) {
		t.Errorf("denied hit: got %v, %v; want ErrInsufficientScope only", c, err)
	}
	if got := calls.Load(); got != 4 {
		t.Errorf("policy calls: got %d; want 4", got)
	}
}

// TestCacheRemovedKeyDropsEntries: a refresh that changes a key (here its
// JWK alg) marks the old one removed; a cached token it verified is then
// checked again in full, against the new key.
func TestCacheRemovedKeyDropsEntries(t *testing.T) {
	k := jwttest.NewKeyFrom("ES256", "changed", vtKey("ES256").Private())
	other := jwttest.NewKeyFrom("EdDSA", "other", vtKey("EdDSA").Private())
	srv := testsrv.New(t, testsrv.JSON(jwttest.JWKS(k)))
	cfg := vtConfig()
	cfg.Issuers = []Issuer{{URL: vtIss, JWKSURL: srv.URL}}
	v := vtNew(t, cfg)
	vtEventually(t, "the remote key set", v.issuers[vtIss].keys.Ready)
	tok := k.Sign(vtClaims())
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	e := v.cache.get(tok)
	if e == nil {
		t.Fatal("verified token not cached")
	}
	// The set changes k's alg member and adds a key; a token of the new key
	// makes the verifier refresh at once.
	jwk := k.JWK()
	delete(jwk, "alg")
	set, err := json.Marshal(map[string]any{"keys": []any{jwk, other.JWK()}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Set(testsrv.JSON(set))
	if _, err := v.Verify(context.Background(), other.Sign(vtClaims())); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	if !e.key.Removed() {
		t.Fatal("the changed key is not marked removed")
	}
	n := vtCount(v, vtIss)
	// The key is still in the set, so the token verifies again, cold.
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	if got := n.n.Load(); got != 1 {
		t.Errorf("key lookups after removal: got %d; want 1 (a full check)", got)
	}
	if e2 := v.cache.get(tok); e2 == nil || e2 == e {
		t.Errorf("entry after removal: got %p; want a new entry (old %p)", e2, e)
	}
}

func TestCacheFailuresNotCached(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	n := vtCount(v, vtIss)
	h, p, _ := vtSegments(k.Sign(vtClaims()))
	bad := h + "." + p + "." + jwttestB64(make([]byte, 64))
	denied := k.Sign(vtClaims("aud", "other"))
	for i := 0; i < 3; i++ {
		if _, err := v.Verify(context.Background(), bad); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("got %v", err)
		}
		if _, err := v.Verify(context.Background(), denied); !errors.Is(err, ErrInvalidAudience) {
			t.Fatalf("got %v", err)
		}
	}
	if got := n.n.Load(); got != 6 {
		t.Errorf("key lookups: got %d; want 6 (no failure cached)", got)
	}
	if v.cache.len() != 0 {
		t.Errorf("cache entries: got %d; want 0", v.cache.len())
	}
	// A policy refusal is not cached either.
	cfg := vtConfig(k)
	cfg.Policies = []Policy{RequireScopes("admin")}
	pv := vtNew(t, cfg)
	tok := k.Sign(vtClaims())
	for i := 0; i < 2; i++ {
		if _, err := pv.Verify(context.Background(), tok); !errors.Is(err, ErrInsufficientScope) {
			t.Fatalf("got %v", err)
		}
	}
	if pv.cache.len() != 0 {
		t.Errorf("policy refusal cached: %d entries", pv.cache.len())
	}
}

func TestCacheBoundedAndKeepsHotTokens(t *testing.T) {
	k := vtKey("EdDSA")
	cfg := vtConfig(k)
	cfg.CacheSize = 16
	v := vtNew(t, cfg)
	n := vtCount(v, vtIss)
	hot := k.Sign(vtClaims("sub", "hot"))
	for i := 0; i < 200; i++ {
		if _, err := v.Verify(context.Background(), hot); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(context.Background(), k.Sign(vtClaims("sub", fmt.Sprint("cold-", i)))); err != nil {
			t.Fatal(err)
		}
		if got := v.cache.len(); got > 16 {
			t.Fatalf("cache entries: got %d; want at most 16", got)
		}
	}
	// 200 cold tokens, and the hot one once.
	if got := n.n.Load(); got != 201 {
		t.Errorf("key lookups: got %d; want 201 (the hot token stays cached)", got)
	}
}

func TestCacheEvictsExpiredFirst(t *testing.T) {
	k := vtKey("EdDSA")
	clock := newVTClock(vtNow)
	cfg := vtConfig(k)
	cfg.CacheSize = 8
	cfg.Now = clock.now
	v := vtNew(t, cfg)
	var short []string
	for i := 0; i < 7; i++ {
		tok := k.Sign(vtClaims("sub", fmt.Sprint("short-", i), "exp", vtNow.Unix()+10))
		short = append(short, tok)
		v.Verify(context.Background(), tok)
	}
	long := k.Sign(vtClaims("sub", "long"))
	v.Verify(context.Background(), long)
	v.Verify(context.Background(), long) // referenced
	clock.add(20 * time.Second)
	for i := 0; i < 7; i++ {
		if _, err := v.Verify(context.Background(), k.Sign(vtClaims("sub", fmt.Sprint("new-", i)))); err != nil {
			t.Fatal(err)
		}
	}
	if v.cache.get(long) == nil {
		t.Error("live, referenced entry evicted while expired ones were there")
	}
	for _, tok := range short {
		if v.cache.get(tok) != nil {
			t.Error("expired entry outlived its token")
		}
	}
}

func TestCacheOff(t *testing.T) {
	k := vtKey("EdDSA")
	cfg := vtConfig(k)
	cfg.CacheSize = -1
	v := vtNew(t, cfg)
	if v.cache != nil {
		t.Fatal("cache present with CacheSize -1")
	}
	n := vtCount(v, vtIss)
	tok := k.Sign(vtClaims())
	for i := 0; i < 3; i++ {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if n.n.Load() != 3 {
		t.Errorf("key lookups: got %d; want 3", n.n.Load())
	}
	def := vtNew(t, vtConfig(k))
	if def.cache == nil {
		t.Fatal("no cache by default")
	}
	total := 0
	for i := range def.cache.shards {
		total += def.cache.shards[i].size
	}
	if total != defaultCacheSize {
		t.Errorf("default cache size: got %d; want %d", total, defaultCacheSize)
	}
}

func TestCacheConcurrent(t *testing.T) {
	k := vtKey("EdDSA")
	clock := newVTClock(vtNow)
	cfg := vtConfig(k)
	cfg.CacheSize = 32
	cfg.Now = clock.now
	v := vtNew(t, cfg)
	var toks []string
	for i := 0; i < 40; i++ {
		toks = append(toks, k.Sign(vtClaims("sub", fmt.Sprint("u", i), "exp", vtNow.Unix()+int64(i))))
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				tok := toks[(i*7+g)%len(toks)]
				c, err := v.Verify(context.Background(), tok)
				if err == nil {
					c.Scopes[0] = "mutated" // must not reach other callers
				} else if !errors.Is(err, ErrTokenExpired) {
					t.Errorf("got %v", err)
					return
				}
				if g == 0 && i%50 == 0 {
					clock.add(time.Second)
				}
			}
		}()
	}
	wg.Wait()
	clock.set(vtNow)
	c, err := v.Verify(context.Background(), toks[39])
	if err != nil || c.Scopes[0] != "read" {
		t.Errorf("after concurrent use: got %+v, %v", c, err)
	}
}

// TestWarmVerifyAllocs holds the warm path to its allocation budget (docs/PERFORMANCE.md
// target 1: at most 4 allocations).
func TestWarmVerifyAllocs(t *testing.T) {
	k := vtKey("RS256")
	cfg := vtConfig(k)
	cfg.Policies = []Policy{RequireScopes("read")}
	v := vtNew(t, cfg)
	tok := k.Sign(vtClaims("cognito:groups", []string{"a"}))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 4 {
		t.Errorf("warm Verify: got %v allocations; want at most 4", allocs)
	}
}

func jwttestB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// TestCacheDropsEntriesOfRotatedKeys: a JWKS refresh that removes a key drops
// the cache entries that key verified, end to end with a remote set.
func TestCacheDropsEntriesOfRotatedKeys(t *testing.T) {
	a := jwttest.NewKeyFrom("ES256", "rot-a", vtKey("ES256").Private())
	b := jwttest.NewKeyFrom("EdDSA", "rot-b", vtKey("EdDSA").Private())
	srv := testsrv.New(t, testsrv.JSON(jwttest.JWKS(a)))
	cfg := vtConfig()
	cfg.Issuers = []Issuer{{URL: vtIss, JWKSURL: srv.URL}}
	v := vtNew(t, cfg)
	vtEventually(t, "the remote key set", v.issuers[vtIss].keys.Ready)

	tokA := a.Sign(vtClaims())
	for i := 0; i < 2; i++ {
		if _, err := v.Verify(context.Background(), tokA); err != nil {
			t.Fatal(err)
		}
	}
	if v.cache.len() != 1 {
		t.Fatalf("cache entries: got %d; want 1", v.cache.len())
	}
	// The issuer rotates: a is gone, b is new. b's first token refreshes the set.
	srv.Set(testsrv.JSON(jwttest.JWKS(b))) // the first unknown kid refreshes at once
	if _, err := v.Verify(context.Background(), b.Sign(vtClaims())); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	_, err := v.Verify(context.Background(), tokA)
	if !errors.Is(err, ErrUnknownKey) {
		t.Errorf("cached token of the removed key: got %v; want ErrUnknownKey", err)
	}
	if v.cache.get(tokA) != nil {
		t.Error("entry of the removed key still cached")
	}
}
