package core

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// docs/SECURITY.md, "Algorithms and keys (A)".

// A01.
func TestRejectsAlgorithmsOutsideTheAllowlist(t *testing.T) {
	keys := append(vtAsym(), vtKey("HS256"))
	def := vtNew(t, vtConfig(vtAsym()...))
	var cases []vtCase
	for _, k := range vtAsym() {
		cases = append(cases, vtCase{"default accepts " + k.Alg, k.Sign(vtClaims()), nil})
	}
	cases = append(cases, vtCase{"default refuses HS256", vtKey("HS256").Sign(vtClaims()), ErrInvalidToken})
	vtRun(t, def, cases)

	cfg := vtConfig(keys...)
	cfg.Algorithms = []string{"ES256"}
	only := vtNew(t, cfg)
	vtRun(t, only, []vtCase{
		{"ES256 allowed", vtKey("ES256").Sign(vtClaims()), nil},
		{"RS256 not allowed", vtKey("RS256").Sign(vtClaims()), ErrInvalidToken},
		{"EdDSA not allowed", vtKey("EdDSA").Sign(vtClaims()), ErrInvalidToken},
		{"ES384 not allowed", vtKey("ES384").Sign(vtClaims()), ErrInvalidToken},
	})

	for _, bad := range []string{"RS1", "rs256", "ES256K", "", "HS128"} {
		cfg := vtConfig()
		cfg.Algorithms = []string{"RS256", bad}
		if _, err := New(context.Background(), cfg); err == nil {
			t.Errorf("New with Algorithms %q: got nil error; want one", cfg.Algorithms)
		}
	}
}

// A02.
func TestRejectsAlgNone(t *testing.T) {
	k := vtKey("RS256")
	v := vtNew(t, vtConfig(k))
	payload := vtJSON(t, vtClaims())
	var cases []vtCase
	for _, none := range []string{"none", "None", "NONE", "nOnE"} {
		hdr := vtJSON(t, map[string]any{"alg": none, "kid": k.Kid})
		cases = append(cases,
			vtCase{none + " without signature", jwttest.Unsigned(hdr, payload), ErrInvalidToken},
			vtCase{none + " with a signature", jwttest.Unsigned(hdr, payload) + "c2ln", ErrInvalidToken},
			vtCase{none + " with a real RS256 signature", k.SignBytes(hdr, payload), ErrInvalidToken},
		)
		cfg := vtConfig(k)
		cfg.Algorithms = []string{none}
		if _, err := New(context.Background(), cfg); err == nil {
			t.Errorf("New with Algorithms [%q]: got nil error; want one", none)
		}
	}
	vtRun(t, v, cases)
}

// A03.
func TestRejectsSymmetricKeyConfusion(t *testing.T) {
	rs := vtKey("RS256")
	der, err := x509.MarshalPKIXPublicKey(rs.Public())
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	// Key confusion: an HS256 token whose secret is the RSA public key.
	confused := func(secret []byte) string {
		return jwttest.NewKeyFrom("HS256", rs.Kid, secret).Sign(vtClaims())
	}
	def := vtNew(t, vtConfig(rs))
	cfg := vtConfig(rs)
	cfg.Algorithms = []string{"RS256", "HS256"}
	withHS := vtNew(t, cfg)
	for _, v := range []*Verifier{def, withHS} {
		vtRun(t, v, []vtCase{
			{"HS256 with the PEM public key", confused(pemKey), ErrInvalidToken},
			{"HS256 with the DER public key", confused(der), ErrInvalidToken},
			{"RS256 still verifies", rs.Sign(vtClaims()), nil},
		})
	}

	// A remote set never yields a symmetric key, even with HS256 allowed.
	hs := vtKey("HS256")
	srv := jwttest.NewServer(rs, hs)
	defer srv.Close()
	cfg = vtConfig()
	cfg.Issuers = []Issuer{{URL: vtIss, JWKSURL: srv.JWKSURL()}}
	cfg.Algorithms = []string{"RS256", "HS256"}
	remote := vtNew(t, cfg)
	vtEventually(t, "the remote key set", remote.issuers[vtIss].keys.Ready)
	vtRun(t, remote, []vtCase{
		{"RS256 from the remote set", rs.Sign(vtClaims()), nil},
		{"HS256 with the remote oct key", hs.Sign(vtClaims()), ErrUnknownKey},
	})
}

