package core

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestPolicies(t *testing.T) {
	ctx := context.Background()
	c := &Claims{Scopes: []string{"read", "write"}, Groups: []string{"staff"}, TokenUse: "access"}
	tests := []struct {
		name   string
		policy Policy
		ok     bool
		scopes []string // of the *ScopeError on refusal; nil: no ScopeError
	}{
		{"all scopes present", RequireScopes("read", "write"), true, nil},
		{"one scope missing", RequireScopes("read", "admin"), false, []string{"read", "admin"}},
		{"no scopes required", RequireScopes(), true, nil},
		{"scope match is exact", RequireScopes("Read"), false, []string{"Read"}},
		{"any scope present", RequireAnyScope("admin", "write"), true, nil},
		{"any scope absent", RequireAnyScope("admin", "root"), false, []string{"admin", "root"}},
		{"any of no scopes refuses", RequireAnyScope(), false, []string{}},
		{"group present", RequireGroups("admin", "staff"), true, nil},
		{"group absent", RequireGroups("admin"), false, nil},
		{"no groups refuses", RequireGroups(), false, nil},
		{"token use matches", RequireTokenUse("access"), true, nil},
		{"token use differs", RequireTokenUse("id"), false, nil},
		{"empty token use refuses", RequireTokenUse(""), false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy(ctx, c)
			if (err == nil) != tt.ok {
				t.Fatalf("got %v; want ok=%v", err, tt.ok)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, ErrInsufficientScope) || errors.Is(err, ErrInvalidToken) {
				t.Errorf("got %v; want it to match ErrInsufficientScope only", err)
			}
			if status, _ := Challenge(err, ""); status != 403 {
				t.Errorf("status %d; want 403", status)
			}
			var se *ScopeError
			if got := errors.As(err, &se); got != (tt.scopes != nil) {
				t.Fatalf("errors.As ScopeError = %v; want %v", got, tt.scopes != nil)
			}
			if se != nil && !equalStrings(se.Scopes, tt.scopes) {
				t.Errorf("ScopeError.Scopes = %q; want %q", se.Scopes, tt.scopes)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPolicyClonesArguments(t *testing.T) {
	scopes := []string{"read"}
	p := RequireScopes(scopes...)
	scopes[0] = "admin"
	if err := p(context.Background(), &Claims{Scopes: []string{"read"}}); err != nil {
		t.Errorf("got %v; want the policy to keep its own copy of scopes", err)
	}
}

func TestAuthorize(t *testing.T) {
	ctx := context.Background()
	c := &Claims{Scopes: []string{"read"}, Groups: []string{"staff"}}
	if err := Authorize(ctx, nil); err != ErrMissingToken {
		t.Errorf("nil claims: got %v; want ErrMissingToken", err)
	}
	if err := Authorize(ctx, c); err != nil {
		t.Errorf("no policies: got %v; want nil", err)
	}
	if err := Authorize(ctx, c, RequireScopes("read"), RequireGroups("staff")); err != nil {
		t.Errorf("composed: got %v; want nil", err)
	}
	err := Authorize(ctx, c, RequireGroups("staff"), RequireScopes("write"), RequireGroups("admin"))
	var se *ScopeError
	if !errors.As(err, &se) || se.Scopes[0] != "write" {
		t.Errorf("composed: got %v; want the first refusal (scope write)", err)
	}
	if err := Authorize(ctx, c, nil); !errors.Is(err, ErrInsufficientScope) {
		t.Errorf("nil policy: got %v; want ErrInsufficientScope", err)
	}
}

func TestPoliciesRefuseNilClaims(t *testing.T) {
	ps := map[string]Policy{
		"RequireScopes":         RequireScopes("read"),
		"RequireScopes of none": RequireScopes(),
		"RequireAnyScope":       RequireAnyScope("read"),
		"RequireGroups":         RequireGroups("staff"),
		"RequireTokenUse":       RequireTokenUse("access"),
	}
	for name, p := range ps {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("got a panic %v; want a refusal", r)
				}
			}()
			if err := p(context.Background(), nil); !errors.Is(err, ErrInsufficientScope) {
				t.Errorf("got %v; want ErrInsufficientScope", err)
			}
		})
	}
	var c *Claims
	if c.HasScope("read") {
		t.Errorf("nil claims HasScope = true; want false")
	}
}

func TestAuthorizeOwnPolicyRefusal(t *testing.T) {
	ctx := context.Background()
	c := &Claims{Subject: "alice"}
	denied := errors.New("tenant suspended")
	revoked := fmt.Errorf("%w: jti on the deny list", ErrInvalidToken)
	unreachable := fmt.Errorf("%w: deny list unreachable", ErrKeysUnavailable)
	tests := []struct {
		name   string
		err    error
		status int
		is     []error
	}{
		{"plain error is 403", denied, 403, []error{ErrInsufficientScope, denied}},
		{"wrapped ErrInsufficientScope stays", fmt.Errorf("%w: no", ErrInsufficientScope), 403, []error{ErrInsufficientScope}},
		{"ErrInvalidToken stays 401", revoked, 401, []error{ErrInvalidToken}},
		{"ErrKeysUnavailable stays 503", unreachable, 503, []error{ErrKeysUnavailable}},
		{"deadline stays 503", context.DeadlineExceeded, 503, []error{context.DeadlineExceeded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Authorize(ctx, c, func(context.Context, *Claims) error { return tt.err })
			for _, want := range tt.is {
				if !errors.Is(err, want) {
					t.Errorf("got %v; want it to match %v", err, want)
				}
			}
			if status, _ := Challenge(err, ""); status != tt.status {
				t.Errorf("status %d; want %d", status, tt.status)
			}
		})
	}
	if err := Authorize(ctx, c, func(context.Context, *Claims) error { return denied }); errors.Is(err, ErrInvalidToken) {
		t.Errorf("got %v matching ErrInvalidToken; want a policy refusal only", err)
	}
}

func TestPolicyAllocs(t *testing.T) {
	c := &Claims{Scopes: []string{"read"}, Groups: []string{"staff"}}
	ps := []Policy{RequireScopes("read"), RequireScopes("write"), RequireAnyScope("x"), RequireGroups("admin"), RequireTokenUse("id")}
	n := testing.AllocsPerRun(100, func() {
		for _, p := range ps {
			_ = p(context.Background(), c)
		}
	})
	if n != 0 {
		t.Errorf("policy allocations = %v; want 0", n)
	}
}
