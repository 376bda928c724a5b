// Package coretest connects the jwttest issuer to core, so that an
// application's handler tests get a real Verifier and real tokens in a few
// lines:
//
//	func TestMe(t *testing.T) {
//		iss := coretest.NewIssuer(t, jwttest.IssuerConfig{})
//		h := nethttp.New(iss.Verifier(t, core.Config{})).Handler(meHandler)
//		req := httptest.NewRequest("GET", "/me", nil)
//		req.Header.Set("Authorization", iss.Bearer(t, "alice", jwttest.Claims{Groups: []string{"admin"}}))
//		rec := httptest.NewRecorder()
//		h.ServeHTTP(rec, req)
//		// … check rec
//	}
//
// The tokens go through every check a production token does (signature
// against the issuer's JWKS, fetched over HTTP; exp, aud, token_use and the
// Cognito rules), so the test covers the middleware configuration as well
// as the handler. A handler that only needs claims in its context, without
// a token, can use core.NewClaims and core.NewContext instead.
//
// coretest lives apart from jwttest because core's own tests use jwttest:
// jwttest cannot import core.
//
// coretest is for tests only, NEVER for production (see jwttest).
package coretest

import (
	"context"
	"testing"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// Issuer is a jwttest.Issuer (a JWKS, discovery and token endpoint on
// 127.0.0.1, and Mint) that knows its core configuration. All methods are
// safe for concurrent use.
type Issuer struct {
	*jwttest.Issuer
}

// NewIssuer starts a jwttest issuer configured by cfg and closes it when tb
// ends.
func NewIssuer(tb testing.TB, cfg jwttest.IssuerConfig) *Issuer {
	tb.Helper()
	i := &Issuer{jwttest.NewIssuer(cfg)}
	tb.Cleanup(i.Close)
	return i
}

// CoreIssuer returns the core.Issuer of i: its URL, its JWKS URL and, when
// the issuer is Cognito-shaped, Cognito rules.
func (i *Issuer) CoreIssuer() core.Issuer {
	return core.Issuer{URL: i.URL, JWKSURL: i.JWKSURL(), Cognito: i.Config().Cognito}
}

// Verifier returns a Verifier built from cfg, closed when tb ends, with
// these fields filled when they are zero: Issuers is [i.CoreIssuer()];
// Audience is the issuer's client ID (unless SkipAudienceCheck is set); Now
// is the issuer's clock. It fails tb when core.New refuses cfg: a
// Cognito-shaped issuer needs cfg.TokenUse (or AnyTokenUse), as in
// production.
func (i *Issuer) Verifier(tb testing.TB, cfg core.Config) *core.Verifier {
	tb.Helper()
	ic := i.Config()
	if len(cfg.Issuers) == 0 {
		cfg.Issuers = []core.Issuer{i.CoreIssuer()}
	}
	if len(cfg.Audience) == 0 && !cfg.SkipAudienceCheck {
		cfg.Audience = []string{ic.ClientID}
	}
	if cfg.Now == nil {
		cfg.Now = ic.Now
	}
	v, err := core.New(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("coretest: core.New: %v", err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	return v
}

// Bearer returns "Bearer " and a token minted for subject with c (see
// jwttest.Issuer.Mint), the value of an Authorization header. It fails tb
// when Mint does.
func (i *Issuer) Bearer(tb testing.TB, subject string, c jwttest.Claims) string {
	tb.Helper()
	token, err := i.Mint(subject, c)
	if err != nil {
		tb.Fatalf("coretest: %v", err)
	}
	return "Bearer " + token
}
