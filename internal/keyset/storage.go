package keyset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"

	"github.com/jwtgate/jwtgate/internal/alg"
)

// errReadOnlyStorage is returned by the write methods of keySetStorage.
var errReadOnlyStorage = errors.New("key set storage is read-only")

// keySetStorage is the jwkset.Storage of one issuer's key set, so that
// keyfunc v3 can select keys over jwtgate's hardened, filtered set. It is a
// read-only view of the current snapshot: writes come only from fetches.
//
// The request path does not use it: Set.Key reads the snapshot directly
// (no jwkset.JWK marshalling per call). Set.Keyfunc serves golang-jwt code
// of the caller's; the benchmarks measure both.
type keySetStorage struct{ ks *Set }

var _ jwkset.Storage = keySetStorage{}

// Keyfunc returns a keyfunc v3 Keyfunc over the set: the same filtered keys,
// refresh and unknown-kid limits as Key. ctx bounds keyfunc's own work.
// Lookup failures wrap ErrUnknownKey or ErrUnavailable, and
// jwkset.ErrKeyNotFound.
func (ks *Set) Keyfunc(ctx context.Context) (keyfunc.Keyfunc, error) {
	kf, err := keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: keySetStorage{ks: ks}})
	if err != nil {
		return nil, fmt.Errorf("keyfunc: %w", err)
	}
	return kf, nil
}

// KeyRead returns the JWK for keyID; an unknown kid goes through the same
// bounded, rate-limited refresh as Set.Key, and an empty one is refused. Misses wrap
// jwkset.ErrKeyNotFound as well as ErrUnknownKey.
func (s keySetStorage) KeyRead(ctx context.Context, keyID string) (jwkset.JWK, error) {
	if keyID == "" {
		// A kid that is present but empty names no key (H04); keyfunc
		// calls KeyReadAll, not this, when the kid is absent.
		return jwkset.JWK{}, errors.Join(errKidEmpty, jwkset.ErrKeyNotFound)
	}
	if snap := s.ks.snap.Load(); snap != nil {
		if e, ok := snap.keys[keyID]; ok {
			return e.jwk, nil
		}
	}
	if s.ks.remote != nil {
		// Any allowed alg: keyfunc checks the JWK alg against the token itself.
		if _, err := s.ks.slow(ctx, keyID, alg.Unknown); err != nil && !errors.Is(err, errAlgMismatch) {
			return jwkset.JWK{}, errors.Join(err, jwkset.ErrKeyNotFound)
		}
		if snap := s.ks.snap.Load(); snap != nil {
			if e, ok := snap.keys[keyID]; ok {
				return e.jwk, nil
			}
		}
	}
	return jwkset.JWK{}, errors.Join(errKidNotFound, jwkset.ErrKeyNotFound)
}

// KeyReadAll returns the set's keys — but only when it holds exactly one:
// keyfunc tries every key for a token without kid, which docs/SECURITY.md F11/H04
// forbid for sets of several keys. For those it returns an error that wraps
// ErrUnknownKey, as Key does.
func (s keySetStorage) KeyReadAll(context.Context) ([]jwkset.JWK, error) {
	snap := s.ks.snap.Load()
	if snap == nil {
		return nil, errNotLoaded
	}
	if snap.only.key == nil {
		return nil, errors.Join(errKidRequired, jwkset.ErrKeyNotFound)
	}
	return []jwkset.JWK{snap.only.jwk}, nil
}

// all returns every JWK of the current snapshot.
func (s keySetStorage) all() []jwkset.JWK {
	snap := s.ks.snap.Load()
	if snap == nil {
		return nil
	}
	out := make([]jwkset.JWK, 0, len(snap.keys))
	for _, e := range snap.keys {
		out = append(out, e.jwk)
	}
	return out
}

// memory copies the current snapshot into a jwkset memory storage, to reuse
// its JSON encoders.
func (s keySetStorage) memory(ctx context.Context) (*jwkset.MemoryJWKSet, error) {
	m := jwkset.NewMemoryStorage()
	if err := m.KeyReplaceAll(ctx, s.all()); err != nil {
		return nil, fmt.Errorf("copying key set: %w", err)
	}
	return m, nil
}

// KeyDelete is not supported: the storage is read-only.
func (keySetStorage) KeyDelete(context.Context, string) (bool, error) {
	return false, errReadOnlyStorage
}

// KeyReplaceAll is not supported: the storage is read-only.
func (keySetStorage) KeyReplaceAll(context.Context, []jwkset.JWK) error { return errReadOnlyStorage }

// KeyWrite is not supported: the storage is read-only.
func (keySetStorage) KeyWrite(context.Context, jwkset.JWK) error { return errReadOnlyStorage }

// JSON returns the public JWK Set.
func (s keySetStorage) JSON(ctx context.Context) (json.RawMessage, error) { return s.JSONPublic(ctx) }

// JSONPublic returns the public JWK Set.
func (s keySetStorage) JSONPublic(ctx context.Context) (json.RawMessage, error) {
	m, err := s.memory(ctx)
	if err != nil {
		return nil, err
	}
	return m.JSONPublic(ctx)
}

// JSONPrivate returns the public JWK Set: a verifier's set holds no private
// material worth exporting (static symmetric keys are never exported).
func (s keySetStorage) JSONPrivate(ctx context.Context) (json.RawMessage, error) {
	return s.JSONPublic(ctx)
}

// JSONWithOptions returns the public JWK Set; private marshalling is refused.
func (s keySetStorage) JSONWithOptions(ctx context.Context, mo jwkset.JWKMarshalOptions, vo jwkset.JWKValidateOptions) (json.RawMessage, error) {
	mo.Private = false
	m, err := s.memory(ctx)
	if err != nil {
		return nil, err
	}
	return m.JSONWithOptions(ctx, mo, vo)
}

// Marshal returns the public JWK Set as a Go value.
func (s keySetStorage) Marshal(ctx context.Context) (jwkset.JWKSMarshal, error) {
	return s.MarshalWithOptions(ctx, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
}

// MarshalWithOptions returns the public JWK Set as a Go value; private
// marshalling is refused.
func (s keySetStorage) MarshalWithOptions(ctx context.Context, mo jwkset.JWKMarshalOptions, vo jwkset.JWKValidateOptions) (jwkset.JWKSMarshal, error) {
	mo.Private = false
	m, err := s.memory(ctx)
	if err != nil {
		return jwkset.JWKSMarshal{}, err
	}
	return m.MarshalWithOptions(ctx, mo, vo)
}
