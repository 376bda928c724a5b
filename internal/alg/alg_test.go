package alg

import (
	"testing"
)

func TestLookupIsExactAndKnowsNoNone(t *testing.T) {
	for _, id := range All() {
		if got := Lookup(id.String()); got != id {
			t.Errorf("Lookup(%q) = %v; want %v", id.String(), got, id)
		}
		if got := LookupBytes([]byte(id.String())); got != id {
			t.Errorf("LookupBytes(%q) = %v; want %v", id.String(), got, id)
		}
	}
	for _, name := range []string{"", "none", "None", "NONE", "rs256", "Rs256", "RS256 ", "ES256K", "HS1", "RSA-OAEP", "EDDSA"} {
		if got := Lookup(name); got != Unknown {
			t.Errorf("Lookup(%q) = %v; want Unknown", name, got)
		}
	}
	if n := len(All()); n != 13 {
		t.Errorf("got %d algorithms; want 13", n)
	}
}

func TestForKeyBindsKeyTypeCurveAndSize(t *testing.T) {
	set := func(ids ...ID) Set {
		var s Set
		for _, id := range ids {
			s = s.With(id)
		}
		return s
	}
	for _, c := range []struct {
		name     string
		kty, crv string
		bits     int
		want     Set
	}{
		{"RSA-2048", KeyTypeRSA, "", 2048, set(RS256, RS384, RS512, PS256, PS384, PS512)},
		{"RSA-1024", KeyTypeRSA, "", 1024, 0},
		{"P-256", KeyTypeEC, "P-256", 256, set(ES256)},
		{"P-384", KeyTypeEC, "P-384", 384, set(ES384)},
		{"P-521", KeyTypeEC, "P-521", 521, set(ES512)},
		{"secp256k1", KeyTypeEC, "secp256k1", 256, 0},
		{"Ed25519", KeyTypeOKP, "Ed25519", 256, set(EdDSA)},
		{"X25519", KeyTypeOKP, "X25519", 256, 0},
		{"oct 32 bytes", KeyTypeOct, "", 256, set(HS256)},
		{"oct 48 bytes", KeyTypeOct, "", 384, set(HS256, HS384)},
		{"oct 64 bytes", KeyTypeOct, "", 512, set(HS256, HS384, HS512)},
		{"oct 31 bytes", KeyTypeOct, "", 248, 0},
	} {
		if got := ForKey(c.kty, c.crv, c.bits); got != c.want {
			t.Errorf("%s: ForKey = %b; want %b", c.name, got, c.want)
		}
	}
}

func TestSetHasOnlyWhatWasAdded(t *testing.T) {
	var s Set
	s = s.With(ES256).With(Unknown).With(ID(200))
	for _, id := range All() {
		if got := s.Has(id); got != (id == ES256) {
			t.Errorf("Has(%v) = %v; want %v", id, got, id == ES256)
		}
	}
	if s.Has(Unknown) || s.Has(ID(200)) {
		t.Errorf("Has(Unknown or out of range) = true; want false")
	}
}

func TestSigningMethodsMatchTheTable(t *testing.T) {
	for _, id := range All() {
		m := id.SigningMethod()
		if m == nil || m.Alg() != id.String() {
			t.Errorf("%v: SigningMethod().Alg() = %v; want %v", id, m, id)
		}
	}
	if Unknown.SigningMethod() != nil {
		t.Errorf("Unknown.SigningMethod() != nil")
	}
}

func TestCurveBits(t *testing.T) {
	for crv, want := range map[string]int{"P-256": 256, "P-384": 384, "P-521": 521, "Ed25519": 256, "secp256k1": 0, "": 0, "p-256": 0} {
		if got := CurveBits(crv); got != want {
			t.Errorf("CurveBits(%q) = %d; want %d", crv, got, want)
		}
	}
}
