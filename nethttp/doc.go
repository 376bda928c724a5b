// Package nethttp puts jwtgate in front of net/http handlers.
//
// The middleware has the standard func(http.Handler) http.Handler shape, so it
// works with http.ServeMux, chi, gorilla/mux and any router that takes it. It
// reads every Authorization header value (and, with WithCookie, a cookie),
// lets core.Verifier.Authenticate decide, and then either calls the next
// handler with the verified claims in the request context or writes
// core.Respond's answer: the status, WWW-Authenticate and Retry-After when
// present, Content-Type application/json and the JSON body. The answer is
// byte for byte the one the Gin, Fiber and Echo adapters write.
//
// Quick start:
//
//	v, err := core.New(ctx, core.Config{
//		Issuers:  []core.Issuer{core.Cognito("eu-west-1", "eu-west-1_AbCdEf123")},
//		Audience: []string{"my-app-client-id"},
//		TokenUse: "access",
//	})
//	if err != nil { … }
//	defer v.Close()
//
//	auth := nethttp.New(v)
//	mux := http.NewServeMux()
//	mux.Handle("GET /me", auth.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		claims, _ := core.FromContext(r.Context())
//		fmt.Fprintln(w, claims.Subject)
//	})))
//	mux.Handle("POST /orders", auth.Handler(nethttp.Require(core.RequireScopes("orders:write"))(orders)))
//
// Handlers read the claims with core.FromContext(r.Context()) or Claims(r).
// Require runs policies on them and answers 403 insufficient_scope, or 401
// when the request carries no verified claims (a skipped request, or an
// optional one without a token).
//
// By default the middleware reads the Authorization header's Bearer
// credentials only. It never reads a form body (RFC 6750 §2.2); a cookie is
// read only when WithCookie names it, a query parameter only when
// WithQueryToken names it (RFC 6750 §2.3: for WebSockets, with its risks),
// and a token without the "Bearer" scheme only with WithBareToken. A token
// in two places is refused with 400 invalid_request.
//
// net/http has no per-request store besides the request context, so the
// claims live there only (core.FromContext, Claims); the other adapters'
// WithContextKey has no net/http counterpart.
package nethttp
