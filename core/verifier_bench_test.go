package core

import (
	"context"
	"testing"
)

// BenchmarkVerify measures Verify for RS256, ES256 and EdDSA tokens with the
// verified-token cache off (cold: every call does the full check) and on
// (warm: the token was seen before).
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		k := vtKey(alg)
		tok := k.Sign(vtClaims("jti", "b3c1f0e2-8a44-4c7e-9d1a-2f6b5e4d3c21", "client_id", "client-123",
			"token_use", "access", "username", "alice"))
		for _, mode := range []struct {
			name  string
			cache int
		}{{"cold", -1}, {"warm", 0}} {
			b.Run(alg+"/"+mode.name, func(b *testing.B) {
				cfg := vtConfig(k)
				cfg.CacheSize = mode.cache
				v := vtNew(b, cfg)
				ctx := context.Background()
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					c, err := v.Verify(ctx, tok)
					if err != nil || c.Subject != "user-1" {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
