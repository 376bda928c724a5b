package core

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/jwtgate/jwtgate/internal/keyset"
)

// vtForge returns tok with "user-1" in its payload replaced by "user-2": the
// same length and the same signature, so the same end (the cache's hash).
func vtForge(t testing.TB, tok string) string {
	t.Helper()
	h, p, s := vtSegments(tok)
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		t.Fatal(err)
	}
	forged := h + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"user-1"`, `"user-2"`, 1))) + "." + s
	if len(forged) != len(tok) || forged == tok {
		t.Fatalf("forgery: length %d of %d, equal %v", len(forged), len(tok), forged == tok)
	}
	return forged
}

// TestCacheKeepsItsOwnToken: the caller's string may alias a buffer that is
// reused after the call (fasthttp). The cache must key the entry on a copy:
// a forgery written into the same buffer afterwards (same length, same
// signature, so the same hash) must not find the entry and be let in.
func TestCacheKeepsItsOwnToken(t *testing.T) {
	k := vtKey("EdDSA")
	tok := k.Sign(vtClaims())
	forged := vtForge(t, tok)
	for _, via := range []string{"Verify", "Authenticate"} {
		t.Run(via, func(t *testing.T) {
			v := vtNew(t, vtConfig(k))
			prefix := ""
			if via == "Authenticate" {
				prefix = "Bearer "
			}
			// The request's bytes, and a string that aliases them.
			buf := []byte(prefix + tok)
			view := unsafe.String(&buf[0], len(buf))
			call := func() (*Claims, error) {
				if via == "Verify" {
					return v.Verify(context.Background(), view)
				}
				return v.Authenticate(context.Background(), []string{view}, "")
			}
			if _, err := call(); err != nil {
				t.Fatal(err)
			}
			copy(buf[len(prefix):], forged) // the buffer is reused for the next request
			if c, err := call(); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("forgery in the reused buffer: got %+v, %v; want ErrInvalidSignature", c, err)
			}
			copy(buf[len(prefix):], tok)
			if c, err := call(); err != nil || c.Subject != "user-1" {
				t.Errorf("the token again: got %+v, %v", c, err)
			}
		})
	}
}

// TestCacheSameEndIsAMiss: tokens that share their last bytes share a hash;
// the stored token is compared in full, so each finds only its own entry.
func TestCacheSameEndIsAMiss(t *testing.T) {
	c := newTokenCache(64, cacheBudget)
	tail := strings.Repeat("s", hashSpan)
	a, b := "aaaa."+tail, "bbbb."+tail
	ea, eb := &cacheEntry{key: &keyset.Key{}, claims: &Claims{}}, &cacheEntry{key: &keyset.Key{}, claims: &Claims{}}
	now := time.Now()
	c.put(a, ea, now)
	if c.get(a) != ea || c.get(b) != nil {
		t.Fatalf("after a: get(a) = %p, get(b) = %p; want %p, nil", c.get(a), c.get(b), ea)
	}
	c.put(b, eb, now)
	if c.get(b) != eb || c.get(a) != ea {
		t.Fatalf("after b: get(b) = %p, get(a) = %p; want %p, %p", c.get(b), c.get(a), eb, ea)
	}
	c.remove(a, ea)
	if c.get(a) != nil || c.get(b) != eb {
		t.Fatalf("after removing a: get(a) = %p, get(b) = %p; want nil, %p", c.get(a), c.get(b), eb)
	}
	if short := "x.y.z"; c.get(short) != nil {
		t.Fatal("short token found")
	}
}

// TestAuthenticateWarm: a token the cache holds goes through Authenticate
// with one lookup and no key lookup, and gets Verify's answers: the claims,
// a fresh copy; an expiry noticed on the hit; a bad charset or a repeated
// header refused before the cache is consulted.
func TestAuthenticateWarm(t *testing.T) {
	k := vtKey("ES256")
	clock := newVTClock(vtNow)
	cfg := vtConfig(k)
	cfg.Now = clock.now
	v := vtNew(t, cfg)
	n := vtCount(v, vtIss)
	tok := k.Sign(vtClaims())
	ctx := context.Background()
	auth := func(values ...string) (*Claims, error) { return v.Authenticate(ctx, values, "") }
	first, err := auth("Bearer " + tok)
	if err != nil {
		t.Fatal(err)
	}
	first.Scopes[0] = "changed"
	for _, hdr := range []string{"Bearer " + tok, "bearer   " + tok} {
		c, err := auth(hdr)
		if err != nil || c == first || c.Subject != "user-1" || c.Scopes[0] != "read" {
			t.Fatalf("hit %q: got %+v, %v", hdr[:9], c, err)
		}
	}
	if c, err := v.Authenticate(ctx, nil, tok); err != nil || c.Subject != "user-1" {
		t.Fatalf("hit from the cookie: got %+v, %v", c, err)
	}
	if got := n.n.Load(); got != 1 {
		t.Errorf("key lookups: got %d; want 1 (the first call)", got)
	}
	for _, values := range [][]string{{"Bearer " + tok + "!"}, {"Bearer " + tok, "Bearer " + tok}, {"Bearer " + tok + " x"}} {
		if _, err := auth(values...); err != ErrInvalidRequest {
			t.Errorf("%d values, suffix %q: got %v; want ErrInvalidRequest", len(values), values[0][len(values[0])-2:], err)
		}
	}
	clock.add(2 * time.Hour)
	if _, err := auth("Bearer " + tok); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("expired while cached: got %v; want ErrTokenExpired", err)
	}
	if v.cache.get(tok) != nil {
		t.Error("expired entry still cached")
	}
}

// TestWarmAuthenticateAllocs: a hit through Authenticate allocates the
// claims copy only.
func TestWarmAuthenticateAllocs(t *testing.T) {
	k := vtKey("RS256")
	v := vtNew(t, vtConfig(k))
	values := []string{"Bearer " + benchToken(k)}
	ctx := context.Background()
	if _, err := v.Authenticate(ctx, values, ""); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.Authenticate(ctx, values, ""); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("warm Authenticate: got %v allocations; want 1 (the claims copy)", allocs)
	}
}

// BenchmarkAuthenticate measures Authenticate with the token in the cache
// (warm), against BearerToken plus Verify, the way it went before it looked
// the token up once.
func BenchmarkAuthenticate(b *testing.B) {
	k := vtKey("RS256")
	v := vtNew(b, vtConfig(k))
	values := []string{"Bearer " + benchToken(k)}
	ctx := context.Background()
	if _, err := v.Authenticate(ctx, values, ""); err != nil {
		b.Fatal(err)
	}
	b.Run("warm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if c, err := v.Authenticate(ctx, values, ""); err != nil || c.Subject != "user-1" {
				b.Fatal(err)
			}
		}
	})
	// What an adapter does with the claims: a context that carries them,
	// from which the handler reads them back.
	b.Run("warm+NewContext", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := v.Authenticate(ctx, values, "")
			if err != nil {
				b.Fatal(err)
			}
			if got, _ := FromContext(NewContext(ctx, c)); got.Subject != "user-1" {
				b.Fatal(got)
			}
		}
	})
	b.Run("warm-AuthenticateContext", func(b *testing.B) {
		b.ReportAllocs()
		cr := Credentials{Authorization: values}
		for b.Loop() {
			out, _, err := v.AuthenticateContext(ctx, cr)
			if err != nil {
				b.Fatal(err)
			}
			if got, _ := FromContext(out); got.Subject != "user-1" {
				b.Fatal(got)
			}
		}
	})
	b.Run("BearerToken+Verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tok, err := BearerToken(values)
			if err != nil {
				b.Fatal(err)
			}
			if c, err := v.Verify(ctx, tok); err != nil || c.Subject != "user-1" {
				b.Fatal(err)
			}
		}
	})
}

// TestOptionalCredentialsLetOnlyAMissingTokenThrough: with
// Credentials.Optional a request without credentials gets no claims and no
// error (and from AuthenticateContext the Handled mark with the middleware's
// value), and is still reported as missing; a malformed request and an
// invalid token are refused as without it.
func TestOptionalCredentialsLetOnlyAMissingTokenThrough(t *testing.T) {
	k := vtKey("EdDSA")
	var classes []string
	cfg := vtConfig(k)
	cfg.OnResult = func(_ context.Context, r Result) { classes = append(classes, r.Class) }
	v := vtNew(t, cfg)
	mw := new(int)

	ctx, c, err := v.AuthenticateContext(context.Background(), Credentials{Optional: true, Middleware: mw})
	if c != nil || err != nil {
		t.Fatalf("no credentials: got %+v, %v; want nil, nil", c, err)
	}
	if got, ok := HandledBy(ctx); !ok || got != mw {
		t.Errorf("no credentials: HandledBy = %v, %v; want the middleware's value, true", got, ok)
	}
	if c, err := v.AuthenticateCredentials(context.Background(), Credentials{Optional: true}); c != nil || err != nil {
		t.Errorf("AuthenticateCredentials, no credentials: got %+v, %v; want nil, nil", c, err)
	}
	if len(classes) != 2 || classes[0] != ClassMissing || classes[1] != ClassMissing {
		t.Errorf("OnResult classes: got %v; want two %v", classes, ClassMissing)
	}
	for name, cr := range map[string]Credentials{
		"two headers":   {Authorization: []string{"Bearer a.b.c", "Bearer a.b.c"}},
		"invalid token": {Authorization: []string{"Bearer " + vtForge(t, k.Sign(vtClaims()))}},
	} {
		cr.Optional = true
		ctx, c, err := v.AuthenticateContext(context.Background(), cr)
		if c != nil || err == nil || errors.Is(err, ErrMissingToken) {
			t.Errorf("%s: got %+v, %v; want a refusal", name, c, err)
		}
		if _, ok := HandledBy(ctx); ok {
			t.Errorf("%s: a refused request is marked as handled", name)
		}
	}
}
