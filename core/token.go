package core

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"strings"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// maxTokenLen caps the raw token before anything else is done (S05, F14).
	maxTokenLen = 8 << 10
	// maxKidLen caps the kid header parameter (H03).
	maxKidLen = 256
	// minRSABits is the smallest RSA modulus accepted (A07).
	minRSABits = 2048
)

// algID names one JWS algorithm jwtgate knows. "none" is deliberately not
// one of them (A02).
type algID uint8

const (
	algUnknown algID = iota
	algRS256
	algRS384
	algRS512
	algPS256
	algPS384
	algPS512
	algES256
	algES384
	algES512
	algEdDSA
	algHS256
	algHS384
	algHS512
	numAlgs
)

type algFamily uint8

const (
	famRSA algFamily = iota + 1 // RS* and PS*
	famEC
	famEd
	famHMAC
)

// algInfo describes one algorithm: its name, key family, hash, and for
// ECDSA the curve and the coordinate size in bytes.
type algInfo struct {
	name    string
	family  algFamily
	hash    crypto.Hash
	curve   string // ECDSA curve name (crypto/elliptic)
	keySize int    // ECDSA coordinate size in bytes
}

func (a algID) info() algInfo {
	switch a {
	case algRS256:
		return algInfo{name: "RS256", family: famRSA, hash: crypto.SHA256}
	case algRS384:
		return algInfo{name: "RS384", family: famRSA, hash: crypto.SHA384}
	case algRS512:
		return algInfo{name: "RS512", family: famRSA, hash: crypto.SHA512}
	case algPS256:
		return algInfo{name: "PS256", family: famRSA, hash: crypto.SHA256}
	case algPS384:
		return algInfo{name: "PS384", family: famRSA, hash: crypto.SHA384}
	case algPS512:
		return algInfo{name: "PS512", family: famRSA, hash: crypto.SHA512}
	case algES256:
		return algInfo{name: "ES256", family: famEC, hash: crypto.SHA256, curve: "P-256", keySize: 32}
	case algES384:
		return algInfo{name: "ES384", family: famEC, hash: crypto.SHA384, curve: "P-384", keySize: 48}
	case algES512:
		return algInfo{name: "ES512", family: famEC, hash: crypto.SHA512, curve: "P-521", keySize: 66}
	case algEdDSA:
		return algInfo{name: "EdDSA", family: famEd}
	case algHS256:
		return algInfo{name: "HS256", family: famHMAC, hash: crypto.SHA256}
	case algHS384:
		return algInfo{name: "HS384", family: famHMAC, hash: crypto.SHA384}
	case algHS512:
		return algInfo{name: "HS512", family: famHMAC, hash: crypto.SHA512}
	}
	return algInfo{}
}

// lookupAlg maps an alg value to its algID, case-sensitively (RFC 7515
// §4.1.1). Anything else, "none" in any case included, is algUnknown.
func lookupAlg(b []byte) algID {
	switch string(b) {
	case "RS256":
		return algRS256
	case "RS384":
		return algRS384
	case "RS512":
		return algRS512
	case "PS256":
		return algPS256
	case "PS384":
		return algPS384
	case "PS512":
		return algPS512
	case "ES256":
		return algES256
	case "ES384":
		return algES384
	case "ES512":
		return algES512
	case "EdDSA":
		return algEdDSA
	case "HS256":
		return algHS256
	case "HS384":
		return algHS384
	case "HS512":
		return algHS512
	}
	return algUnknown
}

// signingMethod builds the golang-jwt method that verifies a. The values are
// the Verifier's own: golang-jwt's global registry is neither read nor
// changed, and PS* verify with salt length = hash length (A12), where
// golang-jwt's registered PS* methods accept any salt length (F12).
func (a algID) signingMethod() jwt.SigningMethod {
	in := a.info()
	switch in.family {
	case famRSA:
		rm := &jwt.SigningMethodRSA{Name: in.name, Hash: in.hash}
		if a >= algPS256 && a <= algPS512 {
			return &jwt.SigningMethodRSAPSS{
				SigningMethodRSA: rm,
				Options:          &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: in.hash},
			}
		}
		return rm
	case famEC:
		return &jwt.SigningMethodECDSA{Name: in.name, Hash: in.hash, KeySize: in.keySize, CurveBits: curveBits(in.curve)}
	case famEd:
		return &jwt.SigningMethodEd25519{}
	case famHMAC:
		return &jwt.SigningMethodHMAC{Name: in.name, Hash: in.hash}
	}
	return nil
}

func curveBits(name string) int {
	switch name {
	case "P-256":
		return 256
	case "P-384":
		return 384
	}
	return 521
}

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
	alg algID
	kid string
}

