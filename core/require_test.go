package core

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// B12: a Require that no authentication middleware ran before answers 500
// and logs once.
func TestRequirementWithoutMiddlewareIsMisconfiguredAndLogsOnce(t *testing.T) {
	var buf bytes.Buffer
	r := NewRequirement(RequireScopes("read"))
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Check(context.Background()); !errors.Is(err, ErrMiddlewareMissing) {
				t.Errorf("Check without middleware: got %v; want ErrMiddlewareMissing", err)
			}
		}()
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "level=ERROR"); n != 1 || !strings.Contains(buf.String(), "authentication middleware") {
		t.Errorf("log: got %d ERROR records in %q; want 1 naming the authentication middleware", n, buf.String())
	}

	resp := Respond(ErrMiddlewareMissing, "")
	if resp.Status != http.StatusInternalServerError || resp.WWWAuthenticate != "" || resp.RetryAfter != "" ||
		string(resp.Body) != `{"error":"server_error","error_description":"internal server error"}` {
		t.Errorf("Respond(ErrMiddlewareMissing): got %+v %s; want 500, no challenge, no Retry-After, a generic body", resp, resp.Body)
	}
	if errors.Is(ErrMiddlewareMissing, ErrInvalidToken) {
		t.Error("ErrMiddlewareMissing matches ErrInvalidToken; want it not to")
	}
}

func TestRequirementWithMiddlewareRunsThePolicies(t *testing.T) {
	r := NewRequirement(RequireScopes("read"))
	bg := context.Background()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"no claims", Handled(bg, nil), ErrMissingToken},
		{"scope present", Handled(NewContext(bg, &Claims{Scopes: []string{"read"}}), nil), nil},
		{"scope missing", Handled(NewContext(bg, &Claims{Scopes: []string{"write"}}), nil), ErrInsufficientScope},
		{"claims put in the context by a test, no middleware", NewContext(bg, &Claims{Scopes: []string{"read"}}), nil},
	} {
		err := r.Check(tc.ctx)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v; want %v", tc.name, err, tc.want)
		}
	}
}
