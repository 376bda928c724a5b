package core

import (
	"context"
	"testing"
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
