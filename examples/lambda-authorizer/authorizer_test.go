package main

import (
	"context"
	"encoding/json"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

const (
	clientID  = "example-client"
	methodARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/orders/42"
	stageARN  = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*"
)

// fixture is an embedded Cognito-shaped issuer and an authorizer that
// trusts it, requiring the scope orders/read.
type fixture struct {
	iss *jwttest.Issuer
	key *jwttest.Key
	a   *authorizer
}

type ctxKey struct{}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key := jwttest.NewKey("RS256", "cognito-access-1")
	iss := jwttest.NewIssuer(jwttest.IssuerConfig{
		ClientID: clientID,
		Key:      key,
		Scopes:   []string{"openid", "orders/read"},
		Groups:   []string{"admin"},
		Cognito:  true,
	})
	t.Cleanup(iss.Close)
	a, err := newAuthorizer(t.Context(), config{
		// In production: core.Cognito(region, pool). The embedded issuer's
		// iss is its loopback URL, with Cognito rules on all the same.
		Issuer:   core.Issuer{URL: iss.URL, JWKSURL: iss.JWKSURL(), Cognito: true},
		ClientID: []string{clientID},
		TokenUse: "access",
		Scopes:   []string{"orders/read"},
		Policies: []core.Policy{func(ctx context.Context, _ *core.Claims) error {
			// Proves the Lambda's context reaches the policies: tests that
			// mark their context see it here.
			if v, ok := ctx.Value(ctxKey{}).(string); ok && v != "marked" {
				return core.ErrInsufficientScope
			}
			return nil
		}},
	})
	if err != nil {
		t.Fatalf("newAuthorizer: %v", err)
	}
	t.Cleanup(func() { a.v.Close() })
	return &fixture{iss: iss, key: key, a: a}
}

// access returns a Cognito access token for alice, changed by edit.
func (f *fixture) access(edit func(map[string]any)) string {
	now := time.Now()
	c := map[string]any{
		"sub":            "0f8e2b6c-alice",
		"iss":            f.iss.URL,
		"client_id":      clientID,
		"token_use":      "access",
		"scope":          "openid orders/read",
		"username":       "alice",
		"cognito:groups": []string{"admin", "ops"},
		"auth_time":      now.Unix(),
		"iat":            now.Unix(),
		"exp":            now.Add(time.Hour).Unix(),
		"jti":            "5b3f2d1e-jti",
	}
	if edit != nil {
		edit(c)
	}
	return f.key.Sign(c)
}

func bearer(tok string) string { return "Bearer " + tok }

// badTokens are the tokens every handler must refuse as unauthorized (401
// for REST, isAuthorized=false for HTTP).
func (f *fixture) badTokens() map[string]string {
	other := jwttest.NewKey("RS256", "cognito-access-1") // same kid, different key
	_, id, _ := f.iss.Tokens("alice")
	return map[string]string{
		"missing":      "",
		"scheme only":  "Bearer",
		"other scheme": "Basic YWxpY2U6cHc=",
		"raw token":    f.access(nil), // no "Bearer " in front
		"malformed":    bearer("not.a.jwt"),
		"expired": bearer(f.access(func(c map[string]any) {
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = time.Now().Add(-time.Hour).Unix()
		})),
		"bad signature":    bearer(other.Sign(map[string]any{"sub": "x", "iss": f.iss.URL, "client_id": clientID, "token_use": "access", "scope": "orders/read", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()})),
		"other issuer":     bearer(f.access(func(c map[string]any) { c["iss"] = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other" })),
		"other client":     bearer(f.access(func(c map[string]any) { c["client_id"] = "someone-else" })),
		"id token":         bearer(id), // TOKEN_USE=access
		"token_use absent": bearer(f.access(func(c map[string]any) { delete(c, "token_use") })),
	}
}

func TestRESTAllow(t *testing.T) {
	f := newFixture(t)
	got, err := f.a.REST(t.Context(), events.APIGatewayCustomAuthorizerRequest{
		Type: "TOKEN", AuthorizationToken: bearer(f.access(nil)), MethodArn: methodARN,
	})
	if err != nil {
		t.Fatalf("REST: %v", err)
	}
	want := events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: "0f8e2b6c-alice",
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{stageARN},
			}},
		},
		Context: map[string]any{
			"sub":       "0f8e2b6c-alice",
			"username":  "alice",
			"client_id": clientID,
			"token_use": "access",
			"scope":     "openid orders/read",
			"groups":    "admin,ops",
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("REST response\n got %#v\nwant %#v", got, want)
	}
}

