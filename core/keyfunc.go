package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/internal/alg"
	"github.com/jwtgate/jwtgate/internal/keyset"
)

// Keyfunc returns a jwt.Keyfunc for code that parses tokens with golang-jwt
// itself: keyfunc v3 over the key set jwtgate keeps for issuer (the same
// filtering, refresh and unknown-kid limits that Verify uses), refusing any
// alg outside Config.Algorithms. issuer must be one of Config.Issuers' URLs.
// A key that cannot be found gives an error that matches ErrUnknownKey, or
// ErrKeysUnavailable when the issuer's key set has never loaded.
//
// The Keyfunc does NOT do Verify's other checks (token shape, strict
// decoding, crit and typ, issuer binding, audience, Cognito rules, the
// cache): the caller's jwt.Parser options decide those. Prefer Verify.
func (v *Verifier) Keyfunc(ctx context.Context, issuer string) (jwt.Keyfunc, error) {
	if v == nil {
		return nil, errNoVerifier
	}
	st, ok := v.issuers[issuer]
	if !ok {
		return nil, fmt.Errorf("%w: not a configured issuer", ErrInvalidIssuer)
	}
	kf, err := st.keys.Keyfunc(ctx)
	if err != nil {
		return nil, fmt.Errorf("jwtgate: issuer %q: %w", issuer, err)
	}
	inner := kf.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		name := ""
		if t.Method != nil {
			name = t.Method.Alg()
		}
		if !v.allowed.Has(alg.Lookup(name)) {
			return nil, fmt.Errorf("%w: alg not allowed", ErrInvalidToken)
		}
		key, err := inner(t)
		if err != nil && (errors.Is(err, keyset.ErrUnknownKey) || errors.Is(err, keyset.ErrUnavailable)) {
			return nil, keyError(err)
		}
		return key, err
	}, nil
}
