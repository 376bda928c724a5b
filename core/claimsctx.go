package core

import "context"

// claimsContext is the context node an authentication middleware hands its
// request on with: the mark that it handled the request, its own value
// (Credentials.Middleware, Handled), and, once a token is verified, the
// claims and the Verifier that verified them: on a cache hit the entry's
// shared copy, so that the node is the request's one allocation; for a token
// verified in full, the claims the check produced. Handled makes one without
// claims.
type claimsContext struct {
	context.Context
	c  *Claims   // nil when the middleware let the request through without claims
	v  *Verifier // the Verifier that verified c, for Requirement's debug log
	mw any       // the middleware's own value, for HandledBy
}

// handledKey is the context key of the innermost claimsContext: its
// presence is the mark that an authentication middleware handled the
// request.
type handledKey struct{}

// Value returns the claims for claimsKey, the Verifier for verifierKey,
// the node itself for handledKey, and asks the parent otherwise, as the
// node context.WithValue makes would.
func (x *claimsContext) Value(key any) any {
	switch key {
	case any(claimsKey{}):
		if x.c != nil {
			return x.c
		}
	case any(verifierKey{}):
		if x.v != nil {
			return x.v
		}
	case any(handledKey{}):
		return x
	}
	return x.Context.Value(key)
}

// String names the node as context.WithValue's would, for debugging.
func (x *claimsContext) String() string {
	name := "claims"
	if x.c == nil {
		name = "handled"
	}
	if s, ok := x.Context.(interface{ String() string }); ok {
		return s.String() + ".WithValue(" + name + ")"
	}
	return "context.WithValue(" + name + ")"
}

// Handled returns ctx marked as handled by an authentication middleware,
// for a request it lets through without claims: a skipped one (WithSkip), or
// one without credentials where they are optional. A Requirement further on
// then answers it 401 (ErrMissingToken), not 500 (ErrMiddlewareMissing). mw
// is the middleware's own value, such as its configuration, which HandledBy
// returns; it may be nil. The context AuthenticateContext returns with
// claims carries the mark already (with Credentials.Middleware as mw).
func Handled(ctx context.Context, mw any) context.Context {
	return &claimsContext{Context: ctx, mw: mw}
}

// HandledBy reports whether an authentication middleware handled the
// request of ctx (Handled, or AuthenticateContext with claims), and returns
// the value it gave (mw of Handled, Credentials.Middleware). A context that
// carries claims only through NewContext is not marked.
func HandledBy(ctx context.Context) (mw any, ok bool) {
	x, ok := ctx.Value(handledKey{}).(*claimsContext)
	if !ok {
		return nil, false
	}
	return x.mw, true
}

// verifierKey is the context key of the Verifier that verified a request's
// claims: a Requirement that refuses them logs through its Config.Logger.
type verifierKey struct{}

// verifierFrom returns the Verifier whose claims ctx carries, or nil.
func verifierFrom(ctx context.Context) *Verifier {
	v, _ := ctx.Value(verifierKey{}).(*Verifier)
	return v
}
