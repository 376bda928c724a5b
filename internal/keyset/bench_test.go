package keyset

import (
	"context"
	"errors"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/internal/alg"
)

// The request path of a warm remote set must cost what a static set costs:
// both read the same lock-free snapshot. keyfunc over keySetStorage is
// measured next to them; it is not on the request path.

func ksBenchSets(b *testing.B) (static, remote *Set) {
	b.Helper()
	jwks := ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"), ksRSAJWK(ksRSAPub("rsaB"), "b"), ksECJWK(ksECPub("p256"), "c"))
	src, err := ksNew(context.Background(), ksIssuer{URL: "https://i", JWKS: jwks}, ksOpts(nil))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(src.Close)
	s := ksBenchServer(b, jwks)
	rsrc, err := ksNew(context.Background(), ksIssuer{URL: "https://i", JWKSURL: s}, ksOpts(nil))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(rsrc.Close)
	remote = rsrc
	if _, err := remote.Key(context.Background(), "b", alg.RS256); err != nil {
		b.Fatal(err)
	}
	return src, remote
}

func BenchmarkKeySetKey(b *testing.B) {
	static, remote := ksBenchSets(b)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		ks   *Set
	}{{"static", static}, {"remote-warm", remote}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.ks.Key(ctx, "b", alg.RS256); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.ks.Key(ctx, "b", alg.RS256); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
	b.Run("remote-unknown-kid-fail-fast", func(b *testing.B) {
		b.ReportAllocs()
		remote.Key(ctx, "nope", alg.RS256) // one fetch, then "nope" is negatively cached
		for b.Loop() {
			if _, err := remote.Key(ctx, "nope", alg.RS256); !errors.Is(err, ErrUnknownKey) {
				b.Fatal(err)
			}
		}
	})
	b.Run("keyfunc-over-remote", func(b *testing.B) {
		kf, err := remote.Keyfunc(ctx)
		if err != nil {
			b.Fatal(err)
		}
		tok := &jwt.Token{Header: map[string]any{"alg": "RS256", "kid": "b"}}
		f := kf.KeyfuncCtx(ctx)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
