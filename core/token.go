package core

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/internal/alg"
	"github.com/jwtgate/jwtgate/internal/strictjson"
)

const (
	// maxTokenLen caps the raw token before anything else is done (S05, F14).
	maxTokenLen = 8 << 10
	// maxKidLen caps the kid header parameter (H03).
	maxKidLen = 256
)

// b64urlLo and b64urlHi hold the base64url alphabet [A-Za-z0-9_-] as a
// 128-bit set (bit c of Lo for c < 64, bit c-64 of Hi for c < 128).
const (
	b64urlLo uint64 = 0x03ff200000000000 // '-' (45), '0'-'9' (48-57)
	b64urlHi uint64 = 0x07fffffe87fffffe // 'A'-'Z' (65-90), '_' (95), 'a'-'z' (97-122), as bit c-64
)

// splitToken checks the compact serialization: exactly three non-empty
// segments of base64url characters (S01, S02, S04; F2). It returns the
// positions of the two dots.
func splitToken(token string) (d1, d2 int, err error) {
	d1, d2 = -1, -1
	for i := 0; i < len(token); i++ {
		c := token[i]
		switch {
		case c < 64:
			if b64urlLo&(1<<c) != 0 {
				continue
			}
		case c < 128:
			if b64urlHi&(1<<(c-64)) != 0 {
				continue
			}
		}
		if c != '.' {
			return 0, 0, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "character outside the base64url alphabet")
		}
		switch {
		case d1 < 0:
			d1 = i
		case d2 < 0:
			d2 = i
		default:
			return 0, 0, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "not three segments")
		}
	}
	switch {
	case d2 < 0:
		return 0, 0, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "not three segments")
	case d2 == len(token)-1:
		return 0, 0, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "empty signature")
	case d1 == 0 || d2 == d1+1:
		return 0, 0, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "empty segment")
	}
	return d1, d2, nil
}

// header is what the verifier takes from a JWS header.
type header struct {
	alg alg.ID
	kid string
}

// parseHeader decodes the JWS header strictly (S06–S09, H01–H07) and checks
// alg against the allowlist (A01, A02, A04).
func (v *Verifier) parseHeader(h []byte) (header, error) {
	var out header
	if !utf8.Valid(h) {
		return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header is not valid UTF-8")
	}
	var buf [12]strictjson.Member
	ms, err := strictjson.ScanObject(h, buf[:0])
	if err != nil {
		return out, tokenErrCause(ErrInvalidToken, jwt.ErrTokenMalformed, "header: "+err.Error(), err)
	}
	algSeen := false
	for i := range ms {
		m := &ms[i]
		raw := h[m.Start:m.End]
		switch string(m.Name(h)) {
		case "alg":
			b, ok := strictjson.Unquote(raw)
			if !ok {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header alg is not a string")
			}
			out.alg, algSeen = alg.LookupBytes(b), true
		case "kid":
			b, ok := strictjson.Unquote(raw)
			if !ok {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header kid is not a string")
			}
			if len(b) > maxKidLen {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header kid is too long")
			}
			out.kid = string(b)
		case "typ":
			b, ok := strictjson.Unquote(raw)
			if !ok {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header typ is not a string")
			}
			if !acceptedTyp(b) {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header typ is not accepted")
			}
		case "cty":
			b, ok := strictjson.Unquote(raw)
			if !ok {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header cty is not a string")
			}
			if bytes.EqualFold(b, []byte("JWT")) {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "nested JWT (cty JWT) is not accepted")
			}
		case "enc", "zip":
			return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "JWE header parameters are not accepted")
		case "crit":
			return out, critError(h, raw, ms)
		}
		// jku, x5u, jwk, x5c, x5t, x5t#S256 and every other parameter are
		// ignored: keys come from the issuer's configured set only (H02, H07).
	}
	if !algSeen {
		return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header has no alg")
	}
	if !v.allowed.Has(out.alg) {
		return out, tokenErr(ErrInvalidToken, jwt.ErrTokenSignatureInvalid, "algorithm is not accepted")
	}
	return out, nil
}

// acceptedTyp reports whether typ is one of the accepted media types: "JWT",
// "at+jwt" or "application/at+jwt", compared case-insensitively (H05).
func acceptedTyp(b []byte) bool {
	return bytes.EqualFold(b, []byte("JWT")) || bytes.EqualFold(b, []byte("at+jwt")) ||
		bytes.EqualFold(b, []byte("application/at+jwt"))
}

// registeredHeader lists the header parameters RFC 7515/7516/7797 define,
// which crit must not list.
func registeredHeader(name string) bool {
	switch name {
	case "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
		"enc", "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c":
		return true
	}
	return false
}

