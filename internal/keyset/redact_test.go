package keyset

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/internal/testsrv"
)

// Key server URLs may carry credentials in their query (an API key) or
// userinfo: logs and errors show them redacted.
func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://idp.example/jwks", "https://idp.example/jwks"},
		{"https://idp.example/jwks?token=secret", "https://idp.example/jwks?REDACTED"},
		{"https://idp.example/jwks?", "https://idp.example/jwks?REDACTED"},
		{"https://user:secret@idp.example/jwks", "https://REDACTED@idp.example/jwks"},
		{"https://idp.example/jwks#secret", "https://idp.example/jwks#REDACTED"},
		{"http://127.0.0.1:8080/a/b?x=secret&y=2", "http://127.0.0.1:8080/a/b?REDACTED"},
		{"::secret", "(unparsable URL)"},
	} {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q): got %q; want %q", c.in, got, c.want)
		}
	}
}

// K01, K02: a JWKS or discovery URL with ?token=secret never shows its query
// in a log line or an error, whether the fetch fails on status, on the
// network, or the URL is refused by New.
func TestJWKSURLQueryIsRedactedInLogsAndErrors(t *testing.T) {
	s := testsrv.New(t, testsrv.Status(http.StatusInternalServerError))
	closed := testsrv.New(t, testsrv.Status(http.StatusOK))
	closed.Close()
	discovery := testsrv.New(t, nil)
	discovery.Set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, discovery.URL, discovery.URL+"/keys?token=secret")
	})

	for _, c := range []struct{ name, iss, jwksURL string }{
		{"status 500", "https://issuer.test", s.URL + "/jwks?token=secret"},
		{"connection refused", "https://issuer.test", closed.URL + "/jwks?token=secret"},
		{"discovered jwks_uri", discovery.URL, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			log := &ksLog{}
			ks, err := ksNew(t.Context(), ksIssuer{URL: c.iss, JWKSURL: c.jwksURL}, ksOpts(log))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(ks.Close)
			ksEventually(t, "a failed fetch", func() bool { return ks.Status().ConsecutiveFailures > 0 })
			st := ks.Status()
			out := log.String()
			if strings.Contains(out, "secret") || !strings.Contains(out, "?REDACTED") {
				t.Errorf("log: got %q; want the query redacted", out)
			}
			if strings.Contains(st.LastError, "secret") || strings.Contains(st.JWKSURL, "secret") {
				t.Errorf("status: got %+v; want the query redacted", st)
			}
		})
	}

	for _, u := range []string{"http://idp.example/jwks?token=secret", "ftp://idp.example/jwks?token=secret",
		"https:///jwks?token=secret", "https://user:secret@idp.example/jwks"} {
		_, err := ksNew(t.Context(), ksIssuer{URL: "https://issuer.test", JWKSURL: u}, ksOpts(nil))
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("New with JWKSURL %q: got %v; want an error without the secret", u, err)
		}
	}
	_, err := ksNew(t.Context(), ksIssuer{URL: "https://issuer.test/?token=secret"}, ksOpts(nil))
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("discovery from an issuer with a query: got %v; want an error without the secret", err)
	}
}
