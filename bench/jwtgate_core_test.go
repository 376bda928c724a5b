package bench

import (
	"context"
	"errors"
	"log/slog"
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
// once: the verified-token cache must not serialise readers.
func BenchmarkJwtgateParallel(b *testing.B) {
	b.Run("warm/RS256", func(b *testing.B) {
		v := newVerifier(b, 0)
		tok := fx.tokens["RS256"]
		ctx := context.Background()
		c, err := v.Verify(ctx, tok)
		if err == nil {
			err = checkClaims(c)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		cpu0 := cpuTime()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c, err := v.Verify(ctx, tok)
				if err == nil {
					err = checkClaims(c)
				}
				if err != nil {
					b.Error(err) // not Fatal: this is not the benchmark's goroutine
					return
				}
			}
		})
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	})
}
