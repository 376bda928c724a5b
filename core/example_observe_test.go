package core_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// ExampleConfig_onResult counts requests by the class of their answer, the
// reason of a refusal, and the configured issuer, as a metrics exporter
// would (see examples/prometheus for Prometheus).
func ExampleConfig_onResult() {
	key := jwttest.NewKey("ES256", "key-1")
	const iss = "https://idp.example"
	counts := map[string]int{} // OnResult runs on request goroutines: guard it in a server
	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{{URL: iss, JWKS: jwttest.JWKS(key)}},
		Audience: []string{"orders-api"},
		Now:      func() time.Time { return exampleNow },
		OnResult: func(_ context.Context, r core.Result) {
			counts[r.Class+"/"+r.Reason+" "+r.Issuer+" cache="+r.Cache]++
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	ctx := context.Background()
	good := exampleToken(key, iss, exampleNow.Add(time.Hour), "orders:read")
	expired := exampleToken(key, iss, exampleNow.Add(-time.Hour), "orders:read")
	v.Authenticate(ctx, []string{"Bearer " + good}, "")
	v.Authenticate(ctx, []string{"Bearer " + good}, "") // from the cache
	v.Authenticate(ctx, []string{"Bearer " + expired}, "")
	v.Authenticate(ctx, nil, "")

	fmt.Println(counts)
	// Output:
	// map[invalid_token/expired https://idp.example cache=miss:1 missing/  cache=:1 ok/ https://idp.example cache=hit:1 ok/ https://idp.example cache=miss:1]
}

// ExampleConfig_logger shows the debug record of a refusal: the answer, the
// error, the configured issuer, the kid, and for an audience refusal the
// audiences received next to the configured ones. The token itself is never
// logged.
func ExampleConfig_logger() {
	key := jwttest.NewKey("ES256", "key-1")
	const iss = "https://idp.example"
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // stable output
			}
			return a
		},
	}))
	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{{URL: iss, JWKS: jwttest.JWKS(key)}},
		Audience: []string{"orders-api"},
		Now:      func() time.Time { return exampleNow },
		Logger:   logger,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	token := key.Sign(map[string]any{"iss": iss, "sub": "alice", "aud": "billing-api", "exp": exampleNow.Add(time.Hour).Unix()})
	v.Verify(context.Background(), token)
	// Output:
	// level=DEBUG msg="jwtgate: token refused" answer=invalid_token reason=audience error="jwtgate: token audience is not accepted" issuer=https://idp.example kid=key-1 aud=[billing-api] audience=[orders-api]
}
