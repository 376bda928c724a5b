package refresh

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	// ErrReauthenticate means the refresh token is expired, revoked or
	// reused (OAuth 2.0 invalid_grant, Cognito NotAuthorizedException and
	// its kin), or that there are no tokens at all: the user must sign in
	// again. A Source that met it clears its tokens and returns it to every
	// caller, without contacting the token endpoint, until SetTokens is called.
	ErrReauthenticate = errors.New("refresh: sign-in required: the refresh token is expired, revoked or reused")

	// ErrReauthenticationRequired is ErrReauthenticate under the longer name
	// some documents use: the same value, so either matches with errors.Is.
	ErrReauthenticationRequired = ErrReauthenticate

	// ErrNoToken means the Source has no tokens yet: none were given to
	// NewSource, the Store holds none, and SetTokens was not called. It is
	// what a first run meets before the user signs in. Errors that match it
	// also match ErrReauthenticate, so code that signs in again on
	// ErrReauthenticate handles the first run too.
	ErrNoToken = errors.New("refresh: no tokens yet: sign in first")

	// ErrMisconfigured means the token endpoint rejected the client itself
	// (invalid_client, unauthorized_client, invalid_scope, an unknown client
	// id, a bad SECRET_HASH, a redirect) or the exchanger or the Source is
	// set up wrongly (no exchanger, a WithHosts entry that is not a host).
	// Retrying cannot help: a Source that met it keeps its tokens but returns
	// the error to every caller until SetTokens is called.
	ErrMisconfigured = errors.New("refresh: the token endpoint rejected the client configuration")

	// ErrUnavailable means the token endpoint could not be reached or asked
	// the client to come back later (5xx, 429, timeouts, connection errors).
	// A Source retries it a bounded number of times, then fails fast until a
	// backoff (or the server's Retry-After) has passed. Tokens are kept.
	ErrUnavailable = errors.New("refresh: the token endpoint is unavailable")

	// ErrInvalidResponse means the token endpoint answered 200 with something
	// that is not a usable token response: no access_token, a token_type
	// other than Bearer, a body over 1 MiB, or a wrong content type. It is
	// not retried at once (the server may have rotated the refresh token
	// already); tokens are kept and the Source backs off.
	ErrInvalidResponse = errors.New("refresh: invalid token response")

	// ErrClosed means the Source was closed (Close, or the context given to
	// WithContext ended). Errors that match it also match context.Canceled.
	ErrClosed = errors.New("refresh: source closed")
)

// errClosed is what a closed Source returns: it matches ErrClosed and
// context.Canceled.
var errClosed = fmt.Errorf("%w: %w", ErrClosed, context.Canceled)

// errNoTokens is returned by a Source that has no tokens: it matches
// ErrNoToken and ErrReauthenticate, and reads as ErrNoToken.
var errNoTokens error = noTokenError{}

type noTokenError struct{}

func (noTokenError) Error() string   { return ErrNoToken.Error() }
func (noTokenError) Unwrap() []error { return []error{ErrNoToken, ErrReauthenticate} }

// errNoRefreshToken is returned when the tokens hold no refresh token.
var errNoRefreshToken = fmt.Errorf("%w (no refresh token)", ErrReauthenticate)

// ExchangeError is a classified failure of one exchange. The exchangers of
// this package return it for every failure; a custom Exchanger may return it
// to tell a Source how to treat an error (an unclassified error is treated
// as ErrUnavailable).
//
// Error never includes a token, a client secret, the response body or the
// server's error description: Description holds the latter for callers that
// choose to show it.
type ExchangeError struct {
	// Kind is ErrReauthenticate, ErrMisconfigured, ErrUnavailable or
	// ErrInvalidResponse. If nil, ErrUnavailable is assumed.
	Kind error
	// Code is the OAuth 2.0 "error" value or the Cognito exception name.
	Code string
	// StatusCode is the HTTP status of the answer, 0 if there was none.
	StatusCode int
	// RetryAfter is the server's Retry-After, 0 if it sent none.
	RetryAfter time.Duration
	// Description is the server's error_description or exception message,
	// unredacted: it is kept out of Error on purpose.
	Description string
	// Err is the underlying cause, if any; it never carries a token.
	Err error
}

func (e *ExchangeError) kind() error {
	if e.Kind == nil {
		return ErrUnavailable
	}
	return e.Kind
}

// Error describes the failure without any token, secret or body text.
func (e *ExchangeError) Error() string {
	var b strings.Builder
	b.WriteString(e.kind().Error())
	var parts []string
	if e.StatusCode != 0 {
		parts = append(parts, "HTTP "+strconv.Itoa(e.StatusCode))
	}
	if e.Code != "" {
		parts = append(parts, "code "+printableCode(e.Code))
	}
	if e.RetryAfter > 0 {
		parts = append(parts, "retry after "+e.RetryAfter.String())
	}
	if len(parts) > 0 {
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// GoString is Error, so that %#v does not print Description either.
func (e *ExchangeError) GoString() string {
	return "&refresh.ExchangeError{" + strconv.Quote(e.Error()) + "}"
}

// Unwrap returns Kind and Err, so errors.Is matches both.
func (e *ExchangeError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.kind()}
	}
	return []error{e.kind(), e.Err}
}

// sanitizeCode keeps an error code printable and short: codes come from the
// server and are only ever a short identifier.
func sanitizeCode(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' || r == '#' || r == ':' || r == '/' || r == '+' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '?'
	}, s)
}

// printableCode quotes a server-supplied error code only when it has the
// shape of one (an RFC 6749 code, a Cognito exception name or
// cognito-local's "Unsupported"), so that a server echoing a token in its
// "error" field cannot get it into Error.
func printableCode(c string) string {
	if codeRE.MatchString(c) {
		return strconv.Quote(c)
	}
	return "(unrecognised)"
}

var codeRE = regexp.MustCompile(`^(?:[a-z_]{1,40}|[A-Z][A-Za-z]{0,60}Exception|Unsupported)$`)

// scrub replaces each secret that occurs in s.
func scrub(s string, secrets ...string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "<redacted>")
		}
	}
	if len(s) > 512 {
		s = s[:512]
	}
	return s
}

// errKind is the class of an exchange failure, as a Source acts on it.
type errKind int

const (
	kindUnavailable errKind = iota
	kindReauth
	kindConfig
	kindInvalid
	kindClosed
)

func classify(err error) errKind {
	switch {
	case errors.Is(err, ErrClosed):
		return kindClosed
	case errors.Is(err, ErrReauthenticate):
		return kindReauth
	case errors.Is(err, ErrMisconfigured):
		return kindConfig
	case errors.Is(err, ErrInvalidResponse):
		return kindInvalid
	default:
		return kindUnavailable
	}
}

// retryAfterOf returns the Retry-After carried by err, if any.
func retryAfterOf(err error) time.Duration {
	var xe *ExchangeError
	if errors.As(err, &xe) {
		return xe.RetryAfter
	}
	return 0
}

// maxRetryAfter bounds a server's Retry-After as exchangers read it; the
// Source bounds it further (WithBackoff).
const maxRetryAfter = 24 * time.Hour
