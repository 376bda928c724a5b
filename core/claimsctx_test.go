package core

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

type otherKey struct{}

// TestAuthenticateContextCarriesClaims: on success the returned context
// carries the returned claims for FromContext, answers every other key and
// the cancellation of its parent, and a cache hit costs one allocation (the
// context node; the claims are shared); on an error or without credentials
// the parent comes back as it is.
func TestAuthenticateContextCarriesClaims(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	tok := k.Sign(vtClaims("cognito:groups", []string{"g1", "g2"}))
	auth := []string{"Bearer " + tok}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "kept"))
	defer cancel()

	for i := range 2 { // a miss, then a hit
		ctx, c, err := v.AuthenticateContext(parent, Credentials{Authorization: auth})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		got, ok := FromContext(ctx)
		if !ok || got != c || c.Subject != "user-1" || !slices.Equal(c.Groups, []string{"g1", "g2"}) {
			t.Errorf("call %d: FromContext = %+v, %v; want the returned claims %+v", i, got, ok, c)
		}
		if got := ctx.Value(otherKey{}); got != "kept" {
			t.Errorf("call %d: other key: got %v; want kept", i, got)
		}
		// A context wrapped around it still finds the claims.
		if got, ok := FromContext(context.WithValue(ctx, otherKey{}, 1)); !ok || got != c {
			t.Errorf("call %d: through a wrapping context: got %p, %v; want %p", i, got, ok, c)
		}
		if ctx.Done() != parent.Done() {
			t.Errorf("call %d: Done is not the parent's", i)
		}
	}

	for name, a := range map[string][]string{"no credentials": nil, "invalid token": {"Bearer " + vtForge(t, tok)}} {
		ctx, c, err := v.AuthenticateContext(parent, Credentials{Authorization: a})
		if err == nil || c != nil || ctx != parent {
			t.Errorf("%s: got %v, %+v, %v; want the parent context, no claims, an error", name, ctx, c, err)
		}
	}

	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := v.AuthenticateContext(parent, Credentials{Authorization: auth}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 1 {
		t.Errorf("warm AuthenticateContext: got %v allocations; want 1", allocs)
	}
}

// TestAuthenticateContextSharesClaims: cache hits through
// AuthenticateContext hand every request the one shared copy of the claims
// (no copy per request), while Verify still returns a copy of the caller's
// own.
func TestAuthenticateContextSharesClaims(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	auth := []string{"Bearer " + k.Sign(vtClaims("aud", []string{vtAud, "b"}))}
	bg := context.Background()
	var first *Claims
	for i := range 3 { // a miss, then hits
		_, c, err := v.AuthenticateContext(bg, Credentials{Authorization: auth})
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != "user-1" || !slices.Equal(c.Audience, []string{vtAud, "b"}) {
			t.Fatalf("call %d: got %+v; want the verified claims", i, c)
		}
		switch i {
		case 1:
			first = c
		case 2:
			if c != first {
				t.Errorf("second hit: got %p; want the copy of the first hit, %p", c, first)
			}
		}
	}
	own, err := v.Verify(bg, auth[0][len("Bearer "):])
	if err != nil || own == first || !own.same(first) {
		t.Errorf("Verify on a hit: got %p, %v; want a copy of its own, equal to %p", own, err, first)
	}
}

