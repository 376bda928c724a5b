package core

import "context"

// claimsContext is a context node that carries a Claims of its own: the
// copy of the verified claims a request gets and the context that hands it
// to the handler, in one allocation.
type claimsContext struct {
	context.Context
	c Claims
}

// Value returns the claims for claimsKey and asks the parent otherwise,
// as the node context.WithValue makes would.
func (x *claimsContext) Value(key any) any {
	if key == any(claimsKey{}) {
		return &x.c
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

// withClaims returns ctx carrying a copy of c, and that copy: one allocation
// with up to claimsInline strings in Audience, Groups and Scopes.
func withClaims(ctx context.Context, c *Claims) (context.Context, *Claims) {
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
	x.Context = ctx
	c.copyTo(&x.c, all)
	return x, &x.c
}
