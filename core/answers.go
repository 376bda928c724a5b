package core

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// This file maps errors to the wire (RFC 6750 §3). It is the only place
// that decides what a client sees, so that every adapter answers alike. The
// answers are one table, answers below; Respond documents it.

// RetryAfter is the Retry-After value, in seconds, of 503 answers.
const RetryAfter = "5"

// ContentType is the media type of Response bodies.
const ContentType = "application/json"

// DefaultRealm is the realm used when none is configured.
const DefaultRealm = "api"

// class is one kind of answer, an index into answers.
type class uint8

const (
	classGeneric class = iota // invalid_token, generic description
	classMissing
	classInvalidRequest
	classExpired
	classNotYetValid
	classSignature
	classUnknownKey
	classIssuer
	classAudience
	classTokenUse
	classScope
	classUnavailable
	classInterrupted
	classMisconfigured
	numClasses
)

// challengeKind is what the WWW-Authenticate header of an answer carries.
type challengeKind uint8

const (
	noChallenge             challengeKind = iota // no header (503, 500: the client is not at fault)
	realmOnly                                    // Bearer realm="…"
	withError                                    // …, error="<code>"
	withErrorAndDescription                      // …, error="<code>", error_description="<description>"
)

// answer is one row of the table of answers.
type answer struct {
	status      int
	code        string // the body's "error", and the challenge's error attribute
	description string // the body's "error_description", a fixed text
	challenge   challengeKind

	// Derived from the fields above by answerTable, so that the common case
	// (default realm, no scope) does not allocate.
	defaultChallenge string // the WWW-Authenticate value for realm "api"
	body             string // {"error":"<code>","error_description":"<description>"}
}

// answers is the table of answers, one row per class. Codes are RFC 6750's
// where there is one, "unauthorized" for missing credentials (RFC 6750 has
// no code for them), "temporarily_unavailable" (RFC 6749 §4.1.2.1) for
// 503 answers and "server_error" (same section) for 500 answers. Every description stays within %x20-21 / %x23-5B / %x5D-7E
// (RFC 6750 §3) and says nothing about the token's content.
var answers = answerTable([numClasses]answer{
	classGeneric:        {http.StatusUnauthorized, "invalid_token", "the token is invalid", withErrorAndDescription, "", ""},
	classMissing:        {http.StatusUnauthorized, "unauthorized", "a bearer token is required", realmOnly, "", ""},
	classInvalidRequest: {http.StatusBadRequest, "invalid_request", "the bearer credentials are malformed or sent more than once", withError, "", ""},
	classExpired:        {http.StatusUnauthorized, "invalid_token", "the token has expired", withErrorAndDescription, "", ""},
	classNotYetValid:    {http.StatusUnauthorized, "invalid_token", "the token is not valid yet", withErrorAndDescription, "", ""},
	classSignature:      {http.StatusUnauthorized, "invalid_token", "the token signature is invalid", withErrorAndDescription, "", ""},
	classUnknownKey:     {http.StatusUnauthorized, "invalid_token", "the token signing key is unknown", withErrorAndDescription, "", ""},
	classIssuer:         {http.StatusUnauthorized, "invalid_token", "the token issuer is not accepted", withErrorAndDescription, "", ""},
	classAudience:       {http.StatusUnauthorized, "invalid_token", "the token audience is not accepted", withErrorAndDescription, "", ""},
	classTokenUse:       {http.StatusUnauthorized, "invalid_token", "the token use is not accepted", withErrorAndDescription, "", ""},
	classScope:          {http.StatusForbidden, "insufficient_scope", "the token does not grant access to this resource", withError, "", ""},
	classUnavailable:    {http.StatusServiceUnavailable, "temporarily_unavailable", "the signing keys are unavailable, retry later", noChallenge, "", ""},
	classInterrupted:    {http.StatusServiceUnavailable, "temporarily_unavailable", "the token could not be verified in time, retry later", noChallenge, "", ""},
	classMisconfigured:  {http.StatusInternalServerError, "server_error", "internal server error", noChallenge, "", ""},
})

// answerTable fills the derived fields of every row.
func answerTable(t [numClasses]answer) [numClasses]answer {
	for i := range t {
		a := &t[i]
		a.body = `{"error":"` + a.code + `","error_description":"` + a.description + `"}`
		a.defaultChallenge = a.challengeFor(DefaultRealm, "")
	}
	return t
}

// challengeFor builds the WWW-Authenticate value of a for a sanitized realm
// and scope attribute ("" for none), or "" when a has no challenge.
func (a *answer) challengeFor(realm, scope string) string {
	s := `Bearer realm="` + realm + `"`
	switch a.challenge {
	case noChallenge:
		return ""
	case withError:
		s += `, error="` + a.code + `"`
	case withErrorAndDescription:
		s += `, error="` + a.code + `", error_description="` + a.description + `"`
	}
	if scope != "" {
		s += `, scope="` + scope + `"`
	}
	return s
}

// classify maps err to its class. The order matters: an error that matches
// several sentinels gets the most specific answer, and anything unknown is
// an invalid token (fail closed).
func classify(err error) class {
	switch {
	case err == nil:
		return classGeneric
	case errors.Is(err, ErrMiddlewareMissing):
		return classMisconfigured
	case errors.Is(err, ErrInvalidRequest):
		return classInvalidRequest
	case errors.Is(err, ErrMissingToken):
		return classMissing
	case errors.Is(err, ErrInsufficientScope):
		return classScope
	case errors.Is(err, ErrKeysUnavailable):
		return classUnavailable
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return classInterrupted
	case errors.Is(err, ErrTokenExpired):
		return classExpired
	case errors.Is(err, ErrTokenNotYetValid):
		return classNotYetValid
	case errors.Is(err, ErrInvalidSignature):
		return classSignature
	case errors.Is(err, ErrUnknownKey):
		return classUnknownKey
	case errors.Is(err, ErrInvalidIssuer):
		return classIssuer
	case errors.Is(err, ErrInvalidAudience):
		return classAudience
	case errors.Is(err, ErrInvalidTokenUse):
		return classTokenUse
	}
	return classGeneric
}

