package core

import (
	"context"
	"fmt"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/internal/alg"
	"github.com/jwtgate/jwtgate/internal/keyset"
)

// errNoKeyForAlg is Keyfunc's error when keyfunc finds no key for a token
// without kid: the set's one key serves another alg (A05).
var errNoKeyForAlg = fmt.Errorf("%w: key is not usable with the token's alg", keyset.ErrUnknownKey)

// Keyfunc returns a jwt.Keyfunc for code that parses tokens with golang-jwt
// itself: keyfunc v3 over the key set jwtgate keeps for issuer (the same
// filtering, refresh and unknown-kid limits that Verify uses), refusing any
// alg outside Config.Algorithms. issuer must be one of Config.Issuers' URLs.
// A key that cannot be found, or that does not serve the token's alg, gives
// an error that matches ErrUnknownKey, or ErrKeysUnavailable when the
// issuer's key set has never loaded, or ctx's error when it ends first.
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
		if err != nil {
			// keyfunc found no key for the token: its kid is unknown, or
			// names a key of another alg (A05), or the set has not loaded.
			return nil, keyError(err)
		}
		if ks, ok := key.(jwt.VerificationKeySet); ok && len(ks.Keys) == 0 {
			// A token without kid whose alg the set's one key does not serve.
			return nil, keyError(errNoKeyForAlg)
		}
		return key, nil
	}, nil
}