func TestRESTAllowIssuerTokens(t *testing.T) {
	// The embedded issuer's own Cognito-shaped access token passes too.
	f := newFixture(t)
	access, _, _ := f.iss.Tokens("bob")
	got, err := f.a.REST(t.Context(), events.APIGatewayCustomAuthorizerRequest{
		Type: "TOKEN", AuthorizationToken: bearer(access), MethodArn: methodARN,
	})
	if err != nil {
		t.Fatalf("REST: %v", err)
	}
	if e := got.PolicyDocument.Statement[0].Effect; e != "Allow" {
		t.Errorf("effect = %q; want Allow", e)
	}
	if got.Context["token_use"] != "access" || got.Context["client_id"] != clientID {
		t.Errorf("context = %v; want token_use access, client_id %s", got.Context, clientID)
	}
}

func TestRESTUnauthorized(t *testing.T) {
	f := newFixture(t)
	for name, header := range f.badTokens() {
		t.Run(name, func(t *testing.T) {
			got, err := f.a.REST(t.Context(), events.APIGatewayCustomAuthorizerRequest{
				Type: "TOKEN", AuthorizationToken: header, MethodArn: methodARN,
			})
			// API Gateway compares the message: exactly "Unauthorized" is 401.
			if err == nil || err.Error() != "Unauthorized" {
				t.Fatalf("err = %v; want Unauthorized", err)
			}
			if !reflect.DeepEqual(got, events.APIGatewayCustomAuthorizerResponse{}) {
				t.Errorf("response = %#v; want zero", got)
			}
		})
	}
}

func TestRESTDenyInsufficientScope(t *testing.T) {
	f := newFixture(t)
	tok := f.access(func(c map[string]any) { c["scope"] = "openid orders/write" })
	got, err := f.a.REST(t.Context(), events.APIGatewayCustomAuthorizerRequest{
		Type: "TOKEN", AuthorizationToken: bearer(tok), MethodArn: methodARN,
	})
	if err != nil {
		t.Fatalf("REST: %v; want an explicit Deny", err)
	}
	st := got.PolicyDocument.Statement
	if got.PrincipalID != "0f8e2b6c-alice" || len(st) != 1 || st[0].Effect != "Deny" ||
		!reflect.DeepEqual(st[0].Resource, []string{stageARN}) || got.Context != nil {
		t.Errorf("response = %#v; want Deny on %s for the token's sub, no context", got, stageARN)
	}
}

func TestRESTContextReachesPolicies(t *testing.T) {
	f := newFixture(t)
	for mark, want := range map[string]string{"marked": "Allow", "other": "Deny"} {
		ctx := context.WithValue(t.Context(), ctxKey{}, mark)
		got, err := f.a.REST(ctx, events.APIGatewayCustomAuthorizerRequest{
			Type: "TOKEN", AuthorizationToken: bearer(f.access(nil)), MethodArn: methodARN,
		})
		if err != nil {
			t.Fatalf("REST(%s): %v", mark, err)
		}
		if e := got.PolicyDocument.Statement[0].Effect; e != want {
			t.Errorf("REST(%s) effect = %q; want %q", mark, e, want)
		}
	}
}

func TestHTTP(t *testing.T) {
	f := newFixture(t)
	event := func(header string) events.APIGatewayV2CustomAuthorizerV2Request {
		e := events.APIGatewayV2CustomAuthorizerV2Request{
			Version: "2.0", Type: "REQUEST", RouteKey: "GET /orders/{id}", RawPath: "/orders/42",
			RouteArn: methodARN, Headers: map[string]string{"accept": "application/json"},
		}
		if header != "" {
			e.Headers["authorization"] = header
			e.IdentitySource = []string{header}
		}
		return e
	}

	t.Run("valid", func(t *testing.T) {
		got, err := f.a.HTTP(t.Context(), event(bearer(f.access(nil))))
		if err != nil {
			t.Fatalf("HTTP: %v", err)
		}
		want := events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: map[string]any{
			"sub": "0f8e2b6c-alice", "username": "alice", "client_id": clientID, "token_use": "access",
			"scope": "openid orders/read", "groups": "admin,ops",
		}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("HTTP response\n got %#v\nwant %#v", got, want)
		}
	})
	refused := f.badTokens()
	refused["insufficient scope"] = bearer(f.access(func(c map[string]any) { c["scope"] = "openid" }))
	for name, header := range refused {
		t.Run(name, func(t *testing.T) {
			got, err := f.a.HTTP(t.Context(), event(header))
			if err != nil {
				t.Fatalf("HTTP: %v; want isAuthorized=false and no error", err)
			}
			if !reflect.DeepEqual(got, events.APIGatewayV2CustomAuthorizerSimpleResponse{}) {
				t.Errorf("response = %#v; want isAuthorized=false, no context", got)
			}
		})
	}
}

