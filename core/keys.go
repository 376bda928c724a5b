package core

// This file is the contract between the verifier (verifier.go, token.go, …)
// and the key sets (keyset*.go). The key-set side owns its implementation.

import (
	"context"
	"sync/atomic"
)

// verifyKey is one usable verification key of one issuer, after filtering.
type verifyKey struct {
	kid    string
	alg    string // the JWK's alg, or "" when it has none
	public any    // *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey, or []byte (oct, static sets only)

	// removed is set when a refresh drops this key; cached verifications that
	// used it are then discarded.
	removed atomic.Bool
}

// keySource is one issuer's key set: static (Issuer.JWKS) or remote.
type keySource interface {
	// key returns the key for kid usable with alg (alg is already on the
	// allowlist). kid "" is allowed only when the set holds exactly one key.
	// Errors: ErrUnknownKey (wrapped), ErrKeysUnavailable when no set was ever
	// loaded, or ctx.Err() when the caller's context ends first.
	key(ctx context.Context, kid, alg string) (*verifyKey, error)
	// close stops background work.
	close()
}
