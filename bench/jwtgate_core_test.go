package bench

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/jwtgate/jwtgate/core"
)

// modes are jwtgate's two costs: "cold" with the verified-token cache off
// (CacheSize: -1), every request a full verification, and "warm" with the
// default cache, the token seen once before the timer.
var modes = []struct {
	name      string
	cacheSize int
}{{"cold", -1}, {"warm", 0}}

// newVerifier is a jwtgate Verifier on the fixture's issuer and JWKS URL.
func newVerifier(b testing.TB, cacheSize int) *core.Verifier {
	v, err := core.New(benchCtx(b), core.Config{
		Issuers:   []core.Issuer{{URL: fx.issuer, JWKSURL: fx.jwksURL}},
		Audience:  []string{audience},
		CacheSize: cacheSize,
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Close() })
	return v
}

func checkClaims(c *core.Claims) error {
	if c == nil || c.Subject != subject || !c.HasScope("read") {
		return errors.New("claims missing or wrong")
	}
	return nil
}

// BenchmarkJwtgate is core.Verify, cold and warm, per algorithm.
func BenchmarkJwtgate(b *testing.B) {
	for _, m := range modes {
		for _, alg := range algs {
			b.Run(m.name+"/"+alg, func(b *testing.B) {
				v := newVerifier(b, m.cacheSize)
				tok := fx.tokens[alg]
				ctx := context.Background()
				verify := func() error {
					c, err := v.Verify(ctx, tok)
					if err != nil {
						return err
					}
					return checkClaims(c)
				}
				measure(b, verify)
			})
		}
	}
}

// BenchmarkJwtgateParallel is the warm path from GOMAXPROCS goroutines at
// once. "same-token": every goroutine verifies the same token (one client
// reusing its token, as in the load test); "distinct-tokens": each
// goroutine cycles through tokens of its own, spread over the cache.
func BenchmarkJwtgateParallel(b *testing.B) {
	for _, tc := range []struct {
		name   string
		tokens func(g int) []string
	}{
		{"same-token/RS256", func(int) []string { return []string{fx.tokens["RS256"]} }},
		{"distinct-tokens/RS256", func(g int) []string {
			// Goroutine g gets its own 8 of the fixture's 64 tokens.
			lo := (g * 8) % len(fx.many)
			return fx.many[lo : lo+8]
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			v := newVerifier(b, 0)
			ctx := context.Background()
			verify := func(tok string) error {
				c, err := v.Verify(ctx, tok)
				if err != nil {
					return err
				}
				return checkClaims(c)
			}
			for _, tok := range fx.many {
				if err := verify(tok); err != nil {
					b.Fatal(err)
				}
			}
			if err := verify(fx.tokens["RS256"]); err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				toks := tc.tokens(int(next.Add(1) - 1))
				for i := 0; pb.Next(); i++ {
					if err := verify(toks[i%len(toks)]); err != nil {
						b.Error(err) // not Fatal: this is not the benchmark's goroutine
						return
					}
				}
			})
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
