package bench

import (
	"context"
	"errors"
	"testing"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"
)

// structClaims is what a hand-written middleware on golang-jwt typically
// decodes into: the registered claims plus scope.
type structClaims struct {
	jwt.RegisteredClaims
	Scope string `json:"scope"`
}

// newKeyfunc is keyfunc v3 on the fixture's JWKS URL, fetched once before
// any timer starts.
func newKeyfunc(b testing.TB) keyfunc.Keyfunc {
	k, err := keyfunc.NewDefaultCtx(benchCtx(b), []string{fx.jwksURL})
	if err != nil {
		b.Fatal(err)
	}
	return k
}

// handwrittenParser is the parser a careful hand-written middleware builds
// once: valid methods, issuer, audience, exp required.
func handwrittenParser() *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods(algs),
		jwt.WithIssuer(fx.issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
}

// parseHandwritten is one verification by the hand-written middleware.
func parseHandwritten(p *jwt.Parser, kf jwt.Keyfunc, tok string) (*structClaims, error) {
	var c structClaims
	t, err := p.ParseWithClaims(tok, &c, kf)
	if err != nil {
		return nil, err
	}
	if !t.Valid || c.Subject != subject {
		return nil, errors.New("invalid token")
	}
	return &c, nil
}

// parseMapClaims is golang-jwt's jwt.Parse (MapClaims) with iss/aud/exp
// options, as the keyfunc README shows it.
func parseMapClaims(kf jwt.Keyfunc, tok, iss string) error {
	t, err := jwt.Parse(tok, kf,
		jwt.WithValidMethods(algs),
		jwt.WithIssuer(iss),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
	)
	if err != nil {
		return err
	}
	if !t.Valid {
		return errors.New("invalid token")
	}
	if sub, _ := t.Claims.GetSubject(); sub != subject {
		return errors.New("wrong subject")
	}
	return nil
}

// BenchmarkGolangJWT is golang-jwt v5 + keyfunc v3 at library level, in its
// two common shapes.
func BenchmarkGolangJWT(b *testing.B) {
	for _, alg := range algs {
		b.Run("Parse-MapClaims/"+alg, func(b *testing.B) {
			kf := newKeyfunc(b).Keyfunc
			tok := fx.tokens[alg]
			measure(b, func() error { return parseMapClaims(kf, tok, fx.issuer) })
		})
		b.Run("ParserOnce-Struct/"+alg, func(b *testing.B) {
			kf := newKeyfunc(b).Keyfunc
			p := handwrittenParser()
			tok := fx.tokens[alg]
			measure(b, func() error { _, err := parseHandwritten(p, kf, tok); return err })
		})
	}
}

// BenchmarkJWX is lestrrat-go/jwx v3 with a jwk.Cache on the fixture's JWKS.
func BenchmarkJWX(b *testing.B) {
	ctx := benchCtx(b)
	cache, err := jwk.NewCache(ctx, httprc.NewClient())
	if err != nil {
		b.Fatal(err)
	}
	if err := cache.Register(ctx, fx.jwksURL); err != nil {
		b.Fatal(err)
	}
	set, err := cache.CachedSet(fx.jwksURL)
	if err != nil {
		b.Fatal(err)
	}
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			tok := []byte(fx.tokens[alg])
			parse := func() error {
				t, err := jwxjwt.Parse(tok,
					jwxjwt.WithKeySet(set),
					jwxjwt.WithIssuer(fx.issuer),
					jwxjwt.WithAudience(audience),
					jwxjwt.WithValidate(true),
				)
				if err != nil {
					return err
				}
				if sub, ok := t.Subject(); !ok || sub != subject {
					return errors.New("wrong subject")
				}
				return nil
			}
			measure(b, parse)
		})
	}
}

// BenchmarkGoOIDC is coreos/go-oidc v3's IDTokenVerifier, provider found by
// discovery on the fixture.
func BenchmarkGoOIDC(b *testing.B) {
	ctx := benchCtx(b)
	provider, err := oidc.NewProvider(ctx, fx.issuer)
	if err != nil {
		b.Fatal(err)
	}
	v := provider.Verifier(&oidc.Config{ClientID: audience, SupportedSigningAlgs: []string{"RS256", "ES256", "EdDSA"}})
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			tok := fx.tokens[alg]
			verify := func() error {
				t, err := v.Verify(context.Background(), tok)
				if err != nil {
					return err
				}
				if t.Subject != subject {
					return errors.New("wrong subject")
				}
				return nil
			}
			measure(b, verify)
		})
	}
}
