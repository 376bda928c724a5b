package core

// This file reads a request's credentials: the Bearer token of the
// Authorization header (RFC 6750 §2.1), a cookie, and the b64token check
// every token goes through before it is verified.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jwtgate/jwtgate/internal/httpx"
)

// errNoVerifier is returned by Authenticate on a nil *Verifier: the
// middleware was built without a verifier, so nothing can be accepted.
var errNoVerifier = fmt.Errorf("%w: no verifier configured", ErrKeysUnavailable)

// Authenticate is what every adapter calls for a request: it picks the token
// from the values of the Authorization header or from the value of the
// configured cookie, and verifies it. It is AuthenticateCredentials with
// those two sources only.
//
//   - authorization is every value of the Authorization header; BearerToken
//     decides (two headers or a malformed one: ErrInvalidRequest; another
//     scheme: no credentials).
//   - cookie is the cookie's value as CookieValue returns it (a repeated
//     cookie arrives joined with a comma and is refused); "" means no
//     cookie. A value that is not a b64token is ErrInvalidRequest.
//   - A Bearer header and a cookie together: ErrInvalidRequest (RFC 6750 §2:
//     one method only).
//   - Neither: ErrMissingToken. An adapter whose credentials are optional
//     lets such a request through without claims; an invalid token is still
//     refused.
//   - Otherwise the token goes to Verify, whose error is returned as it is.
//
// Nothing keeps authorization or cookie after the call (the verified-token
// cache stores a copy of the token of its own, and claims and errors never
// share its bytes), so a caller whose strings alias a buffer that is reused
// after the call (fasthttp) need not copy them, as long as the buffer does not
// change during the call. A nil v refuses every request with an error that
// matches ErrKeysUnavailable (503), never a panic.
func (v *Verifier) Authenticate(ctx context.Context, authorization []string, cookie string) (*Claims, error) {
	return v.AuthenticateCredentials(ctx, Credentials{Authorization: authorization, Cookie: cookie})
}

// Credentials are the parts of a request a token may come from, as an
// adapter read them, and the rules to read them by. The adapters fill the
// parts their options configure (WithCookie, WithQueryToken, WithBareToken);
// the zero value of each part means "not configured" or "absent".
type Credentials struct {
	// Authorization is every value of the Authorization header.
	Authorization []string

	// Cookie is the configured cookie's value as CookieValue returns it; ""
	// means no cookie.
	Cookie string

	// Query is every value of the configured query parameter, decoded; nil
	// means the parameter is absent (or not configured). Tokens in URLs leak
	// into access logs, proxies, browser history and Referer headers (RFC
	// 6750 §2.3, §5.3): read them only where a client cannot send a header,
	// such as the browser WebSocket API, with short-lived tokens.
	Query []string

	// BareToken also accepts an Authorization value that is a token alone,
	// without the "Bearer" scheme, as API Gateway's authorizers do. Only a
	// value with the shape of a JWS (three non-empty base64url segments
	// joined by dots) is taken as a token; anything else (another scheme
	// alone, such as "Basic", or with its credentials) is still no
	// credentials.
	BareToken bool

	// Optional lets a request without credentials through: instead of
	// ErrMissingToken, the call returns no claims and no error (and
	// AuthenticateContext a context marked with Handled). It is still
	// reported to Config.OnResult as ClassMissing. A malformed request or an
	// invalid token is refused as without it. The adapters'
	// WithCredentialsOptional sets it.
	Optional bool

	// Middleware is the calling middleware's own value, such as an
	// adapter's configuration: the context AuthenticateContext returns with
	// claims carries it for HandledBy (a Require further on answers with
	// it). AuthenticateCredentials ignores it; nil is fine.
	Middleware any
}

// AuthenticateCredentials picks the token of cr and verifies it, as
// Authenticate does, with two more sources:
//
//   - With BareToken, an Authorization value that is not Bearer credentials
//     and has the shape of a JWS (three non-empty base64url segments joined
//     by dots) is taken as the token; any other value is no credentials.
//   - A Query value is a token. Two values of the parameter, or an empty
//     one, are ErrInvalidRequest.
//   - A token in more than one place (header, cookie, query) is
//     ErrInvalidRequest (RFC 6750 §2: one method only).
//
// Every token, whatever its source, must be a b64token.
func (v *Verifier) AuthenticateCredentials(ctx context.Context, cr Credentials) (*Claims, error) {
	_, c, err := v.authenticate(ctx, &cr, false)
	return c, err
}

