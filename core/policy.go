package core

import "context"

// Policy decides whether verified claims may proceed. A refusal should wrap
// ErrInsufficientScope (see ScopeError).
type Policy func(ctx context.Context, c *Claims) error

// Authorize runs policies on c in order and returns the first refusal. A nil
// c (no verified claims) gives ErrMissingToken.
func Authorize(ctx context.Context, c *Claims, policies ...Policy) error {
	if c == nil {
		return ErrMissingToken
	}
	for _, p := range policies {
		if err := p(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// RequireScopes returns a Policy that requires all of scopes.
func RequireScopes(scopes ...string) Policy { panic("todo") }

// RequireAnyScope returns a Policy that requires one of scopes.
func RequireAnyScope(scopes ...string) Policy { panic("todo") }

// RequireGroups returns a Policy that requires membership in one of groups.
func RequireGroups(groups ...string) Policy { panic("todo") }

// RequireTokenUse returns a Policy that requires token_use to equal use.
func RequireTokenUse(use string) Policy { panic("todo") }
