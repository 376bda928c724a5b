package refresh_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/idp"
	"github.com/jwtgate/jwtgate/refresh"
	"golang.org/x/oauth2"
)

func TestMain(m *testing.M) { idp.Main(m) }

// capture records the bodies and URLs of the requests it forwards.
type capture struct {
	mu   sync.Mutex
	reqs []captured
}

type captured struct {
	url, auth string
	body      []byte
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	var b []byte
	if r.Body != nil {
		b, _ = io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	c.mu.Lock()
	c.reqs = append(c.reqs, captured{r.URL.String(), r.Header.Get("Authorization"), b})
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *capture) all() []captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]captured(nil), c.reqs...)
}

// expired makes a Source refresh on first use.
func expired(access, id, rt string) *refresh.Tokens {
	return &refresh.Tokens{AccessToken: access, IDToken: id, RefreshToken: rt, Expiry: time.Now().Add(-time.Second)}
}

func verifyCognito(t *testing.T, c *idp.Cognito, clientID, access string) {
	t.Helper()
	ctx := context.Background()
	v, err := core.New(ctx, core.Config{
		Issuers:  []core.Issuer{{URL: c.Issuer(), JWKSURL: c.JWKSURL(), Cognito: true}},
		Audience: []string{clientID},
		TokenUse: "access",
	})
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	defer v.Close()
	cl, err := v.Verify(ctx, access)
	if err != nil {
		t.Fatalf("refreshed access token does not verify: %v", err)
	}
	if cl.Username != c.Username || cl.ClientID != clientID {
		t.Errorf("claims: username %q client %q; want %q %q", cl.Username, cl.ClientID, c.Username, clientID)
	}
}

func TestIntegrationCognitoInitiateAuth(t *testing.T) {
	c := idp.CognitoLocal(t)
	access, id, rt := c.Login(t)
	x, err := refresh.NewCognitoExchanger(refresh.CognitoConfig{Endpoint: c.Endpoint, ClientID: c.PublicClientID})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // a new iat, so a new token
	src := refresh.NewSource(x, expired(access, id, rt))
	defer src.Close()
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if tok.AccessToken == access || tok.IDToken == "" || tok.IDToken == id {
		t.Errorf("tokens were not replaced")
	}
	if tok.RefreshToken != rt {
		t.Errorf("refresh token changed; cognito-local never rotates on InitiateAuth")
	}
	// cognito-local sends no ExpiresIn: expiry comes from exp − iat.
	if d := time.Until(tok.Expiry); d < time.Hour {
		t.Errorf("expiry in %v; want the token's lifetime (24 h by default)", d)
	}
	verifyCognito(t, c, c.PublicClientID, tok.AccessToken)
}

func TestIntegrationCognitoOAuth2TokenEndpoint(t *testing.T) {
	c := idp.CognitoLocal(t)
	access, id, rt := c.Login(t)
	cap := &capture{}
	x := refresh.NewOAuth2Exchanger(&oauth2.Config{
		ClientID: c.PublicClientID,
		Endpoint: oauth2.Endpoint{TokenURL: c.TokenURL()},
	})
	time.Sleep(1100 * time.Millisecond)
	src := refresh.NewSource(x, expired(access, id, rt), refresh.WithHTTPClient(&http.Client{Transport: cap}))
	defer src.Close()
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if tok.AccessToken == access || tok.TokenType != "Bearer" {
		t.Errorf("tokens were not replaced")
	}
	// /oauth2/token sends expires_in 3600.
	if d := time.Until(tok.Expiry); d < 59*time.Minute || d > time.Hour {
		t.Errorf("expiry in %v; want about 1 h from expires_in", d)
	}
	reqs := cap.all()
	if len(reqs) != 1 {
		t.Fatalf("%d token requests; want 1", len(reqs))
	}
	form, _ := url.ParseQuery(string(reqs[0].body))
	if form.Get("client_id") != c.PublicClientID || reqs[0].auth != "" || strings.Contains(reqs[0].url, rt) {
		t.Errorf("public client: client_id %q in the body, Authorization %q; want the id in the body, no header", form.Get("client_id"), reqs[0].auth)
	}
	verifyCognito(t, c, c.PublicClientID, tok.AccessToken)
}

