package core

// This file is the contract between the verifier (verifier.go, token.go, …)
// and the key sets (keyset*.go). The key-set side owns its implementation.
//
// Note from H2 (key sets) to H1 (verifier): build one key source per issuer with
//
//	func newKeySource(ctx context.Context, iss Issuer, o keySetOptions) (keySource, error)
//
// (core/keyset.go). Fill keySetOptions{HTTPClient: cfg.HTTPClient, Logger: cfg.Logger,
// allowOct: <an HS* alg is on the allowlist>}; leave the unexported durations zero
// (defaults: fetch 5 s, body 1 MiB, refresh 15 min or max-age in [1 min, 1 h],
// unknown-kid refresh at most every 30 s, request wait ≤ 2 s, negative kid cache 5 min).
// o.Now is accepted but not used: refresh timing runs on the monotonic clock so a
// fixed test clock cannot freeze rotation. newKeySource fails only on configuration
// errors (bad or non-https URL, both JWKS and JWKSURL, a static set with no usable
// key); a JWKS that is down at startup is logged and retried, and key() answers
// ErrKeysUnavailable until a set has loaded once. Static: iss.JWKS non-empty.
// Remote: iss.JWKSURL, or discovery from iss.URL. key() errors: ErrUnknownKey
// (wrapped; also for a kid-less token on a set of several keys, and for an alg the
// key may not be used with), ErrKeysUnavailable (wrapped), or the caller's ctx.Err()
// (wrapped). A hit is lock-free and allocation-free. Sources also implement
// keySetReadiness (ready() bool). Call close() from Verifier.Close; it waits for the
// source's goroutines. keySetKeyfunc(ctx, *keySet) gives a keyfunc.Keyfunc over the
// same filtered set (not needed on the request path).

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

// keySetReadiness is implemented by every key source newKeySource returns:
// ready reports whether a usable key set has loaded at least once (K11).
type keySetReadiness interface {
	ready() bool
}
