package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/jwtgate/jwtgate/core"
)

// errUnauthorized is the one error API Gateway turns into 401 for a REST
// API Lambda authorizer: it compares the message, so it must be exactly
// "Unauthorized". Any other error becomes 500.
var errUnauthorized = errors.New("Unauthorized") //nolint:staticcheck // the exact text API Gateway expects

// config is what the authorizer needs; configFromEnv fills it in main, tests
// fill it directly.
type config struct {
	Issuer   core.Issuer   // core.Cognito(region, pool) in production
	ClientID []string      // accepted app client ids: aud (ID tokens) or client_id (access tokens)
	TokenUse string        // "access" or "id"
	Scopes   []string      // all required; a token without them is denied (403)
	Policies []core.Policy // extra checks run after Scopes, e.g. core.RequireGroups
}

// authorizer holds one verifier for the life of the execution environment;
// its methods are the Lambda handlers and are safe for concurrent use.
type authorizer struct {
	v        *core.Verifier
	policies []core.Policy
	log      *slog.Logger
}

func newAuthorizer(ctx context.Context, cfg config) (*authorizer, error) {
	log := slog.Default()
	v, err := core.New(ctx, core.Config{
		Issuers:  []core.Issuer{cfg.Issuer},
		Audience: cfg.ClientID,
		TokenUse: cfg.TokenUse,
		Logger:   log,
	})
	if err != nil {
		return nil, fmt.Errorf("lambda-authorizer: %w", err)
	}
	var policies []core.Policy
	if len(cfg.Scopes) > 0 {
		policies = append(policies, core.RequireScopes(cfg.Scopes...))
	}
	policies = append(policies, cfg.Policies...)
	return &authorizer{v: v, policies: policies, log: log}, nil
}

// check verifies the Authorization header value and runs the policies. It
// returns the claims and nil; the claims and the first policy refusal (a
// valid token: core.RequireScopes refusals match core.ErrInsufficientScope);
// or nil claims and the reason the token is not valid.
func (a *authorizer) check(ctx context.Context, header string) (*core.Claims, error) {
	var values []string
	if header != "" {
		values = []string{header}
	}
	token, err := core.BearerToken(values)
	if err != nil {
		return nil, err
	}
	c, err := a.v.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	return c, core.Authorize(ctx, c, a.policies...)
}

// serverSide reports whether err is our problem rather than the caller's:
// the pool's keys could not be loaded, or the invocation ran out of time.
// Those must not be cached as a 401 or 403 for a token that may be good.
func serverSide(err error) bool {
	return errors.Is(err, core.ErrKeysUnavailable) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// REST is the handler of a REST API TOKEN authorizer.
//
// A valid token gets an Allow policy whose resource is every method of the
// stage (arn:…:<api-id>/<stage>/*), not just event.MethodArn: API Gateway
// caches the policy per token (300 s by default) and reuses it for every
// method the client calls next, so a policy naming only the first method
// would wrongly refuse the others. That is right here because the decision
// depends on the token alone; an authorizer that decides per route must
// return event.MethodArn and turn caching off (TTL 0).
//
// A valid token that fails a policy gets an explicit Deny (403), over the
// same stage-wide resource and cached the same way. Anything wrong with the
// token itself returns the error "Unauthorized" (401). When the pool's keys
// cannot be loaded or the invocation runs out of time, REST returns another
// error (500) rather than a 401 that would wrongly refuse a good token.
func (a *authorizer) REST(ctx context.Context, event events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	c, err := a.check(ctx, event.AuthorizationToken)
	switch {
	case err == nil:
		return policy(c.Subject, "Allow", stageWildcard(event.MethodArn), claimsContext(c)), nil
	case errors.Is(err, core.ErrInsufficientScope):
		a.log.InfoContext(ctx, "lambda-authorizer: denied", "sub", c.Subject, "err", err)
		return policy(c.Subject, "Deny", stageWildcard(event.MethodArn), nil), nil
	case serverSide(err):
		a.log.ErrorContext(ctx, "lambda-authorizer: cannot decide", "err", err)
		return events.APIGatewayCustomAuthorizerResponse{}, errors.New("authorizer unavailable") // 500
	default:
		a.log.InfoContext(ctx, "lambda-authorizer: unauthorized", "err", err)
		return events.APIGatewayCustomAuthorizerResponse{}, errUnauthorized
	}
}

// HTTP is the handler of an HTTP API Lambda authorizer with payload format
// 2.0 and simple responses. The token comes from the Authorization header
// (HTTP API sends header names in lower case). Simple responses cannot tell
// 401 from 403: API Gateway answers 403 to isAuthorized=false, and answers
// 401 itself, without calling the Lambda, when the identity source
// ($request.header.Authorization) is missing. Use the IAM policy response
// format if clients must see 401 for a bad token.
func (a *authorizer) HTTP(ctx context.Context, event events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	c, err := a.check(ctx, event.Headers["authorization"])
	switch {
	case err == nil:
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: claimsContext(c)}, nil
	case serverSide(err):
		a.log.ErrorContext(ctx, "lambda-authorizer: cannot decide", "err", err)
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, errors.New("authorizer unavailable") // 500
	default:
		a.log.InfoContext(ctx, "lambda-authorizer: refused", "err", err)
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}, nil
	}
}

// claimsContext is what the backend receives: for a REST API in
// event.RequestContext.Authorizer (and as $context.authorizer.<key> in
// mapping templates), for an HTTP API under requestContext.authorizer.lambda.
// REST API context values must be strings, numbers or booleans, so lists
// are joined: scopes with spaces (as in the token), groups with commas (as
// API Gateway's own Cognito authorizer does).
func claimsContext(c *core.Claims) map[string]any {
	return map[string]any{
		"sub":       c.Subject,
		"username":  c.Username,
		"client_id": c.ClientID,
		"token_use": c.TokenUse,
		"scope":     strings.Join(c.Scopes, " "),
		"groups":    strings.Join(c.Groups, ","),
	}
}

func policy(principal, effect, resource string, ctx map[string]any) events.APIGatewayCustomAuthorizerResponse {
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: principal,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action:   []string{"execute-api:Invoke"},
				Effect:   effect,
				Resource: []string{resource},
			}},
		},
		Context: ctx,
	}
}

// stageWildcard turns a method ARN,
// arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<verb>/<path>,
// into the ARN of every method of its stage,
// arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/*. An ARN of
// another shape is returned unchanged.
func stageWildcard(methodARN string) string {
	parts := strings.SplitN(methodARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return methodARN
	}
	api, rest, _ := strings.Cut(parts[5], "/")
	stage, _, _ := strings.Cut(rest, "/")
	if api == "" || stage == "" {
		return methodARN
	}
	return strings.Join(parts[:5], ":") + ":" + api + "/" + stage + "/*"
}
