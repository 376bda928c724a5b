package core

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/jwtgate/jwtgate/internal/httpx"
)

// This file maps requests and errors to the wire (RFC 6750). It is the only
// place that decides what a client sees, so that every adapter answers alike.
// The table of answers is in the documentation of Respond.

// RetryAfter is the Retry-After value, in seconds, of 503 answers.
const RetryAfter = "5"

// ContentType is the media type of Response bodies.
const ContentType = "application/json"

// DefaultRealm is the realm used when none is configured.
const DefaultRealm = "api"

// BearerToken extracts the token from all values of the Authorization
// header, per RFC 6750 §2.1 and RFC 9110 §11.6.2. Pass every value the
// request carried (http.Header.Values, not Get), so that a repeated header is
// seen.
//
//   - No value, or only empty values: ErrMissingToken.
//   - More than one (non-empty) value: ErrInvalidRequest, since Authorization
//     is not a list-valued field.
//   - A scheme other than Bearer (Basic, Digest, …): ErrMissingToken, meaning
//     "no Bearer credentials".
//   - "Bearer", matched case-insensitively, then one or more spaces, then a
//     b64token ([A-Za-z0-9-._~+/]+ followed by any number of "="), then
//     nothing: the token.
//   - "Bearer" with no token, a tab or any other separator after the scheme,
//     a character outside b64token, or anything after the token (a second
//     credential, a comma list, inner spaces): ErrInvalidRequest.
//
// Leading and trailing spaces and tabs of the value are ignored: they are not
// part of an HTTP field value (RFC 9110 §5.5) and servers strip them anyway;
// whitespace inside the value is held to the grammar above.
//
// BearerToken does not allocate; the token is a substring of the value.
func BearerToken(authorization []string) (string, error) {
	token, err := bearerToken(authorization)
	if err == nil && !isB64Token(token) {
		return "", ErrInvalidRequest
	}
	return token, err
}

// bearerToken is BearerToken without the b64token check of the token: it
// returns the non-empty rest of the value after "Bearer" and its spaces.
func bearerToken(authorization []string) (string, error) {
	var value string
	n := 0
	for _, v := range authorization {
		if v = trimOWS(v); v != "" {
			value = v
			n++
		}
	}
	switch {
	case n == 0:
		return "", ErrMissingToken
	case len(authorization) > 1:
		return "", ErrInvalidRequest
	}
	const scheme = "Bearer"
	if len(value) < len(scheme) || !equalFoldASCII(value[:len(scheme)], scheme) {
		return "", ErrMissingToken
	}
	if len(value) == len(scheme) {
		return "", ErrInvalidRequest // "Bearer" alone
	}
	if httpx.IsTchar(value[len(scheme)]) {
		return "", ErrMissingToken // a longer scheme name, such as "Bearerx"
	}
	rest := value[len(scheme):]
	i := 0
	for i < len(rest) && rest[i] == ' ' {
		i++
	}
	if i == 0 {
		return "", ErrInvalidRequest // a tab, comma or other separator after the scheme
	}
	return rest[i:], nil
}

// CookieValue returns the value of the cookie name from the values of the
// Cookie header (RFC 6265 §4.2; HTTP/2 may split it into several fields). A
// value in double quotes is returned without them. If the cookie appears more
// than once, the values are returned joined with a comma, which Authenticate
// refuses as ErrInvalidRequest: a second cookie of the same name may have been
// planted by a sibling domain. ok reports whether the cookie was present.
//
// CookieValue does not allocate unless the cookie is repeated. Adapters use it
// instead of their framework's cookie parser, so that all of them read
// cookies alike.
func CookieValue(cookieHeaders []string, name string) (value string, ok bool) {
	if name == "" {
		return "", false
	}
	var joined []string
	for _, h := range cookieHeaders {
		for h != "" {
			var part string
			if i := strings.IndexByte(h, ';'); i >= 0 {
				part, h = h[:i], h[i+1:]
			} else {
				part, h = h, ""
			}
			part = trimOWS(part)
			eq := strings.IndexByte(part, '=')
			if eq < 0 || trimOWS(part[:eq]) != name {
				continue
			}
			v := trimOWS(part[eq+1:])
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if !ok {
				value, ok = v, true
				continue
			}
			if joined == nil {
				joined = []string{value}
			}
			joined = append(joined, v)
		}
	}
	if joined != nil {
		value = strings.Join(joined, ",")
	}
	return value, ok
}

