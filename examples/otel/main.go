// Command otel shows jwtgate's core.Config.OnResult hook feeding
// OpenTelemetry metrics (hook.go). It verifies a few tokens of an embedded
// test issuer and prints what a metric reader collected:
//
//	cd examples/otel && go run .
//
// In a service, pass the Meter of your MeterProvider (with the exporter you
// use) to NewHook. This is a module of its own, so that the jwtgate module
// does not require OpenTelemetry.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run verifies a valid token twice, an expired one and no token, then
// prints every counter's data points.
func run(ctx context.Context, w io.Writer) error {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(ctx)
	hook, err := NewHook(provider.Meter("github.com/jwtgate/jwtgate"))
	if err != nil {
		return err
	}

	const iss = "https://idp.example"
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	key := jwttest.NewKey("ES256", "key-1")
	v, err := core.New(ctx, core.Config{
		Issuers:  []core.Issuer{{URL: iss, JWKS: jwttest.JWKS(key)}},
		Audience: []string{"orders-api"},
		Now:      func() time.Time { return now },
		OnResult: hook,
	})
	if err != nil {
		return err
	}
	defer v.Close()

	token := func(exp time.Time) string {
		return key.Sign(map[string]any{"iss": iss, "aud": "orders-api", "sub": "alice", "exp": exp.Unix()})
	}
	good := []string{"Bearer " + token(now.Add(time.Hour))}
	v.Authenticate(ctx, good, "")
	v.Authenticate(ctx, good, "")
	v.Authenticate(ctx, []string{"Bearer " + token(now.Add(-time.Hour))}, "")
	v.Authenticate(ctx, nil, "")

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		return err
	}
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				lines = append(lines, fmt.Sprintf("%s %s %d", m.Name, dp.Attributes.Encoded(attribute.DefaultEncoder()), dp.Value))
			}
		}
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return nil
}
