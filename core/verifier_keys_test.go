package core

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/internal/testsrv"
)

// Key-set behaviour seen through the public API: New, Verify, Close.

func vtKeysToken(k *jwttest.Key, iss string) string {
	return k.Sign(map[string]any{"iss": iss, "sub": "alice", "aud": "api",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
}

// A cancelled or expired request context surfaces through Verify.
func TestVerifyContextWhileKeysLoad(t *testing.T) {
	release := make(chan struct{})
	s := testsrv.New(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	v, err := New(t.Context(), Config{Issuers: []Issuer{{URL: "https://issuer.test", JWKSURL: s.URL}},
		Audience: []string{"api"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("New with a hanging JWKS: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	tok := vtKeysToken(jwttest.NewKey("ES256", "k1"), "https://issuer.test")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := v.Verify(ctx, tok); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v; want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := v.Verify(ctx, tok); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired: got %v; want context.DeadlineExceeded", err)
	}
}

// J01 through Verify: the JWKS is down, New succeeds, Verify answers
// ErrKeysUnavailable (503); once the JWKS is up, the token verifies; a
// rotated-in key is accepted; a removed one is refused.
func TestVerifyRemoteLifecycle(t *testing.T) {
	k1 := jwttest.NewKey("ES256", "k1")
	k2 := jwttest.NewKey("ES256", "k2")
	s := testsrv.New(t, testsrv.Status(http.StatusInternalServerError))
	v, err := New(t.Context(), Config{Issuers: []Issuer{{URL: "https://issuer.test", JWKSURL: s.URL}},
		Audience: []string{"api"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("New with the JWKS down: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	tok1 := vtKeysToken(k1, "https://issuer.test")
	if _, err := v.Verify(t.Context(), tok1); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("JWKS down: got %v; want ErrKeysUnavailable", err)
	}
	s.Set(testsrv.JSON(jwttest.JWKS(k1)))
	vtEventually(t, "the background retry to load the set", func() bool {
		_, err := v.Verify(t.Context(), tok1)
		return err == nil
	})
	// k2 rotates in: the first unknown-kid refresh is allowed at once.
	s.Set(testsrv.JSON(jwttest.JWKS(k1, k2)))
	if _, err := v.Verify(t.Context(), vtKeysToken(k2, "https://issuer.test")); err != nil {
		t.Errorf("rotated-in key: got %v; want a valid token", err)
	}
}