func TestIntegrationCognitoSecretHash(t *testing.T) {
	c := idp.CognitoLocal(t)
	access, id, rt := c.LoginClient(t, c.ConfidentialClientID)
	cap := &capture{}
	x, err := refresh.NewCognitoExchanger(refresh.CognitoConfig{
		Region:       "us-east-1",
		Endpoint:     c.Endpoint,
		ClientID:     c.ConfidentialClientID,
		ClientSecret: c.ConfidentialClientSecret,
		// Username empty: taken from the access token's username claim.
	})
	if err != nil {
		t.Fatal(err)
	}
	src := refresh.NewSource(x, expired(access, id, rt), refresh.WithHTTPClient(&http.Client{Transport: cap}))
	defer src.Close()
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	reqs := cap.all()
	if len(reqs) != 1 {
		t.Fatalf("%d API calls; want 1", len(reqs))
	}
	var in struct {
		AuthFlow       string
		ClientId       string
		AuthParameters map[string]string
	}
	if err := json.Unmarshal(reqs[0].body, &in); err != nil {
		t.Fatal(err)
	}
	want := idp.SecretHash(c.Username, c.ConfidentialClientID, c.ConfidentialClientSecret)
	if in.AuthFlow != "REFRESH_TOKEN_AUTH" || in.AuthParameters["SECRET_HASH"] != want {
		t.Errorf("AuthFlow %q, SECRET_HASH %q; want REFRESH_TOKEN_AUTH, %q", in.AuthFlow, in.AuthParameters["SECRET_HASH"], want)
	}
	if refresh.SecretHash(c.Username, c.ConfidentialClientID, c.ConfidentialClientSecret) != want {
		t.Errorf("SecretHash disagrees with the harness")
	}
	if reqs[0].auth != "" {
		t.Errorf("request signed (%q); InitiateAuth takes no SigV4", reqs[0].auth)
	}
	verifyCognito(t, c, c.ConfidentialClientID, tok.AccessToken)

	// The same through /oauth2/token with client_secret_post.
	x2 := refresh.NewOAuth2Exchanger(&oauth2.Config{
		ClientID: c.ConfidentialClientID, ClientSecret: c.ConfidentialClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: c.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
	})
	if _, err := x2.Exchange(context.Background(), rt); err != nil {
		t.Errorf("/oauth2/token with client_secret_post: %v", err)
	}
}

func TestIntegrationCognitoRevokedRefreshToken(t *testing.T) {
	c := idp.CognitoLocal(t)
	access, id, rt := c.Login(t)
	if err := c.Call(context.Background(), "RevokeToken", map[string]any{"Token": rt, "ClientId": c.PublicClientID}, nil); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	x, err := refresh.NewCognitoExchanger(refresh.CognitoConfig{Endpoint: c.Endpoint, ClientID: c.PublicClientID})
	if err != nil {
		t.Fatal(err)
	}
	st := &refresh.MemoryStore{}
	src := refresh.NewSource(x, expired(access, id, rt), refresh.WithStore(st))
	defer src.Close()
	_, err = src.Token(context.Background())
	if !errors.Is(err, refresh.ErrReauthenticate) {
		t.Fatalf("Token: %v; want ErrReauthenticate", err)
	}
	var xe *refresh.ExchangeError
	if !errors.As(err, &xe) || xe.Code != "NotAuthorizedException" {
		t.Errorf("ExchangeError %v; want code NotAuthorizedException", err)
	}
	if strings.Contains(err.Error(), rt) {
		t.Errorf("error leaks the refresh token")
	}
	if got, _ := st.Load(context.Background()); got != nil {
		t.Errorf("store still holds tokens after a revoked refresh token")
	}
	// Same through /oauth2/token: invalid_grant.
	x2 := refresh.NewOAuth2Exchanger(&oauth2.Config{ClientID: c.PublicClientID, Endpoint: oauth2.Endpoint{TokenURL: c.TokenURL()}})
	if _, err := x2.Exchange(context.Background(), rt); !errors.Is(err, refresh.ErrReauthenticate) {
		t.Errorf("/oauth2/token with a revoked token: %v; want ErrReauthenticate", err)
	}
	// GetTokensFromRefreshToken is not in cognito-local: a configuration error.
	x3, _ := refresh.NewCognitoExchanger(refresh.CognitoConfig{Endpoint: c.Endpoint, ClientID: c.PublicClientID, UseGetTokensFromRefreshToken: true})
	if _, err := x3.Exchange(context.Background(), "whatever"); !errors.Is(err, refresh.ErrMisconfigured) {
		t.Errorf("GetTokensFromRefreshToken on cognito-local: %v; want ErrMisconfigured (unsupported)", err)
	}
}

