package core_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// ExampleVerifier_Ready serves a readiness endpoint: 503 until every
// issuer's key set has loaded, 200 after. Here one issuer's key server is
// down, so the service is not ready, and KeySetStatus says why.
func ExampleVerifier_Ready() {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()

	v, err := core.New(context.Background(), core.Config{
		Issuers: []core.Issuer{
			{URL: "https://static.example", JWKS: jwttest.JWKS(jwttest.NewKey("ES256", "key-1"))},
			{URL: "https://idp.example", JWKSURL: down.URL + "/jwks?api_key=secret"},
		},
		Audience: []string{"orders-api"},
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := v.Ready(r.Context()); err != nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	fmt.Print(rec.Code, " ", rec.Body.String())
	fmt.Println(v.Ready(context.Background()))
	for _, st := range v.KeySetStatus() {
		fmt.Printf("%s loaded=%v keys=%d kids=%q\n", st.Issuer, st.Loaded, st.Keys, st.KIDs)
	}
	// Output:
	// 503 not ready
	// jwtgate: signing keys are unavailable: key sets not loaded yet: https://idp.example
	// https://static.example loaded=true keys=1 kids=["key-1"]
	// https://idp.example loaded=false keys=0 kids=[]
}
