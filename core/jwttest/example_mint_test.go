package jwttest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core/jwttest"
)

// Mint a Cognito-shaped access token with the groups and scopes a test
// needs, an ID token, and an access token that has already expired.
func ExampleIssuer_Mint() {
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	iss := jwttest.NewIssuer(jwttest.IssuerConfig{
		ClientID: "app-client-1",
		Cognito:  true,
		Now:      func() time.Time { return now },
	})
	defer iss.Close()

	for _, c := range []jwttest.Claims{
		{Groups: []string{"admin"}, Scopes: []string{"orders/read"}},
		{TokenUse: "id", Extra: map[string]any{"custom:tier": "gold"}},
		{TTL: -time.Minute},
	} {
		token, err := iss.Mint("alice", c)
		if err != nil {
			log.Fatal(err)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
		var p map[string]any
		json.Unmarshal(raw, &p)
		exp := time.Unix(int64(p["exp"].(float64)), 0).UTC()
		fmt.Println(p["token_use"], p["client_id"], p["aud"], p["cognito:groups"], p["scope"], p["custom:tier"], exp.Sub(now))
	}
	// Output:
	// access app-client-1 <nil> [admin] orders/read <nil> 1h0m0s
	// id <nil> app-client-1 <nil> <nil> gold 1h0m0s
	// access app-client-1 <nil> <nil> aws.cognito.signin.user.admin <nil> -1m0s
}
