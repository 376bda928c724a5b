package idp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// OIDC is a running oidc-provider (testdata/oidc-server.mjs) with fixed
// clients, accounts and resources. Its fields are read-only.
type OIDC struct {
	// PublicClientID is a public client (no secret, PKCE) with the
	// authorization_code and refresh_token grants; its refresh tokens rotate
	// on every use and a reused one gives invalid_grant.
	PublicClientID string
	// WebClientID and WebClientSecret are a confidential client
	// (client_secret_basic) with authorization_code and refresh_token; its
	// refresh tokens do not rotate.
	WebClientID, WebClientSecret string
	// MachineClientID and MachineClientSecret are a confidential client with
	// the client_credentials grant only.
	MachineClientID, MachineClientSecret string
	// RedirectURI is the redirect URI of the public and web clients. Nothing
	// listens there: Login stops at the redirect and reads the code.
	RedirectURI string

	// Resource is the default resource indicator: access tokens for it are
	// JWTs (typ at+jwt) signed RS256 with aud = Resource.
	Resource string
	// ESResource is a second resource whose access tokens are signed ES256.
	ESResource string
	// ResourceScopes are the scopes both resources know ("read", "write").
	ResourceScopes []string

	// Account is the default account ("alice"): email AccountEmail, groups
	// AccountGroups (the "groups" claim in ID and access tokens), and the
	// custom access-token claim "tenant" = AccountTenant. Account "bob" has
	// no groups and tenant "other".
	Account, AccountEmail, AccountTenant string
	AccountGroups                        []string

	// AccessTTL is the lifetime of access and ID tokens.
	AccessTTL time.Duration

	issuer, authURL, tokenURL, jwksURL string
}

// OIDCProvider returns the oidc-provider of this test process, starting it
// on first use. Its issuer is http://127.0.0.1:PORT. It skips or fails t
// when it cannot run (see the package doc).
func OIDCProvider(t testing.TB) *OIDC {
	t.Helper()
	return h.oidc.get(t, startOIDC)
}

// Issuer returns the iss value of the provider's tokens.
func (o *OIDC) Issuer() string { return o.issuer }

// JWKSURL returns the provider's JWK Set URL (RS256 and ES256 keys).
func (o *OIDC) JWKSURL() string { return o.jwksURL }

// TokenURL returns the token endpoint.
func (o *OIDC) TokenURL() string { return o.tokenURL }

// AuthURL returns the authorization endpoint.
func (o *OIDC) AuthURL() string { return o.authURL }

// Tokens is a token endpoint answer.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
}

// AuthRequest selects what Login asks for. Every field is optional.
type AuthRequest struct {
	// ClientID is PublicClientID or WebClientID. If empty, PublicClientID.
	ClientID string
	// Account is the account to log in (login_hint). If empty, Account.
	Account string
	// Scope is the scope parameter. If empty,
	// "openid offline_access email groups read write".
	Scope string
	// Resource is the resource indicator. If empty, none is sent and the
	// provider uses Resource.
	Resource string
}

// Login runs the authorization code flow with PKCE (S256) over plain HTTP:
// GET /auth, the auto-approving interaction, the redirect with the code, and
// the code exchange. It fails t on error.
func (o *OIDC) Login(t testing.TB, req AuthRequest) *Tokens {
	t.Helper()
	tok, err := o.login(context.Background(), req)
	if err != nil {
		t.Fatalf("oidc-provider login: %v", err)
	}
	return tok
}

// AccessToken logs Account in with the public client for the default
// resource and returns the access token. scopes, if given, replace "read
// write" as the resource scopes asked for.
func (o *OIDC) AccessToken(t testing.TB, scopes ...string) string {
	t.Helper()
	req := AuthRequest{}
	if len(scopes) > 0 {
		req.Scope = "openid offline_access email groups " + strings.Join(scopes, " ")
	}
	return o.Login(t, req).AccessToken
}

// ClientCredentials gets an access token for the machine client
// (client_credentials). resource "" means Resource; scopes may be empty.
func (o *OIDC) ClientCredentials(t testing.TB, resource string, scopes ...string) *Tokens {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if resource != "" {
		form.Set("resource", resource)
	}
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
	tok, err := o.token(context.Background(), o.MachineClientID, form)
	if err != nil {
		t.Fatalf("oidc-provider client_credentials: %v", err)
	}
	return tok
}