func TestIntegrationOIDCRotatingPublicClient(t *testing.T) {
	o := idp.OIDCProvider(t)
	first := o.Login(t, idp.AuthRequest{})
	if first.RefreshToken == "" {
		t.Fatal("no refresh token from login")
	}
	cap := &capture{}
	x := refresh.NewOAuth2Exchanger(&oauth2.Config{
		ClientID: o.PublicClientID,
		Endpoint: oauth2.Endpoint{TokenURL: o.TokenURL()},
	})
	now := time.Now()
	clock := func() time.Time { return now }
	src := refresh.NewSource(x, expired(first.AccessToken, first.IDToken, first.RefreshToken),
		refresh.WithClock(clock), refresh.WithHTTPClient(&http.Client{Transport: cap}))
	defer src.Close()

	ctx := context.Background()
	v, err := core.New(ctx, core.Config{
		Issuers:  []core.Issuer{{URL: o.Issuer(), JWKSURL: o.JWKSURL()}},
		Audience: []string{o.Resource},
	})
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	defer v.Close()

	rts := []string{first.RefreshToken}
	for i := range 3 {
		tok, err := src.Token(ctx)
		if err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
		if tok.RefreshToken == rts[len(rts)-1] {
			t.Fatalf("refresh %d: refresh token not rotated", i)
		}
		rts = append(rts, tok.RefreshToken)
		if _, err := v.Verify(ctx, tok.AccessToken); err != nil {
			t.Errorf("refresh %d: access token does not verify: %v", i, err)
		}
		now = now.Add(2 * o.AccessTTL) // expire it
	}
	// Each refresh token went to the token endpoint exactly once.
	sent := map[string]int{}
	for _, r := range cap.all() {
		form, _ := url.ParseQuery(string(r.body))
		sent[form.Get("refresh_token")]++
		if form.Get("client_id") != o.PublicClientID {
			t.Errorf("public client_id missing from the body")
		}
	}
	for i, rt := range rts[:len(rts)-1] {
		if sent[rt] != 1 {
			t.Errorf("refresh token %d sent %d times; want 1", i, sent[rt])
		}
	}
	if sent[rts[len(rts)-1]] != 0 {
		t.Errorf("the current refresh token was already sent")
	}
	// Reusing an old one is what the Source avoids: the provider refuses it
	// and revokes the grant, so the Source must sign in again (R20).
	if _, err := o.Refresh(ctx, o.PublicClientID, rts[1]); err == nil {
		t.Fatalf("reuse of a rotated refresh token succeeded")
	}
	now = now.Add(2 * o.AccessTTL)
	if _, err := src.Token(ctx); !errors.Is(err, refresh.ErrReauthenticate) {
		t.Errorf("after reuse detection: %v; want ErrReauthenticate", err)
	}
}
