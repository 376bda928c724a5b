package core

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/internal/alg"
	"github.com/jwtgate/jwtgate/internal/keyset"
)

// vtStubKeys is a key lookup that fails as a remote set can: with err, or
// when err is nil by waiting for ctx to end.
func vtStubKeys(err error) func(context.Context, string, alg.ID) (*keyset.Key, error) {
	return func(ctx context.Context, kid string, a alg.ID) (*keyset.Key, error) {
		if err == nil {
			<-ctx.Done()
			return nil, fmt.Errorf("waiting for the key set: %w", ctx.Err())
		}
		return nil, err
	}
}

func TestVerifyKeySourceErrors(t *testing.T) {
	k := vtKey("ES256")
	tok := k.Sign(vtClaims())
	v := vtNew(t, vtConfig(k))

	v.issuers[vtIss].key = vtStubKeys(nil) // waits for ctx
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.Verify(ctx, tok)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrInvalidToken) {
		t.Errorf("cancelled: got %v; want context.Canceled, not a token failure", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := v.Verify(ctx, tok); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: got %v; want context.DeadlineExceeded", err)
	}

	v.issuers[vtIss].key = vtStubKeys(fmt.Errorf("%w: not loaded yet", keyset.ErrUnavailable))
	_, err = v.Verify(context.Background(), tok)
	if !errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrInvalidToken) {
		t.Errorf("not loaded: got %v; want ErrKeysUnavailable only", err)
	}

	v.issuers[vtIss].key = vtStubKeys(fmt.Errorf("%w: kid not in the key set", keyset.ErrUnknownKey))
	_, err = v.Verify(context.Background(), tok)
	if !errors.Is(err, ErrUnknownKey) || !errors.Is(err, ErrInvalidToken) {
		t.Errorf("unknown kid: got %v; want ErrUnknownKey", err)
	}

	var nilV *Verifier
	if _, err := nilV.Verify(context.Background(), tok); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("nil Verifier: got %v; want ErrKeysUnavailable", err)
	}
}

// TestVerifyErrorsMatchJWT checks that golang-jwt's sentinels are reachable
// through Verify's errors.
func TestVerifyErrorsMatchJWT(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	for _, c := range []struct {
		tok  string
		want []error
	}{
		{"x.y", []error{ErrInvalidToken, jwtErrMalformed}},
		{k.Sign(vtClaims("exp", vtNow.Unix())), []error{ErrTokenExpired, jwtErrExpired}},
		{k.Sign(vtClaims("iss", "other")), []error{ErrInvalidIssuer, jwtErrIssuer}},
		{k.Sign(vtClaims("aud", "other")), []error{ErrInvalidAudience, jwtErrAudience}},
	} {
		_, err := v.Verify(context.Background(), c.tok)
		for _, w := range c.want {
			if !errors.Is(err, w) {
				t.Errorf("got %v; want errors.Is %v", err, w)
			}
		}
	}
}

var (
	jwtErrMalformed = jwt.ErrTokenMalformed
	jwtErrExpired   = jwt.ErrTokenExpired
	jwtErrIssuer    = jwt.ErrTokenInvalidIssuer
	jwtErrAudience  = jwt.ErrTokenInvalidAudience
)

func TestVerifyAllAlgorithms(t *testing.T) {
	ks := vtAsym()
	ks = append(ks, vtKey("HS256"), vtKey("HS384"), vtKey("HS512"))
	cfg := vtConfig(ks...)
	cfg.Algorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"}
	for _, cache := range []int{-1, 0} {
		cfg.CacheSize = cache
		v := vtNew(t, cfg)
		for _, k := range ks {
			tok := k.Sign(vtClaims("cognito:groups", []string{"g1", "g2"}))
			for i := 0; i < 2; i++ {
				c, err := v.Verify(context.Background(), tok)
				if err != nil {
					t.Fatalf("%s cache=%d: %v", k.Alg, cache, err)
				}
				if c.Subject != "user-1" || len(c.Scopes) != 2 || c.Scopes[1] != "write" || len(c.Groups) != 2 || c.Audience[0] != vtAud {
					t.Errorf("%s: got %+v", k.Alg, c)
				}
			}
		}
	}
}

// TestColdVerifyDecodesOnTheStack holds a cache miss to its allocation
// budget: the header and payload are decoded into stack buffers, so an
// EdDSA token (whose verification allocates nothing) costs the claims, the
// payload string, the signature and little else.
func TestColdVerifyDecodesOnTheStack(t *testing.T) {
	k := vtKey("EdDSA")
	cfg := vtConfig(k)
	cfg.CacheSize = -1
	v := vtNew(t, cfg)
	tok := k.Sign(vtClaims())
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 5 {
		t.Errorf("cold Verify: got %v allocations; want at most 5", allocs)
	}
}