// Refresh uses refresh at the token endpoint as clientID (PublicClientID
// or WebClientID). A refused refresh token is an *OAuthError with Code
// "invalid_grant".
func (o *OIDC) Refresh(ctx context.Context, clientID, refresh string) (*Tokens, error) {
	return o.token(ctx, clientID, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
}

// OAuthError is an error answer of the token endpoint (RFC 6749 §5.2).
type OAuthError struct {
	Status      int
	Code        string // "error"
	Description string // "error_description"
}

func (e *OAuthError) Error() string {
	return fmt.Sprintf("oidc-provider: %d %s: %s", e.Status, e.Code, e.Description)
}

// token posts form to the token endpoint, authenticating as clientID.
func (o *OIDC) token(ctx context.Context, clientID string, form url.Values) (*Tokens, error) {
	secret := map[string]string{o.WebClientID: o.WebClientSecret, o.MachineClientID: o.MachineClientSecret}[clientID]
	if secret == "" {
		form.Set("client_id", clientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code        string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(b, &e)
		return nil, &OAuthError{Status: resp.StatusCode, Code: e.Code, Description: e.Description}
	}
	var tok Tokens
	if err := json.Unmarshal(b, &tok); err != nil {
		return nil, fmt.Errorf("decode token answer: %w", err)
	}
	if tok.AccessToken == "" {
		return nil, errors.New("token answer has no access_token")
	}
	return &tok, nil
}

func (o *OIDC) login(ctx context.Context, r AuthRequest) (*Tokens, error) {
	if r.ClientID == "" {
		r.ClientID = o.PublicClientID
	}
	if r.Account == "" {
		r.Account = o.Account
	}
	if r.Scope == "" {
		r.Scope = "openid offline_access email groups " + strings.Join(o.ResourceScopes, " ")
	}
	verifier := randomString(32)
	challenge := sha256.Sum256([]byte(verifier))
	state := randomString(12)
	q := url.Values{
		"client_id":             {r.ClientID},
		"response_type":         {"code"},
		"redirect_uri":          {o.RedirectURI},
		"scope":                 {r.Scope},
		"state":                 {state},
		"nonce":                 {randomString(12)},
		"login_hint":            {r.Account},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(challenge[:])},
		"code_challenge_method": {"S256"},
	}
	if r.Resource != "" {
		q.Set("resource", r.Resource)
	}

	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	var final *url.URL
	browser := &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), o.RedirectURI) {
				final = req.URL
				return http.ErrUseLastResponse
			}
			if len(via) > 10 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.authURL+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := browser.Do(req)
	if err != nil {
		return nil, fmt.Errorf("authorization request: %w", err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if final == nil {
		return nil, fmt.Errorf("authorization request ended at %s with %d, not at the redirect URI: %s", resp.Request.URL.Path, resp.StatusCode, body)
	}
	got := final.Query()
	if e := got.Get("error"); e != "" {
		return nil, &OAuthError{Status: resp.StatusCode, Code: e, Description: got.Get("error_description")}
	}
	if got.Get("state") != state {
		return nil, errors.New("authorization response state does not match")
	}
	code := got.Get("code")
	if code == "" {
		return nil, errors.New("authorization response has no code")
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {o.RedirectURI},
		"code_verifier": {verifier},
	}
	if r.Resource != "" {
		form.Set("resource", r.Resource)
	}
	return o.token(ctx, r.ClientID, form)
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func startOIDC() (*OIDC, error) {
	modules, err := nodeModules()
	if err != nil {
		return nil, err
	}
	dir, err := runDir("jwtgate-oidc-", modules, "oidc-server.mjs")
	if err != nil {
		return nil, err
	}
	const ttl = 300 * time.Second
	t0 := time.Now()
	var issuer string
	p, ready, err := startProc("oidc-provider", dir,
		[]string{"NODE_NO_WARNINGS=1", fmt.Sprintf("ACCESS_TOKEN_TTL=%d", int(ttl.Seconds()))},
		[]string{"oidc-server.mjs"},
		func(line string) bool {
			if s, ok := strings.CutPrefix(line, "READY "); ok {
				issuer = strings.TrimSpace(s)
				return true
			}
			return false
		})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := p.waitReady(ready); err != nil {
		p.stop()
		return nil, err
	}
	o := &OIDC{
		PublicClientID:      "public",
		WebClientID:         "web",
		WebClientSecret:     "web-secret-0123456789abcdef",
		MachineClientID:     "machine",
		MachineClientSecret: "machine-secret-0123456789abcdef",
		RedirectURI:         "http://127.0.0.1/cb",
		Resource:            "https://api.jwtgate.test",
		ESResource:          "https://es.api.jwtgate.test",
		ResourceScopes:      []string{"read", "write"},
		Account:             "alice",
		AccountEmail:        "alice@example.com",
		AccountTenant:       "acme",
		AccountGroups:       []string{"admins"},
		AccessTTL:           ttl,
		issuer:              issuer,
	}
	resp, err := httpClient.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		p.stop()
		return nil, p.failure("discovery: %v", err)
	}
	var meta struct {
		Issuer                string `json:"issuer"`
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
		JWKSURI               string `json:"jwks_uri"`
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&meta)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || meta.Issuer != issuer || meta.TokenEndpoint == "" || meta.JWKSURI == "" {
		p.stop()
		return nil, p.failure("discovery answered %d (err %v, issuer %q)", resp.StatusCode, err, meta.Issuer)
	}
	o.authURL, o.tokenURL, o.jwksURL = meta.AuthorizationEndpoint, meta.TokenEndpoint, meta.JWKSURI
	record("oidc-provider: started in %s (%s)", since(t0), issuer)
	return o, nil
}
