// Package adaptertest holds the fixture the adapters' own tests share: a
// Verifier in front of a jwttest JWKS server and a valid token for it.
package adaptertest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// NewVerifier returns a Verifier for audience "api" with the given cache
// size, and an RS256 token (sub alice, scope read) valid for an hour. Both
// the Verifier and its JWKS server close when tb ends.
func NewVerifier(tb testing.TB, cacheSize int) (*core.Verifier, string) {
	tb.Helper()
	key := jwttest.NewKey("RS256", "k1")
	idp := jwttest.NewServer(key)
	tb.Cleanup(idp.Close)
	v, err := core.New(context.Background(), core.Config{
		Issuers:   []core.Issuer{{URL: idp.URL, JWKSURL: idp.JWKSURL()}},
		Audience:  []string{"api"},
		CacheSize: cacheSize,
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatalf("core.New: %v", err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	token := key.Sign(map[string]any{
		"iss": idp.URL, "aud": "api", "sub": "alice", "scope": "read",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	})
	return v, token
}
