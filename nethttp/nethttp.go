package nethttp

import (
	"net/http"

	"github.com/jwtgate/jwtgate/core"
)

// Option configures a Middleware.
type Option func(*config)

type config struct {
	realm        string
	optional     bool
	cookie       string
	query        string // WithQueryToken
	bare         bool   // WithBareToken
	skip         func(*http.Request) bool
	errorHandler func(http.ResponseWriter, *http.Request, error)
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

// WithSkip lets requests for which skip returns true through without any
// check and without claims (health checks, CORS preflight). If nil, no
// request is skipped.
func WithSkip(skip func(r *http.Request) bool) Option { return func(c *config) { c.skip = skip } }

// WithErrorHandler replaces the writing of refusals: h receives the core
// error (match it with errors.Is against the core sentinels) and writes the
// answer itself; the next handler is not called. WriteError writes the
// default answer. The error may wrap internal detail: never send err.Error()
// to the client. If nil, WriteError is used.
func WithErrorHandler(h func(w http.ResponseWriter, r *http.Request, err error)) Option {
	return func(c *config) { c.errorHandler = h }
}

// Middleware authenticates requests with a core.Verifier. It is safe for
// concurrent use.
type Middleware struct {
	v   *core.Verifier
	cfg config
}

// New returns a Middleware that verifies requests with v. If v is nil, every
// request that reaches verification is refused with 503.
func New(v *core.Verifier, opts ...Option) *Middleware {
	m := &Middleware{v: v}
	for _, o := range opts {
		if o != nil {
			o(&m.cfg)
		}
	}
	return m
}

// Handler returns next behind authentication. A request with a valid token
// reaches next with the claims in its context (core.FromContext); any other
// request gets core.Respond's answer, unless it is skipped or credentials are
// optional and it carries none.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The request context carries the mark that this middleware handled
		// the request, with its configuration, for a Require further on.
		if m.cfg.skip != nil && m.cfg.skip(r) {
			next.ServeHTTP(w, r.WithContext(core.Handled(r.Context(), &m.cfg)))
			return
		}
		// The header map is read with canonical keys directly: Values would
		// canonicalize them again on every request (same values, no copy).
		var cookie string
		if m.cfg.cookie != "" {
			cookie, _ = core.CookieValue(r.Header["Cookie"], m.cfg.cookie)
		}
		var query []string
		if m.cfg.query != "" {
			query = r.URL.Query()[m.cfg.query]
		}
		ctx, _, err := m.v.AuthenticateContext(r.Context(), core.Credentials{
			Authorization: r.Header["Authorization"], Cookie: cookie, Query: query, BareToken: m.cfg.bare, Optional: m.cfg.optional,
			Middleware: &m.cfg,
		})
		if err != nil {
			m.cfg.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// fail writes the refusal of err; a nil c writes the default answer.
func (c *config) fail(w http.ResponseWriter, r *http.Request, err error) {
	if c == nil {
		WriteError(w, err, "")
		return
	}
	if c.errorHandler != nil {
		c.errorHandler(w, r, err)
		return
	}
	WriteError(w, err, c.realm)
}

// Require returns a middleware that runs policies on the verified claims of
// the request, set by a Middleware earlier in the chain. Without claims it
// answers as core.Respond(core.ErrMissingToken) (401); a refusing policy
// gives 403 insufficient_scope. It uses the realm and error handler of the
// Middleware that handled the request. With no Middleware in front of it
// (a misconfigured route), it answers 500 (core.ErrMiddlewareMissing) and
// logs that once at ERROR.
func Require(policies ...core.Policy) func(http.Handler) http.Handler {
	req := core.NewRequirement(policies...)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := req.Check(r.Context()); err != nil {
				mw, _ := core.HandledBy(r.Context())
				cfg, _ := mw.(*config) // nil without a Middleware in front
				cfg.fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Claims returns the verified claims of r, as core.FromContext does.
// Requests with the same token share them: read them, and Clone them for
// a copy to change.
func Claims(r *http.Request) (*core.Claims, bool) {
	return core.FromContext(r.Context())
}

// WriteError writes core.Respond(err, realm): the status, WWW-Authenticate
// and Retry-After when present, Content-Type application/json, and the JSON
// body. realm "" means "api".
func WriteError(w http.ResponseWriter, err error, realm string) {
	resp := core.Respond(err, realm)
	h := w.Header()
	if resp.WWWAuthenticate != "" {
		h.Set("WWW-Authenticate", resp.WWWAuthenticate)
	}
	if resp.RetryAfter != "" {
		h.Set("Retry-After", resp.RetryAfter)
	}
	h.Set("Content-Type", core.ContentType)
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}