// parseHeader decodes the JWS header strictly (S06–S09, H01–H07) and checks
// alg against the allowlist (A01, A02, A04).
func (v *Verifier) parseHeader(h []byte) (header, error) {
	var out header
	if !utf8.Valid(h) {
		return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header is not valid UTF-8")
	}
	var buf [12]member
	ms, err := scanObject(h, buf[:0], false)
	if err != nil {
		return out, tokenErrCause(ErrInvalidToken, jwt.ErrTokenMalformed, "header: "+err.Error(), err)
	}
	algSeen := false
	for i := range ms {
		m := &ms[i]
		raw := h[m.start:m.end]
		switch string(m.name(h)) {
		case "alg":
			b, ok := jsonString(raw)
			if !ok {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header alg is not a string")
			}
			out.alg, algSeen = lookupAlg(b), true
		case "kid":
			b, ok := jsonString(raw)
			if !ok {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header kid is not a string")
			}
			if len(b) > maxKidLen {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header kid is too long")
			}
			out.kid = string(b)
		case "typ":
			b, ok := jsonString(raw)
			if !ok {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header typ is not a string")
			}
			if !acceptedTyp(b) {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header typ is not accepted")
			}
		case "cty":
			b, ok := jsonString(raw)
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
	if out.alg == algUnknown || !v.allowed[out.alg] {
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
func critError(h, raw []byte, ms []member) error {
	fail := func(msg string) error {
		return tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header crit: "+msg)
	}
	if len(raw) == 0 || raw[0] != '[' {
		return fail("not an array")
	}
	var elems [8]member
	s := jsonScanner{data: raw, pos: 1}
	names := elems[:0]
	s.ws()
	if s.pos < len(raw) && raw[s.pos] == ']' {
		return fail("empty")
	}
	for {
		s.ws()
		start := s.pos
		if err := s.value(1); err != nil {
			return fail("malformed")
		}
		if _, ok := jsonString(raw[start:s.pos]); !ok {
			return fail("not an array of strings")
		}
		names = append(names, member{start: start, end: s.pos})
		s.ws()
		if s.pos >= len(raw) {
			return fail("malformed")
		}
		c := raw[s.pos]
		s.pos++
		if c == ']' {
			break
		}
		if c != ',' {
			return fail("malformed")
		}
	}
	for _, n := range names {
		b, _ := jsonString(raw[n.start:n.end])
		if len(b) == 0 {
			return fail("lists an empty name")
		}
		if registeredHeader(string(b)) {
			return fail("lists a registered parameter")
		}
		found := false
		for i := range ms {
			if bytes.Equal(ms[i].name(h), b) {
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

// jsonString returns the unescaped body of a raw JSON string value, or false
// if raw is not a string. raw has been validated by the scanner.
func jsonString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return body, true
	}
	return unescape(body), true
}

// checkKey enforces the binding between the token's alg and the key the
// issuer's set returned (A05, A06, A07, A13): a key with an alg is used with
// that alg only; a key without one only with algorithms of its type (an EC
// key's curve names exactly one).
func checkKey(a algID, k *verifyKey) bool {
	in := a.info()
	if k.alg != "" && k.alg != in.name {
		return false
	}
	switch pub := k.public.(type) {
	case *rsa.PublicKey:
		return in.family == famRSA && pub.N != nil && pub.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		return in.family == famEC && pub.Curve != nil && pub.Curve.Params().Name == in.curve
	case ed25519.PublicKey:
		return in.family == famEd && len(pub) == ed25519.PublicKeySize
	case []byte:
		return in.family == famHMAC && len(pub) >= in.hash.Size()
	}
	return false
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
	var buf [32]member
	ms, err := scanObject(p, buf[:0], false)
	if err != nil {
		return out, tokenErrCause(ErrInvalidToken, jwt.ErrTokenMalformed, "payload: "+err.Error(), err)
	}
	var audM, groupsM, plainGroupsM, scopeM *member
	for i := range ms {
		m := &ms[i]
		raw := p[m.start:m.end]
		name := m.name(p)
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
		n, ok := countStrings(p[audM.start:audM.end], true)
		if !ok {
			return out, claimTypeErr("aud")
		}
		nAud = n
	}
	if groupsM != nil {
		n, ok := countStrings(p[groupsM.start:groupsM.end], false)
		if !ok || p[groupsM.start] != '[' {
			return out, claimTypeErr("cognito:groups")
		}
		nGroups = n
	} else if plainGroupsM != nil && p[plainGroupsM.start] == '[' {
		// Other issuers (Keycloak, Okta, Entra ID, oidc-provider) name the
		// claim "groups". It fills Groups only when it is an array of
		// strings; any other shape is left to Claims.Decode.
		if n, ok := countStrings(p[plainGroupsM.start:plainGroupsM.end], false); ok {
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
func stringAt(p []byte, ps string, m *member) (string, bool) {
	return stringRange(p, ps, m.start, m.end)
}

func stringRange(p []byte, ps string, start, end int) (string, bool) {
	if end-start < 2 || p[start] != '"' {
		return "", false
	}
	body := p[start+1 : end-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return ps[start+1 : end-1], true
	}
	return string(unescape(body)), true
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
	if raw[0] != '[' {
		return 0, false
	}
	n := 0
	s := jsonScanner{data: raw, pos: 1}
	s.ws()
	if s.pos < len(raw) && raw[s.pos] == ']' {
		return 0, !single
	}
	for {
		s.ws()
		start := s.pos
		if raw[start] != '"' {
			return 0, false
		}
		if _, err := s.str(); err != nil {
			return 0, false
		}
		if single && s.pos-start == 2 {
			return 0, false
		}
		n++
		s.ws()
		c := raw[s.pos]
		s.pos++
		if c == ']' {
			return n, true
		}
	}
}

// fillStrings fills dst with the strings of m's value (validated by
// countStrings).
func fillStrings(p []byte, ps string, m *member, dst []string) {
	if p[m.start] == '"' {
		dst[0], _ = stringAt(p, ps, m)
		return
	}
	s := jsonScanner{data: p, pos: m.start + 1}
	for i := range dst {
		s.ws()
		start := s.pos
		s.str() //nolint:errcheck // validated by countStrings
		dst[i], _ = stringRange(p, ps, start, s.pos)
		s.ws()
		s.pos++ // ',' or ']'
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
