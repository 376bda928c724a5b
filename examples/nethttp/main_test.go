package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/examples/internal/exampleenv"
)

func TestRunEmbedded(t *testing.T) {
	base, token := exampleenv.Start(t, run)
	exampleenv.CheckAPI(t, base, token)
}

// GET /readyz answers 200 {"ready":true} once the issuer's key set has
// loaded (the embedded issuer serves it on a loopback port).
func TestReadyzAnswersReadyOnceTheKeysHaveLoaded(t *testing.T) {
	base, _ := exampleenv.Start(t, run)
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			if !strings.Contains(string(body), `"ready":true`) {
				t.Errorf("200 body: got %q; want {\"ready\":true}", body)
			}
			return
		}
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("GET /readyz: got %d %q; want 200 once the keys have loaded", resp.StatusCode, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
