package core

import "context"

// claimsContext is a context node that carries a Claims of its own: the
// copy of the verified claims a request gets and the context that hands it
// to the handler, in one allocation.
type claimsContext struct {
	context.Context
	c Claims
	v *Verifier // the Verifier that verified c, for Requirement's debug log
}

// Value returns the claims for claimsKey, the Verifier for verifierKey, and
// asks the parent otherwise, as the node context.WithValue makes would.
func (x *claimsContext) Value(key any) any {
	switch key {
	case any(claimsKey{}):
		return &x.c
	case any(verifierKey{}):
		return x.v
	}
	return x.Context.Value(key)
}

// verifierKey is the context key of the Verifier that verified a request's
// claims: a Requirement that refuses them logs through its Config.Logger.
type verifierKey struct{}

// claimsRef is the context node of claims that are already the caller's
// copy (a token verified in full): the claims by pointer, and their Verifier.
type claimsRef struct {
	context.Context
	c *Claims
	v *Verifier
}

// Value returns the claims for claimsKey, the Verifier for verifierKey, and
// asks the parent otherwise.
func (x *claimsRef) Value(key any) any {
	switch key {
	case any(claimsKey{}):
		return x.c
	case any(verifierKey{}):
		return x.v
	}
	return x.Context.Value(key)
}

// String names the node as context.WithValue's would, for debugging.
func (x *claimsRef) String() string {
	if s, ok := x.Context.(interface{ String() string }); ok {
		return s.String() + ".WithValue(claims)"
	}
	return "context.WithValue(claims)"
}

// verifierFrom returns the Verifier whose claims ctx carries, or nil.
func verifierFrom(ctx context.Context) *Verifier {
	v, _ := ctx.Value(verifierKey{}).(*Verifier)
	return v
}

// String names the node as context.WithValue's would, for debugging.
func (x *claimsContext) String() string {
	if s, ok := x.Context.(interface{ String() string }); ok {
		return s.String() + ".WithValue(claims)"
	}
	return "context.WithValue(claims)"
}

// withClaims returns ctx carrying a copy of c (verified by v), and that copy: one allocation
// with up to claimsInline strings in Audience, Groups and Scopes.
func withClaims(ctx context.Context, c *Claims, v *Verifier) (context.Context, *Claims) {
	total := len(c.Audience) + len(c.Groups) + len(c.Scopes)
	var x *claimsContext
	var all []string
	switch {
	case total == 0:
		x = new(claimsContext)
	case total <= 2:
		box := new(struct {
			claimsContext
			strs [2]string
		})
		x, all = &box.claimsContext, box.strs[:total]
	case total <= 4:
		box := new(struct {
			claimsContext
			strs [4]string
		})
		x, all = &box.claimsContext, box.strs[:total]
	case total <= claimsInline:
		box := new(struct {
			claimsContext
			strs [claimsInline]string
		})
		x, all = &box.claimsContext, box.strs[:total]
	default:
		x, all = new(claimsContext), make([]string, total)
	}
	x.Context, x.v = ctx, v
	c.copyTo(&x.c, all)
	return x, &x.c
}
