package refresh

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// secretTokens holds a value in every secret field, each easy to spot.
func secretTokens() Tokens {
	return Tokens{
		AccessToken:  "SECRET-ACCESS-eyJhbGciOi",
		IDToken:      "SECRET-ID-eyJhbGciOi",
		RefreshToken: "SECRET-REFRESH-abcdef",
		TokenType:    "Bearer",
		Expiry:       time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func checkNoSecret(t *testing.T, what, out string) {
	t.Helper()
	if strings.Contains(out, "SECRET-") {
		t.Errorf("%s prints a token value: %s", what, out)
	}
}

// TestTokensFormatHidesSecrets covers every fmt verb, on a Tokens value, a
// *Tokens and a struct that holds one (R23).
func TestTokensFormatHidesSecrets(t *testing.T) {
	tk := secretTokens()
	holder := struct {
		Value Tokens
		Ptr   *Tokens
	}{tk, &tk}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for name, arg := range map[string]any{"value": tk, "pointer": &tk, "holder": holder, "holder pointer": &holder} {
			out := fmt.Sprintf(verb, arg)
			checkNoSecret(t, verb+" of a "+name, out)
			if !strings.Contains(out, "refresh.Tokens{") {
				t.Errorf("%s of a %s = %s; want the redacted form", verb, name, out)
			}
		}
	}
	want := `refresh.Tokens{AccessToken:<redacted> IDToken:<redacted> RefreshToken:<redacted> TokenType:"Bearer" Expiry:2026-01-02T03:04:05Z}`
	if got := tk.String(); got != want {
		t.Errorf("String() = %s; want %s", got, want)
	}
	if got := (Tokens{}).String(); got != `refresh.Tokens{AccessToken:"" IDToken:"" RefreshToken:"" TokenType:"" Expiry:unknown}` {
		t.Errorf("String() of the zero value = %s", got)
	}
	if got := fmt.Sprint((*Tokens)(nil)); got != "<nil>" {
		t.Errorf("Sprint(nil *Tokens) = %s; want <nil>", got)
	}
}

// TestTokensLogValueHidesSecrets logs Tokens through slog's JSON and text
// handlers, as a value, a pointer and inside a group (R23).
func TestTokensLogValueHidesSecrets(t *testing.T) {
	tk := secretTokens()
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var b bytes.Buffer
		log := slog.New(h(&b))
		log.Info("tokens", "value", tk, "pointer", &tk, slog.Group("g", "inner", tk), slog.Any("any", tk))
		out := b.String()
		checkNoSecret(t, name+" handler", out)
		for _, want := range []string{"access_token", "refresh_token", "Bearer", "2026-01-02T03:04:05"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s handler: %s; want it to mention %s", name, out, want)
			}
		}
	}
	got := tk.LogValue().Group()
	want := map[string]string{
		"access_token": "true", "id_token": "true", "refresh_token": "true",
		"token_type": "Bearer", "expiry": "2026-01-02 03:04:05 +0000 UTC",
	}
	if len(got) != len(want) {
		t.Errorf("LogValue has %d attributes; want %d: %v", len(got), len(want), got)
	}
	for _, a := range got {
		if want[a.Key] != a.Value.String() {
			t.Errorf("LogValue %s = %s; want %s", a.Key, a.Value, want[a.Key])
		}
	}
}

// TestTokensNilPointerLogs: a nil *Tokens given to slog neither panics the
// caller nor loses the record; slog reports the attribute as "LogValue
// panicked", as the Tokens doc says.
func TestTokensNilPointerLogs(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&b, nil))
	var nilTokens *Tokens
	log.Info("tokens", "tokens", nilTokens, "after", "kept")
	out := b.String()
	for _, want := range []string{`"msg":"tokens"`, `"tokens":"LogValue panicked`, `"after":"kept"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log = %s; want it to contain %s", out, want)
		}
	}
}

func TestFromOAuth2Token(t *testing.T) {
	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ot := (&oauth2.Token{AccessToken: "at", RefreshToken: "rt", TokenType: "Bearer", Expiry: exp}).
		WithExtra(map[string]any{"id_token": "id"})
	got := FromOAuth2Token(ot)
	want := Tokens{AccessToken: "at", IDToken: "id", RefreshToken: "rt", TokenType: "Bearer", Expiry: exp}
	if got == nil || *got != want {
		t.Errorf("FromOAuth2Token = %#v; want %#v", got, want) // redacted: compare by hand when it fails
	}
	if got := FromOAuth2Token(&oauth2.Token{AccessToken: "at"}); got.IDToken != "" || got.AccessToken != "at" {
		t.Errorf("without id_token: IDToken %q, AccessToken %q; want empty, at", got.IDToken, got.AccessToken)
	}
	if got := FromOAuth2Token(nil); got != nil {
		t.Errorf("FromOAuth2Token(nil) = %v; want nil", got)
	}
}
