package core

import (
	"time"
)

// verifyError is a failure of Verify. It matches its kind (one of the
// sentinels in errors.go, and through it ErrInvalidToken), the golang-jwt
// error of the same meaning (jwt.ErrTokenExpired, jwt.ErrTokenMalformed, …)
// and its cause, if any. Its text is fixed by jwtgate: it never contains token
// bytes or claim values, and the cause's own text is left out for that reason.
type verifyError struct {
	kind   error
	jwtErr error
	msg    string
	cause  error
}

func (e *verifyError) Error() string {
	if e.msg == "" {
		return e.kind.Error()
	}
	return e.kind.Error() + ": " + e.msg
}

// Unwrap returns the kind, the golang-jwt error and the cause.
func (e *verifyError) Unwrap() []error {
	errs := make([]error, 0, 3)
	for _, err := range [...]error{e.kind, e.jwtErr, e.cause} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func tokenErr(kind, jwtErr error, msg string) error {
	return &verifyError{kind: kind, jwtErr: jwtErr, msg: msg}
}

func tokenErrCause(kind, jwtErr error, msg string, cause error) error {
	return &verifyError{kind: kind, jwtErr: jwtErr, msg: msg, cause: cause}
}

// unixUTC converts NumericDate seconds and nanoseconds to a UTC time.
func unixUTC(sec, nsec int64) time.Time {
	return time.Unix(sec, nsec).UTC()
}
