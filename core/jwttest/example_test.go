package jwttest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// Sign a token and verify it with golang-jwt, using the key's public half.
func ExampleKey_Sign() {
	key := jwttest.NewKey("ES256", "key-1")
	token := key.Sign(map[string]any{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()})

	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	fmt.Println(string(header))

	parsed, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return key.Public(), nil },
		jwt.WithValidMethods([]string{"ES256"}))
	fmt.Println(parsed.Valid, err)
	// Output:
	// {"alg":"ES256","kid":"key-1","typ":"JWT"}
	// true <nil>
}

// SignBytes signs exact bytes, here a header with a duplicate alg member.
func ExampleKey_SignBytes() {
	key := jwttest.NewKey("RS256", "k")
	token := key.SignBytes([]byte(`{"alg":"RS256","alg":"none"}`), []byte(`{"sub":"alice"}`))
	fmt.Println(strings.Split(token, ".")[0])
	// Output:
	// eyJhbGciOiJSUzI1NiIsImFsZyI6Im5vbmUifQ
}

// Serve a JWK Set, then rotate the keys.
func ExampleNewServer() {
	srv := jwttest.NewServer(jwttest.NewKey("RS256", "old"))
	defer srv.Close()

	kids := func() []string {
		resp, err := http.Get(srv.JWKSURL())
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var set struct{ Keys []struct{ Kid string } }
		json.NewDecoder(resp.Body).Decode(&set)
		var out []string
		for _, k := range set.Keys {
			out = append(out, k.Kid)
		}
		return out
	}
	fmt.Println(kids())
	srv.SetKeys(jwttest.NewKey("RS256", "old"), jwttest.NewKey("EdDSA", "new"))
	fmt.Println(kids(), srv.Fetches())
	// Output:
	// [old]
	// [old new] 2
}

// Sign in with the password grant, refresh with rotation, and see a reused
// refresh token refused.
func ExampleNewIssuer() {
	iss := jwttest.NewIssuer(jwttest.IssuerConfig{ClientID: "app", Rotate: true, Cognito: true})
	defer iss.Close()

	call := func(form url.Values) (int, map[string]any) {
		form.Set("client_id", "app")
		resp, err := http.PostForm(iss.TokenURL(), form)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}

	status, body := call(url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"pw"}})
	fmt.Println(status, body["token_type"], body["expires_in"])
	rt1 := body["refresh_token"].(string)

	status, body = call(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}})
	fmt.Println(status, body["refresh_token"] != rt1)

	status, body = call(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}})
	fmt.Println(status, body["error"], iss.TokenRequests())
	// Output:
	// 200 Bearer 3600
	// 200 true
	// 400 invalid_grant 3
}
