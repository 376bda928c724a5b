package refresh

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/jwtgate/jwtgate/internal/httpx"
)

// maxTokenResponse caps a token endpoint answer, as x/oauth2 does.
const maxTokenResponse = 1 << 20

// OAuth2Exchanger refreshes at an OAuth 2.0 token endpoint (RFC 6749 §6),
// using golang.org/x/oauth2 for the wire: Cognito's /oauth2/token, any
// OpenID provider, public or confidential clients.
type OAuth2Exchanger struct {
	cfg    oauth2.Config
	client *http.Client
}

// NewOAuth2Exchanger returns an Exchanger for cfg's token endpoint
// (cfg.Endpoint.TokenURL, cfg.ClientID, cfg.ClientSecret). cfg is copied.
//
// Client authentication follows cfg.Endpoint.AuthStyle. With
// oauth2.AuthStyleAutoDetect (zero) the exchanger does not probe, because
// probing would send the refresh token twice: a client without a secret is
// a public client and sends client_id in the body (what Cognito's
// /oauth2/token requires); a client with a secret uses HTTP Basic, which
// RFC 6749 §2.3.1 makes mandatory for servers. Set AuthStyleInParams for a
// confidential client that must use client_secret_post.
//
// The token URL must be https, except for loopback hosts (localhost,
// 127.0.0.0/8, ::1): the refresh token and the client secret never travel
// in clear text over the network. Any other URL makes every exchange fail
// with ErrMisconfigured before anything is sent.
//
// The exchange never follows redirects, rejects answers over 1 MiB and
// success answers that are not JSON or form-encoded, and maps errors:
// invalid_grant → ErrReauthenticate; invalid_client, unauthorized_client,
// invalid_scope, invalid_request, unsupported_grant_type, a redirect or
// another 4xx → ErrMisconfigured; 429, 5xx and network errors →
// ErrUnavailable (with Retry-After). Requests go through the Transport of the
// Source's WithHTTPClient, if set.
func NewOAuth2Exchanger(cfg *oauth2.Config) *OAuth2Exchanger {
	x := &OAuth2Exchanger{}
	if cfg != nil {
		x.cfg = oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     cfg.Endpoint,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       append([]string(nil), cfg.Scopes...),
		}
	}
	if x.cfg.Endpoint.AuthStyle == oauth2.AuthStyleAutoDetect {
		if x.cfg.ClientSecret == "" {
			x.cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		} else {
			x.cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		}
	}
	x.client = tokenClient(nil)
	return x
}

// checkTokenURL refuses a token URL that is missing, not absolute, or plain
// http to a host that is not loopback. The error never quotes the URL, which
// may carry credentials.
func checkTokenURL(raw string) error {
	if raw == "" {
		return errors.New("no token URL")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("the token URL is not an absolute URL")
	}
	if !strings.EqualFold(u.Scheme, "https") && !(strings.EqualFold(u.Scheme, "http") && httpx.IsLoopbackHost(u.Hostname())) {
		return errors.New("the token URL must be https (http only for loopback hosts)")
	}
	return nil
}

