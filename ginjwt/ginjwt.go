package ginjwt

import (
	"github.com/gin-gonic/gin"
	"github.com/jwtgate/jwtgate/core"
)

// Option configures the middleware returned by New.
type Option func(*config)

type config struct {
	realm        string
	optional     bool
	cookie       string
	query        string // WithQueryToken
	bare         bool   // WithBareToken
	contextKey   string // WithContextKey
	skip         func(*gin.Context) bool
	errorHandler func(*gin.Context, error)
}

// WithRealm sets the realm of the WWW-Authenticate challenge. If empty,
// "api" is used.
func WithRealm(realm string) Option { return func(c *config) { c.realm = realm } }

// WithCredentialsOptional lets requests without any credentials through,
// without claims. A request with a malformed header or an invalid token is
// still refused.
func WithCredentialsOptional() Option { return func(c *config) { c.optional = true } }

// WithCookie reads the token also from the cookie name (for browser clients).
// A token in both the Authorization header and the cookie, or the cookie sent
// twice, is refused with 400 invalid_request. If name is empty, no cookie is
// read.
func WithCookie(name string) Option { return func(c *config) { c.cookie = name } }

// WithQueryToken reads the token also from the query parameter param, for
// clients that cannot send headers (the browser WebSocket API). A token in
// both the Authorization header (or cookie) and the query, or the parameter
// sent twice or empty, is refused with 400 invalid_request. If param is
// empty, the query is not read (the default).
//
// Use it only where a header is impossible (RFC 6750 §2.3): a URL ends up
// in access logs, proxy logs, browser history and Referer headers, so a
// token in it can be replayed by whoever reads them until it expires. Keep
// such tokens short-lived, keep the parameter out of your own logs, and
// answer with Cache-Control: private.
func WithQueryToken(param string) Option { return func(c *config) { c.query = param } }

// WithBareToken also accepts an Authorization header that holds the token
// alone, without the "Bearer" scheme, as API Gateway's authorizers do (for
// clients migrating from them). "Bearer <token>" still works. Only a value
// with the shape of a JWS (three non-empty base64url segments joined by
// dots) is taken as a token; anything else, such as another scheme alone
// ("Basic") or with its credentials, is still no credentials. Off by
// default.
func WithBareToken() Option { return func(c *config) { c.bare = true } }

// WithContextKey also stores the verified claims (a *core.Claims) under key
// in the Gin context (c.Set), where handlers written for other JWT middleware look (such as
// c.MustGet("user")). Claims and core.FromContext work either way. If key is empty,
// nothing more is stored (the default).
func WithContextKey(key string) Option { return func(c *config) { c.contextKey = key } }

// WithSkip lets requests for which skip returns true through without any
// check and without claims (health checks, CORS preflight). If nil, no
// request is skipped.
func WithSkip(skip func(c *gin.Context) bool) Option { return func(c *config) { c.skip = skip } }

// WithErrorHandler replaces the writing of refusals: h receives the core
// error (match it with errors.Is against the core sentinels) and writes the
// answer itself; the chain is aborted after h returns. WriteError writes the
// default answer. The error may wrap internal detail: never send err.Error()
// to the client. If nil, WriteError is used.
func WithErrorHandler(h func(c *gin.Context, err error)) Option {
	return func(c *config) { c.errorHandler = h }
}

// New returns a Gin middleware that verifies requests with v. A request with
// a valid token continues with the claims in c.Request's context; any other
// request is aborted with core.Respond's answer, unless it is skipped or
// credentials are optional and it carries none. If v is nil, every request
// that reaches verification is refused with 503.
func New(v *core.Verifier, opts ...Option) gin.HandlerFunc {
	cfg := &config{}
	for _, o := range opts {
		if o != nil {
			o(cfg)
		}
	}
	return func(c *gin.Context) {
		// The request context carries the mark that New handled the
		// request, with its configuration, for a Require further on.
		if cfg.skip != nil && cfg.skip(c) {
			c.Request = c.Request.WithContext(core.Handled(c.Request.Context(), cfg))
			return
		}
		r := c.Request
		// The header map is read with canonical keys directly: Values would
		// canonicalize them again on every request (same values, no copy).
		var cookie string
		if cfg.cookie != "" {
			cookie, _ = core.CookieValue(r.Header["Cookie"], cfg.cookie)
		}
		var query []string
		if cfg.query != "" {
			query, _ = c.GetQueryArray(cfg.query)
		}
		ctx, claims, err := v.AuthenticateContext(r.Context(), core.Credentials{
			Authorization: r.Header["Authorization"], Cookie: cookie, Query: query, BareToken: cfg.bare, Optional: cfg.optional,
			Middleware: cfg,
		})
		if err != nil {
			cfg.fail(c, err)
			return
		}
		c.Request = r.WithContext(ctx)
		if claims != nil && cfg.contextKey != "" {
			c.Set(cfg.contextKey, claims)
		}
	}
}

// fail writes the refusal of err and aborts the chain; a nil cfg writes the
// default answer.
func (cfg *config) fail(c *gin.Context, err error) {
	if cfg == nil {
		WriteError(c, err, "")
		return
	}
	if cfg.errorHandler != nil {
		cfg.errorHandler(c, err)
		c.Abort()
		return
	}
	WriteError(c, err, cfg.realm)
}

// Require returns a middleware that runs policies on the verified claims of
// the request, set by New earlier in the chain. Without claims it aborts
// with core.Respond(core.ErrMissingToken) (401); a refusing policy gives 403
// insufficient_scope. It uses the realm and error handler given to New. With
// no New in front of it (a misconfigured route), it answers 500
// (core.ErrMiddlewareMissing) and logs that once at ERROR.
func Require(policies ...core.Policy) gin.HandlerFunc {
	req := core.NewRequirement(policies...)
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		if err := req.Check(ctx); err != nil {
			mw, _ := core.HandledBy(ctx)
			cfg, _ := mw.(*config) // nil without New in front
			cfg.fail(c, err)
		}
	}
}

// Claims returns the verified claims of the request, as
// core.FromContext(c.Request.Context()) does.
// Requests with the same token share them: read them, and Clone them for
// a copy to change.
func Claims(c *gin.Context) (*core.Claims, bool) {
	if c == nil || c.Request == nil {
		return nil, false
	}
	return core.FromContext(c.Request.Context())
}

// WriteError aborts the chain with core.Respond(err, realm): the status,
// WWW-Authenticate and Retry-After when present, Content-Type
// application/json, and the JSON body. realm "" means "api".
func WriteError(c *gin.Context, err error, realm string) {
	resp := core.Respond(err, realm)
	if resp.WWWAuthenticate != "" {
		c.Header("WWW-Authenticate", resp.WWWAuthenticate)
	}
	if resp.RetryAfter != "" {
		c.Header("Retry-After", resp.RetryAfter)
	}
	c.Data(resp.Status, core.ContentType, resp.Body)
	c.Abort()
}