// A04.
func TestChecksAlgBeforeLookingUpAKey(t *testing.T) {
	k := vtKey("RS256")
	cfg := vtConfig(k)
	cfg.Algorithms = []string{"RS256"}
	v := vtNew(t, cfg)
	n := vtCount(v, vtIss)
	payload := vtJSON(t, vtClaims())
	for _, alg := range []string{"HS256", "ES256", "none", "RS1", "PS256"} {
		tok := k.SignBytes(vtJSON(t, map[string]any{"alg": alg, "kid": "unknown-kid"}), payload)
		vtCheck(t, nil, verifyErr(v, tok), ErrInvalidToken)
	}
	if got := n.n.Load(); got != 0 {
		t.Errorf("key lookups for refused algorithms: got %d; want 0", got)
	}
	if _, err := v.Verify(context.Background(), k.Sign(vtClaims())); err != nil || n.n.Load() != 1 {
		t.Errorf("valid token: got %v and %d lookups; want success and 1", err, n.n.Load())
	}
}

func verifyErr(v *Verifier, tok string) error {
	_, err := v.Verify(context.Background(), tok)
	return err
}

// A05.
func TestJWKAlgBindsTheKeyToOneAlgorithm(t *testing.T) {
	rs := vtKey("RS256")
	ps := jwttest.NewKeyFrom("PS256", rs.Kid, rs.Private())
	rsNoAlg := jwttest.NewKeyFrom("RS256", "rsa-no-alg", vtKey("RS384").Private())
	psNoAlg := jwttest.NewKeyFrom("PS512", "rsa-no-alg", vtKey("RS384").Private())
	ec := vtKey("ES256")
	ec384hdr := jwttest.NewKeyFrom("ES384", ec.Kid, ec.Private())
	noAlg := func(k *jwttest.Key) map[string]any { m := k.JWK(); delete(m, "alg"); return m }
	cfg := vtConfig()
	cfg.Issuers[0].JWKS = vtSet(t, rs.JWK(), noAlg(rsNoAlg), noAlg(ec))
	v := vtNew(t, cfg)
	vtRun(t, v, []vtCase{
		{"RS256 key, RS256 token", rs.Sign(vtClaims()), nil},
		{"RS256 key, PS256 token", ps.Sign(vtClaims()), ErrUnknownKey},
		{"RSA key without alg, RS256", rsNoAlg.Sign(vtClaims()), nil},
		{"RSA key without alg, PS512", psNoAlg.Sign(vtClaims()), ErrUnknownKey},
		{"P-256 key without alg, ES256", ec.Sign(vtClaims()), nil},
		{"P-256 key without alg, ES384 header", ec384hdr.Sign(vtClaims()), ErrUnknownKey},
	})
}

// A05: an RSA key without alg serves the first RSA algorithm of
// Config.Algorithms only, in Verify and in Keyfunc.
func TestRSAKeyWithoutAlgServesTheFirstRSAAlgorithmOfTheAllowlist(t *testing.T) {
	priv := vtKey("RS384").Private()
	rs := jwttest.NewKeyFrom("RS256", "rsa-no-alg", priv)
	ps := jwttest.NewKeyFrom("PS256", "rsa-no-alg", priv)
	jwk := rs.JWK()
	delete(jwk, "alg")
	for _, c := range []struct {
		name       string
		algorithms []string
		ok, notOK  *jwttest.Key
	}{
		{"default list", nil, rs, ps},
		{"RS256 before PS256", []string{"ES256", "RS256", "PS256"}, rs, ps},
		{"PS256 before RS256", []string{"PS256", "RS256"}, ps, rs},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := vtConfig()
			cfg.Algorithms = c.algorithms
			cfg.Issuers[0].JWKS = vtSet(t, jwk)
			v := vtNew(t, cfg)
			vtRun(t, v, []vtCase{
				{c.ok.Alg + " accepted", c.ok.Sign(vtClaims()), nil},
				{c.notOK.Alg + " refused", c.notOK.Sign(vtClaims()), ErrUnknownKey},
			})
			kf, err := v.Keyfunc(t.Context(), vtIss)
			if err != nil {
				t.Fatal(err)
			}
			p := jwt.NewParser(jwt.WithTimeFunc(func() time.Time { return vtNow }))
			if _, err := p.Parse(c.ok.Sign(vtClaims()), kf); err != nil {
				t.Errorf("Keyfunc, %s: got %v; want the token valid", c.ok.Alg, err)
			}
			if _, err := p.Parse(c.notOK.Sign(vtClaims()), kf); err == nil {
				t.Errorf("Keyfunc, %s: got a valid token; want an error", c.notOK.Alg)
			}
		})
	}
}

