package core

import (
	"context"
	"errors"
	"testing"
)

func TestAuthenticateCredentialsReadsQueryAndBareTokensOnlyWhenAsked(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	tok := k.Sign(vtClaims())
	other := k.Sign(vtClaims("sub", "user-2"))
	for _, tc := range []struct {
		name string
		cr   Credentials
		sub  string // the accepted token's subject, or ""
		want error
	}{
		{"Bearer header", Credentials{Authorization: []string{"Bearer " + tok}}, "user-1", nil},
		{"bare token without BareToken", Credentials{Authorization: []string{tok}}, "", ErrMissingToken},
		{"bare token with BareToken", Credentials{Authorization: []string{tok}, BareToken: true}, "user-1", nil},
		{"bare token with spaces around it", Credentials{Authorization: []string{" " + tok + "\t"}, BareToken: true}, "user-1", nil},
		{"Bearer header with BareToken", Credentials{Authorization: []string{"Bearer " + tok}, BareToken: true}, "user-1", nil},
		{"another scheme with BareToken", Credentials{Authorization: []string{"Basic dXNlcjpwYXNz"}, BareToken: true}, "", ErrMissingToken},
		{"Bearer alone with BareToken", Credentials{Authorization: []string{"Bearer"}, BareToken: true}, "", ErrInvalidRequest},
		{"two bare tokens", Credentials{Authorization: []string{tok, tok}, BareToken: true}, "", ErrInvalidRequest},
		{"bare value that is not a JWS", Credentials{Authorization: []string{"a,b"}, BareToken: true}, "", ErrMissingToken},
		{"lone scheme word with BareToken", Credentials{Authorization: []string{"Basic"}, BareToken: true}, "", ErrMissingToken},
		{"lone Negotiate with BareToken", Credentials{Authorization: []string{" Negotiate "}, BareToken: true}, "", ErrMissingToken},
		{"bare value with two segments", Credentials{Authorization: []string{"abc.def"}, BareToken: true}, "", ErrMissingToken},
		{"bare value with four segments", Credentials{Authorization: []string{"abc.def.ghi.jkl"}, BareToken: true}, "", ErrMissingToken},
		{"bare value with an empty segment", Credentials{Authorization: []string{"abc..ghi"}, BareToken: true}, "", ErrMissingToken},
		{"bare value with an empty signature", Credentials{Authorization: []string{"abc.def."}, BareToken: true}, "", ErrMissingToken},
		{"bare value outside base64url", Credentials{Authorization: []string{"abc.d+f.ghi"}, BareToken: true}, "", ErrMissingToken},
		{"lone scheme word and a query token", Credentials{Authorization: []string{"Basic"}, Query: []string{tok}, BareToken: true}, "user-1", nil},
		{"bare token that does not verify", Credentials{Authorization: []string{"abc.def.ghi"}, BareToken: true}, "", ErrInvalidToken},
		{"query token", Credentials{Query: []string{tok}}, "user-1", nil},
		{"query token twice", Credentials{Query: []string{tok, tok}}, "", ErrInvalidRequest},
		{"empty query token", Credentials{Query: []string{""}}, "", ErrInvalidRequest},
		{"query token with spaces", Credentials{Query: []string{"a b"}}, "", ErrInvalidRequest},
		{"header and query", Credentials{Authorization: []string{"Bearer " + tok}, Query: []string{other}}, "", ErrInvalidRequest},
		{"bare header and query", Credentials{Authorization: []string{tok}, Query: []string{tok}, BareToken: true}, "", ErrInvalidRequest},
		{"cookie and query", Credentials{Cookie: tok, Query: []string{tok}}, "", ErrInvalidRequest},
		{"another scheme and a query token", Credentials{Authorization: []string{"Basic dXNlcjpwYXNz"}, Query: []string{tok}}, "user-1", nil},
		{"nothing", Credentials{}, "", ErrMissingToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.AuthenticateCredentials(context.Background(), tc.cr)
			switch {
			case tc.want == nil && (err != nil || c == nil || c.Subject != tc.sub):
				t.Errorf("got %+v, %v; want subject %q", c, err, tc.sub)
			case tc.want != nil && (!errors.Is(err, tc.want) || c != nil):
				t.Errorf("got %+v, %v; want %v", c, err, tc.want)
			}
		})
	}
}

func TestAuthenticateIsAuthenticateCredentialsWithHeaderAndCookie(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	tok := k.Sign(vtClaims())
	for _, tc := range []struct {
		name   string
		auth   []string
		cookie string
	}{
		{"header", []string{"Bearer " + tok}, ""},
		{"cookie", nil, tok},
		{"both", []string{"Bearer " + tok}, tok},
		{"bare header", []string{tok}, ""},
		{"none", nil, ""},
	} {
		c1, err1 := v.Authenticate(context.Background(), tc.auth, tc.cookie)
		c2, err2 := v.AuthenticateCredentials(context.Background(), Credentials{Authorization: tc.auth, Cookie: tc.cookie})
		if (c1 == nil) != (c2 == nil) || !errors.Is(err1, err2) && !errors.Is(err2, err1) {
			t.Errorf("%s: Authenticate %v, %v; AuthenticateCredentials %v, %v; want the same", tc.name, c1, err1, c2, err2)
		}
	}
}
