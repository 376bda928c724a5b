package core

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// Policy decides whether verified claims may proceed. Any refusal is
// answered 403 insufficient_scope: Authorize (which Verify and the adapters'
// Require run policies through) makes a plain error match
// ErrInsufficientScope, keeping the policy's own error in the chain. A
// refusal that already matches one of the package's errors keeps its answer:
// a policy that finds the token revoked (a deny list keyed by jti) may wrap
// ErrInvalidToken for 401 invalid_token, one whose store is unreachable
// ErrKeysUnavailable for 503. A *ScopeError names the missing scopes in the
// answer's scope attribute.
type Policy func(ctx context.Context, c *Claims) error

// Authorize runs policies on c in order and returns the first refusal, which
// matches ErrInsufficientScope unless it already matches another error of
// this package (see Policy). A nil c (no verified claims) gives
// ErrMissingToken. A nil policy refuses (it gives ErrInsufficientScope), so
// that a forgotten value fails closed.
func Authorize(ctx context.Context, c *Claims, policies ...Policy) error {
	if c == nil {
		return ErrMissingToken
	}
	for _, p := range policies {
		if p == nil {
			return errNilPolicy
		}
		if err := p(ctx, c); err != nil {
			return policyRefusal(err)
		}
	}
	return nil
}

// policyRefusal returns err when it already matches one of the package's
// errors (so that it keeps its answer), and otherwise err wrapped so that it
// also matches ErrInsufficientScope: a policy that refuses is 403.
func policyRefusal(err error) error {
	if classify(err) != classGeneric || errors.Is(err, ErrInvalidToken) {
		return err
	}
	return &refusedError{err}
}

// refusedError is a policy's own error, made to match ErrInsufficientScope.
type refusedError struct{ err error }

func (e *refusedError) Error() string   { return ErrInsufficientScope.Error() + ": " + e.err.Error() }
func (e *refusedError) Unwrap() []error { return []error{ErrInsufficientScope, e.err} }

// ScopeError is the refusal of a scope policy (RequireScopes,
// RequireAnyScope). It matches ErrInsufficientScope with errors.Is, and
// Challenge lists Scopes in the scope attribute of its 403 answer. Scopes are
// the policy's configured scopes, never values taken from a token.
type ScopeError struct {
	// Scopes are the scopes the resource requires (RequireScopes: all of
	// them; RequireAnyScope: any one of them).
	Scopes []string
}

// Error returns a fixed message naming the required scopes.
func (e *ScopeError) Error() string {
	return ErrInsufficientScope.Error() + ": requires scope " + strings.Join(e.Scopes, " ")
}

// Unwrap returns ErrInsufficientScope.
func (e *ScopeError) Unwrap() error { return ErrInsufficientScope }

// policyError is the refusal of a policy that has no scope to name.
type policyError struct{ msg string }

func (e *policyError) Error() string { return ErrInsufficientScope.Error() + ": " + e.msg }
func (e *policyError) Unwrap() error { return ErrInsufficientScope }

var errNilPolicy error = &policyError{"nil policy"}

// RequireScopes returns a Policy that requires all of scopes (the token's
// scope claim, Claims.Scopes). With no scopes it allows every verified token.
// A refusal is a *ScopeError listing all of scopes. Like every policy of this
// package, it refuses nil claims.
func RequireScopes(scopes ...string) Policy {
	scopes = slices.Clone(scopes)
	refusal := &ScopeError{Scopes: scopes}
	return func(_ context.Context, c *Claims) error {
		if c == nil {
			return refusal
		}
		for _, s := range scopes {
			if !c.HasScope(s) {
				return refusal
			}
		}
		return nil
	}
}

// RequireAnyScope returns a Policy that requires one of scopes. With no
// scopes it refuses every token. A refusal is a *ScopeError listing all of
// scopes.
func RequireAnyScope(scopes ...string) Policy {
	scopes = slices.Clone(scopes)
	refusal := &ScopeError{Scopes: scopes}
	return func(_ context.Context, c *Claims) error {
		for _, s := range scopes {
			if c.HasScope(s) {
				return nil
			}
		}
		return refusal
	}
}

// RequireGroups returns a Policy that requires membership in one of groups
// (Claims.Groups, Cognito's cognito:groups). With no groups it refuses every
// token. A refusal wraps ErrInsufficientScope; its 403 answer has no scope
// attribute, since groups are not OAuth scopes.
func RequireGroups(groups ...string) Policy {
	groups = slices.Clone(groups)
	refusal := &policyError{"requires group " + strings.Join(groups, " or ")}
	return func(_ context.Context, c *Claims) error {
		if c == nil {
			return refusal
		}
		for _, g := range groups {
			if slices.Contains(c.Groups, g) {
				return nil
			}
		}
		return refusal
	}
}

// RequireTokenUse returns a Policy that requires token_use (Claims.TokenUse)
// to equal use, such as "access" on a route that takes only access tokens.
// An empty use refuses every token. A refusal wraps ErrInsufficientScope
// (403, no scope attribute), like every policy; to answer 401 invalid_token
// for the wrong kind of token on every route, set Config.TokenUse instead.
func RequireTokenUse(use string) Policy {
	refusal := &policyError{"requires token_use " + use}
	return func(_ context.Context, c *Claims) error {
		if use == "" || c == nil || c.TokenUse != use {
			return refusal
		}
		return nil
	}
}

// Requirement is what an adapter's Require middleware decides with: its
// policies, applied to the claims of a request an authentication middleware
// handled. Build one per Require with NewRequirement; it is safe for
// concurrent use.
type Requirement struct {
	policies []Policy
	missing  sync.Once // the ERROR log of a missing authentication middleware
}

// NewRequirement returns the Requirement of policies (copied).
func NewRequirement(policies ...Policy) *Requirement {
	return &Requirement{policies: slices.Clone(policies)}
}

// Check decides one request from ctx, its context as the authentication
// middleware in front (an adapter's New) handed it on: the claims
// (FromContext), or, without claims, the mark that the middleware let the
// request through (HandledBy: WithCredentialsOptional, WithSkip).
//
//   - Neither claims nor the mark: the route is misconfigured (Require
//     without New in front of it). Check returns ErrMiddlewareMissing,
//     answered 500 with a generic body, and logs it at ERROR once per
//     Requirement, to slog.Default() (no middleware ran, so no Verifier and
//     no Config.Logger is known), so that the mistake is seen at the first
//     request instead of looking like a client without a token.
//   - The mark without claims: ErrMissingToken (401).
//   - Otherwise Authorize(ctx, c, policies...). A refusal is logged at
//     debug level through the Config.Logger of the Verifier that verified
//     the claims (when ctx is the context its AuthenticateContext returned).
//
// Claims put in ctx with NewContext alone (a handler test) go to the
// policies as well.
func (r *Requirement) Check(ctx context.Context) error {
	c, _ := FromContext(ctx)
	if c == nil {
		if _, handled := HandledBy(ctx); !handled {
			r.missing.Do(func() {
				slog.Default().LogAttrs(ctx, slog.LevelError, "jwtgate: Require runs without the authentication middleware in front of it; "+
					"its requests are answered 500 until the adapter's New is put before it")
			})
			return ErrMiddlewareMissing
		}
	}
	err := Authorize(ctx, c, r.policies...)
	if err != nil {
		if v := verifierFrom(ctx); v != nil {
			v.routeRefused(ctx, c, err) // at debug level, through Config.Logger
		}
	}
	return err
}
