package keyset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/internal/httpx"
	"github.com/jwtgate/jwtgate/internal/strictjson"
)

// errRedirect is returned for any redirect: JWKS and discovery fetches never
// follow one (J11), so they cannot be sent to another host.
var errRedirect = errors.New("redirects are not followed")

// fetchResult is the outcome of one fetch of a remote set.
type fetchResult struct {
	keys       map[string]keyEntry
	err        error
	url        string        // the JWKS (or discovery) URL, redacted, for logs and status
	maxAge     time.Duration // Cache-Control max-age, or -1
	retryAfter time.Duration // Retry-After of a 429/503, bounded, or 0
}

// fetchClient returns the client of one remote set: borrow's Transport (TLS,
// proxies) if given, else a Transport of its own, with jwtgate's total
// timeout and no redirects whatever borrow says. The second result is the
// Transport it owns, if any.
func fetchClient(borrow *http.Client, timeout time.Duration) (*http.Client, *http.Transport) {
	c := &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return errRedirect },
	}
	if borrow != nil && borrow.Transport != nil {
		c.Transport = borrow.Transport
		return c, nil
	}
	var t *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		t = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	c.Transport = t
	return c, t
}

// checkFetchURL applies the URL rules of K01/J12 to a JWKS, discovery or
// jwks_uri URL: absolute, no credentials, https — or http to a loopback host
// (127.0.0.0/8, ::1, localhost), or any http when insecure (tests only).
func checkFetchURL(raw string, insecure bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad URL: %w", withoutURL(err))
	}
	if u.User != nil {
		return errors.New("URL must not carry credentials")
	}
	if u.Host == "" {
		return fmt.Errorf("URL %q has no host", RedactURL(raw))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if insecure || httpx.IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("URL %q must use https (http only for loopback hosts)", RedactURL(raw))
	}
	return fmt.Errorf("URL %q must use https", RedactURL(raw))
}

// RedactURL returns raw as it may appear in a log or an error: its query,
// fragment and userinfo replaced by REDACTED (a JWKS URL may carry an API
// key, as in https://idp.example/jwks?REDACTED). The scheme, host and path
// stay, so that operators can tell which server failed.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery, u.ForceQuery = "REDACTED", false
	}
	if u.Fragment != "" || u.RawFragment != "" {
		u.Fragment, u.RawFragment = "REDACTED", ""
	}
	return u.String()
}

// withoutURL strips the URL that net/url and net/http put into their errors
// (*url.Error), keeping the operation's own error.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// fetch loads the remote set once: discovery first when the JWKS URL is not
// known yet, then the JWK Set. ctx carries the total timeout.
func (ks *Set) fetch(ctx context.Context) fetchResult {
	r := ks.remote
	res := fetchResult{maxAge: -1}
	if r.jwksURL == "" {
		d := discoveryURL(ks.issuer)
		res.url = RedactURL(d)
		u, err := ks.discoverJWKSURL(ctx, d, &res)
		if err != nil {
			res.err = err
			return res
		}
		// Written only inside a flight; flights run one at a time, ordered by ks.mu.
		r.jwksURL = u
	}
	res.url = RedactURL(r.jwksURL)
	body, err := ks.get(ctx, r.jwksURL, &res)
	if err != nil {
		res.err = err
		return res
	}
	var dropped []droppedKey
	keys, err := parseJWKS(body, parseRules{fetched: true, order: ks.opts.Order}, collect(&dropped))
	ks.logDropped(dropped)
	if err != nil {
		res.err = err
		return res
	}
	res.keys = keys
	return res
}

// discoveryURL is the OpenID Connect discovery document of issuer
// (OIDC Discovery §4: a trailing "/" of the issuer is removed first).
func discoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// discoverJWKSURL reads the discovery document at u: its issuer must equal
// the configured issuer exactly, and its jwks_uri must pass checkFetchURL.
func (ks *Set) discoverJWKSURL(ctx context.Context, u string, res *fetchResult) (string, error) {
	body, err := ks.get(ctx, u, res)
	if err != nil {
		return "", err
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := strictjson.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("discovery document is not strict JSON (case-sensitive names, no repeated name): %w", err)
	}
	if doc.Issuer != ks.issuer {
		return "", fmt.Errorf("discovery document names issuer %q, not the configured one", doc.Issuer)
	}
	if doc.JWKSURI == "" {
		return "", errors.New("discovery document has no jwks_uri")
	}
	if err := checkFetchURL(doc.JWKSURI, ks.opts.insecureHTTP); err != nil {
		return "", fmt.Errorf("discovered jwks_uri: %w", err)
	}
	return doc.JWKSURI, nil
}

// get fetches u: status 200, a JSON media type (or none), at most maxBody
// bytes. It records Cache-Control max-age and, on 429/503, Retry-After.
func (ks *Set) get(ctx context.Context, u string, res *fetchResult) ([]byte, error) {
	shown := RedactURL(u)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("building request for %s: %w", shown, withoutURL(err))
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := ks.remote.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", shown, withoutURL(err))
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			res.retryAfter = httpx.RetryAfter(resp.Header.Get("Retry-After"), time.Now(), ks.opts.retryAfterMax)
		}
		return nil, fmt.Errorf("fetching %s: status %d", shown, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !isJSONMediaType(mt) {
			return nil, fmt.Errorf("fetching %s: content type %q is not JSON", shown, ct)
		}
	}
	limit := ks.opts.maxBody
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("fetching %s: body of %d bytes exceeds the %d byte cap", shown, resp.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", shown, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("fetching %s: body exceeds the %d byte cap", shown, limit)
	}
	res.maxAge = parseMaxAge(resp.Header.Values("Cache-Control"))
	return body, nil
}

// isJSONMediaType accepts application/json and application/*+json
// (application/jwk-set+json). HTML and text are refused (J05).
func isJSONMediaType(mt string) bool {
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// parseMaxAge returns the max-age of Cache-Control header values, or -1.
func parseMaxAge(values []string) time.Duration {
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			d = strings.TrimSpace(d)
			if len(d) > 8 && strings.EqualFold(d[:8], "max-age=") {
				n, err := strconv.ParseInt(strings.Trim(d[8:], `"`), 10, 64)
				if err != nil || n < 0 {
					return -1
				}
				if n > int64(365*24*time.Hour/time.Second) {
					n = int64(365 * 24 * time.Hour / time.Second)
				}
				return time.Duration(n) * time.Second
			}
		}
	}
	return -1
}
