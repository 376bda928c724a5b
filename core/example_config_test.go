package core_test

import (
	"context"
	"fmt"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// CognitoPool checks a user pool id and takes the region from it.
func ExampleCognitoPool() {
	pool, err := core.CognitoPool("eu-west-1_AbC123xyz")
	fmt.Println(pool.URL, err)

	_, err = core.CognitoPool("eu-west-1")
	fmt.Println(err)
	// Output:
	// https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz <nil>
	// jwtgate: Cognito user pool id "eu-west-1": is a region, not a user pool id; want <region>_<id>, such as eu-west-1_AbC123xyz
}

// New refuses Cognito settings that could never verify a token, and a
// Cognito issuer that would let ID tokens reach an API by accident.
func ExampleNew_cognitoChecks() {
	keys := jwttest.JWKS(jwttest.NewKey("RS256", "k1")) // stands in for the pool's keys
	try := func(iss core.Issuer, tokenUse string) {
		iss.JWKSURL, iss.JWKS = "", keys
		v, err := core.New(context.Background(), core.Config{
			Issuers:  []core.Issuer{iss},
			Audience: []string{"app-client-1"},
			TokenUse: tokenUse,
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		defer v.Close()
		fmt.Println("ok")
	}
	try(core.Cognito("us-east-1", "eu-west-1_AbC123"), "access")
	try(core.Cognito("eu-west-1", "eu-west-1_AbC123"), "")
	try(core.Cognito("eu-west-1", "eu-west-1_AbC123"), "access")
	// Output:
	// jwtgate: Config.Issuers[0]: URL "https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123" is a Cognito user pool URL whose region "us-east-1" does not match its user pool id "eu-west-1_AbC123" (region "eu-west-1")
	// jwtgate: Config.Issuers[0]: Cognito issuer "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123" has no TokenUse: set TokenUse to "access" (APIs) or "id" on the Issuer or the Config, or AnyTokenUse to accept both kinds of token
	// ok
}
