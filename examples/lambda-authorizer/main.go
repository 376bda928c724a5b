// Command lambda-authorizer is an Amazon API Gateway Lambda authorizer that
// verifies Amazon Cognito tokens with jwtgate's core, no web framework
// involved. One binary serves either kind of API, chosen at start-up:
//
//   - a REST API TOKEN authorizer (AUTHORIZER_KIND=rest): it answers with an
//     IAM policy, Allow for the whole stage with the token's claims as
//     context, an explicit Deny (403) when a required scope is missing, and
//     the error "Unauthorized" (401) for a missing, malformed, expired or
//     otherwise invalid token;
//   - an HTTP API authorizer with payload format 2.0 and simple responses
//     (AUTHORIZER_KIND=http): it answers {"isAuthorized": true|false,
//     "context": {…}}; API Gateway turns false into 403.
//
// # Configuration (environment variables)
//
//	AUTHORIZER_KIND    rest (default) or http
//	COGNITO_POOL_ID    the user pool id, e.g. eu-west-1_AbC123xyz (required);
//	                   the pool's region is read from its prefix
//	COGNITO_CLIENT_ID  the app client id(s) tokens must be issued to (required;
//	                   several may be given, separated by commas)
//	TOKEN_USE          access (default) or id: the only Cognito token kind accepted
//	REQUIRED_SCOPES    space-separated scopes every token must carry (optional),
//	                   e.g. "orders/read orders/write"
//
// The verifier, and with it the pool's JWKS cache, is built once when the
// execution environment starts, not per event; warm invocations verify
// without any network call.
//
// # Deploying
//
// Build for the provided.al2023 runtime and upload the zip:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./examples/lambda-authorizer
//	zip authorizer.zip bootstrap
//
// REST API: create a TOKEN authorizer with token source
// method.request.header.Authorization (clients send "Bearer <token>"). HTTP
// API: create a REQUEST authorizer with payload format version 2.0, simple
// responses enabled and identity source $request.header.Authorization.
// Either way the Lambda needs no IAM permissions of its own beyond logging:
// the JWKS is public and fetched over HTTPS.
//
// # The authorizer cache outlives tokens
//
// API Gateway caches an authorizer's answer for the authorizer's TTL (REST
// APIs: 300 s by default, up to 3600 s; HTTP APIs: up to 3600 s), keyed on
// the identity source, that is on the token itself. While the answer is
// cached the Lambda is not invoked, so an Allow cached shortly before a
// token's exp keeps admitting that token after it has expired, until the TTL
// runs out. Set the TTL (authorizerResultTtlInSeconds) at or below the
// shortest lifetime of the tokens you accept (Cognito's default is one hour),
// and to 0 when a token must stop working exactly at exp. The policy this
// authorizer returns allows the whole stage, so a cached Allow also covers
// every route of the stage; routes that need other scopes need an authorizer
// of their own.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/jwtgate/jwtgate/core"
)

func main() {
	cfg, kind, err := configFromEnv(os.Getenv)
	if err != nil {
		slog.Error("lambda-authorizer: configuration", "err", err)
		os.Exit(1)
	}
	// Built once per execution environment; context.Background because the
	// verifier's background key refresh lives as long as the environment.
	a, err := newAuthorizer(context.Background(), cfg)
	if err != nil {
		slog.Error("lambda-authorizer: start", "err", err)
		os.Exit(1)
	}
	switch kind {
	case kindREST:
		lambda.Start(a.REST)
	case kindHTTP:
		lambda.Start(a.HTTP)
	}
}

const (
	kindREST = "rest"
	kindHTTP = "http"
)

// configFromEnv reads the environment variables listed in the package
// documentation and returns the authorizer configuration and kind.
func configFromEnv(getenv func(string) string) (config, string, error) {
	kind := strings.ToLower(strings.TrimSpace(getenv("AUTHORIZER_KIND")))
	switch kind {
	case "":
		kind = kindREST
	case kindREST, kindHTTP:
	default:
		return config{}, "", fmt.Errorf("AUTHORIZER_KIND is %q; want rest or http", kind)
	}

	issuer, err := core.CognitoPool(strings.TrimSpace(getenv("COGNITO_POOL_ID")))
	if err != nil {
		return config{}, "", fmt.Errorf("COGNITO_POOL_ID: %w", err)
	}
	var clients []string
	for c := range strings.SplitSeq(getenv("COGNITO_CLIENT_ID"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			clients = append(clients, c)
		}
	}
	if len(clients) == 0 {
		return config{}, "", errors.New("COGNITO_CLIENT_ID is empty; want the app client id")
	}
	use := strings.TrimSpace(getenv("TOKEN_USE"))
	switch use {
	case "":
		use = "access"
	case "access", "id":
	default:
		return config{}, "", fmt.Errorf("TOKEN_USE is %q; want access or id", use)
	}
	return config{
		Issuer:   issuer,
		ClientID: clients,
		TokenUse: use,
		Scopes:   strings.Fields(getenv("REQUIRED_SCOPES")),
	}, kind, nil
}
