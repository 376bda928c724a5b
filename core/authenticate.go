package core

import (
	"context"
	"errors"
	"fmt"
)

// errNoVerifier is returned by Authenticate on a nil *Verifier: the
// middleware was built without a verifier, so nothing can be accepted.
var errNoVerifier = fmt.Errorf("%w: no verifier configured", ErrKeysUnavailable)

// Authenticate is what every adapter calls for a request: it picks the token
// from the values of the Authorization header and, when a cookie is
// configured, from the cookie value (hasCookie reports whether the request
// carried that cookie), and verifies it. A token in both places is
// ErrInvalidRequest. With optional set, a request without credentials gives
// (nil, nil); an invalid token is still an error.
//
// In detail:
//   - authorization is every value of the Authorization header; BearerToken
//     decides (two headers or a malformed one: ErrInvalidRequest; another
//     scheme: no credentials).
//   - cookie is the cookie's value as CookieValue returns it (a repeated
//     cookie arrives joined with a comma and is refused). An empty cookie
//     value counts as no cookie. A value that is not a b64token is
//     ErrInvalidRequest.
//   - A Bearer header and a cookie together: ErrInvalidRequest (RFC 6750 §2:
//     one method only).
//   - Neither: ErrMissingToken, or (nil, nil) when optional is set.
//   - Otherwise the token goes to Verify, whose error is returned as it is.
//
// Nothing keeps authorization or cookie after the call (the verified-token
// cache stores a copy of the token of its own, and claims and errors never
// share its bytes), so a caller whose strings alias a buffer that is reused
// after the call (fasthttp) need not copy them, as long as the buffer does not
// change during the call. A nil v refuses every request with an error that
// matches ErrKeysUnavailable (503), never a panic.
func (v *Verifier) Authenticate(ctx context.Context, authorization []string, cookie string, hasCookie, optional bool) (*Claims, error) {
	token, err := bearerToken(authorization) // the b64token check follows
	if hasCookie && cookie == "" {
		hasCookie = false
	}
	switch {
	case err == nil:
		if hasCookie {
			return nil, ErrInvalidRequest
		}
	case !errors.Is(err, ErrMissingToken):
		return nil, err
	case hasCookie:
		token = cookie
	case optional:
		return nil, nil
	default:
		return nil, ErrMissingToken
	}
	// The b64token check reads every byte of the token. The verified-token
	// cache holds exact strings of tokens that passed Verify's stricter
	// charset check, so a hit skips it, and Verify does not look the token
	// up a second time.
	e := v.lookup(token)
	if e == nil && !isB64Token(token) {
		return nil, ErrInvalidRequest
	}
	if v == nil {
		return nil, errNoVerifier
	}
	return v.verifyEntry(ctx, token, e)
}
