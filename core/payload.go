package core

// This file reads a JWT payload (RFC 7519 §4) into Claims, strictly: types,
// ranges, case-sensitive names, no duplicates, valid UTF-8.

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/internal/strictjson"
)

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
	lists, err := readClaims(p, ps, ms, c, &out)
	if err != nil {
		return out, err
	}
	if c.Username == "" {
		c.Username = out.cognitoUser
	}
	out.hasAud = lists.aud != nil
	return out, readLists(p, ps, &lists, c, inline)
}

// listClaims are the members of the claims that hold lists, for readLists.
type listClaims struct {
	aud, groups, plainGroups, scope *strictjson.Member
}

// readClaims reads the string and time claims of ms into c and out, and
// returns the members of the list claims.
func readClaims(p []byte, ps string, ms []strictjson.Member, c *Claims, out *payload) (listClaims, error) {
	var lists listClaims
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
				return lists, claimTypeErr("scope")
			}
			lists.scope = m
		case "aud":
			lists.aud = m
		case "cognito:groups":
			lists.groups = m
		case "groups":
			lists.plainGroups = m
		case "exp", "nbf", "iat":
			sec, nsec, ok := numericDate(raw)
			if !ok {
				return lists, claimTypeErr(claimName(name))
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
				return lists, claimTypeErr(claimName(name))
			}
			*dst = s
		}
	}
	return lists, nil
}

// readLists fills Audience, Groups and Scopes, which share one backing
// array: inline when it is long enough.
func readLists(p []byte, ps string, l *listClaims, c *Claims, inline []string) error {
	nAud, nGroups, nScopes := 0, 0, 0
	if l.aud != nil {
		n, ok := countStrings(p[l.aud.Start:l.aud.End], true)
		if !ok {
			return claimTypeErr("aud")
		}
		nAud = n
	}
	groups := l.groups
	if groups != nil {
		n, ok := countStrings(p[groups.Start:groups.End], false)
		if !ok || p[groups.Start] != '[' {
			return claimTypeErr("cognito:groups")
		}
		nGroups = n
	} else if pg := l.plainGroups; pg != nil && p[pg.Start] == '[' {
		// Other issuers (Keycloak, Okta, Entra ID, oidc-provider) name the
		// claim "groups". It fills Groups only when it is an array of
		// strings; any other shape is left to Claims.Decode.
		if n, ok := countStrings(p[pg.Start:pg.End], false); ok {
			groups, nGroups = pg, n
		}
	}
	var scope string
	if l.scope != nil {
		scope, _ = stringAt(p, ps, l.scope)
		nScopes = countFields(scope)
	}
	total := nAud + nGroups + nScopes
	if total == 0 {
		return nil
	}
	var all []string
	if total <= len(inline) {
		all = inline[:total:total]
	} else {
		all = make([]string, total)
	}
	if nAud > 0 {
		c.Audience = all[:nAud:nAud]
		fillStrings(p, ps, l.aud, c.Audience)
	}
	if nGroups > 0 {
		c.Groups = all[nAud : nAud+nGroups : nAud+nGroups]
		fillStrings(p, ps, groups, c.Groups)
	}
	if nScopes > 0 {
		c.Scopes = all[nAud+nGroups:]
		splitFields(scope, c.Scopes)
	}
	return nil
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

// unixUTC converts NumericDate seconds and nanoseconds to a UTC time.
func unixUTC(sec, nsec int64) time.Time {
	return time.Unix(sec, nsec).UTC()
}
