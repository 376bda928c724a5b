package core

import (
	"context"
	"slices"
	"testing"
	"time"
)

type otherKey struct{}

// TestAuthenticateContextCarriesClaims: on success the returned context
// carries the returned claims for FromContext, answers every other key and
// the cancellation of its parent, and a cache hit costs one allocation for
// both; on an error or without credentials the parent comes back as it is.
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

// TestAuthenticateContextClaimsAreTheCallers: the claims a hit hands out
// are a copy: changing them changes nothing for the next request.
func TestAuthenticateContextClaimsAreTheCallers(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	tok := k.Sign(vtClaims("aud", []string{vtAud, "b"}))
	auth := []string{"Bearer " + tok}
	for i := range 3 {
		_, c, err := v.AuthenticateContext(context.Background(), Credentials{Authorization: auth})
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != "user-1" || !slices.Equal(c.Audience, []string{vtAud, "b"}) || !slices.Equal(c.Scopes, []string{"read", "write"}) {
			t.Fatalf("call %d: got %+v; want the verified claims", i, c)
		}
		c.Subject, c.Audience[0], c.Scopes[1] = "changed", "changed", "changed"
		c.Audience = append(c.Audience, "x")
		if !slices.Equal(c.Scopes, []string{"read", "changed"}) {
			t.Fatalf("call %d: an append to Audience reached Scopes: %v", i, c.Scopes)
		}
	}
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
