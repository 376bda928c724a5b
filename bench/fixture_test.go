package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The one fixture every row shares: three asymmetric keys and an HMAC
// secret, a JWKS plus OIDC discovery served by httptest on 127.0.0.1, and one
// token per algorithm with iss, aud, sub, exp, iat and scope.
const (
	audience = "bench-api"
	subject  = "user-1"
	scope    = "read write"
)

// algs are the asymmetric algorithms every library-level row runs.
var algs = []string{"RS256", "ES256", "EdDSA"}

type fixture struct {
	rsaKey   *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
	edKey    ed25519.PrivateKey
	hmacKey  []byte
	srv      *httptest.Server
	issuer   string
	jwksURL  string
	jwks     []byte
	fetches  atomic.Int64
	tokens   map[string]string // alg -> compact token
	many     []string          // distinct RS256 tokens (jti differs) for parallel rows
	kids     map[string]string // alg -> kid
	pubs     map[string]crypto.PublicKey
	expireAt time.Time
}

// fx is set once by TestMain before any test or benchmark runs and is read-only afterwards.
var fx *fixture

func TestMain(m *testing.M) {
	f, err := newFixture()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench fixture:", err)
		os.Exit(1)
	}
	fx = f
	code := m.Run()
	f.srv.Close()
	os.Exit(code)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func newFixture() (*fixture, error) {
	f := &fixture{
		kids:   map[string]string{"RS256": "rsa-1", "ES256": "ec-1", "EdDSA": "ed-1", "HS256": "hs-1"},
		tokens: map[string]string{},
		pubs:   map[string]crypto.PublicKey{},
	}
	var err error
	if f.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	if f.ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	if _, f.edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
		return nil, err
	}
	f.hmacKey = make([]byte, 32)
	if _, err = rand.Read(f.hmacKey); err != nil {
		return nil, err
	}
	f.pubs["RS256"] = &f.rsaKey.PublicKey
	f.pubs["ES256"] = &f.ecKey.PublicKey
	f.pubs["EdDSA"] = f.edKey.Public()
	f.pubs["HS256"] = f.hmacKey

	ecBytes, err := f.ecKey.PublicKey.Bytes() // 0x04 || X || Y, fixed width
	if err != nil {
		return nil, err
	}
	keys := []map[string]any{
		{"kty": "RSA", "kid": f.kids["RS256"], "alg": "RS256", "use": "sig",
			"n": b64(f.rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(f.rsaKey.E)).Bytes())},
		{"kty": "EC", "kid": f.kids["ES256"], "alg": "ES256", "use": "sig", "crv": "P-256",
			"x": b64(ecBytes[1:33]), "y": b64(ecBytes[33:65])},
		{"kty": "OKP", "kid": f.kids["EdDSA"], "alg": "EdDSA", "use": "sig", "crv": "Ed25519",
			"x": b64(f.edKey.Public().(ed25519.PublicKey))},
	}
	if f.jwks, err = json.Marshal(map[string]any{"keys": keys}); err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		f.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(f.jwks)
	})
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                f.issuer,
			"jwks_uri":                              f.jwksURL,
			"authorization_endpoint":                f.issuer + "/authorize",
			"token_endpoint":                        f.issuer + "/token",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256", "EdDSA"},
		})
	})
	f.srv = httptest.NewServer(mux) // 127.0.0.1
	f.issuer = f.srv.URL
	f.jwksURL = f.srv.URL + "/.well-known/jwks.json"

	now := time.Now()
	f.expireAt = now.Add(2 * time.Hour)
	claims := jwt.MapClaims{
		"iss":   f.issuer,
		"aud":   audience,
		"sub":   subject,
		"iat":   now.Unix(),
		"exp":   f.expireAt.Unix(),
		"scope": scope,
	}
	signers := map[string]struct {
		m   jwt.SigningMethod
		key any
	}{
		"RS256": {jwt.SigningMethodRS256, f.rsaKey},
		"ES256": {jwt.SigningMethodES256, f.ecKey},
		"EdDSA": {jwt.SigningMethodEdDSA, f.edKey},
		"HS256": {jwt.SigningMethodHS256, f.hmacKey},
	}
	for alg, s := range signers {
		t := jwt.NewWithClaims(s.m, claims)
		t.Header["kid"] = f.kids[alg]
		if f.tokens[alg], err = t.SignedString(s.key); err != nil {
			return nil, fmt.Errorf("sign %s: %w", alg, err)
		}
	}
	for i := range 64 {
		c := jwt.MapClaims{}
		for k, v := range claims {
			c[k] = v
		}
		c["jti"] = fmt.Sprintf("t%d", i)
		t := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
		t.Header["kid"] = f.kids["RS256"]
		tok, err := t.SignedString(f.rsaKey)
		if err != nil {
			return nil, err
		}
		f.many = append(f.many, tok)
	}
	return f, nil
}

// bearer is the Authorization header value for alg's token.
func (f *fixture) bearer(alg string) string { return "Bearer " + f.tokens[alg] }

// benchCtx is a context for constructors in benchmarks; background refreshes
// stop when the benchmark's cleanup cancels it.
func benchCtx(b testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	return ctx
}

// measure checks fn once before the timer (warming whatever it caches),
// then runs it in the benchmark loop, b.Fatal on any error. Besides ns/op
// and allocations it reports cpu-ns/op: the process's CPU time (user +
// system, all threads, so GC is included) per iteration, which other
// processes on a shared machine inflate far less than wall time.
func measure(b *testing.B, fn func() error) {
	b.Helper()
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if err := fn(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
