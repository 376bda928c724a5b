package fiberjwt

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
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
	skip         func(*fiber.Ctx) bool
	errorHandler func(*fiber.Ctx, error) error
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
// in the Fiber context's locals (c.Locals), where handlers written for other JWT middleware look (such as
// c.Locals("user")). Claims and core.FromContext work either way. If key is empty,
// nothing more is stored (the default).
func WithContextKey(key string) Option { return func(c *config) { c.contextKey = key } }

// WithSkip lets requests for which skip returns true through without any
// check and without claims (health checks, CORS preflight). If nil, no
// request is skipped.
func WithSkip(skip func(c *fiber.Ctx) bool) Option { return func(c *config) { c.skip = skip } }

// WithErrorHandler replaces the writing of refusals: h receives the core
// error (match it with errors.Is against the core sentinels) and either
// writes the answer itself and returns nil, or returns an error for Fiber's
// ErrorHandler; the next handler is not called. WriteError writes the
// default answer. The error may wrap internal detail: never send err.Error()
// to the client. If nil, WriteError is used.
func WithErrorHandler(h func(c *fiber.Ctx, err error) error) Option {
	return func(c *config) { c.errorHandler = h }
}

// claimsKey is the c.Locals key of the claims.
type claimsKey struct{}

// New returns a Fiber middleware that verifies requests with v. A request
// with a valid token continues with the claims in c.Locals and the user
// context; any other request gets core.Respond's answer, unless it is skipped
// or credentials are optional and it carries none. If v is nil, every
// request that reaches verification is refused with 503.
func New(v *core.Verifier, opts ...Option) fiber.Handler {
	cfg := &config{}
	for _, o := range opts {
		if o != nil {
			o(cfg)
		}
	}
	return func(c *fiber.Ctx) error {
		// The user context carries the mark that New handled the request,
		// with its configuration, for a Require further on.
		if cfg.skip != nil && cfg.skip(c) {
			c.SetUserContext(core.Handled(c.UserContext(), cfg))
			return c.Next()
		}
		var one [1]string
		auth, cookie := credentials(c, cfg.cookie, one[:0])
		var query []string
		if cfg.query != "" {
			for _, b := range c.Request().URI().QueryArgs().PeekMulti(cfg.query) {
				query = append(query, utils.UnsafeString(b))
			}
		}
		ctx, claims, err := v.AuthenticateContext(c.UserContext(), core.Credentials{
			Authorization: auth, Cookie: cookie, Query: query, BareToken: cfg.bare, Optional: cfg.optional,
			Middleware: cfg,
		})
		if err != nil {
			return cfg.fail(c, err)
		}
		if claims != nil {
			c.Locals(claimsKey{}, claims)
			if cfg.contextKey != "" {
				c.Locals(cfg.contextKey, claims)
			}
		}
		c.SetUserContext(ctx)
		return c.Next()
	}
}

// credentials returns every Authorization value and the cookie's value,
// appended to auth. They alias fasthttp's buffers, which are reused once the
// request is done, without a copy: core.Verifier.Authenticate keeps nothing
// of them (its verified-token cache stores a copy of a token of its own, made
// on a miss only), and the buffers do not change while it runs.
func credentials(c *fiber.Ctx, cookieName string, auth []string) (_ []string, cookie string) {
	h := &c.Request().Header
	var cookies []string
	if c.App().Config().DisableHeaderNormalizing {
		// Header names are kept as sent: match them case-insensitively, so
		// that "authorization" is seen and a second spelling counts as a
		// second header (F13).
		h.VisitAll(func(k, v []byte) {
			switch {
			case utils.EqualFold(utils.UnsafeString(k), fiber.HeaderAuthorization):
				auth = append(auth, utils.UnsafeString(v))
			case cookieName != "" && utils.EqualFold(utils.UnsafeString(k), fiber.HeaderCookie):
				cookies = append(cookies, utils.UnsafeString(v))
			}
		})
	} else {
		// PeekAll reuses the slice it returns (not the values' bytes):
		// take the Authorization values out of it before the Cookie values
		// are read.
		for _, b := range h.PeekAll(fiber.HeaderAuthorization) {
			auth = append(auth, utils.UnsafeString(b))
		}
		if cookieName != "" {
			for _, b := range h.PeekAll(fiber.HeaderCookie) {
				cookies = append(cookies, utils.UnsafeString(b))
			}
		}
	}
	if cookieName != "" {
		cookie, _ = core.CookieValue(cookies, cookieName)
	}
	return auth, cookie
}

// fail answers err; a nil cfg writes the default answer.
func (cfg *config) fail(c *fiber.Ctx, err error) error {
	if cfg == nil {
		return WriteError(c, err, "")
	}
	if cfg.errorHandler != nil {
		return cfg.errorHandler(c, err)
	}
	return WriteError(c, err, cfg.realm)
}

// Require returns a middleware that runs policies on the verified claims of
// the request, set by New earlier in the chain. Without claims it answers as
// core.Respond(core.ErrMissingToken) (401); a refusing policy gives 403
// insufficient_scope. It uses the realm and error handler given to New. With
// no New in front of it (a misconfigured route), it answers 500
// (core.ErrMiddlewareMissing) and logs that once at ERROR.
func Require(policies ...core.Policy) fiber.Handler {
	req := core.NewRequirement(policies...)
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		if err := req.Check(ctx); err != nil {
			mw, _ := core.HandledBy(ctx)
			cfg, _ := mw.(*config) // nil without New in front
			return cfg.fail(c, err)
		}
		return c.Next()
	}
}

// Claims returns the verified claims of the request from c.Locals (they are
// also in c.UserContext(), for core.FromContext).
// Requests with the same token share them: read them, and Clone them for
// a copy to change.
func Claims(c *fiber.Ctx) (*core.Claims, bool) {
	if c == nil {
		return nil, false
	}
	claims, _ := c.Locals(claimsKey{}).(*core.Claims)
	return claims, claims != nil
}

// WriteError writes core.Respond(err, realm): the status, WWW-Authenticate
// and Retry-After when present, Content-Type application/json, and the JSON
// body. realm "" means "api". It returns the error of sending, not err, so
// that Fiber's ErrorHandler does not answer a second time.
func WriteError(c *fiber.Ctx, err error, realm string) error {
	resp := core.Respond(err, realm)
	if resp.WWWAuthenticate != "" {
		c.Set(fiber.HeaderWWWAuthenticate, resp.WWWAuthenticate)
	}
	if resp.RetryAfter != "" {
		c.Set(fiber.HeaderRetryAfter, resp.RetryAfter)
	}
	c.Set(fiber.HeaderContentType, core.ContentType)
	return c.Status(resp.Status).Send(resp.Body)
}
