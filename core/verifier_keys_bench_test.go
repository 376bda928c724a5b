package core

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/jwttest"
)

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