// critError explains why crit is refused (H01). jwtgate understands no
// extension, so every crit is refused; the message names the first rule
// it breaks.
func critError(h, raw []byte, ms []strictjson.Member) error {
	fail := func(msg string) error {
		return tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header crit: "+msg)
	}
	arr, ok := strictjson.NewArray(raw)
	if !ok {
		return fail("not an array")
	}
	var elems [8][]byte
	names := elems[:0]
	for {
		start, end, ok := arr.Next()
		if !ok {
			break
		}
		b, ok := strictjson.Unquote(raw[start:end])
		if !ok {
			return fail("not an array of strings")
		}
		names = append(names, b)
	}
	if len(names) == 0 {
		return fail("empty")
	}
	for _, b := range names {
		if len(b) == 0 {
			return fail("lists an empty name")
		}
		if registeredHeader(string(b)) {
			return fail("lists a registered parameter")
		}
		found := false
		for i := range ms {
			if bytes.Equal(ms[i].Name(h), b) {
				found = true
				break
			}
		}
		if !found {
			return fail("lists a parameter absent from the header")
		}
	}
	return fail("lists an extension that is not understood")
}

// payload is what the verifier takes from a JWT payload besides Claims.
type payload struct {
	hasExp      bool   // exp is present (C01)
	hasAud      bool   // aud is present
	cognitoUser string // cognito:username
}

// parsePayload decodes the payload strictly (S06–S09, C01, C05, C09, C11)
// into c. p is the decoded payload and ps the same bytes as a string; the
// string fields of c are sub-strings of ps. Audience, Groups and Scopes are
// carved from inline when it is long enough.
func parsePayload(p []byte, ps string, c *Claims, inline []string) (payload, error) {
	var out payload
	if !utf8.Valid(p) {
		return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "payload is not valid UTF-8")
	}
	var buf [32]strictjson.Member
	ms, err := strictjson.ScanObject(p, buf[:0])
	if err != nil {
		return out, tokenErrCause(ErrInvalidToken, jwt.ErrTokenMalformed, "payload: "+err.Error(), err)
	}
	var audM, groupsM, plainGroupsM, scopeM *strictjson.Member
	for i := range ms {
		m := &ms[i]
		raw := p[m.Start:m.End]
		name := m.Name(p)
		var dst *string
		switch string(name) {
		case "iss":
			dst = &c.Issuer
		case "sub":
			dst = &c.Subject
		case "jti":
			dst = &c.ID
		case "token_use":
			dst = &c.TokenUse
		case "client_id":
			dst = &c.ClientID
		case "username":
			dst = &c.Username
		case "cognito:username":
			dst = &out.cognitoUser
		case "scope":
			if raw[0] != '"' {
				return out, claimTypeErr("scope")
			}
			scopeM = m
		case "aud":
			audM = m
		case "cognito:groups":
			groupsM = m
		case "groups":
			plainGroupsM = m
		case "exp", "nbf", "iat":
			sec, nsec, ok := numericDate(raw)
			if !ok {
				return out, claimTypeErr(claimName(name))
			}
			t := unixUTC(sec, nsec)
			switch name[0] {
			case 'e':
				c.ExpiresAt, out.hasExp = t, true
			case 'n':
				c.NotBefore = t
			default:
				c.IssuedAt = t
			}
		}
		if dst != nil {
			s, ok := stringAt(p, ps, m)
			if !ok {
				return out, claimTypeErr(claimName(name))
			}
			*dst = s
		}
	}
	if c.Username == "" {
		c.Username = out.cognitoUser
	}

	// Audience, groups and scopes share one backing array.
	nAud, nGroups, nScopes := 0, 0, 0
	if audM != nil {
		out.hasAud = true
		n, ok := countStrings(p[audM.Start:audM.End], true)
		if !ok {
			return out, claimTypeErr("aud")
		}
		nAud = n
	}
	if groupsM != nil {
		n, ok := countStrings(p[groupsM.Start:groupsM.End], false)
		if !ok || p[groupsM.Start] != '[' {
			return out, claimTypeErr("cognito:groups")
		}
		nGroups = n
	} else if plainGroupsM != nil && p[plainGroupsM.Start] == '[' {
		// Other issuers (Keycloak, Okta, Entra ID, oidc-provider) name the
		// claim "groups". It fills Groups only when it is an array of
		// strings; any other shape is left to Claims.Decode.
		if n, ok := countStrings(p[plainGroupsM.Start:plainGroupsM.End], false); ok {
			groupsM, nGroups = plainGroupsM, n
		}
	}
	var scope string
	if scopeM != nil {
		scope, _ = stringAt(p, ps, scopeM)
		nScopes = countFields(scope)
	}
	if total := nAud + nGroups + nScopes; total > 0 {
		var all []string
		if total <= len(inline) {
			all = inline[:total:total]
		} else {
			all = make([]string, total)
		}
		if nAud > 0 {
			c.Audience = all[:nAud:nAud]
			fillStrings(p, ps, audM, c.Audience)
		}
		if nGroups > 0 {
			c.Groups = all[nAud : nAud+nGroups : nAud+nGroups]
			fillStrings(p, ps, groupsM, c.Groups)
		}
		if nScopes > 0 {
			c.Scopes = all[nAud+nGroups:]
			splitFields(scope, c.Scopes)
		}
	}
	return out, nil
}

