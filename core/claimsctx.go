package core

import "context"

// claimsContext is the context node that carries a request's verified
// claims and the Verifier that verified them. On a cache hit the node, the
// caller's copy of the claims and their strings are one allocation
// (withClaims); a token verified in full points it at the claims Verify
// returned.
type claimsContext struct {
	context.Context
	c *Claims
	v *Verifier // the Verifier that verified c, for Requirement's debug log
}

// Value returns the claims for claimsKey, the Verifier for verifierKey, and
// asks the parent otherwise, as the node context.WithValue makes would.
func (x *claimsContext) Value(key any) any {
	switch key {
	case any(claimsKey{}):
		return x.c
	case any(verifierKey{}):
		return x.v
	}
	return x.Context.Value(key)
}

// String names the node as context.WithValue's would, for debugging.
func (x *claimsContext) String() string {
	if s, ok := x.Context.(interface{ String() string }); ok {
		return s.String() + ".WithValue(claims)"
	}
	return "context.WithValue(claims)"
}

// verifierKey is the context key of the Verifier that verified a request's
// claims: a Requirement that refuses them logs through its Config.Logger.
type verifierKey struct{}

// verifierFrom returns the Verifier whose claims ctx carries, or nil.
func verifierFrom(ctx context.Context) *Verifier {
	v, _ := ctx.Value(verifierKey{}).(*Verifier)
	return v
}

// withClaims returns ctx carrying a copy of c (verified by v), and that copy: one allocation
// with up to claimsInline strings in Audience, Groups and Scopes.
func withClaims(ctx context.Context, c *Claims, v *Verifier) (context.Context, *Claims) {
	total := len(c.Audience) + len(c.Groups) + len(c.Scopes)
	var x *claimsContext
	var own *Claims
	var all []string
	switch {
	case total == 0:
		box := new(struct {
			claimsContext
			claims Claims
		})
		x, own = &box.claimsContext, &box.claims
	case total <= 2:
		box := new(struct {
			claimsContext
			claims Claims
			strs   [2]string
		})
		x, own, all = &box.claimsContext, &box.claims, box.strs[:total]
	case total <= 4:
		box := new(struct {
			claimsContext
			claims Claims
			strs   [4]string
		})
		x, own, all = &box.claimsContext, &box.claims, box.strs[:total]
	case total <= claimsInline:
		box := new(struct {
			claimsContext
			claims Claims
			strs   [claimsInline]string
		})
		x, own, all = &box.claimsContext, &box.claims, box.strs[:total]
	default:
		box := new(struct {
			claimsContext
			claims Claims
		})
		x, own, all = &box.claimsContext, &box.claims, make([]string, total)
	}
	c.copyTo(own, all)
	x.Context, x.c, x.v = ctx, own, v
	return x, own
}
