// Package idptest holds the table of real-IdP cases: tokens issued by
// cognito-local (plain and AWS-shaped) and oidc-provider (see internal/idp),
// each with the core.Config that should accept or refuse it and the error
// it must give. Its own tests run the table through core.Verifier; the
// adapter tests can run the same table through each framework, expecting
// core.Respond(Err, "") for the refusals.
package idptest

import (
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/idp"
)

// Case is one token and the configuration it is verified with.
type Case struct {
	// Name says what is tested.
	Name string
	// Config configures the verifier (Issuers, Audience, TokenUse, Now,
	// Policies); build one verifier per case.
	Config core.Config
	// Token is the compact JWS to verify.
	Token string
	// Err is the error Verify must return (matched with errors.Is); nil
	// means the token must verify.
	Err error
	// Check, for a token that verifies, checks the claims.
	Check func(t testing.TB, c *core.Claims)
}

// CognitoClaims are the custom claims read with Claims.Decode from a
// Cognito ID token.
type CognitoClaims struct {
	Email  string `json:"email"`
	Tenant string `json:"custom:tenant"`
}

// OIDCClaims are the custom claims read with Claims.Decode from an
// oidc-provider access token.
type OIDCClaims struct {
	Tenant string   `json:"tenant"`
	Groups []string `json:"groups"`
}

