// Package echojwt puts jwtgate in front of Echo v4 handlers.
//
// New returns an echo.MiddlewareFunc that reads every Authorization header
// value (and, with WithCookie, a cookie), lets core.Verifier.Authenticate
// decide, and then either calls the next handler with the verified claims in
// the request context (c.SetRequest(c.Request().WithContext(…))) or writes
// core.Respond's answer: the status, WWW-Authenticate and Retry-After when
// present, Content-Type application/json and the JSON body. The answer is
// byte for byte the one the net/http, Gin and Fiber adapters write.
//
// Refusals are written directly and the middleware returns nil: they do NOT
// go through Echo's HTTPErrorHandler, whose answer would differ from the
// other adapters' (and from RFC 6750's). To use Echo's error flow instead,
// give WithErrorHandler a function that returns an error, for example
// echo.NewHTTPError(status, …): whatever it returns is returned by the
// middleware.
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
//	e := echo.New()
//	api := e.Group("", echojwt.New(v))
//	api.GET("/me", func(c echo.Context) error {
//		claims, _ := echojwt.Claims(c)
//		return c.String(http.StatusOK, claims.Subject)
//	})
//	api.POST("/orders", createOrder, echojwt.Require(core.RequireScopes("orders:write")))
//
// Handlers read the claims with Claims(c) or core.FromContext(c.Request().Context()).
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
// WithContextKey("user") also puts the claims in the Echo context, for
// handlers that read c.Get("user").
package echojwt
