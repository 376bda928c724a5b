package core_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// TestCacheKidlessTokenDiesWhenSetGrows: a token without kid is accepted
// while its issuer's key set holds one key (H04). Once the set holds two, a
// verifier that has cached the token refuses it exactly as one that has
// never seen it does.
func TestCacheKidlessTokenDiesWhenSetGrows(t *testing.T) {
	const iss, aud = "https://issuer.test", "api"
	k1 := jwttest.NewKey("ES256", "k1")
	k2 := jwttest.NewKey("ES256", "k2")
	srv := jwttest.NewServer(k1)
	defer srv.Close()

	newVerifier := func(cacheSize int) *core.Verifier {
		v, err := core.New(context.Background(), core.Config{
			Issuers:   []core.Issuer{{URL: iss, JWKSURL: srv.JWKSURL()}},
			Audience:  []string{aud},
			CacheSize: cacheSize,
			Logger:    slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		return v
	}
	cached, cold := newVerifier(0), newVerifier(-1)

	claims := func() map[string]any {
		return map[string]any{"iss": iss, "aud": aud, "sub": "user-1", "exp": time.Now().Add(time.Hour).Unix()}
	}
	kidless := k1.SignWithHeader(map[string]any{"alg": "ES256", "typ": "JWT"}, claims())
	ctx := context.Background()
	for name, v := range map[string]*core.Verifier{"cached": cached, "cold": cold} {
		for i := range 2 { // the second call of the cached verifier is a hit
			if _, err := v.Verify(ctx, kidless); err != nil {
				t.Fatalf("%s, call %d, one key in the set: got %v; want the token accepted", name, i, err)
			}
		}
	}

	// The set grows; a token of the new key makes each verifier refresh.
	srv.SetKeys(k1, k2)
	withKid := k2.Sign(claims())
	for name, v := range map[string]*core.Verifier{"cached": cached, "cold": cold} {
		if _, err := v.Verify(ctx, withKid); err != nil {
			t.Fatalf("%s, token of the new key: got %v; want it accepted", name, err)
		}
	}

	for name, v := range map[string]*core.Verifier{"cached": cached, "cold": cold} {
		for i := range 2 {
			c, err := v.Verify(ctx, kidless)
			if !errors.Is(err, core.ErrUnknownKey) || c != nil {
				t.Errorf("%s, call %d, two keys in the set: got %v, %v; want ErrUnknownKey", name, i, c, err)
			}
		}
	}
	// A token with a kid of the same key is unaffected.
	if _, err := cached.Verify(ctx, k1.Sign(claims())); err != nil {
		t.Errorf("token of k1 with its kid: got %v; want it accepted", err)
	}
}