// AuthenticateContext is AuthenticateCredentials for a middleware that
// hands the claims on in a context: on success it also returns ctx carrying
// the claims, as NewContext(ctx, claims) would, so that FromContext finds
// them, and the mark that an authentication middleware handled the request
// (HandledBy, with cr.Middleware), which a Requirement looks for.
//
// The claims it returns are shared, not the caller's own: on a cache hit,
// every request with the same token gets the one copy the cache keeps for
// them, so that a hit costs one small allocation (the context node) and no
// copy. Read them; Clone them for a copy to change. Should a handler change
// them anyway, the next hit notices (it compares them with the cache's
// untouched template, string headers and times, at no allocation) and hands
// out a fresh copy: the change reaches no request that starts after it.
//
// On an error it returns ctx itself; without credentials and with
// cr.Optional, ctx marked with Handled(ctx, cr.Middleware). Every adapter
// uses it.
func (v *Verifier) AuthenticateContext(ctx context.Context, cr Credentials) (context.Context, *Claims, error) {
	return v.authenticate(ctx, &cr, true)
}

// authenticate is AuthenticateCredentials, and with carry
// AuthenticateContext.
func (v *Verifier) authenticate(ctx context.Context, cr *Credentials, carry bool) (context.Context, *Claims, error) {
	token, err := cr.token() // the b64token check follows
	if err != nil {
		err = v.refused(ctx, "", "", nil, err)
		if cr.Optional && errors.Is(err, ErrMissingToken) {
			if carry {
				ctx = Handled(ctx, cr.Middleware)
			}
			return ctx, nil, nil
		}
		return ctx, nil, err
	}
	// The b64token check reads every byte of the token. The verified-token
	// cache holds exact strings of tokens that passed Verify's stricter
	// charset check, so a hit skips it, and Verify does not look the token
	// up a second time.
	e := v.lookup(token)
	if e == nil && !isB64Token(token) {
		return ctx, nil, v.refused(ctx, "", "", nil, ErrInvalidRequest)
	}
	if v == nil {
		return ctx, nil, errNoVerifier
	}
	out, c, info, err := v.verifyEntry(ctx, token, e, carry, cr.Middleware)
	if err != nil {
		return ctx, nil, v.refused(ctx, token, v.cacheState(info.hit), info.issuer, err)
	}
	if v.onResult != nil {
		v.accepted(ctx, c, info.hit)
	}
	return out, c, nil
}

// source may carry one.
func (cr *Credentials) token() (string, error) {
	token, err := bearerToken(cr.Authorization)
	if cr.BareToken && errors.Is(err, ErrMissingToken) {
		token, err = bareToken(cr.Authorization)
	}
	found := false
	switch {
	case err == nil:
		found = true
	case !errors.Is(err, ErrMissingToken):
		return "", err
	}
	if cr.Cookie != "" {
		if found {
			return "", ErrInvalidRequest
		}
		token, found = cr.Cookie, true
	}
	if cr.Query != nil {
		if found || len(cr.Query) != 1 || cr.Query[0] == "" {
			return "", ErrInvalidRequest
		}
		token, found = cr.Query[0], true
	}
	if !found {
		return "", ErrMissingToken
	}
	return token, nil
}

// bareToken returns the one non-empty Authorization value when it has the
// shape of a JWS in compact serialization (three non-empty base64url
// segments joined by dots), or ErrMissingToken: anything else is another
// scheme, alone ("Basic", "Negotiate") or with its credentials. bearerToken
// has already refused two values and found no Bearer credentials.
func bareToken(authorization []string) (string, error) {
	for _, v := range authorization {
		if v = trimOWS(v); v != "" {
			if _, _, why := compactDots(v); why != "" {
				return "", ErrMissingToken // another scheme, alone or with its credentials
			}
			return v, nil
		}
	}
	return "", ErrMissingToken
}

// BearerToken extracts the token from all values of the Authorization
// header, per RFC 6750 §2.1 and RFC 9110 §11.6.2. Pass every value the
// request carried (http.Header.Values, not Get), so that a repeated header is
// seen.
//
//   - No value, or only empty values: ErrMissingToken.
//   - More than one value, when not all of them are empty (an empty second
//     header next to Bearer credentials included): ErrInvalidRequest, since
//     Authorization is not a list-valued field.
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
