package idptest_test

import (
	"context"
	"testing"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/internal/conformance"
	"github.com/jwtgate/jwtgate/internal/idptest"
)

// TestAdapters runs the real-IdP table through the four adapters: each
// answers exactly what core says for the same token (core.Respond of
// Verify's error, or the handler with the verified claims).
func TestAdapters(t *testing.T) {
	ctx := context.Background()
	cases := idptest.Cases(t)
	for _, ad := range conformance.Adapters() {
		t.Run(ad.Name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.Name, func(t *testing.T) {
					v, err := core.New(ctx, tc.Config)
					if err != nil {
						t.Fatalf("core.New: %v", err)
					}
					defer v.Close()
					claims, verr := v.Verify(ctx, tc.Token)
					if (verr == nil) != (tc.Err == nil) {
						t.Fatalf("Verify error = %v; want %v", verr, tc.Err)
					}
					var wantStatus int
					var wantWWW, wantBody string
					if verr == nil {
						wantStatus, wantBody = 200, conformance.Saw(claims, true, claims, true)
					} else {
						r := core.Respond(verr, "")
						wantStatus, wantWWW, wantBody = r.Status, r.WWWAuthenticate, string(r.Body)
					}

					do, stop := ad.Start(t, v, conformance.Setup{})
					defer stop()
					got := do(conformance.Request{Path: "/me", Authorization: []string{"Bearer " + tc.Token}})
					if got.Status != wantStatus {
						t.Errorf("status = %d; want %d", got.Status, wantStatus)
					}
					if www := got.Header.Get("WWW-Authenticate"); www != wantWWW {
						t.Errorf("WWW-Authenticate = %q; want %q", www, wantWWW)
					}
					if got.Body != wantBody {
						t.Errorf("body = %q; want %q", got.Body, wantBody)
					}
				})
			}
		})
	}
}
