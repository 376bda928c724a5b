package refresh

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"

	"golang.org/x/oauth2"

	"github.com/jwtgate/jwtgate/internal/httpx"
)

// Transport returns an http.RoundTripper that sends every request through
// base with "Authorization: Bearer <access token>" from s. If base is nil,
// http.DefaultTransport is used.
//
// The access token goes only to the hosts set with WithHosts or, without
// that option, to the host of the first request any Transport of s sends.
// A request to another host is passed to base as it is, without the token
// and without a refresh on 401; a redirect to another host (the
// http.Client following a 3xx) also loses any Authorization header it
// carries. Host names match case-insensitively; a port is compared only
// when WithHosts names one.
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
	ok, err := t.s.hosts.allows(req.URL)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if !ok {
		if req.Response != nil && req.Header.Get("Authorization") != "" {
			// A redirect away from the allowed hosts: whatever credential
			// the first request carried stays behind.
			r := req.Clone(ctx)
			r.Header.Del("Authorization")
			req = r
		}
		t.s.log.LogAttrs(ctx, slog.LevelDebug, "refresh: host is not among the token's hosts; sending without the access token",
			slog.String("host", req.URL.Hostname()), slog.Bool("redirect", req.Response != nil))
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

// hostSet is where a Source's Transport sends the access token: the hosts
// of WithHosts, or else the first request's host, pinned on first use.
type hostSet struct {
	fixed  []hostPort // from WithHosts; nil: pin the first host
	err    error      // a WithHosts entry that is not a host
	pinned atomic.Pointer[string]
}

// hostPort is an allowed host; port "" allows any port.
type hostPort struct{ host, port string }

// newHostSet parses WithHosts entries: "host", "host:port", "[v6]:port",
// a bare IPv6 address, or an absolute URL (its host and explicit port).
func newHostSet(entries []string) *hostSet {
	hs := &hostSet{}
	for _, e := range entries {
		hp, ok := parseHostEntry(e)
		if !ok {
			hs.err = fmt.Errorf("%w: WithHosts: %q is not a host name or host:port", ErrMisconfigured, e)
			return hs
		}
		hs.fixed = append(hs.fixed, hp)
	}
	return hs
}

func parseHostEntry(e string) (hostPort, bool) {
	e = strings.TrimSpace(e)
	if a, err := netip.ParseAddr(e); err == nil {
		return hostPort{host: normHost(a.String())}, true
	}
	raw := e
	if !strings.Contains(e, "://") {
		raw = "//" + e
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return hostPort{}, false
	}
	for i := 0; i < len(u.Hostname()); i++ {
		if c := u.Hostname()[i]; !httpx.IsTchar(c) && c != ':' {
			return hostPort{}, false
		}
	}
	return hostPort{host: normHost(u.Hostname()), port: u.Port()}, true
}

// normHost lower-cases a host name and drops a trailing dot; IP addresses
// are put in their canonical form.
func normHost(h string) string {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().String()
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// allows reports whether the access token may go to u, pinning u's host
// when no host is set yet.
func (hs *hostSet) allows(u *url.URL) (bool, error) {
	if hs.err != nil {
		return false, hs.err
	}
	host := normHost(u.Hostname())
	if hs.fixed == nil {
		if p := hs.pinned.Load(); p != nil {
			return *p == host, nil
		}
		hs.pinned.CompareAndSwap(nil, &host)
		return *hs.pinned.Load() == host, nil
	}
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	for _, a := range hs.fixed {
		if a.host == host && (a.port == "" || a.port == port) {
			return true, nil
		}
	}
	return false, nil
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
