package refresh

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/oauth2"

	"github.com/jwtgate/jwtgate/internal/httpx"
)

// Transport returns an http.RoundTripper that sends every request through
// base with "Authorization: Bearer <access token>" from s. If base is nil,
// http.DefaultTransport is used.
//
// The access token goes only to the origins set with WithHosts or, without
// that option, to the origin (scheme, host and port, default ports filled
// in) of the first request any Transport of s sends; a loopback host
// (localhost, 127.0.0.0/8, ::1) matches by name on any scheme and, unless
// a WithHosts entry gives its port, on any port, so one Source can serve
// several local APIs. The token never goes over plain
// http to a host that is not loopback, unless WithHosts names that origin
// as "http://host[:port]". A request to any other origin is passed to base
// as it is, without the token and without a refresh on 401; a redirect to
// one (the http.Client following a 3xx, say from https to http or to
// another port) also loses any Authorization header it carries. Host names
// match case-insensitively.
//
// The request is cloned before the header is set; the caller's request is
// never changed. When the answer is 401 with a Bearer challenge whose error
// is "invalid_token" or absent (or no challenge at all), the transport
// refreshes — only if the token it sent is still the current one; otherwise
// another request already refreshed it — and retries the request once with
// the new token, provided the body can be replayed (no body, or
// req.GetBody set, as http.NewRequest does for in-memory bodies). It never
// refreshes on 403 or on a challenge for another scheme (e.g. DPoP), and it
// never retries twice: a second 401 is returned as is. If the refresh fails,
// the first 401 is returned untouched.
//
// The refresh token is never sent by this transport: only the token
// endpoint ever sees it.
func (s *Source) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{s: s, base: base}
}

type transport struct {
	s    *Source
	base http.RoundTripper
}