// class is one kind of answer.
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
)

// classify maps err to its class. The order matters: an error that matches
// several sentinels gets the most specific answer, and anything unknown is
// an invalid token (fail closed).
func classify(err error) class {
	switch {
	case err == nil:
		return classGeneric
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

// status returns the HTTP status of c.
func (c class) status() int {
	switch c {
	case classMissing:
		return http.StatusUnauthorized
	case classInvalidRequest:
		return http.StatusBadRequest
	case classScope:
		return http.StatusForbidden
	case classUnavailable, classInterrupted:
		return http.StatusServiceUnavailable
	}
	return http.StatusUnauthorized
}

// code returns the error code of c: the RFC 6750 code where there is one,
// "unauthorized" for missing credentials (RFC 6750 has no code for them) and
// "temporarily_unavailable" (RFC 6749 §4.1.2.1) for 503 answers.
func (c class) code() string {
	switch c {
	case classMissing:
		return "unauthorized"
	case classInvalidRequest:
		return "invalid_request"
	case classScope:
		return "insufficient_scope"
	case classUnavailable, classInterrupted:
		return "temporarily_unavailable"
	}
	return "invalid_token"
}

// description returns the fixed error_description of c. Every description
// stays within %x20-21 / %x23-5B / %x5D-7E (RFC 6750 §3) and says nothing
// about the token's content.
func (c class) description() string {
	switch c {
	case classMissing:
		return "a bearer token is required"
	case classInvalidRequest:
		return "the bearer credentials are malformed or sent more than once"
	case classExpired:
		return "the token has expired"
	case classNotYetValid:
		return "the token is not valid yet"
	case classSignature:
		return "the token signature is invalid"
	case classUnknownKey:
		return "the token signing key is unknown"
	case classIssuer:
		return "the token issuer is not accepted"
	case classAudience:
		return "the token audience is not accepted"
	case classTokenUse:
		return "the token use is not accepted"
	case classScope:
		return "the token does not grant access to this resource"
	case classUnavailable:
		return "the signing keys are unavailable, retry later"
	case classInterrupted:
		return "the token could not be verified in time, retry later"
	}
	return "the token is invalid"
}

// challengeTail returns what follows the realm in the challenge of c, or ok
// false when c has no WWW-Authenticate header.
func (c class) challengeTail() (tail string, ok bool) {
	switch c {
	case classMissing:
		return "", true
	case classInvalidRequest:
		return `, error="invalid_request"`, true
	case classScope:
		return `, error="insufficient_scope"`, true
	case classUnavailable, classInterrupted:
		return "", false
	}
	return `, error="invalid_token", error_description="` + c.description() + `"`, true
}

// defaultChallenge returns the challenge of c for the default realm, as a
// constant, so that the common case does not allocate.
func (c class) defaultChallenge() string {
	switch c {
	case classMissing:
		return `Bearer realm="api"`
	case classInvalidRequest:
		return `Bearer realm="api", error="invalid_request"`
	case classScope:
		return `Bearer realm="api", error="insufficient_scope"`
	case classUnavailable, classInterrupted:
		return ""
	case classExpired:
		return `Bearer realm="api", error="invalid_token", error_description="the token has expired"`
	case classNotYetValid:
		return `Bearer realm="api", error="invalid_token", error_description="the token is not valid yet"`
	case classSignature:
		return `Bearer realm="api", error="invalid_token", error_description="the token signature is invalid"`
	case classUnknownKey:
		return `Bearer realm="api", error="invalid_token", error_description="the token signing key is unknown"`
	case classIssuer:
		return `Bearer realm="api", error="invalid_token", error_description="the token issuer is not accepted"`
	case classAudience:
		return `Bearer realm="api", error="invalid_token", error_description="the token audience is not accepted"`
	case classTokenUse:
		return `Bearer realm="api", error="invalid_token", error_description="the token use is not accepted"`
	}
	return `Bearer realm="api", error="invalid_token", error_description="the token is invalid"`
}

// body returns the JSON body of c, as a constant (the same text as
// `{"error":"` + c.code() + `","error_description":"` + c.description() + `"}`,
// which a test checks).
func (c class) body() string {
	switch c {
	case classMissing:
		return `{"error":"unauthorized","error_description":"a bearer token is required"}`
	case classInvalidRequest:
		return `{"error":"invalid_request","error_description":"the bearer credentials are malformed or sent more than once"}`
	case classExpired:
		return `{"error":"invalid_token","error_description":"the token has expired"}`
	case classNotYetValid:
		return `{"error":"invalid_token","error_description":"the token is not valid yet"}`
	case classSignature:
		return `{"error":"invalid_token","error_description":"the token signature is invalid"}`
	case classUnknownKey:
		return `{"error":"invalid_token","error_description":"the token signing key is unknown"}`
	case classIssuer:
		return `{"error":"invalid_token","error_description":"the token issuer is not accepted"}`
	case classAudience:
		return `{"error":"invalid_token","error_description":"the token audience is not accepted"}`
	case classTokenUse:
		return `{"error":"invalid_token","error_description":"the token use is not accepted"}`
	case classScope:
		return `{"error":"insufficient_scope","error_description":"the token does not grant access to this resource"}`
	case classUnavailable:
		return `{"error":"temporarily_unavailable","error_description":"the signing keys are unavailable, retry later"}`
	case classInterrupted:
		return `{"error":"temporarily_unavailable","error_description":"the token could not be verified in time, retry later"}`
	}
	return `{"error":"invalid_token","error_description":"the token is invalid"}`
}

// Challenge maps err to the HTTP status and WWW-Authenticate value (RFC 6750
// §3). realm "" means "api". An empty wwwAuthenticate means no header.
//
//   - ErrMissingToken: 401, Bearer realm="api" (no error attribute).
//   - ErrInvalidRequest: 400, error="invalid_request".
//   - ErrInvalidToken and every narrower token error: 401,
//     error="invalid_token" and a fixed error_description per kind (expired,
//     not valid yet, signature, unknown key, issuer, audience, token use, or
//     "the token is invalid").
//   - ErrInsufficientScope: 403, error="insufficient_scope", with a scope
//     attribute listing the scopes of a *ScopeError in the chain; without
//     one (a groups or token-use policy, or a policy of your own) there is
//     no scope attribute.
//   - ErrKeysUnavailable, context.Canceled and context.DeadlineExceeded: 503
//     and no WWW-Authenticate (the client is not at fault; see Respond for
//     Retry-After). A cancelled request usually has no client left to read
//     the answer; a deadline that expired while keys were fetched is a
//     server-side outage.
//   - Any other error, and nil: 401 invalid_token, "the token is invalid"
//     (fail closed).
//
// The realm is configuration, not client input, but it is still reduced to
// the characters a quoted-string may carry without escapes
// (%x20-21 / %x23-5B / %x5D-7E); if nothing is left, "api" is used. Scope
// names with characters outside RFC 6749 §3.3's scope-token are left out of
// the scope attribute. No part of the token ever reaches the answer.
func Challenge(err error, realm string) (status int, wwwAuthenticate string) {
	c := classify(err)
	return c.status(), challenge(c, err, realm)
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
		return c.defaultChallenge()
	}
	tail, ok := c.challengeTail()
	if !ok {
		return ""
	}
	s := `Bearer realm="` + realm + `"` + tail
	if scope != "" {
		s += `, scope="` + scope + `"`
	}
	return s
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

// Respond maps err to the Response an adapter writes. realm "" means "api".
// Status and WWW-Authenticate are those of Challenge; 503 answers carry
// Retry-After (RetryAfter seconds). The body is
// {"error":"<code>","error_description":"<description>"} where code is
// "unauthorized" (no credentials), "invalid_request", "invalid_token",
// "insufficient_scope" or "temporarily_unavailable", and the description is
// the same fixed text as in the challenge (see the table below). Respond allocates only the body, and the challenge when
// the realm is not the default one or a scope attribute is present.
//
// The answers, for the default realm "api" (Content-Type application/json
// in every case):
//
//	error                         status  WWW-Authenticate                                                     body "error"
//	ErrMissingToken               401     Bearer realm="api"                                                   unauthorized
//	ErrInvalidRequest             400     Bearer realm="api", error="invalid_request"                          invalid_request
//	ErrInvalidToken (any kind)    401     Bearer realm="api", error="invalid_token", error_description="…"     invalid_token
//	ErrInsufficientScope          403     Bearer realm="api", error="insufficient_scope"[, scope="a b"]        insufficient_scope
//	ErrKeysUnavailable            503     (none), Retry-After: 5                                               temporarily_unavailable
//	context.Canceled/DeadlineExc. 503     (none), Retry-After: 5                                               temporarily_unavailable
//	anything else                 401     as ErrInvalidToken with "the token is invalid"                       invalid_token
//
// The descriptions (body error_description, and the challenge's for
// invalid_token): "a bearer token is required"; "the bearer credentials are
// malformed or sent more than once"; "the token has expired"; "the token is
// not valid yet"; "the token signature is invalid"; "the token signing key
// is unknown"; "the token issuer is not accepted"; "the token audience is
// not accepted"; "the token use is not accepted"; "the token is invalid";
// "the token does not grant access to this resource"; "the signing keys are
// unavailable, retry later"; "the token could not be verified in time,
// retry later".
func Respond(err error, realm string) Response {
	c := classify(err)
	r := Response{
		Status:          c.status(),
		WWWAuthenticate: challenge(c, err, realm),
		Body:            []byte(c.body()),
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

// isB64Token reports whether s is an RFC 6750 b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
// It checks eight bytes at a time while it can: this check runs on every
// request, cache hit or not, over a token of a kilobyte or more.
func isB64Token(s string) bool {
	// Whole words first, without branches: bad collects the high bit of
	// every byte that is not one of the characters below. A byte
	// of 0x80 or more sets it through w itself; carries it may cause in the
	// sums can only set more bits.
	n := len(s) &^ 7
	var bad uint64
	for i := 0; i < n; i += 8 {
		w := load64(s, i)
		// Letters (w|0x20 folds A-Z onto a-z and nothing else onto it),
		// "-", ".", "/", digits, and "_": the characters of a JWT. A "+",
		// "~" or padding sends the token to the byte loop.
		in := inRange(w|ones*0x20, 'a', 'z') | inRange(w, '-', '9') | bytesEqual(w, '_')
		bad |= w | ^in
	}
	i := 0
	if bad&highs == 0 {
		i = n
	}
	// Then byte by byte: the tail, the padding, or everything when a word
	// held padding or a bad byte.
	for i < len(s) && isB64Char(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// inRange and bytesEqual compare the eight bytes of a word at once. When
// every byte is below 0x80, adding a constant below 0x80 to each byte cannot
// carry into the next, so the high bit of each byte of a sum answers the
// comparison for that byte.

// inRange sets the high bit of each byte of w (all below 0x80) that lies in
// [lo, hi].
func inRange(w uint64, lo, hi byte) uint64 {
	return (w + ones*uint64(128-lo)) &^ (w + ones*uint64(127-hi)) & highs
}

// bytesEqual sets the high bit of each byte of w (all below 0x80) equal to v.
func bytesEqual(w uint64, v byte) uint64 {
	return ^((w ^ ones*uint64(v)) + ones*0x7f) & highs
}

// load64 returns s[i:i+8] as a little-endian word.
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// b64Lo and b64Hi are the b64token characters (other than "=") as bit
// sets over the bytes 0-63 and 64-127.
const (
	b64Lo uint64 = 1<<'+' | 1<<'-' | 1<<'.' | 1<<'/' | (1<<10-1)<<'0'
	b64Hi uint64 = (1<<26-1)<<('A'-64) | 1<<('_'-64) | (1<<26-1)<<('a'-64) | 1<<('~'-64)
)

// isB64Char reports whether c is ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/".
func isB64Char(c byte) bool {
	if c < 64 {
		return b64Lo>>c&1 != 0
	}
	return c < 128 && b64Hi>>(c-64)&1 != 0
}

// trimOWS removes leading and trailing spaces and tabs.
func trimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// equalFoldASCII reports whether s equals t (ASCII letters only) ignoring case.
func equalFoldASCII(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		a, b := s[i], t[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}