// Cases starts (once per test process) the three servers, gets their
// tokens, and returns the table. It skips or fails t as idp does when the
// servers cannot run.
func Cases(t testing.TB) []Case {
	t.Helper()
	cl := idp.CognitoLocal(t)
	aws := idp.CognitoAWS(t)
	op := idp.OIDCProvider(t)

	clAccess, clID, _ := cl.Login(t)
	clConfAccess, clConfID, _ := cl.LoginClient(t, cl.ConfidentialClientID)
	awsAccess, awsID, _ := aws.Login(t)
	login := op.Login(t, idp.AuthRequest{})
	esLogin := op.Login(t, idp.AuthRequest{Resource: op.ESResource, Scope: "openid read"})
	machine := op.ClientCredentials(t, "", "read")

	clIssuer := core.Issuer{URL: cl.Issuer(), JWKSURL: cl.JWKSURL(), Cognito: true}
	awsIssuer := core.Cognito(idp.AWSRegion, idp.AWSPoolID)
	awsIssuer.JWKSURL = aws.JWKSURL()
	opIssuer := core.Issuer{URL: op.Issuer(), JWKSURL: op.JWKSURL()}

	quiet := slog.New(slog.DiscardHandler)
	cognito := func(c *idp.Cognito, iss core.Issuer, aud ...string) core.Config {
		if len(aud) == 0 {
			aud = []string{c.PublicClientID}
		}
		// Both kinds of token, as the cases below send both; a case that pins
		// one sets TokenUse and clears AnyTokenUse.
		return core.Config{Issuers: []core.Issuer{iss}, Audience: aud, AnyTokenUse: true, Logger: quiet}
	}
	// pin makes cfg accept only tokens whose token_use is use.
	pin := func(use string) func(*core.Config) {
		return func(c *core.Config) { c.TokenUse, c.AnyTokenUse = use, false }
	}
	// Three issuers, each with its own audience and token use.
	perIssuer := func(cl, aws, op core.Issuer, clAud, awsAud, opAud string) core.Config {
		cl.Audience, cl.TokenUse = []string{clAud}, "access"
		aws.Audience, aws.TokenUse = []string{awsAud}, "access"
		op.Audience = []string{opAud}
		return core.Config{Issuers: []core.Issuer{cl, aws, op}, Logger: quiet}
	}
	oidc := func(aud ...string) core.Config {
		if len(aud) == 0 {
			aud = []string{op.Resource}
		}
		return core.Config{Issuers: []core.Issuer{opIssuer}, Audience: aud, Logger: quiet}
	}
	with := func(cfg core.Config, f func(*core.Config)) core.Config { f(&cfg); return cfg }
	later := func(d time.Duration) func() time.Time { return func() time.Time { return time.Now().Add(d) } }

	cognitoAccess := func(c *idp.Cognito, clientID string) func(testing.TB, *core.Claims) {
		return func(t testing.TB, got *core.Claims) {
			expect(t, "Issuer", got.Issuer, c.Issuer())
			expect(t, "Subject", got.Subject, c.Sub)
			expect(t, "TokenUse", got.TokenUse, "access")
			expect(t, "ClientID", got.ClientID, clientID)
			expect(t, "Username", got.Username, c.Username)
			expectList(t, "Groups", got.Groups, []string{c.Group})
			expectList(t, "Scopes", got.Scopes, []string{"aws.cognito.signin.user.admin"})
			expectList(t, "Audience", got.Audience, nil)
			if got.ExpiresAt.IsZero() || got.IssuedAt.IsZero() || got.ID == "" {
				t.Errorf("ExpiresAt %v, IssuedAt %v, ID %q; want all set", got.ExpiresAt, got.IssuedAt, got.ID)
			}
		}
	}
	cognitoID := func(c *idp.Cognito, clientID string) func(testing.TB, *core.Claims) {
		return func(t testing.TB, got *core.Claims) {
			expect(t, "Issuer", got.Issuer, c.Issuer())
			expect(t, "Subject", got.Subject, c.Sub)
			expect(t, "TokenUse", got.TokenUse, "id")
			expect(t, "ClientID", got.ClientID, clientID)
			expect(t, "Username", got.Username, c.Username)
			expectList(t, "Groups", got.Groups, []string{c.Group})
			expectList(t, "Audience", got.Audience, []string{clientID})
			var custom CognitoClaims
			if err := got.Decode(&custom); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			expect(t, "custom:tenant", custom.Tenant, c.CustomValue)
			expect(t, "email", custom.Email, c.Email)
		}
	}
	oidcAccess := func(clientID, sub, aud string, scopes []string) func(testing.TB, *core.Claims) {
		return func(t testing.TB, got *core.Claims) {
			expect(t, "Issuer", got.Issuer, op.Issuer())
			expect(t, "Subject", got.Subject, sub)
			expect(t, "ClientID", got.ClientID, clientID)
			expect(t, "TokenUse", got.TokenUse, "")
			expectList(t, "Audience", got.Audience, []string{aud})
			expectList(t, "Scopes", got.Scopes, scopes)
			var custom OIDCClaims
			if err := got.Decode(&custom); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if sub == op.Account {
				expect(t, "tenant", custom.Tenant, op.AccountTenant)
				expectList(t, "groups", custom.Groups, op.AccountGroups)
				expectList(t, "Groups", got.Groups, op.AccountGroups) // "groups" fills Claims.Groups too
			}
		}
	}

	return []Case{
		// Tokens that verify.
		{Name: "cognito-local access token", Config: cognito(cl, clIssuer), Token: clAccess,
			Check: cognitoAccess(cl, cl.PublicClientID)},
		{Name: "cognito-local ID token with custom attribute", Config: cognito(cl, clIssuer), Token: clID,
			Check: cognitoID(cl, cl.PublicClientID)},
		{Name: "cognito-local confidential client access token", Config: cognito(cl, clIssuer, cl.ConfidentialClientID), Token: clConfAccess,
			Check: cognitoAccess(cl, cl.ConfidentialClientID)},
		{Name: "cognito-local confidential client ID token", Config: cognito(cl, clIssuer, cl.ConfidentialClientID), Token: clConfID,
			Check: cognitoID(cl, cl.ConfidentialClientID)},
		{Name: "cognito-local access token with TokenUse access", Config: with(cognito(cl, clIssuer), pin("access")),
			Token: clAccess, Check: cognitoAccess(cl, cl.PublicClientID)},
		{Name: "cognito-local ID token with TokenUse id", Config: with(cognito(cl, clIssuer), pin("id")),
			Token: clID, Check: cognitoID(cl, cl.PublicClientID)},
		{Name: "cognito-local access token with group policy", Config: with(cognito(cl, clIssuer), func(c *core.Config) {
			c.Policies = []core.Policy{core.RequireGroups(cl.Group), core.RequireTokenUse("access")}
		}), Token: clAccess, Check: cognitoAccess(cl, cl.PublicClientID)},
		{Name: "core.Cognito issuer: access token", Config: cognito(aws, awsIssuer), Token: awsAccess,
			Check: cognitoAccess(aws, aws.PublicClientID)},
		{Name: "core.Cognito issuer: ID token", Config: cognito(aws, awsIssuer), Token: awsID,
			Check: cognitoID(aws, aws.PublicClientID)},
		{Name: "oidc-provider RS256 at+jwt access token", Config: oidc(), Token: login.AccessToken,
			Check: oidcAccess(op.PublicClientID, op.Account, op.Resource, op.ResourceScopes)},
		{Name: "oidc-provider ES256 access token", Config: oidc(op.ESResource), Token: esLogin.AccessToken,
			Check: oidcAccess(op.PublicClientID, op.Account, op.ESResource, []string{"read"})},
		{Name: "oidc-provider client_credentials token", Config: oidc(), Token: machine.AccessToken,
			Check: oidcAccess(op.MachineClientID, op.MachineClientID, op.Resource, []string{"read"})},
		{Name: "oidc-provider ID token", Config: oidc(op.PublicClientID), Token: login.IDToken,
			Check: func(t testing.TB, got *core.Claims) {
				expect(t, "Issuer", got.Issuer, op.Issuer())
				expect(t, "Subject", got.Subject, op.Account)
				expectList(t, "Audience", got.Audience, []string{op.PublicClientID})
			}},
		{Name: "oidc-provider token with scope policy met", Config: with(oidc(), func(c *core.Config) {
			c.Policies = []core.Policy{core.RequireScopes("read", "write")}
		}), Token: login.AccessToken, Check: oidcAccess(op.PublicClientID, op.Account, op.Resource, op.ResourceScopes)},
		{Name: "J24 three issuers: cognito-local token", Config: with(core.Config{
			Issuers:  []core.Issuer{clIssuer, awsIssuer, opIssuer},
			Audience: []string{cl.PublicClientID, aws.PublicClientID, op.Resource},
			Logger:   quiet,
		}, func(c *core.Config) { c.AnyTokenUse = true }), Token: clAccess, Check: cognitoAccess(cl, cl.PublicClientID)},
		{Name: "J24 three issuers: core.Cognito token", Config: with(core.Config{
			Issuers:  []core.Issuer{clIssuer, awsIssuer, opIssuer},
			Audience: []string{cl.PublicClientID, aws.PublicClientID, op.Resource},
			Logger:   quiet,
		}, func(c *core.Config) { c.AnyTokenUse = true }), Token: awsAccess, Check: cognitoAccess(aws, aws.PublicClientID)},
		{Name: "J24 three issuers: oidc-provider token", Config: with(core.Config{
			Issuers:  []core.Issuer{clIssuer, awsIssuer, opIssuer},
			Audience: []string{cl.PublicClientID, aws.PublicClientID, op.Resource},
			Logger:   quiet,
		}, func(c *core.Config) { c.AnyTokenUse = true }), Token: login.AccessToken, Check: oidcAccess(op.PublicClientID, op.Account, op.Resource, op.ResourceScopes)},

		{Name: "three issuers with their own Audience and TokenUse: cognito-local token",
			Config: perIssuer(clIssuer, awsIssuer, opIssuer, cl.PublicClientID, aws.PublicClientID, op.Resource),
			Token:  clAccess, Check: cognitoAccess(cl, cl.PublicClientID)},
		{Name: "three issuers with their own Audience and TokenUse: core.Cognito token",
			Config: perIssuer(clIssuer, awsIssuer, opIssuer, cl.PublicClientID, aws.PublicClientID, op.Resource),
			Token:  awsAccess, Check: cognitoAccess(aws, aws.PublicClientID)},
		{Name: "three issuers with their own Audience and TokenUse: oidc-provider token",
			Config: perIssuer(clIssuer, awsIssuer, opIssuer, cl.PublicClientID, aws.PublicClientID, op.Resource),
			Token:  login.AccessToken, Check: oidcAccess(op.PublicClientID, op.Account, op.Resource, op.ResourceScopes)},

		// Tokens that must be refused.
		{Name: "cognito-local token whose client is another issuer's audience",
			Config: perIssuer(clIssuer, awsIssuer, opIssuer, aws.PublicClientID, cl.PublicClientID, op.Resource),
			Token:  clAccess, Err: core.ErrInvalidAudience},
		{Name: "cognito-local ID token where the issuer's TokenUse is access",
			Config: perIssuer(clIssuer, awsIssuer, opIssuer, cl.PublicClientID, aws.PublicClientID, op.Resource),
			Token:  clID, Err: core.ErrInvalidTokenUse},
		{Name: "cognito-local access token, wrong client id", Config: cognito(cl, clIssuer, "someone-else"), Token: clAccess,
			Err: core.ErrInvalidAudience},
		{Name: "cognito-local ID token, wrong client id", Config: cognito(cl, clIssuer, cl.ConfidentialClientID), Token: clID,
			Err: core.ErrInvalidAudience},
		{Name: "core.Cognito access token, wrong client id", Config: cognito(aws, awsIssuer, cl.PublicClientID), Token: awsAccess,
			Err: core.ErrInvalidAudience},
		{Name: "oidc-provider access token, wrong resource", Config: oidc(op.ESResource), Token: login.AccessToken,
			Err: core.ErrInvalidAudience},
		{Name: "cognito-local ID token where access is required (TokenUse access)",
			Config: with(cognito(cl, clIssuer), pin("access")), Token: clID,
			Err: core.ErrInvalidTokenUse},
		{Name: "cognito-local access token where ID is required (TokenUse id)",
			Config: with(cognito(cl, clIssuer), pin("id")), Token: clAccess,
			Err: core.ErrInvalidTokenUse},
		{Name: "core.Cognito ID token where access is required (TokenUse access)",
			Config: with(cognito(aws, awsIssuer), pin("access")), Token: awsID,
			Err: core.ErrInvalidTokenUse},
		{Name: "oidc-provider token without token_use, TokenUse access",
			Config: with(oidc(), func(c *core.Config) { c.TokenUse = "access" }), Token: login.AccessToken,
			Err: core.ErrInvalidTokenUse},
		{Name: "cognito-local ID token where access is required (RequireTokenUse policy)",
			Config: with(cognito(cl, clIssuer), func(c *core.Config) { c.Policies = []core.Policy{core.RequireTokenUse("access")} }),
			Token:  clID, Err: core.ErrInsufficientScope},
		{Name: "oidc-provider ID token where an access token for the resource is required", Config: oidc(), Token: login.IDToken,
			Err: core.ErrInvalidAudience},
		{Name: "J24 cognito-local token at a core.Cognito-only verifier", Config: cognito(aws, awsIssuer, cl.PublicClientID, aws.PublicClientID),
			Token: clAccess, Err: core.ErrInvalidIssuer},
		{Name: "J24 core.Cognito token at a cognito-local-only verifier", Config: cognito(cl, clIssuer, cl.PublicClientID, aws.PublicClientID),
			Token: awsAccess, Err: core.ErrInvalidIssuer},
		{Name: "J24 oidc-provider token at a Cognito verifier", Config: cognito(cl, clIssuer, cl.PublicClientID, op.Resource),
			Token: login.AccessToken, Err: core.ErrInvalidIssuer},
		{Name: "J24 cognito-local token at an oidc-provider verifier", Config: oidc(op.Resource, cl.PublicClientID),
			Token: clAccess, Err: core.ErrInvalidIssuer},
		{Name: "J24 cognito-local issuer bound to oidc-provider's keys", Config: core.Config{
			Issuers:  []core.Issuer{{URL: cl.Issuer(), JWKSURL: op.JWKSURL(), Cognito: true, TokenUse: "access"}},
			Audience: []string{cl.PublicClientID},
			Logger:   quiet,
		}, Token: clAccess, Err: core.ErrUnknownKey},
		{Name: "J24 oidc-provider issuer bound to cognito-local's keys", Config: core.Config{
			Issuers:  []core.Issuer{{URL: op.Issuer(), JWKSURL: cl.JWKSURL()}},
			Audience: []string{op.Resource},
			Logger:   quiet,
		}, Token: login.AccessToken, Err: core.ErrUnknownKey},
		{Name: "cognito-local access token expired (clock +25h)", Config: with(cognito(cl, clIssuer), func(c *core.Config) { c.Now = later(25 * time.Hour) }),
			Token: clAccess, Err: core.ErrTokenExpired},
		{Name: "cognito-local ID token expired (clock +25h)", Config: with(cognito(cl, clIssuer), func(c *core.Config) { c.Now = later(25 * time.Hour) }),
			Token: clID, Err: core.ErrTokenExpired},
		{Name: "core.Cognito access token expired (clock +25h)", Config: with(cognito(aws, awsIssuer), func(c *core.Config) { c.Now = later(25 * time.Hour) }),
			Token: awsAccess, Err: core.ErrTokenExpired},
		{Name: "oidc-provider access token expired (clock +1h)", Config: with(oidc(), func(c *core.Config) { c.Now = later(time.Hour) }),
			Token: login.AccessToken, Err: core.ErrTokenExpired},
		{Name: "oidc-provider ES256 token expired (clock +1h)", Config: with(oidc(op.ESResource), func(c *core.Config) { c.Now = later(time.Hour) }),
			Token: esLogin.AccessToken, Err: core.ErrTokenExpired},
		{Name: "cognito-local token not yet valid (clock -1h)", Config: with(cognito(cl, clIssuer), func(c *core.Config) { c.Now = later(-time.Hour) }),
			Token: clAccess, Err: core.ErrTokenNotYetValid},
		{Name: "cognito-local access token, missing scope", Config: with(cognito(cl, clIssuer), func(c *core.Config) {
			c.Policies = []core.Policy{core.RequireScopes("read")}
		}), Token: clAccess, Err: core.ErrInsufficientScope},
		{Name: "oidc-provider token, missing scope", Config: with(oidc(), func(c *core.Config) {
			c.Policies = []core.Policy{core.RequireScopes("read", "write")}
		}), Token: machine.AccessToken, Err: core.ErrInsufficientScope},
		{Name: "oidc-provider ES256 token, missing scope (any of)", Config: with(oidc(op.ESResource), func(c *core.Config) {
			c.Policies = []core.Policy{core.RequireAnyScope("write", "admin")}
		}), Token: esLogin.AccessToken, Err: core.ErrInsufficientScope},
		{Name: "cognito-local token, not in group", Config: with(cognito(cl, clIssuer), func(c *core.Config) {
			c.Policies = []core.Policy{core.RequireGroups("auditors")}
		}), Token: clAccess, Err: core.ErrInsufficientScope},
		{Name: "ES256 token with Algorithms RS256 only", Config: with(oidc(op.ESResource), func(c *core.Config) { c.Algorithms = []string{"RS256"} }),
			Token: esLogin.AccessToken, Err: core.ErrInvalidToken},
	}
}

func expect(t testing.TB, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q; want %q", what, got, want)
	}
}

func expectList(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q; want %q", what, got, want)
	}
}
