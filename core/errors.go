package core

import "errors"

// tokenError is a token failure: it matches ErrInvalidToken as well as itself.
type tokenError struct{ msg string }

func (e *tokenError) Error() string { return e.msg }

// Is reports whether target is ErrInvalidToken, so every token failure matches it.
func (e *tokenError) Is(target error) bool { return target == ErrInvalidToken }

var (
	// ErrMissingToken means the request carried no Bearer credentials: no
	// Authorization header (and no configured cookie), or another scheme.
	// It maps to 401 with a challenge that has no error attribute.
	ErrMissingToken = errors.New("jwtgate: no bearer token")

	// ErrInvalidRequest means the request was malformed: a bad Authorization
	// header, two Authorization headers, or a token in two places. It maps to
	// 400 invalid_request.
	ErrInvalidRequest = errors.New("jwtgate: malformed request")

	// ErrInvalidToken matches every token failure. Alone it means the token is
	// malformed or violates a rule that has no narrower error. It maps to 401
	// invalid_token.
	ErrInvalidToken = errors.New("jwtgate: invalid token")

	// ErrTokenExpired means the token's exp has passed.
	ErrTokenExpired error = &tokenError{"jwtgate: token has expired"}

	// ErrTokenNotYetValid means the token's nbf (or iat) lies in the future.
	ErrTokenNotYetValid error = &tokenError{"jwtgate: token is not valid yet"}

	// ErrInvalidSignature means the signature did not verify with the issuer's key.
	ErrInvalidSignature error = &tokenError{"jwtgate: token signature is invalid"}

	// ErrUnknownKey means no usable key of the token's issuer matches its kid.
	ErrUnknownKey error = &tokenError{"jwtgate: token signing key is unknown"}

	// ErrInvalidIssuer means the token's iss is missing or not a configured issuer.
	ErrInvalidIssuer error = &tokenError{"jwtgate: token issuer is not accepted"}

	// ErrInvalidAudience means neither aud nor (for access tokens) client_id
	// matched a configured audience.
	ErrInvalidAudience error = &tokenError{"jwtgate: token audience is not accepted"}

	// ErrInvalidTokenUse means the token_use claim is missing, unknown, or not
	// the one required.
	ErrInvalidTokenUse error = &tokenError{"jwtgate: token use is not accepted"}

	// ErrInsufficientScope means the token is valid but a policy refused it. It
	// maps to 403 insufficient_scope. It does not match ErrInvalidToken.
	ErrInsufficientScope = errors.New("jwtgate: insufficient scope")

	// ErrKeysUnavailable means no key set could ever be loaded for the token's
	// issuer. It maps to 503 with Retry-After. It does not match ErrInvalidToken.
	ErrKeysUnavailable = errors.New("jwtgate: signing keys are unavailable")

	// ErrMiddlewareMissing means a Require middleware ran on a request that
	// no authentication middleware (an adapter's New) had handled: a
	// misconfigured route, not a client error. It maps to 500 with a generic
	// body and no challenge. It does not match ErrInvalidToken.
	ErrMiddlewareMissing = errors.New("jwtgate: Require without the authentication middleware in front of it")
)

// verifyError is a failure of Verify. It matches its kind (one of the
// sentinels in errors.go, and through it ErrInvalidToken), the golang-jwt
// error of the same meaning (jwt.ErrTokenExpired, jwt.ErrTokenMalformed, …)
// and its cause, if any. Its text is fixed by jwtgate: it never contains token
// bytes or claim values, and the cause's own text is left out for that reason.
type verifyError struct {
	msg string
	// errs holds the kind, then the golang-jwt error and the cause when
	// set; Unwrap hands out errs[:n] without allocating, since classifying a
	// refusal asks errors.Is about a dozen times.
	errs [3]error
	n    int
}

func (e *verifyError) Error() string {
	if e.msg == "" {
		return e.errs[0].Error()
	}
	return e.errs[0].Error() + ": " + e.msg
}

// Unwrap returns the kind, the golang-jwt error and the cause.
func (e *verifyError) Unwrap() []error { return e.errs[:e.n:e.n] }

func tokenErr(kind, jwtErr error, msg string) error {
	return tokenErrCause(kind, jwtErr, msg, nil)
}

// tokenErrCause returns a verifyError of kind; jwtErr and cause may be nil.
func tokenErrCause(kind, jwtErr error, msg string, cause error) error {
	e := &verifyError{msg: msg}
	for _, err := range [...]error{kind, jwtErr, cause} {
		if err != nil {
			e.errs[e.n] = err
			e.n++
		}
	}
	return e
}