// claimName returns the constant name of one of the claims parsePayload
// reads, so that an error never carries bytes of the token.
func claimName(b []byte) string {
	for _, n := range [...]string{"iss", "sub", "jti", "token_use", "client_id", "username", "cognito:username", "exp", "nbf", "iat"} {
		if string(b) == n {
			return n
		}
	}
	return "claim"
}

func claimTypeErr(name string) error {
	// name is one of the fixed claim names above, never token content.
	return tokenErr(ErrInvalidToken, jwt.ErrTokenInvalidClaims, "claim "+name+" has the wrong type or range")
}

// stringAt returns member m's value as a string (a sub-string of ps when it
// has no escapes), or false if it is not a JSON string.
func stringAt(p []byte, ps string, m *strictjson.Member) (string, bool) {
	return stringRange(p, ps, m.Start, m.End)
}

func stringRange(p []byte, ps string, start, end int) (string, bool) {
	if end-start < 2 || p[start] != '"' {
		return "", false
	}
	if bytes.IndexByte(p[start+1:end-1], '\\') < 0 {
		return ps[start+1 : end-1], true
	}
	b, _ := strictjson.Unquote(p[start:end])
	return string(b), true
}

// countStrings counts the elements of raw, which must be a JSON array of
// strings (or, with single, also a lone string). With single (aud), an empty
// array and empty strings are refused (C09).
func countStrings(raw []byte, single bool) (int, bool) {
	if raw[0] == '"' {
		if !single || len(raw) == 2 {
			return 0, false
		}
		return 1, true
	}
	arr, ok := strictjson.NewArray(raw)
	if !ok {
		return 0, false
	}
	n := 0
	for {
		start, end, ok := arr.Next()
		if !ok {
			break
		}
		if raw[start] != '"' || (single && end-start == 2) {
			return 0, false
		}
		n++
	}
	return n, n > 0 || !single
}

// fillStrings fills dst with the strings of m's value (validated by
// countStrings).
func fillStrings(p []byte, ps string, m *strictjson.Member, dst []string) {
	if p[m.Start] == '"' {
		dst[0], _ = stringAt(p, ps, m)
		return
	}
	arr, _ := strictjson.NewArray(p[m.Start:m.End])
	for i := range dst {
		start, end, _ := arr.Next()
		dst[i], _ = stringRange(p, ps, m.Start+start, m.Start+end)
	}
}

// countFields counts the space-separated tokens of a scope string (C11).
func countFields(s string) int {
	n := 0
	for i := 0; i < len(s); {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			break
		}
		n++
		for i < len(s) && s[i] != ' ' {
			i++
		}
	}
	return n
}

// splitFields fills dst with the space-separated tokens of s.
func splitFields(s string, dst []string) {
	k := 0
	for len(s) > 0 && k < len(dst) {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		}
		dst[k] = s[:end]
		k++
		s = s[end:]
	}
}

// maxNumericDate is 9999-12-31T23:59:59Z (C05).
const maxNumericDate = 253402300799

// numericDate parses a raw JSON value as a NumericDate: a finite number in
// [0, maxNumericDate], fractional seconds allowed (C05, F5). It returns the
// seconds and nanoseconds.
func numericDate(raw []byte) (sec, nsec int64, ok bool) {
	if !strictjson.IsNumber(raw) {
		return 0, 0, false // a string, bool, null, object or array
	}
	// Fast path: a plain non-negative integer of at most 12 digits.
	if len(raw) <= 12 {
		var n int64
		plain := true
		for _, c := range raw {
			if c < '0' || c > '9' {
				plain = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if plain {
			if n > maxNumericDate {
				return 0, 0, false
			}
			return n, 0, true
		}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > maxNumericDate {
		return 0, 0, false
	}
	whole := math.Floor(f)
	sec = int64(whole)
	nsec = int64(math.Round((f - whole) * 1e9))
	if nsec >= 1e9 {
		sec, nsec = sec+1, nsec-1e9
	}
	return sec, nsec, true
}