// Challenge maps err to the HTTP status and WWW-Authenticate value of
// Respond's answer (see Respond for the table). realm "" means "api"; an
// empty wwwAuthenticate means no header.
func Challenge(err error, realm string) (status int, wwwAuthenticate string) {
	c := classify(err)
	return answers[c].status, challenge(c, err, realm)
}

// challenge builds the WWW-Authenticate value of c.
func challenge(c class, err error, realm string) string {
	scope := ""
	if c == classScope {
		var se *ScopeError
		if errors.As(err, &se) {
			scope = scopeAttr(se.Scopes)
		}
	}
	realm = sanitizeRealm(realm)
	if realm == DefaultRealm && scope == "" {
		return answers[c].defaultChallenge
	}
	return answers[c].challengeFor(realm, scope)
}

// Response is the complete answer to a refused request. Every adapter writes
// it as it is, so that all frameworks answer byte for byte alike: the status,
// WWW-Authenticate and Retry-After when not empty, Content-Type ContentType,
// and Body.
type Response struct {
	Status          int
	WWWAuthenticate string // "" means no WWW-Authenticate header
	RetryAfter      string // "" means no Retry-After header
	Body            []byte // {"error":"…","error_description":"…"}, Content-Type ContentType
}

// Respond maps err to the Response an adapter writes (RFC 6750 §3). realm ""
// means "api". The answers, for the default realm (Content-Type
// application/json in every case; the body is
// {"error":"<error>","error_description":"<description>"}):
//
//	err                                        status  WWW-Authenticate                                           error
//	ErrMissingToken                            401     Bearer realm="api"                                         unauthorized
//	ErrInvalidRequest                          400     Bearer realm="api", error="invalid_request"                invalid_request
//	ErrInvalidToken and every narrower kind    401     Bearer realm="api", error="invalid_token",                 invalid_token
//	                                                   error_description="<description>"
//	ErrInsufficientScope                       403     Bearer realm="api", error="insufficient_scope"[, scope=…]  insufficient_scope
//	ErrKeysUnavailable                         503     none; Retry-After: 5                                       temporarily_unavailable
//	context.Canceled, context.DeadlineExceeded 503     none; Retry-After: 5                                       temporarily_unavailable
//	ErrMiddlewareMissing                       500     none                                                       server_error
//	anything else, and nil                     401     as ErrInvalidToken, "the token is invalid" (fail closed)   invalid_token
//
// The descriptions, a fixed vocabulary: "a bearer token is required"; "the
// bearer credentials are malformed or sent more than once"; for token
// failures "the token has expired", "the token is not valid yet", "the token
// signature is invalid", "the token signing key is unknown", "the token
// issuer is not accepted", "the token audience is not accepted", "the token
// use is not accepted" or "the token is invalid"; "the token does not grant
// access to this resource"; "the signing keys are unavailable, retry later";
// "the token could not be verified in time, retry later"; "internal server
// error" (a Require without the authentication middleware in front of it: a
// fault of the server's configuration, so nothing about it reaches the
// client). A cancelled
// request usually has no client left to read the answer; a deadline that
// expired while keys were fetched is a server-side outage, hence 503.
//
// The scope attribute lists the scopes of a *ScopeError in the chain, leaving
// out names with characters outside RFC 6749 §3.3's scope-token; without one
// (a groups or token-use policy, or a policy of your own) there is none. The
// realm is configuration, not client input, but it is still reduced to the
// characters a quoted-string may carry without escapes (%x20-21 / %x23-5B /
// %x5D-7E); if nothing is left, "api" is used. No part of the token or of
// err's text ever reaches the answer.
//
// Respond allocates only the body, and the challenge when the realm is not
// the default one or a scope attribute is present.
func Respond(err error, realm string) Response {
	c := classify(err)
	a := &answers[c]
	r := Response{
		Status:          a.status,
		WWWAuthenticate: challenge(c, err, realm),
		Body:            []byte(a.body),
	}
	if r.Status == http.StatusServiceUnavailable {
		r.RetryAfter = RetryAfter
	}
	return r
}

// sanitizeRealm keeps the characters of realm a quoted-string may carry
// without escapes, and gives "api" for an empty result.
func sanitizeRealm(realm string) string {
	if realm == "" || realm == DefaultRealm {
		return DefaultRealm
	}
	clean := true
	for i := 0; i < len(realm); i++ {
		if !isQdtextSafe(realm[i]) {
			clean = false
			break
		}
	}
	if clean {
		return realm
	}
	b := make([]byte, 0, len(realm))
	for i := 0; i < len(realm); i++ {
		if isQdtextSafe(realm[i]) {
			b = append(b, realm[i])
		}
	}
	if len(b) == 0 {
		return DefaultRealm
	}
	return string(b)
}

// scopeAttr joins the valid scope-tokens of scopes with single spaces.
func scopeAttr(scopes []string) string {
	var b strings.Builder
	for _, s := range scopes {
		if !isScopeToken(s) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}

// isQdtextSafe reports whether c is in %x20-21 / %x23-5B / %x5D-7E.
func isQdtextSafe(c byte) bool {
	return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'
}

// isScopeToken reports whether s is a non-empty RFC 6749 scope-token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' || !isQdtextSafe(c) {
			return false
		}
	}
	return true
}
