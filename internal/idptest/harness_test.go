package idptest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/internal/idp"
)

// parts decodes a compact JWS's header and payload without verifying it.
// (This checks what the servers issue; verification is core's job, below.)
func parts(t *testing.T, token string) (header, payload map[string]any) {
	t.Helper()
	seg := strings.Split(token, ".")
	if len(seg) != 3 {
		t.Fatalf("token has %d segments; want 3", len(seg))
	}
	dec := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("segment: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("segment: %v", err)
		}
		return m
	}
	return dec(seg[0]), dec(seg[1])
}

func getJSON(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	var m map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return m
}

// TestHarnessCognito checks what both cognito-local instances issue: the
// shapes the integration tests rely on.
func TestHarnessCognito(t *testing.T) {
	for _, tc := range []struct {
		name string
		get  func(testing.TB) *idp.Cognito
		iss  func(*idp.Cognito) string
	}{
		{"local", idp.CognitoLocal, func(c *idp.Cognito) string { return c.Endpoint + "/" + c.PoolID }},
		{"aws-shaped", idp.CognitoAWS, func(*idp.Cognito) string {
			return "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.get(t)
			if got, want := c.Issuer(), tc.iss(c); got != want {
				t.Fatalf("Issuer() = %q; want %q", got, want)
			}
			jwks := getJSON(t, c.JWKSURL())
			if keys, _ := jwks["keys"].([]any); len(keys) != 1 {
				t.Errorf("JWKS has %d keys; want 1", len(keys))
			}
			for _, client := range []string{c.PublicClientID, c.ConfidentialClientID} {
				access, id, refresh := c.LoginClient(t, client)
				ah, ap := parts(t, access)
				_, ip := parts(t, id)
				if ah["alg"] != "RS256" || ah["kid"] != "CognitoLocal" {
					t.Errorf("access header = %v; want RS256, kid CognitoLocal", ah)
				}
				for _, tt := range []struct {
					claim string
					got   any
					want  any
				}{
					{"access iss", ap["iss"], c.Issuer()},
					{"access token_use", ap["token_use"], "access"},
					{"access client_id", ap["client_id"], client},
					{"access username", ap["username"], c.Username},
					{"access sub", ap["sub"], c.Sub},
					{"id iss", ip["iss"], c.Issuer()},
					{"id token_use", ip["token_use"], "id"},
					{"id aud", ip["aud"], client},
					{"id cognito:username", ip["cognito:username"], c.Username},
					{"id email", ip["email"], c.Email},
					{"id " + c.CustomAttribute, ip[c.CustomAttribute], c.CustomValue},
				} {
					if tt.got != tt.want {
						t.Errorf("%s = %v; want %v", tt.claim, tt.got, tt.want)
					}
				}
				if g, _ := ap["cognito:groups"].([]any); len(g) != 1 || g[0] != c.Group {
					t.Errorf("access cognito:groups = %v; want [%s]", ap["cognito:groups"], c.Group)
				}
				if _, ok := ap["aud"]; ok {
					t.Errorf("access token has aud; Cognito access tokens have none")
				}
				a2, i2, err := c.Refresh(context.Background(), client, refresh)
				if err != nil {
					t.Fatalf("Refresh: %v", err)
				}
				if _, p := parts(t, a2); p["client_id"] != client {
					t.Errorf("refreshed access client_id = %v; want %v", p["client_id"], client)
				}
				if _, p := parts(t, i2); p["token_use"] != "id" {
					t.Errorf("refreshed id token_use = %v; want id", p["token_use"])
				}
			}
			_, _, err := c.Refresh(context.Background(), c.PublicClientID, "not-a-refresh-token")
			var apiErr *idp.APIError
			if !errors.As(err, &apiErr) || apiErr.Type != "NotAuthorizedException" {
				t.Errorf("Refresh(bogus) error = %v; want NotAuthorizedException", err)
			}
		})
	}
}

// TestHarnessOIDC checks what oidc-provider issues.
func TestHarnessOIDC(t *testing.T) {
	o := idp.OIDCProvider(t)
	ctx := context.Background()

	jwks := getJSON(t, o.JWKSURL())
	var algs []string
	keys, _ := jwks["keys"].([]any)
	for _, k := range keys {
		m, _ := k.(map[string]any)
		if _, private := m["d"]; private {
			t.Fatalf("JWKS publishes a private key")
		}
		algs = append(algs, m["alg"].(string))
	}
	slices.Sort(algs)
	if !slices.Equal(algs, []string{"ES256", "RS256"}) {
		t.Errorf("JWKS algs = %v; want [ES256 RS256]", algs)
	}

	tok := o.Login(t, idp.AuthRequest{})
	ah, ap := parts(t, tok.AccessToken)
	if ah["typ"] != "at+jwt" || ah["alg"] != "RS256" {
		t.Errorf("access header = %v; want typ at+jwt, RS256", ah)
	}
	if ap["iss"] != o.Issuer() || ap["aud"] != o.Resource || ap["client_id"] != o.PublicClientID ||
		ap["sub"] != o.Account || ap["scope"] != "read write" || ap["tenant"] != o.AccountTenant {
		t.Errorf("access payload = %v", ap)
	}
	_, ip := parts(t, tok.IDToken)
	if ip["aud"] != o.PublicClientID || ip["email"] != o.AccountEmail || ip["sub"] != o.Account {
		t.Errorf("id payload = %v", ip)
	}
	if tok.RefreshToken == "" {
		t.Fatalf("no refresh token")
	}

	// Rotation: the refreshed answer carries a new refresh token; the old
	// one is then refused.
	next, err := o.Refresh(ctx, o.PublicClientID, tok.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Errorf("refresh did not rotate the refresh token")
	}
	if _, p := parts(t, next.AccessToken); p["aud"] != o.Resource {
		t.Errorf("refreshed access aud = %v; want %v", p["aud"], o.Resource)
	}
	_, err = o.Refresh(ctx, o.PublicClientID, tok.RefreshToken)
	var oe *idp.OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_grant" {
		t.Errorf("reused refresh token: error = %v; want invalid_grant", err)
	}

	es := o.Login(t, idp.AuthRequest{Resource: o.ESResource, Scope: "openid read"})
	if h, p := parts(t, es.AccessToken); h["alg"] != "ES256" || p["aud"] != o.ESResource || p["scope"] != "read" {
		t.Errorf("ES256 access token: header %v payload %v", h, p)
	}

	web := o.Login(t, idp.AuthRequest{ClientID: o.WebClientID, Account: "bob"})
	if _, p := parts(t, web.AccessToken); p["client_id"] != o.WebClientID || p["sub"] != "bob" {
		t.Errorf("web client access payload = %v", p)
	}
	again, err := o.Refresh(ctx, o.WebClientID, web.RefreshToken)
	if err != nil {
		t.Fatalf("web Refresh: %v", err)
	}
	if again.RefreshToken != "" && again.RefreshToken != web.RefreshToken {
		t.Errorf("confidential client's refresh token rotated; want it kept")
	}

	cc := o.ClientCredentials(t, "", "read")
	if h, p := parts(t, cc.AccessToken); h["typ"] != "at+jwt" || p["sub"] != o.MachineClientID ||
		p["client_id"] != o.MachineClientID || p["aud"] != o.Resource || p["scope"] != "read" {
		t.Errorf("client_credentials token: header %v payload %v", h, p)
	}
	if cc.RefreshToken != "" {
		t.Errorf("client_credentials answer has a refresh token")
	}
}
