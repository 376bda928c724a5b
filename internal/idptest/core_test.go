package idptest_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/idp"
	"github.com/jwtgate/jwtgate/internal/idptest"
)

var quiet = slog.New(slog.DiscardHandler)

func TestMain(m *testing.M) {
	idp.Prestart(idp.ServerCognitoLocal, idp.ServerCognitoAWS, idp.ServerOIDC)
	idp.Main(m)
}

// TestCore runs the real-IdP table through core.Verifier.
func TestCore(t *testing.T) {
	ctx := context.Background()
	for _, tc := range idptest.Cases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			v, err := core.New(ctx, tc.Config)
			if err != nil {
				t.Fatalf("core.New: %v", err)
			}
			defer v.Close()
			got, err := v.Verify(ctx, tc.Token)
			if tc.Err == nil {
				if err != nil {
					t.Fatalf("Verify: %v; want success", err)
				}
				tc.Check(t, got)
				return
			}
			if !errors.Is(err, tc.Err) {
				t.Fatalf("Verify error = %v; want %v", err, tc.Err)
			}
			if got != nil {
				t.Errorf("Verify returned claims with error %v", err)
			}
			// Policy refusals are 403s, never token failures; every other
			// refusal here is a token failure.
			if isPolicy := errors.Is(tc.Err, core.ErrInsufficientScope); errors.Is(err, core.ErrInvalidToken) == isPolicy {
				t.Errorf("errors.Is(err, ErrInvalidToken) = %v for %v", !isPolicy, err)
			}
		})
	}
}

// TestCoreRefreshedTokens verifies tokens obtained by refresh: cognito-local
// (InitiateAuth REFRESH_TOKEN_AUTH) and oidc-provider (rotation).
func TestCoreRefreshedTokens(t *testing.T) {
	ctx := context.Background()
	cl := idp.CognitoLocal(t)
	op := idp.OIDCProvider(t)

	_, _, refresh := cl.Login(t)
	access, id, err := cl.Refresh(ctx, cl.PublicClientID, refresh)
	if err != nil {
		t.Fatalf("cognito-local refresh: %v", err)
	}
	cv, err := core.New(ctx, core.Config{
		Issuers:     []core.Issuer{{URL: cl.Issuer(), JWKSURL: cl.JWKSURL(), Cognito: true}},
		Audience:    []string{cl.PublicClientID},
		AnyTokenUse: true, // both kinds of token are checked below
		Logger:      quiet,
	})
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	defer cv.Close()
	for name, tok := range map[string]string{"access": access, "id": id} {
		c, err := cv.Verify(ctx, tok)
		if err != nil {
			t.Errorf("refreshed cognito-local %s token: %v", name, err)
			continue
		}
		if c.TokenUse != name {
			t.Errorf("TokenUse = %q; want %q", c.TokenUse, name)
		}
	}

	first := op.Login(t, idp.AuthRequest{})
	next, err := op.Refresh(ctx, op.PublicClientID, first.RefreshToken)
	if err != nil {
		t.Fatalf("oidc-provider refresh: %v", err)
	}
	ov, err := core.New(ctx, core.Config{
		Issuers:  []core.Issuer{{URL: op.Issuer(), JWKSURL: op.JWKSURL()}},
		Audience: []string{op.Resource},
		Policies: []core.Policy{core.RequireScopes("read", "write")},
		Logger:   quiet,
	})
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	defer ov.Close()
	c, err := ov.Verify(ctx, next.AccessToken)
	if err != nil {
		t.Fatalf("refreshed oidc-provider access token: %v", err)
	}
	if c.Subject != op.Account || c.ClientID != op.PublicClientID {
		t.Errorf("Subject %q ClientID %q; want %q %q", c.Subject, c.ClientID, op.Account, op.PublicClientID)
	}
}

// TestCoreDiscovery lets core find oidc-provider's JWKS through OIDC
// discovery (Issuer.JWKSURL empty).
func TestCoreDiscovery(t *testing.T) {
	ctx := context.Background()
	op := idp.OIDCProvider(t)
	v, err := core.New(ctx, core.Config{
		Issuers:  []core.Issuer{{URL: op.Issuer()}},
		Audience: []string{op.Resource},
		Logger:   quiet,
	})
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	defer v.Close()
	tok := op.ClientCredentials(t, "", "read", "write")
	c, err := v.Verify(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.ClientID != op.MachineClientID || !c.HasScope("write") {
		t.Errorf("ClientID %q Scopes %q; want %q with write", c.ClientID, c.Scopes, op.MachineClientID)
	}
}