// A05: a static oct key without alg serves the first HS algorithm of
// Config.Algorithms, in its order, whose minimum key length it reaches
// (HS256 32 bytes, HS384 48, HS512 64); in Verify and in Keyfunc.
func TestOctKeyWithoutAlgServesTheFirstHSAlgorithmItFits(t *testing.T) {
	secret := func(n int) []byte { return []byte(strings.Repeat("s", n)) }
	for _, c := range []struct {
		name       string
		size       int
		algorithms []string
		ok, notOK  string
	}{
		{"64 bytes, HS512 first", 64, []string{"HS512", "HS256"}, "HS512", "HS256"},
		{"64 bytes, HS256 first", 64, []string{"HS256", "HS512"}, "HS256", "HS512"},
		{"64 bytes, HS384 after an RSA one", 64, []string{"RS256", "HS384", "HS512"}, "HS384", "HS512"},
		{"32 bytes, HS512 first", 32, []string{"HS512", "HS256"}, "HS256", "HS512"},
		{"48 bytes, HS512 first", 48, []string{"HS512", "HS384", "HS256"}, "HS384", "HS256"},
		{"63 bytes, HS512 first", 63, []string{"HS512", "HS256", "HS384"}, "HS256", "HS384"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ok := jwttest.NewKeyFrom(c.ok, "oct-no-alg", secret(c.size))
			notOK := jwttest.NewKeyFrom(c.notOK, "oct-no-alg", secret(c.size))
			jwk := ok.JWK()
			delete(jwk, "alg")
			cfg := vtConfig()
			cfg.Algorithms = c.algorithms
			cfg.Issuers[0].JWKS = vtSet(t, jwk)
			v := vtNew(t, cfg)
			vtRun(t, v, []vtCase{
				{c.ok + " accepted", ok.Sign(vtClaims()), nil},
				{c.notOK + " refused", notOK.Sign(vtClaims()), ErrUnknownKey},
			})
			kf, err := v.Keyfunc(t.Context(), vtIss)
			if err != nil {
				t.Fatal(err)
			}
			p := jwt.NewParser(jwt.WithTimeFunc(func() time.Time { return vtNow }))
			if _, err := p.Parse(ok.Sign(vtClaims()), kf); err != nil {
				t.Errorf("Keyfunc, %s: got %v; want the token valid", c.ok, err)
			}
			if _, err := p.Parse(notOK.Sign(vtClaims()), kf); err == nil {
				t.Errorf("Keyfunc, %s: got a valid token; want an error", c.notOK)
			}
		})
	}
}

// A06.
func TestRejectsAlgOfAnotherKeyType(t *testing.T) {
	rs, ec, ed := vtKey("RS256"), vtKey("ES256"), vtKey("EdDSA")
	v := vtNew(t, vtConfig(rs, ec, ed))
	payload := vtJSON(t, vtClaims())
	hdr := func(alg, kid string) []byte { return vtJSON(t, map[string]any{"alg": alg, "kid": kid}) }
	vtRun(t, v, []vtCase{
		{"RS256 with an EC kid", ec.SignBytes(hdr("RS256", ec.Kid), payload), ErrUnknownKey},
		{"ES256 with an RSA kid", rs.SignBytes(hdr("ES256", rs.Kid), payload), ErrUnknownKey},
		{"EdDSA with an RSA kid", rs.SignBytes(hdr("EdDSA", rs.Kid), payload), ErrUnknownKey},
		{"ES256 with an Ed25519 kid", ed.SignBytes(hdr("ES256", ed.Kid), payload), ErrUnknownKey},
		{"PS256 with an Ed25519 kid", ed.SignBytes(hdr("PS256", ed.Kid), payload), ErrUnknownKey},
	})
	// The binding of each key to the algorithms its type, curve and size
	// allow is tested where it is made, in internal/keyset.
}

