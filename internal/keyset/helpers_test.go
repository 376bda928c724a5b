package keyset

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/alg"
	"github.com/jwtgate/jwtgate/internal/testsrv"
)

// Helpers of the key-set tests. Names start with ks so they cannot clash
// with the verifier's test helpers in the same package.

// ksKeys are generated once per test binary: RSA generation is slow.
var ksKeys = sync.OnceValue(func() map[string]any {
	m := map[string]any{}
	for _, name := range []string{"rsaA", "rsaB", "rsaC"} {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		m[name] = k
	}
	for name, c := range map[string]elliptic.Curve{"p256": elliptic.P256(), "p384": elliptic.P384(), "p521": elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			panic(err)
		}
		m[name] = k
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	m["ed"] = ed
	return m
})

func ksRSA(name string) *rsa.PrivateKey       { return ksKeys()[name].(*rsa.PrivateKey) }
func ksEC(name string) *ecdsa.PrivateKey      { return ksKeys()[name].(*ecdsa.PrivateKey) }
func ksEd() ed25519.PrivateKey                { return ksKeys()["ed"].(ed25519.PrivateKey) }
func ksB64(b []byte) string                   { return base64.RawURLEncoding.EncodeToString(b) }
func ksB64Int(i *big.Int, size int) string    { return ksB64(i.FillBytes(make([]byte, size))) }
func ksRSAPub(name string) *rsa.PublicKey     { return &ksRSA(name).PublicKey }
func ksECPub(name string) *ecdsa.PublicKey    { return &ksEC(name).PublicKey }
func ksEdPub() ed25519.PublicKey              { return ksEd().Public().(ed25519.PublicKey) }
func ksM(kv ...any) map[string]any            { return ksWith(map[string]any{}, kv...) }
func ksClone(m map[string]any) map[string]any { return ksWith(m) }

// ksWith copies m and sets the given key/value pairs; a nil value deletes.
func ksWith(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// ksRSAJWK is the public JWK of an RSA key.
func ksRSAJWK(pub *rsa.PublicKey, kid string) map[string]any {
	return ksM("kty", "RSA", "kid", kid, "use", "sig", "alg", "RS256",
		"n", ksB64(pub.N.Bytes()), "e", ksB64(big.NewInt(int64(pub.E)).Bytes()))
}

// ksECJWK is the public JWK of an EC key (full-length coordinates).
func ksECJWK(pub *ecdsa.PublicKey, kid string) map[string]any {
	size := (pub.Curve.Params().BitSize + 7) / 8
	alg := map[int]string{256: "ES256", 384: "ES384", 521: "ES512"}[pub.Curve.Params().BitSize]
	return ksM("kty", "EC", "kid", kid, "use", "sig", "alg", alg, "crv", pub.Curve.Params().Name,
		"x", ksB64Int(pub.X, size), "y", ksB64Int(pub.Y, size))
}

// ksEdJWK is the public JWK of an Ed25519 key.
func ksEdJWK(pub ed25519.PublicKey, kid string) map[string]any {
	return ksM("kty", "OKP", "kid", kid, "use", "sig", "alg", "EdDSA", "crv", "Ed25519", "x", ksB64(pub))
}

// ksSet encodes {"keys":[members...]}.
func ksSet(members ...map[string]any) []byte {
	if members == nil {
		members = []map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"keys": members})
	if err != nil {
		panic(err)
	}
	return b
}

// ksLog is a concurrency-safe log sink.
type ksLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *ksLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *ksLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// ksOpts are options with every interval shortened for tests.
func ksOpts(log *ksLog) Config {
	o := Config{
		FetchTimeout:       500 * time.Millisecond,
		RefreshInterval:    time.Hour,
		MinRefreshInterval: 200 * time.Millisecond,
		RequestWait:        time.Second,
		retryMin:           20 * time.Millisecond,
		retryMax:           100 * time.Millisecond,
		retryAfterMax:      time.Second,
	}
	if log != nil {
		o.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// ksRemote builds a remote key set for url and closes it when the test ends.
func ksRemote(t *testing.T, url string, o Config) *Set {
	t.Helper()
	src, err := ksNew(context.Background(), ksIssuer{URL: "https://issuer.test", JWKSURL: url}, o)
	if err != nil {
		t.Fatalf("newKeySource: %v", err)
	}
	t.Cleanup(src.Close)
	return src
}

// ksStatic builds a static key set.
func ksStatic(t *testing.T, jwks []byte, o Config) (*Set, error) {
	t.Helper()
	src, err := ksNew(context.Background(), ksIssuer{URL: "https://issuer.test", JWKS: jwks}, o)
	if err != nil {
		return nil, err
	}
	t.Cleanup(src.Close)
	return src, nil
}

// ksWaitReady waits (bounded) until ks has loaded.
func ksWaitReady(t *testing.T, ks *Set) {
	t.Helper()
	ksEventually(t, "key set ready", ks.Ready)
}

// ksEventually polls cond for up to 5 s.
func ksEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ksMustKey looks kid up and fails the test on an error.
func ksMustKey(t *testing.T, ks *Set, kid, name string) *Key {
	t.Helper()
	k, err := ks.Key(context.Background(), kid, alg.Lookup(name))
	if err != nil {
		t.Fatalf("Key(%q, %q): got error %v; want a key", kid, name, err)
	}
	return k
}

// ksWantErr checks that key(kid, alg) fails with target.
func ksWantErr(t *testing.T, ks *Set, kid, name string, target error) {
	t.Helper()
	k, err := ks.Key(context.Background(), kid, alg.Lookup(name))
	if !errors.Is(err, target) {
		t.Fatalf("Key(%q, %q): got (%v, %v); want error %v", kid, name, k, err, target)
	}
}

// ksIssuer names the set a test builds.
type ksIssuer struct {
	URL     string
	JWKSURL string
	JWKS    []byte
}

// ksNew builds the set of iss with the options of o.
func ksNew(ctx context.Context, iss ksIssuer, o Config) (*Set, error) {
	o.Issuer, o.JWKSURL, o.JWKS = iss.URL, iss.JWKSURL, iss.JWKS
	return New(ctx, o)
}

// ksBenchServer serves jwks for a benchmark and returns its URL.
func ksBenchServer(b *testing.B, jwks []byte) string {
	b.Helper()
	s := httptest.NewServer(testsrv.JSON(jwks))
	b.Cleanup(s.Close)
	return s.URL
}
