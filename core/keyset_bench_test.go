package core

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// The request path of a warm remote set must cost what a static set costs:
// both read the same lock-free snapshot. keyfunc over keySetStorage is
// measured next to them; it is not on the request path.

func ksBenchSets(b *testing.B) (static, remote *keySet) {
	b.Helper()
	jwks := ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"), ksRSAJWK(ksRSAPub("rsaB"), "b"), ksECJWK(ksECPub("p256"), "c"))
	src, err := newKeySource(context.Background(), Issuer{URL: "https://i", JWKS: jwks}, ksOpts(nil))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(src.close)
	s := ksBenchServer(b, jwks)
	rsrc, err := newKeySource(context.Background(), Issuer{URL: "https://i", JWKSURL: s}, ksOpts(nil))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(rsrc.close)
	remote = rsrc.(*keySet)
	if _, err := remote.key(context.Background(), "b", "RS256"); err != nil {
		b.Fatal(err)
	}
	return src.(*keySet), remote
}

func BenchmarkKeySetKey(b *testing.B) {
	static, remote := ksBenchSets(b)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		ks   *keySet
	}{{"static", static}, {"remote-warm", remote}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.ks.key(ctx, "b", "RS256"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.ks.key(ctx, "b", "RS256"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
	b.Run("remote-unknown-kid-fail-fast", func(b *testing.B) {
		b.ReportAllocs()
		remote.key(ctx, "nope", "RS256") // one fetch, then "nope" is negatively cached
		for b.Loop() {
			if _, err := remote.key(ctx, "nope", "RS256"); !errors.Is(err, ErrUnknownKey) {
				b.Fatal(err)
			}
		}
	})
	b.Run("keyfunc-over-remote", func(b *testing.B) {
		kf, err := keySetKeyfunc(ctx, remote)
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

// BenchmarkVerifyKeySource is Verify (cache off, so every call looks its key
// up) with a static set next to a warm remote set: the remote path must add
// no measurable cost.
func BenchmarkVerifyKeySource(b *testing.B) {
	k := jwttest.NewKey("ES256", "bench-es256")
	srv := jwttest.NewServer(k)
	b.Cleanup(srv.Close)
	iss := srv.URL
	tok := k.Sign(map[string]any{"iss": iss, "sub": "alice", "aud": "api",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	for _, c := range []struct {
		name   string
		issuer Issuer
	}{
		{"static", Issuer{URL: iss, JWKS: jwttest.JWKS(k)}},
		{"remote-warm", Issuer{URL: iss, JWKSURL: srv.JWKSURL()}},
	} {
		b.Run(c.name, func(b *testing.B) {
			v, err := New(context.Background(), Config{Issuers: []Issuer{c.issuer}, Audience: []string{"api"}, CacheSize: -1,
				Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { v.Close() })
			ctx := context.Background()
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