// A07.
func TestRejectsShortRSAKeys(t *testing.T) {
	short := jwttest.NewRSAKey(1024, "RS256", "short")
	good := vtKey("RS256")
	v := vtNew(t, vtConfig(good, short))
	vtRun(t, v, []vtCase{
		{"1024-bit key", short.Sign(vtClaims()), ErrUnknownKey},
		{"2048-bit key", good.Sign(vtClaims()), nil},
	})
}

// A08.
func TestRejectsBadRSAExponents(t *testing.T) {
	good := vtKey("RS256")
	e1 := jwttest.NewKeyFrom("RS256", "e1", vtKey("RS512").Private())
	m := e1.JWK()
	m["e"] = "AQ"
	cfg := vtConfig()
	cfg.Issuers[0].JWKS = vtSet(t, good.JWK(), m)
	v := vtNew(t, cfg)
	vtRun(t, v, []vtCase{
		{"e=1 key", e1.Sign(vtClaims()), ErrUnknownKey},
		{"good key", good.Sign(vtClaims()), nil},
	})
}

// A09.
func TestRejectsECPointsOffTheCurve(t *testing.T) {
	good := vtKey("ES256")
	off := jwttest.NewKeyFrom("ES256", "off", vtKey("ES256").Private())
	m := off.JWK()
	y := []byte(m["y"].(string))
	y[5] ^= 1
	m["y"] = string(y)
	cfg := vtConfig()
	cfg.Issuers[0].JWKS = vtSet(t, good.JWK(), m)
	v := vtNew(t, cfg)
	vtRun(t, v, []vtCase{
		{"off-curve key", off.Sign(vtClaims()), ErrUnknownKey},
		{"good key", good.Sign(vtClaims()), nil},
	})
}

// A10.
func TestRequiresRawECDSASignatures(t *testing.T) {
	var cases []vtCase
	var keys []*jwttest.Key
	for _, alg := range []string{"ES256", "ES384", "ES512"} {
		k := vtKey(alg)
		keys = append(keys, k)
		hdr, payload := vtJSON(t, vtHeader(k)), vtJSON(t, vtClaims())
		tok := k.SignBytes(hdr, payload)
		h, p, s := vtSegments(tok)
		sig := mustB64(t, s)
		cases = append(cases,
			vtCase{alg + " raw r||s", tok, nil},
			vtCase{alg + " DER", k.SignDER(hdr, payload), ErrInvalidSignature},
			vtCase{alg + " one byte short", h + "." + p + "." + jwttest.B64(sig[:len(sig)-1]), ErrInvalidSignature},
			vtCase{alg + " one byte long", h + "." + p + "." + jwttest.B64(append(sig, 0)), ErrInvalidSignature},
		)
	}
	vtRun(t, vtNew(t, vtConfig(keys...)), cases)
}

// A11.
func TestRejectsECDSASignaturesOutOfRange(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	tok := k.Sign(vtClaims())
	h, p, s := vtSegments(tok)
	sig := mustB64(t, s)
	n := elliptic.P256().Params().N.FillBytes(make([]byte, 32))
	one := make([]byte, 32)
	one[31] = 1
	join := func(r, s []byte) string { return h + "." + p + "." + jwttest.B64(append(append([]byte{}, r...), s...)) }
	zero := make([]byte, 32)
	vtRun(t, v, []vtCase{
		{"valid", tok, nil},
		{"r=0 s=0", join(zero, zero), ErrInvalidSignature},
		{"r=0", join(zero, sig[32:]), ErrInvalidSignature},
		{"s=0", join(sig[:32], zero), ErrInvalidSignature},
		{"r=n s=n", join(n, n), ErrInvalidSignature},
		{"r=n", join(n, sig[32:]), ErrInvalidSignature},
		{"r=1 s=1", join(one, one), ErrInvalidSignature},
	})
}

