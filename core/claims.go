package core

import (
	"context"
	"errors"
	"reflect"
	"time"
	"unsafe"

	"github.com/jwtgate/jwtgate/internal/strictjson"
)

// Claims holds the verified values of a token. Verify fills it only after the
// signature and every claim check have passed; each call returns a Claims of
// its own, which the caller may keep and change. The claims an adapter hands
// a handler (Verifier.AuthenticateContext, FromContext) are shared by the
// requests that carry the same token instead: read them, and Clone them for a
// copy to change.
type Claims struct {
	Issuer    string    // iss: one of the configured Issuer.URL values
	Subject   string    // sub, or "" when absent
	ID        string    // jti, or "" when absent
	Audience  []string  // aud (a single string becomes one element), or nil when absent
	ExpiresAt time.Time // exp, in UTC (always present)
	NotBefore time.Time // nbf in UTC, or the zero Time when absent
	IssuedAt  time.Time // iat in UTC, or the zero Time when absent
	TokenUse  string    // token_use ("id" or "access" for Cognito), or ""
	ClientID  string    // client_id, or for an ID token without one (Cognito) its single aud
	Username  string    // username, or else cognito:username
	Groups    []string  // cognito:groups, else groups when it is an array of strings, or nil
	Scopes    []string  // the space-separated tokens of scope, or nil

	raw string // the verified payload (decoded JSON), for Decode
}

// HasScope reports whether s is one of the token's scopes. Scopes compare
// exactly: no prefix, substring or case folding. Nil claims have no scope.
func (c *Claims) HasScope(s string) bool {
	if c == nil {
		return false
	}
	for _, x := range c.Scopes {
		if x == s {
			return true
		}
	}
	return false
}

// fillClientID sets ClientID from aud for an ID token that has no
// client_id: a Cognito ID token names its app client in its single aud.
// Verify and NewClaims both apply it.
func (c *Claims) fillClientID() {
	if c.ClientID == "" && c.TokenUse == "id" && len(c.Audience) == 1 {
		c.ClientID = c.Audience[0]
	}
}

type claimsKey struct{}

// NewContext returns a copy of ctx that carries c.
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// FromContext returns the verified claims in ctx, if any. Without them it
// returns (nil, false).
//
// Claims that an adapter put in ctx may be shared with other requests that
// carry the same token (see Verifier.AuthenticateContext): read them, and
// Clone them to get a copy to change.
func FromContext(ctx context.Context) (*Claims, bool) {
	if x, ok := ctx.(*claimsContext); ok && x.c != nil {
		return x.c, true
	}
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}

// Clone returns a copy of c that shares nothing that can change with c: a
// copy to change when c is shared, as the claims an adapter hands a handler
// are. A nil c gives nil.
func (c *Claims) Clone() *Claims {
	if c == nil {
		return nil
	}
	return c.clone()
}

// same reports whether c still holds what t holds, field by field: every
// string the same bytes at the same address, the same times, and slices
// with the same elements in that sense, nil where t has nil. It is the
// check a shared copy (cacheEntry.shared) passes on every use, so it
// compares string headers only, never their bytes: a string set to equal
// bytes elsewhere counts as a change, which costs a fresh copy, never a
// wrong answer.
func (c *Claims) same(t *Claims) bool {
	return sameString(c.Issuer, t.Issuer) && sameString(c.Subject, t.Subject) && sameString(c.ID, t.ID) &&
		c.ExpiresAt == t.ExpiresAt && c.NotBefore == t.NotBefore && c.IssuedAt == t.IssuedAt &&
		sameString(c.TokenUse, t.TokenUse) && sameString(c.ClientID, t.ClientID) &&
		sameString(c.Username, t.Username) && sameString(c.raw, t.raw) &&
		sameStrings(c.Audience, t.Audience) && sameStrings(c.Groups, t.Groups) && sameStrings(c.Scopes, t.Scopes)
}

// sameString reports whether a and b are the same string header: the same
// length and, unless empty, the same bytes at the same address.
func sameString(a, b string) bool {
	return len(a) == len(b) && (len(a) == 0 || unsafe.StringData(a) == unsafe.StringData(b))
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if !sameString(a[i], b[i]) {
			return false
		}
	}
	return true
}

// clone returns a copy of c whose slices are its own; Audience, Groups and
// Scopes share one new backing array, each capped so that an append to one
// never writes into another. With up to claimsInline strings in all, the copy
// and its array are one allocation, no larger than they need (a cache hit
// in Verify makes one on every call); otherwise two.
func (c *Claims) clone() *Claims {
	total := len(c.Audience) + len(c.Groups) + len(c.Scopes)
	var d *Claims
	var all []string
	switch {
	case total == 0:
		d = new(Claims)
	case total <= 2:
		box := new(struct {
			c    Claims
			strs [2]string
		})
		d, all = &box.c, box.strs[:total]
	case total <= 4:
		box := new(struct {
			c    Claims
			strs [4]string
		})
		d, all = &box.c, box.strs[:total]
	case total <= claimsInline:
		box := new(claimsBox)
		d, all = &box.c, box.strs[:total]
	default:
		d, all = new(Claims), make([]string, total)
	}
	c.copyTo(d, all)
	return d
}

// copyTo makes d a copy of c whose Audience, Groups and Scopes live in all
// (of their total length), each capped.
func (c *Claims) copyTo(d *Claims, all []string) {
	na, ng, ns := len(c.Audience), len(c.Groups), len(c.Scopes)
	*d = *c
	d.Audience, d.Groups, d.Scopes = nil, nil, nil
	if na > 0 {
		d.Audience = all[:na:na]
		copy(d.Audience, c.Audience)
	}
	if ng > 0 {
		d.Groups = all[na : na+ng : na+ng]
		copy(d.Groups, c.Groups)
	}
	if ns > 0 {
		d.Scopes = all[na+ng : na+ng+ns : na+ng+ns]
		copy(d.Scopes, c.Scopes)
	}
}

// claimsInline is how many strings a cloned Claims carries in its own
// allocation.
const claimsInline = 8

// claimsBox is a Claims and room for its strings in one allocation.
type claimsBox struct {
	c    Claims
	strs [claimsInline]string
}

var (
	errNoPayload    = errors.New("jwtgate: claims carry no verified payload")
	errDecodeTarget = errors.New("jwtgate: Decode needs a non-nil pointer")
)

// Decode decodes the token's verified payload into v, a non-nil pointer to a
// struct, a map or any other type encoding/json can fill. Unknown claims are
// ignored. The payload's rules are the verifier's: duplicate member names are
// refused at every nesting level, and names match struct fields
// case-sensitively (encoding/json alone would let "EMAIL" fill a field tagged
// "email"; with Decode such a field stays zero). Struct fields are matched by
// their json tag or Go name; a type with its own UnmarshalJSON or
// UnmarshalText receives its value as it is. Decode uses reflection and
// allocates: it is not on Verify's path.
func (c *Claims) Decode(v any) error {
	if c == nil || c.raw == "" {
		return errNoPayload
	}
	if rv := reflect.ValueOf(v); !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errDecodeTarget
	}
	return strictjson.Unmarshal([]byte(c.raw), v)
}