// TestLambdaJSON runs the handlers through aws-lambda-go's own handler
// wrapper, so the JSON API Gateway sends and reads is exercised too.
func TestLambdaJSON(t *testing.T) {
	f := newFixture(t)
	tok := f.access(nil)

	t.Run("rest allow", func(t *testing.T) {
		in, _ := json.Marshal(map[string]string{"type": "TOKEN", "authorizationToken": bearer(tok), "methodArn": methodARN})
		out, err := lambda.NewHandler(f.a.REST).Invoke(t.Context(), in)
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("answer is not JSON: %v", err)
		}
		want := map[string]any{
			"principalId": "0f8e2b6c-alice",
			"policyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Action": []any{"execute-api:Invoke"}, "Effect": "Allow", "Resource": []any{stageARN},
			}}},
			"context": map[string]any{
				"sub": "0f8e2b6c-alice", "username": "alice", "client_id": clientID, "token_use": "access",
				"scope": "openid orders/read", "groups": "admin,ops",
			},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("answer\n got %s\nwant %v", out, want)
		}
	})
	t.Run("rest unauthorized", func(t *testing.T) {
		in := []byte(`{"type":"TOKEN","authorizationToken":"Bearer x.y.z","methodArn":"` + methodARN + `"}`)
		_, err := lambda.NewHandler(f.a.REST).Invoke(t.Context(), in)
		if err == nil || err.Error() != "Unauthorized" {
			t.Errorf("Invoke err = %v; want Unauthorized", err)
		}
	})
	t.Run("http allow", func(t *testing.T) {
		in, _ := json.Marshal(map[string]any{"version": "2.0", "type": "REQUEST", "routeArn": methodARN,
			"identitySource": []string{bearer(tok)}, "headers": map[string]string{"authorization": bearer(tok)}})
		out, err := lambda.NewHandler(f.a.HTTP).Invoke(t.Context(), in)
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		var got struct {
			IsAuthorized *bool             `json:"isAuthorized"`
			Context      map[string]string `json:"context"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("answer %s: %v", out, err)
		}
		if got.IsAuthorized == nil || !*got.IsAuthorized || got.Context["sub"] != "0f8e2b6c-alice" {
			t.Errorf("answer = %s; want isAuthorized true with context.sub", out)
		}
	})
	t.Run("http refused", func(t *testing.T) {
		out, err := lambda.NewHandler(f.a.HTTP).Invoke(t.Context(), []byte(`{"version":"2.0","type":"REQUEST","headers":{}}`))
		if err != nil || string(out) != `{"isAuthorized":false}` {
			t.Errorf("Invoke = %s, %v; want {\"isAuthorized\":false}, nil", out, err)
		}
	})
}

// TestVerifierBuiltOnce checks the key set is fetched once for many events:
// the verifier lives in the authorizer, not in the handler call.
func TestVerifierBuiltOnce(t *testing.T) {
	f := newFixture(t)
	for i := range 20 {
		tok := f.access(func(c map[string]any) { c["jti"] = "jti-" + string(rune('a'+i)) })
		if _, err := f.a.REST(t.Context(), events.APIGatewayCustomAuthorizerRequest{
			Type: "TOKEN", AuthorizationToken: bearer(tok), MethodArn: methodARN,
		}); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if _, err := f.a.HTTP(t.Context(), events.APIGatewayV2CustomAuthorizerV2Request{
			Headers: map[string]string{"authorization": bearer(tok)},
		}); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if n := f.iss.Fetches(); n != 1 {
		t.Errorf("JWKS fetches = %d; want 1", n)
	}
}

// TestKeysUnavailable: when the pool's keys cannot be loaded the authorizer
// must not answer 401/403 (API Gateway would cache that for a good token);
// it returns another error, which API Gateway reports as 500.
func TestKeysUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close() // nothing listens there any more: connection refused

	f := newFixture(t)
	a, err := newAuthorizer(t.Context(), config{
		Issuer:   core.Issuer{URL: f.iss.URL, JWKSURL: dead + "/.well-known/jwks.json", Cognito: true},
		ClientID: []string{clientID},
		TokenUse: "access",
	})
	if err != nil {
		t.Fatalf("newAuthorizer: %v", err)
	}
	defer a.v.Close()
	tok := bearer(f.access(nil))

	_, err = a.REST(t.Context(), events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: tok, MethodArn: methodARN})
	if err == nil || err.Error() == "Unauthorized" {
		t.Errorf("REST err = %v; want an error other than Unauthorized", err)
	}
	got, err := a.HTTP(t.Context(), events.APIGatewayV2CustomAuthorizerV2Request{Headers: map[string]string{"authorization": tok}})
	if err == nil || got.IsAuthorized {
		t.Errorf("HTTP = %#v, %v; want an error", got, err)
	}
}

func TestStageWildcard(t *testing.T) {
	for in, want := range map[string]string{
		methodARN: stageARN,
		"arn:aws:execute-api:us-east-1:123456789012:api1/$default/POST/": "arn:aws:execute-api:us-east-1:123456789012:api1/$default/*",
		"arn:aws:execute-api:us-east-1:123456789012:api1/dev/GET/a:b/c":  "arn:aws:execute-api:us-east-1:123456789012:api1/dev/*",
		"arn:aws:execute-api:us-east-1:123456789012:api1/dev":            "arn:aws:execute-api:us-east-1:123456789012:api1/dev/*",
		"arn:aws:execute-api:us-east-1:123456789012:api1":                "arn:aws:execute-api:us-east-1:123456789012:api1",
		"not-an-arn": "not-an-arn",
		"":           "",
	} {
		if got := stageWildcard(in); got != want {
			t.Errorf("stageWildcard(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	type env map[string]string
	tests := []struct {
		name    string
		env     env
		kind    string
		want    config
		wantErr string
	}{
		{"defaults", env{"COGNITO_POOL_ID": "eu-west-1_AbC123", "COGNITO_CLIENT_ID": "c1"}, "rest",
			config{Issuer: core.Cognito("eu-west-1", "eu-west-1_AbC123"), ClientID: []string{"c1"}, TokenUse: "access", Scopes: []string{}}, ""},
		{"http, id tokens, scopes, two clients", env{"AUTHORIZER_KIND": "HTTP", "COGNITO_POOL_ID": "us-east-1_x", "COGNITO_CLIENT_ID": "c1, c2",
			"TOKEN_USE": "id", "REQUIRED_SCOPES": " orders/read  orders/write "}, "http",
			config{Issuer: core.Cognito("us-east-1", "us-east-1_x"), ClientID: []string{"c1", "c2"}, TokenUse: "id", Scopes: []string{"orders/read", "orders/write"}}, ""},
		{"unknown kind", env{"AUTHORIZER_KIND": "websocket", "COGNITO_POOL_ID": "eu-west-1_A", "COGNITO_CLIENT_ID": "c"}, "", config{}, "AUTHORIZER_KIND"},
		{"no pool", env{"COGNITO_CLIENT_ID": "c"}, "", config{}, "COGNITO_POOL_ID"},
		{"pool without region", env{"COGNITO_POOL_ID": "AbC123", "COGNITO_CLIENT_ID": "c"}, "", config{}, "COGNITO_POOL_ID"},
		{"no client", env{"COGNITO_POOL_ID": "eu-west-1_A", "COGNITO_CLIENT_ID": " , "}, "", config{}, "COGNITO_CLIENT_ID"},
		{"bad token use", env{"COGNITO_POOL_ID": "eu-west-1_A", "COGNITO_CLIENT_ID": "c", "TOKEN_USE": "refresh"}, "", config{}, "TOKEN_USE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, kind, err := configFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v; want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("configFromEnv: %v", err)
			}
			if kind != tt.kind || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("configFromEnv = %#v, %q; want %#v, %q", got, kind, tt.want, tt.kind)
			}
		})
	}
}
