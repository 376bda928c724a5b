package core

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/core/jwttest"
)

func TestVerifierKeyfunc(t *testing.T) {
	rs := jwttest.NewKey("RS256", "rs")
	es := jwttest.NewKey("ES256", "es")
	srv := jwttest.NewServer(rs, es)
	defer srv.Close()
	ctx := context.Background()
	v, err := New(ctx, Config{
		Issuers:    []Issuer{{URL: srv.URL, JWKSURL: srv.JWKSURL()}},
		Audience:   []string{"api"},
		Algorithms: []string{"RS256"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	kf, err := v.Keyfunc(ctx, srv.URL)
	if err != nil {
		t.Fatalf("Keyfunc: %v", err)
	}
	claims := map[string]any{"iss": srv.URL, "aud": "api", "exp": time.Now().Add(time.Minute).Unix()}
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256", "ES256"}))

	if _, err := p.Parse(rs.Sign(claims), kf); err != nil {
		t.Errorf("RS256 token: %v; want it valid", err)
	}
	if _, err := p.Parse(es.Sign(claims), kf); err == nil {
		t.Errorf("ES256 token (alg outside Config.Algorithms) verified; want an error")
	}
	if _, err := p.Parse(jwttest.NewKey("RS256", "other").Sign(claims), kf); err == nil {
		t.Errorf("token of an unknown key verified; want an error")
	}
	if _, err := v.Keyfunc(ctx, srv.URL+"/"); !errors.Is(err, ErrInvalidIssuer) {
		t.Errorf("Keyfunc(unknown issuer) error = %v; want ErrInvalidIssuer", err)
	}
}
