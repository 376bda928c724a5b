package main

import (
	"bytes"
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jwtgate/jwtgate/core"
)

func TestRunCounts(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	want := `jwtgate.cache.requests result=hit 1
jwtgate.cache.requests result=miss 2
jwtgate.requests class=invalid_token,issuer=https://idp.example,reason=expired 1
jwtgate.requests class=missing,issuer=,reason= 1
jwtgate.requests class=ok,issuer=https://idp.example,reason= 2
`
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestHookAllocatesNothingOnceWarm checks that a Result seen before is
// counted without allocating: its attribute set is kept.
func TestHookAllocatesNothingOnceWarm(t *testing.T) {
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer provider.Shutdown(context.Background())
	hook, err := NewHook(provider.Meter("test"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := core.Result{Class: core.ClassOK, Issuer: "https://idp.example", Cache: core.CacheHit}
	hook(ctx, r)
	if n := testing.AllocsPerRun(100, func() { hook(ctx, r) }); n != 0 {
		t.Errorf("got %v allocations per call; want 0", n)
	}
}