// TestSharedClaimsChangedAreReplaced: a handler that changes the shared
// claims, though it should not, changes nothing for the requests after it:
// the next hit notices any change (a string, an element, an append, a nil
// slice, a time) and hands out a fresh copy of the verified values.
func TestSharedClaimsChangedAreReplaced(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	auth := []string{"Bearer " + k.Sign(vtClaims("aud", []string{vtAud, "b"}, "cognito:groups", []string{"g1"}))}
	hit := func() *Claims {
		t.Helper()
		_, c, err := v.AuthenticateContext(context.Background(), Credentials{Authorization: auth})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	want := hit().Clone()
	changes := map[string]func(c *Claims){
		"Subject":          func(c *Claims) { c.Subject = "admin" },
		"an Audience item": func(c *Claims) { c.Audience[0] = "other" },
		"append to Groups": func(c *Claims) { c.Groups = append(c.Groups, "admin") },
		"Scopes to nil":    func(c *Claims) { c.Scopes = nil },
		"Groups to empty":  func(c *Claims) { c.Groups = c.Groups[:0] },
		"ExpiresAt":        func(c *Claims) { c.ExpiresAt = c.ExpiresAt.Add(time.Hour) },
		"the whole value":  func(c *Claims) { *c = Claims{Subject: "x"} },
	}
	for name, change := range changes {
		shared := hit()
		change(shared)
		got := hit()
		if got == shared || !got.same(want) {
			t.Errorf("after a change of %s: got %p %+v; want a fresh copy of %+v", name, got, got, want)
		}
		if again := hit(); again != got {
			t.Errorf("after a change of %s: the fresh copy is not shared by the next hit", name)
		}
	}
}

// TestClaimsClone: Clone shares nothing that can change; nil gives nil.
func TestClaimsClone(t *testing.T) {
	c := &Claims{Subject: "s", Audience: []string{"a"}, Groups: []string{"g"}, Scopes: []string{"x", "y"}, raw: `{}`}
	d := c.Clone()
	if d == c || !d.same(c) {
		t.Fatalf("Clone: got %+v; want an equal copy", d)
	}
	d.Audience[0], d.Groups[0], d.Scopes[1] = "changed", "changed", "changed"
	d.Scopes = append(d.Scopes, "more")
	if !slices.Equal(c.Audience, []string{"a"}) || !slices.Equal(c.Groups, []string{"g"}) || !slices.Equal(c.Scopes, []string{"x", "y"}) {
		t.Errorf("a change to the clone reached the original: %+v", c)
	}
	if (*Claims)(nil).Clone() != nil {
		t.Error("nil Clone: want nil")
	}
}

// TestSharedClaimsConcurrentReaders: many requests reading one shared copy
// at once (run under -race) see the verified values.
func TestSharedClaimsConcurrentReaders(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	auth := []string{"Bearer " + k.Sign(vtClaims())}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				ctx, _, err := v.AuthenticateContext(context.Background(), Credentials{Authorization: auth})
				if err != nil {
					t.Error(err)
					return
				}
				if c, ok := FromContext(ctx); !ok || c.Subject != "user-1" || !c.HasScope("read") {
					t.Errorf("got %+v, %v", c, ok)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestCacheEntryTimelyMatchesCheckTimes: the time window a hit checks is
// exactly the one checkTimes applies, at its edges too.
func TestCacheEntryTimelyMatchesCheckTimes(t *testing.T) {
	base := vtNow.Truncate(time.Second)
	sec := func(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }
	for _, leeway := range []time.Duration{0, 30 * time.Second} {
		v := &Verifier{leeway: leeway}
		for _, nbf := range []time.Time{{}, sec(-100), sec(100)} {
			for _, iat := range []time.Time{{}, sec(-50), sec(50), sec(120)} {
				c := &Claims{ExpiresAt: sec(200), NotBefore: nbf, IssuedAt: iat}
				e := newCacheEntry(c, keyUse{}, leeway)
				for _, at := range []time.Duration{-200, -101, -100, -71, -70, -51, -50, -20, 0, 49, 50, 51, 89, 90, 99, 100, 119, 120, 121, 199, 200, 229, 230, 231} {
					now := base.Add(at*time.Second + time.Duration(at%3)*time.Millisecond)
					want := v.checkTimes(c, now) == nil
					if got := e.timely(now); got != want {
						t.Errorf("leeway %v, nbf %v, iat %v, now %+ds: timely %v; want %v", leeway, nbf, iat, int64(at), got, want)
					}
				}
			}
		}
	}
}

// TestHandledMarksTheRequest: Handled and AuthenticateContext with claims
// mark the context as handled by an authentication middleware and hand its
// value back through HandledBy; a bare context, NewContext and the context
// of a refusal are not marked; claims of a parent stay visible through the
// mark.
func TestHandledMarksTheRequest(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	auth := []string{"Bearer " + k.Sign(vtClaims())}
	mw := new(int)
	bg := context.Background()

	for i := range 2 { // a miss, then a hit
		ctx, c, err := v.AuthenticateContext(bg, Credentials{Authorization: auth, Middleware: mw})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if got, ok := HandledBy(ctx); !ok || got != any(mw) {
			t.Errorf("call %d: HandledBy after AuthenticateContext: got %v, %v; want %p, true", i, got, ok, mw)
		}
		if got, ok := HandledBy(Handled(ctx, "inner")); !ok || got != "inner" {
			t.Errorf("call %d: HandledBy of a mark over claims: got %v, %v; want inner, true", i, got, ok)
		}
		if got, ok := FromContext(Handled(ctx, nil)); !ok || got != c {
			t.Errorf("call %d: FromContext through a mark: got %p, %v; want %p, true", i, got, ok, c)
		}
	}

	ctx := Handled(context.WithValue(bg, otherKey{}, "kept"), mw)
	if got, ok := HandledBy(ctx); !ok || got != any(mw) {
		t.Errorf("HandledBy(Handled(ctx, mw)): got %v, %v; want %p, true", got, ok, mw)
	}
	if got, ok := HandledBy(Handled(bg, nil)); !ok || got != nil {
		t.Errorf("HandledBy(Handled(ctx, nil)): got %v, %v; want nil, true", got, ok)
	}
	if c, ok := FromContext(ctx); ok || c != nil {
		t.Errorf("FromContext(Handled(ctx)): got %+v, %v; want nil, false", c, ok)
	}
	if got := ctx.Value(otherKey{}); got != "kept" {
		t.Errorf("other key through the mark: got %v; want kept", got)
	}

	notMarked := map[string]context.Context{
		"background": bg,
		"NewContext": NewContext(bg, &Claims{Subject: "s"}),
	}
	if out, _, err := v.AuthenticateContext(bg, Credentials{Authorization: []string{"Bearer " + vtForge(t, auth[0][7:])}, Middleware: mw}); err == nil {
		t.Error("forged token accepted")
	} else {
		notMarked["refused"] = out
	}
	for name, ctx := range notMarked {
		if got, ok := HandledBy(ctx); ok || got != nil {
			t.Errorf("%s: HandledBy: got %v, %v; want nil, false", name, got, ok)
		}
	}
}
