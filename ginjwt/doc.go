// Package ginjwt puts jwtgate in front of Gin handlers.
//
// New returns a gin.HandlerFunc that reads every Authorization header value
// (and, with WithCookie, a cookie), lets core.Verifier.Authenticate decide,
// and then either continues the chain with the verified claims in the
// request context (c.Request is replaced by c.Request.WithContext) or aborts
// it with core.Respond's answer: the status, WWW-Authenticate and Retry-After
// when present, Content-Type application/json (exactly, without a charset)
// and the JSON body. The answer is byte for byte the one the net/http, Fiber
// and Echo adapters write.
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
//	r := gin.New()
//	api := r.Group("/", ginjwt.New(v))
//	api.GET("/me", func(c *gin.Context) {
//		claims, _ := ginjwt.Claims(c)
//		c.String(http.StatusOK, claims.Subject)
//	})
//	api.POST("/orders", ginjwt.Require(core.RequireScopes("orders:write")), createOrder)
//
// Handlers read the claims with Claims(c) or core.FromContext(c.Request.Context()).
// Require runs policies on them and aborts with 403 insufficient_scope, or
// 401 when the request carries no verified claims (a skipped request, or an
// optional one without a token).
//
// By default the middleware reads the Authorization header's Bearer
// credentials only. It never reads a form body (RFC 6750 §2.2); a cookie is
// read only when WithCookie names it, a query parameter only when
// WithQueryToken names it (RFC 6750 §2.3: for WebSockets, with its risks),
// and a token without the "Bearer" scheme only with WithBareToken. A token
// in two places is refused with 400 invalid_request.
//
// WithContextKey("user") also puts the claims in the Gin context, for
// handlers that read c.MustGet("user").
package ginjwt
