package core

import "testing"

// BenchmarkClaimsDecode decodes the custom claims of a Cognito-shaped ID
// token payload into a struct and into a map.
func BenchmarkClaimsDecode(b *testing.B) {
	c := &Claims{raw: `{"sub":"9f1c2d3e-1111-2222-3333-444455556666","aud":"client-abc","iss":"https://issuer.test",` +
		`"exp":1700003600,"iat":1700000000,"token_use":"id","cognito:username":"alice","email":"alice@example.com",` +
		`"email_verified":true,"custom:tenant":"t1","cognito:groups":["admin","dev"],"roles":["r1","r2","r3"],` +
		`"address":{"city":"Oslo","country":"NO"},"items":[{"n":1},{"n":2}],"Plain":"p","unknown":{"deep":[1,2,{"x":null}]}}`}
	b.Run("struct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v vtCustom
			if err := c.Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v map[string]any
			if err := c.Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
