package core

import (
	"context"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Keyfunc returns a jwt.Keyfunc for code that parses tokens with golang-jwt
// itself: keyfunc v3 over the key set jwtgate keeps for issuer (the same
// filtering, refresh and unknown-kid limits that Verify uses), refusing any
// alg outside Config.Algorithms. issuer must be one of Config.Issuers' URLs.
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
	ks, ok := st.keys.(*keySet)
	if !ok {
		return nil, fmt.Errorf("jwtgate: issuer has no key set")
	}
	kf, err := keySetKeyfunc(ctx, ks)
	if err != nil {
		return nil, err
	}
	inner := kf.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		alg := ""
		if t.Method != nil {
			alg = t.Method.Alg()
		}
		if id := lookupAlg([]byte(alg)); id == algUnknown || !v.allowed[id] {
			return nil, fmt.Errorf("%w: alg not allowed", ErrInvalidToken)
		}
		return inner(t)
	}, nil
}