// tokenClient is the client for token endpoint requests: hc's Transport (or
// http.DefaultTransport), no redirects, capped and checked answers.
func tokenClient(hc *http.Client) *http.Client {
	var base http.RoundTripper = http.DefaultTransport
	if hc != nil && hc.Transport != nil {
		base = hc.Transport
	}
	return &http.Client{
		Transport:     &tokenTransport{base: base},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Exchange implements Exchanger: one POST grant_type=refresh_token, with
// time.Now as the clock.
func (x *OAuth2Exchanger) Exchange(ctx context.Context, refreshToken string) (*Tokens, error) {
	return x.ExchangeRequest(ctx, Request{Current: &Tokens{RefreshToken: refreshToken}, Now: time.Now})
}

// ExchangeRequest implements RequestExchanger: one POST
// grant_type=refresh_token for r.Current.RefreshToken; expires_in is
// measured from r.Now when the answer arrives.
func (x *OAuth2Exchanger) ExchangeRequest(ctx context.Context, r Request) (*Tokens, error) {
	if err := checkTokenURL(x.cfg.Endpoint.TokenURL); err != nil {
		return nil, &ExchangeError{Kind: ErrMisconfigured, Err: err}
	}
	if r.Current == nil || r.Current.RefreshToken == "" {
		return nil, errNoRefreshToken
	}
	client := x.client
	if r.HTTPClient != nil {
		client = tokenClient(r.HTTPClient)
	}
	hctx := context.WithValue(ctx, oauth2.HTTPClient, client)
	tok, err := x.cfg.TokenSource(hctx, &oauth2.Token{RefreshToken: r.Current.RefreshToken}).Token()
	if err != nil {
		return nil, x.classify(ctx, err, r)
	}
	t := &Tokens{
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		TokenType:    tok.TokenType,
		Expiry:       expiryFromSeconds(expiresIn(tok), r.now()),
	}
	if id, ok := tok.Extra("id_token").(string); ok {
		t.IDToken = id
	}
	return t, nil
}

// expiresIn reads expires_in from the answer: a number or a numeric string,
// in JSON or form encoding. 0 means absent or unreadable.
func expiresIn(tok *oauth2.Token) int64 {
	if tok.ExpiresIn != 0 {
		return tok.ExpiresIn
	}
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		if v > 1e12 {
			return 1e12
		}
		if v < -1e12 {
			return -1
		}
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	case string:
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n
	}
	return 0
}

// classify maps an x/oauth2 error to an *ExchangeError without keeping any
// text that may echo the response body.
func (x *OAuth2Exchanger) classify(ctx context.Context, err error, r Request) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		xe := &ExchangeError{Code: re.ErrorCode, Description: scrub(re.ErrorDescription, secretsOf(r, x.cfg.ClientSecret)...)}
		if re.Response != nil {
			xe.StatusCode = re.Response.StatusCode
			xe.RetryAfter = httpx.RetryAfter(re.Response.Header.Get("Retry-After"), r.now(), maxRetryAfter)
		}
		xe.Kind = oauthErrorKind(re.ErrorCode, xe.StatusCode)
		if xe.StatusCode >= 300 && xe.StatusCode < 400 {
			xe.Err = errors.New("token endpoint redirected; redirects are not followed")
		}
		return xe
	}
	var te *tokenResponseError
	if errors.As(err, &te) {
		return &ExchangeError{Kind: ErrInvalidResponse, StatusCode: te.status, Err: te}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// Transport failure: the URL is the token endpoint's, never a token.
		return &ExchangeError{Kind: ErrUnavailable, Err: ue}
	}
	if ctx.Err() != nil {
		return &ExchangeError{Kind: ErrUnavailable, Err: ctx.Err()}
	}
	// x/oauth2 parse failures ("cannot parse json", "server response missing
	// access_token"): their text may quote the body, so it is not kept.
	msg := "the answer could not be read as a token response"
	if strings.Contains(err.Error(), "missing access_token") {
		msg = "no access_token"
	}
	return &ExchangeError{Kind: ErrInvalidResponse, Err: errors.New(msg)}
}

func oauthErrorKind(code string, status int) error {
	switch code {
	case "invalid_grant":
		return ErrReauthenticate
	case "invalid_client", "unauthorized_client", "invalid_scope", "invalid_request",
		"unsupported_grant_type", "access_denied":
		return ErrMisconfigured
	case "temporarily_unavailable", "server_error", "slow_down":
		return ErrUnavailable
	}
	switch {
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, status >= 500:
		return ErrUnavailable
	case status >= 200 && status < 300:
		// 200 with an unknown error code.
		return ErrMisconfigured
	default:
		return ErrMisconfigured
	}
}

// secretsOf lists the secrets an error description might echo.
func secretsOf(r Request, extra ...string) []string {
	if cur := r.Current; cur != nil {
		extra = append(extra, cur.AccessToken, cur.IDToken, cur.RefreshToken)
	}
	return extra
}

// tokenTransport caps token endpoint answers and, for the OAuth 2.0 token
// endpoint, checks the content type of successful ones before x/oauth2
// reads them.
type tokenTransport struct {
	base http.RoundTripper
	// anyType skips the content type check and leaves Accept alone: the
	// Cognito API's answers are read by the AWS SDK, which refuses what it
	// cannot decode.
	anyType bool
}

type tokenResponseError struct {
	status int
	msg    string
}

func (e *tokenResponseError) Error() string { return e.msg }

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req
	if !t.anyType && r.Header.Get("Accept") == "" {
		r = req.Clone(req.Context())
		r.Header.Set("Accept", "application/json")
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading token response: %w", err)
	}
	if len(body) > maxTokenResponse {
		return nil, &tokenResponseError{status: resp.StatusCode, msg: "token response larger than 1 MiB"}
	}
	if !t.anyType && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		switch {
		case ct == "application/json", strings.HasSuffix(ct, "+json"),
			ct == "application/x-www-form-urlencoded":
		default:
			return nil, &tokenResponseError{status: resp.StatusCode,
				msg: fmt.Sprintf("token response content type %q is not JSON", sanitizeCode(ct))}
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}