// A12.
func TestRequiresPSSSaltOfHashLength(t *testing.T) {
	var cases []vtCase
	var keys []*jwttest.Key
	for _, alg := range []string{"PS256", "PS384", "PS512"} {
		k := vtKey(alg)
		keys = append(keys, k)
		hdr := jwttest.B64(vtJSON(t, vtHeader(k)))
		in := hdr + "." + jwttest.B64(vtJSON(t, vtClaims()))
		hash := map[string]crypto.Hash{"PS256": crypto.SHA256, "PS384": crypto.SHA384, "PS512": crypto.SHA512}[alg]
		d := hash.New()
		d.Write([]byte(in))
		digest := d.Sum(nil)
		for _, salt := range []struct {
			name string
			len  int
			want error
		}{{"salt = hash", rsa.PSSSaltLengthEqualsHash, nil}, {"salt 0", 0, ErrInvalidSignature},
			{"salt max (auto)", rsa.PSSSaltLengthAuto, ErrInvalidSignature}, {"salt 20", 20, ErrInvalidSignature}} {
			sig, err := rsa.SignPSS(rand.Reader, k.Private().(*rsa.PrivateKey), hash, digest, &rsa.PSSOptions{SaltLength: salt.len})
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, vtCase{alg + " " + salt.name, in + "." + jwttest.B64(sig), salt.want})
		}
	}
	vtRun(t, vtNew(t, vtConfig(keys...)), cases)
	// golang-jwt's registry is left alone: its PS256 still accepts any salt.
	if jwt.SigningMethodPS256.VerifyOptions == nil || jwt.SigningMethodPS256.VerifyOptions.SaltLength != rsa.PSSSaltLengthAuto {
		t.Error("golang-jwt's PS256 was changed")
	}
}

// A13.
func TestRequiresHMACKeysOfHashLength(t *testing.T) {
	oct := func(kid string, n int, alg string) map[string]any {
		m := map[string]any{"kty": "oct", "kid": kid, "k": jwttest.B64([]byte(strings.Repeat("k", n)))}
		if alg != "" {
			m["alg"] = alg
		}
		return m
	}
	good := vtKey("HS256")
	for _, c := range []struct {
		name string
		algs []string
		keys []map[string]any
		ok   bool
	}{
		{"HS256, 32-byte key", []string{"HS256"}, []map[string]any{oct("a", 32, "")}, true},
		{"HS256, 16-byte key", []string{"HS256"}, []map[string]any{oct("a", 16, "")}, false},
		{"HS256, empty key", []string{"HS256"}, []map[string]any{oct("a", 0, "")}, false},
		// A05: a key without alg serves the first listed HS algorithm it
		// fits; New refuses a key that fits none.
		{"HS384, 32-byte key without alg", []string{"HS384"}, []map[string]any{oct("a", 32, ""), good.JWK()}, false},
		{"HS384 and HS512, 40-byte key without alg", []string{"HS384", "HS512"}, []map[string]any{oct("a", 40, "")}, false},
		{"HS512 and HS256, 48-byte key without alg", []string{"HS512", "HS256"}, []map[string]any{oct("a", 48, ""), good.JWK()}, true},
		{"HS512, 64-byte key", []string{"HS256", "HS512"}, []map[string]any{oct("a", 64, "")}, true},
		{"HS256 and HS512, 32-byte HS256 key", []string{"HS256", "HS512"}, []map[string]any{oct("a", 32, "HS256")}, true},
		// Too short for HMAC at all, or for the alg it names: refused at
		// configuration time, though the set holds a usable key too.
		{"HS256, 16-byte key beside a good one", []string{"HS256"}, []map[string]any{oct("a", 16, ""), good.JWK()}, false},
		{"HS256 and HS512, 32-byte HS512 key beside a good one", []string{"HS256", "HS512"}, []map[string]any{oct("a", 32, "HS512"), good.JWK()}, false},
	} {
		cfg := vtConfig()
		cfg.Algorithms = c.algs
		cfg.Issuers[0].JWKS = vtSet(t, c.keys...)
		v, err := New(context.Background(), cfg)
		if (err == nil) != c.ok {
			t.Errorf("%s: New: got %v; want ok=%v", c.name, err, c.ok)
		}
		if v != nil {
			v.Close()
		}
	}
	cfg := vtConfig(good)
	cfg.Algorithms = []string{"HS256"}
	v := vtNew(t, cfg)
	vtRun(t, v, []vtCase{{"HS256 with a 32-byte key", good.Sign(vtClaims()), nil}})
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
