// Package fiberjwt puts jwtgate in front of Fiber v2 handlers.
//
// New returns a fiber.Handler that reads every Authorization header value
// (a repeated header is seen, unlike with c.Get; with Fiber's
// DisableHeaderNormalizing, names are matched case-insensitively, so that
// "authorization" and "Authorization" count as two) and, with WithCookie, a
// cookie, lets core.Verifier.Authenticate decide, and then either calls
// c.Next() with the verified claims in c.Locals and in the user context
// (c.UserContext(), read with core.FromContext), or writes core.Respond's
// answer: the status, WWW-Authenticate and Retry-After when present,
// Content-Type application/json and the JSON body. The answer is byte for
// byte the one the net/http, Gin and Echo adapters write.
//
// Fiber's strings and byte slices alias buffers that fasthttp reuses after
// the handler returns. The middleware hands the header and cookie values to
// core without copying them: core keeps nothing of them after the call (the
// verified-token cache stores a copy of a newly verified token of its own,
// and the claims never share the token's bytes), so nothing of the request
// outlives it, and a request whose token is in the cache copies nothing.
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
//	app := fiber.New(fiber.Config{ReadBufferSize: 16 << 10}) // see "Large tokens"
//	api := app.Group("/", fiberjwt.New(v))
//	api.Get("/me", func(c *fiber.Ctx) error {
//		claims, _ := fiberjwt.Claims(c)
//		return c.SendString(claims.Subject)
//	})
//	api.Post("/orders", fiberjwt.Require(core.RequireScopes("orders:write")), createOrder)
//
// Require runs policies on the claims and answers 403 insufficient_scope, or
// 401 when the request carries no verified claims (a skipped request, or an
// optional one without a token). Refusals are written directly and the
// handler returns nil, so Fiber's ErrorHandler is not involved; an error
// returned by a WithErrorHandler function goes to it.
//
// # Large tokens
//
// Fiber's ReadBufferSize (default 4096 bytes, fasthttp's per-connection read
// buffer) also bounds the size of the request line and headers together. A
// request whose headers do not fit is refused by fasthttp with 431 Request
// Header Fields Too Large before any handler runs, so the client never gets
// jwtgate's answer. Cognito ID tokens with many groups or attributes run to
// several KiB, and jwtgate accepts tokens up to 8 KiB: set ReadBufferSize to
// at least 16 KiB (fiber.Config{ReadBufferSize: 16 << 10}), more if requests
// also carry large cookies.
//
// By default the middleware reads the Authorization header's Bearer
// credentials only. It never reads a form body (RFC 6750 §2.2); a cookie is
// read only when WithCookie names it, a query parameter only when
// WithQueryToken names it (RFC 6750 §2.3: for WebSockets, with its risks),
// and a token without the "Bearer" scheme only with WithBareToken. A token
// in two places is refused with 400 invalid_request.
//
// WithContextKey("user") also puts the claims in the context's locals, for
// handlers that read c.Locals("user").
package fiberjwt