func closeBody(r *http.Request) {
	if r.Body != nil {
		r.Body.Close()
	}
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	ok, cleartext, err := t.s.hosts.allows(req.URL)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if !ok {
		redirect := req.Response != nil
		if redirect && req.Header.Get("Authorization") != "" {
			// A redirect away from the token's origins: whatever
			// credential the first request carried stays behind.
			r := req.Clone(ctx)
			r.Header.Del("Authorization")
			req = r
		}
		if cleartext && !redirect {
			t.s.log.LogAttrs(ctx, slog.LevelWarn, "refresh: not sending the access token over plain http to a host that is not loopback; list http://host:port in WithHosts to allow it",
				slog.String("host", req.URL.Host))
		} else {
			t.s.log.LogAttrs(ctx, slog.LevelDebug, "refresh: origin is not among the token's origins; sending without the access token",
				slog.String("scheme", req.URL.Scheme), slog.String("host", req.URL.Host), slog.Bool("redirect", redirect))
		}
		return t.base.RoundTrip(req)
	}
	tok, err := t.s.Token(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	r1 := req.Clone(ctx)
	r1.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := t.base.RoundTrip(r1)
	if err != nil || !refreshable(resp) {
		return resp, err
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	nt, rerr := t.s.tokenAfterReject(ctx, tok.AccessToken)
	if rerr != nil {
		t.s.log.LogAttrs(ctx, slog.LevelWarn, "refresh: refresh after 401 failed; returning the 401", slog.Any("error", rerr))
		return resp, nil
	}
	if nt.AccessToken == tok.AccessToken || !replayable {
		return resp, nil
	}
	var body io.ReadCloser
	if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		body, err = req.GetBody()
		if err != nil {
			return resp, nil
		}
	}
	// The first answer is dropped: drain a little so the connection can be
	// reused, then close it.
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()

	r2 := req.Clone(ctx)
	r2.Body = body
	if body == nil && req.Body == http.NoBody {
		r2.Body = http.NoBody
	}
	r2.Header.Set("Authorization", "Bearer "+nt.AccessToken)
	return t.base.RoundTrip(r2)
}

// hostSet is where a Source's Transport sends the access token: the
// origins of WithHosts, or else the first request's origin, pinned on first
// use.
type hostSet struct {
	fixed  []origin // from WithHosts; nil: pin the first request's origin
	err    error    // a WithHosts entry that is not a host
	pinned atomic.Pointer[origin]
}

// origin is a place the access token may go: scheme, host and port, with
// the default port filled in.
type origin struct {
	scheme string // "https" or "http"
	host   string // normalised by normHost
	port   string // decimal; "" only for a loopback host named without a port: any port
	// plain is set by an explicit "http://" entry of WithHosts: the only
	// way the token goes over plain http to a host that is not loopback.
	plain bool
}

// admits reports whether the token may go to r (a request's origin) under
// o. A loopback host matches by name on any scheme (the token does not leave
// the machine) and on any port unless o names one; any other host needs the
// same scheme and port, and plain http needs an explicit http:// entry.
func (o origin) admits(r origin, loopback bool) bool {
	if o.host != r.host {
		return false
	}
	if loopback {
		return o.port == "" || o.port == r.port
	}
	if o.scheme != r.scheme || o.port != r.port {
		return false
	}
	return r.scheme == "https" || o.plain
}

// newHostSet parses WithHosts entries (see parseHostEntry).
func newHostSet(entries []string) *hostSet {
	hs := &hostSet{}
	for _, e := range entries {
		o, ok := parseHostEntry(e)
		if !ok {
			hs.err = fmt.Errorf("%w: WithHosts: %q is not a host, host:port or http(s)://host[:port]", ErrMisconfigured, e)
			return hs
		}
		hs.fixed = append(hs.fixed, o)
	}
	return hs
}

// parseHostEntry reads a WithHosts entry: "host", "host:port", "[v6]:port"
// or a bare IPv6 address (all https), "https://host[:port]" or
// "http://host[:port]". Without a port the scheme's default port is meant,
// except for a loopback host, which then matches any port.
func parseHostEntry(e string) (origin, bool) {
	e = strings.TrimSpace(e)
	if a, err := netip.ParseAddr(e); err == nil {
		return newOrigin("https", a.String(), "", true)
	}
	raw, scheme := "//"+e, "https"
	if i := strings.Index(e, "://"); i >= 0 {
		raw, scheme = e, strings.ToLower(e[:i])
		if scheme != "https" && scheme != "http" {
			return origin{}, false
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return origin{}, false
	}
	if strings.HasSuffix(u.Host, ":") {
		return origin{}, false // "host:" names no port
	}
	for i := 0; i < len(u.Hostname()); i++ {
		if c := u.Hostname()[i]; !httpx.IsTchar(c) && c != ':' {
			return origin{}, false
		}
	}
	o, ok := newOrigin(scheme, u.Hostname(), u.Port(), true)
	o.plain = scheme == "http"
	return o, ok
}

// newOrigin builds an origin from a URL's parts. An empty port means the
// scheme's default port, or any port for a loopback host when anyLoopback
// is set. ok is false for a port out of range.
func newOrigin(scheme, host, port string, anyLoopback bool) (origin, bool) {
	o := origin{scheme: strings.ToLower(scheme), host: normHost(host)}
	if port == "" {
		if anyLoopback && httpx.IsLoopbackHost(o.host) {
			return o, true
		}
		switch o.scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return o, false
	}
	o.port = strconv.Itoa(n)
	return o, true
}

// normHost lower-cases a host name and drops a trailing dot; IP addresses
// are put in their canonical form.
func normHost(h string) string {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().String()
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// allows reports whether the access token may go to u, pinning u's origin
// when no origin is set yet. cleartext reports a refusal that is only about
// plain http: u's host is one of the token's hosts.
func (hs *hostSet) allows(u *url.URL) (ok, cleartext bool, err error) {
	if hs.err != nil {
		return false, false, hs.err
	}
	r, valid := newOrigin(u.Scheme, u.Hostname(), u.Port(), false)
	if !valid || (r.scheme != "https" && r.scheme != "http") {
		return false, false, nil
	}
	loopback := httpx.IsLoopbackHost(r.host)
	allowed := hs.fixed
	if allowed == nil {
		p := hs.pinned.Load()
		if p == nil {
			pin := r
			if loopback {
				pin.port = "" // any port of a loopback host
			}
			hs.pinned.CompareAndSwap(nil, &pin)
			p = hs.pinned.Load()
		}
		allowed = []origin{*p}
	}
	known := false
	for _, a := range allowed {
		if a.admits(r, loopback) {
			return true, false, nil
		}
		known = known || a.host == r.host
	}
	return false, known && r.scheme == "http" && !loopback, nil
}

// refreshable reports whether resp says the access token was rejected (and
// not, say, that a scope is missing or another scheme is wanted).
func refreshable(resp *http.Response) bool {
	if resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	values := resp.Header.Values("WWW-Authenticate")
	if len(values) == 0 {
		return true // a bare 401: the token is the only credential we sent
	}
	for _, v := range values {
		for _, c := range parseChallenges(v) {
			if !strings.EqualFold(c.scheme, "Bearer") {
				continue
			}
			e, ok := c.params["error"]
			if !ok || e == "invalid_token" {
				return true
			}
		}
	}
	return false
}

type challenge struct {
	scheme string
	params map[string]string
}

// parseChallenges parses a WWW-Authenticate value (RFC 9110 §11.6.1) into
// challenges with their auth-params (names lower-cased). token68 values are
// ignored.
func parseChallenges(v string) []challenge {
	var out []challenge
	for _, item := range splitOutsideQuotes(v) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		n := tokenLen(item)
		if n == 0 {
			continue
		}
		rest := strings.TrimLeft(item[n:], " \t")
		if strings.HasPrefix(rest, "=") && len(out) > 0 {
			// name=value continuing the current challenge.
			addParam(&out[len(out)-1], item)
			continue
		}
		c := challenge{scheme: item[:n], params: map[string]string{}}
		if rest != "" {
			if m := tokenLen(rest); m > 0 && strings.HasPrefix(strings.TrimLeft(rest[m:], " \t"), "=") &&
				!strings.HasPrefix(strings.TrimLeft(rest[m:], " \t"), "==") {
				addParam(&c, rest)
			} // else token68: ignored
		}
		out = append(out, c)
	}
	return out
}

// addParam parses "name = value" (value a token or a quoted-string) into c.
func addParam(c *challenge, p string) {
	n := tokenLen(p)
	name := strings.ToLower(p[:n])
	val := strings.TrimLeft(p[n:], " \t")
	val = strings.TrimSpace(strings.TrimPrefix(val, "="))
	if strings.HasPrefix(val, "\"") {
		var b strings.Builder
		for i := 1; i < len(val) && val[i] != '"'; i++ {
			if val[i] == '\\' && i+1 < len(val) {
				i++
			}
			b.WriteByte(val[i])
		}
		val = b.String()
	} else {
		val = val[:tokenLen(val)]
	}
	c.params[name] = val
}

// splitOutsideQuotes splits v at commas that are not inside a quoted-string.
func splitOutsideQuotes(v string) []string {
	var out []string
	start, inQ := 0, false
	for i := 0; i < len(v); i++ {
		switch {
		case inQ && v[i] == '\\':
			i++
		case v[i] == '"':
			inQ = !inQ
		case !inQ && v[i] == ',':
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

func tokenLen(s string) int {
	i := 0
	for i < len(s) && httpx.IsTchar(s[i]) {
		i++
	}
	return i
}

// TokenSource adapts s to golang.org/x/oauth2, for code that takes an
// oauth2.TokenSource (oauth2.NewClient, oauth2.Transport, Google API
// clients). Each Token call waits for at most one refresh, bounded by the
// Source's own timeouts; use Source.Token directly to bound the wait with a
// context. The returned oauth2.Token carries the access token, its type
// and expiry, and the ID token as Extra("id_token"); the refresh token stays
// inside the Source. WithHosts does not apply there: an oauth2.Transport
// sends the token to every host its client calls.
func (s *Source) TokenSource() oauth2.TokenSource { return oauth2TokenSource{s} }

type oauth2TokenSource struct{ s *Source }

func (o oauth2TokenSource) Token() (*oauth2.Token, error) {
	t, err := o.s.Token(context.Background())
	if err != nil {
		return nil, err
	}
	ot := &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, Expiry: t.Expiry}
	if t.IDToken != "" {
		ot = ot.WithExtra(map[string]any{"id_token": t.IDToken})
	}
	return ot, nil
}
