package fiberjwt_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/fiberjwt"
)

type fixture struct {
	v   *core.Verifier
	key *jwttest.Key
	iss string
}

func newFixture(tb testing.TB, cacheSize int) *fixture {
	tb.Helper()
	key := jwttest.NewKey("RS256", "k1")
	idp := jwttest.NewServer(key)
	tb.Cleanup(idp.Close)
	v, err := core.New(context.Background(), core.Config{
		Issuers:   []core.Issuer{{URL: idp.URL, JWKSURL: idp.JWKSURL()}},
		Audience:  []string{"api"},
		CacheSize: cacheSize,
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatalf("core.New: %v", err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	return &fixture{v: v, key: key, iss: idp.URL}
}

func (f *fixture) token(sub string) string {
	return f.key.Sign(map[string]any{
		"iss": f.iss, "aud": "api", "sub": sub, "scope": "read",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	})
}

func newApp(mw ...fiber.Handler) *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/me", append(mw, func(c *fiber.Ctx) error {
		if claims, ok := fiberjwt.Claims(c); ok {
			return c.SendString(claims.Subject)
		}
		return c.SendString("ok")
	})...)
	return app
}

// serve runs one request through h on ctx, reset as fasthttp resets a
// kept-alive connection's context between requests.
func serve(h fasthttp.RequestHandler, ctx *fasthttp.RequestCtx, cookie, authorization string) {
	ctx.Response.Reset()
	ctx.ResetUserValues()
	ctx.Request.Header.Del("Authorization")
	ctx.Request.Header.Del("Cookie")
	ctx.Request.Header.SetMethod("GET")
	ctx.Request.SetRequestURI("/me")
	if authorization != "" {
		ctx.Request.Header.Set("Authorization", authorization)
	}
	if cookie != "" {
		ctx.Request.Header.Set("Cookie", cookie)
	}
	h(ctx)
}

// TestBuffersCopied runs two tokens of the same length through one
// RequestCtx in turn, from the header and from a cookie, so that fasthttp
// writes each into the buffer of the one before: every answer must be for
// its own token. (A kept view of the buffer would not show here, since each
// token finds its own entry by its own hash; TestBuffersNotKept is the test
// that would.)
func TestBuffersCopied(t *testing.T) {
	f := newFixture(t, 0)
	a, b := f.token("alice"), f.token("bobby")
	if len(a) != len(b) {
		t.Fatalf("token lengths %d, %d; want equal", len(a), len(b))
	}
	for _, source := range []string{"header", "cookie"} {
		h := newApp(fiberjwt.New(f.v, fiberjwt.WithCookie("session"))).Handler()
		var ctx fasthttp.RequestCtx
		for i, tok := range []string{a, b, a, b, a} {
			want := map[string]string{a: "alice", b: "bobby"}[tok]
			if source == "header" {
				serve(h, &ctx, "", "Bearer "+tok)
			} else {
				serve(h, &ctx, "session="+tok, "")
			}
			if got := string(ctx.Response.Body()); ctx.Response.StatusCode() != http.StatusOK || got != want {
				t.Errorf("%s request %d: %d %q; want 200 %q", source, i, ctx.Response.StatusCode(), got, want)
			}
		}
	}
}

// TestBuffersNotKept: New hands core views of fasthttp's buffers, so nothing
// may keep them after the request. A verified token goes first; then a forgery
// of the same length and the same signature (its payload names another
// subject) arrives in the same buffer, from the header and from a cookie. The
// verified-token cache finds entries by a hash of the token's end, so the
// forgery lands on the first token's entry: had the cache kept a view of the
// buffer as its key, that key would now read as the forgery and the forgery
// would be let in as alice.
func TestBuffersNotKept(t *testing.T) {
	f := newFixture(t, 0)
	a := f.token("alice")
	parts := strings.Split(a, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(
		[]byte(strings.Replace(string(payload), `"alice"`, `"bobby"`, 1))) + "." + parts[2]
	if len(forged) != len(a) || forged == a {
		t.Fatalf("forgery: length %d of %d, equal %v", len(forged), len(a), forged == a)
	}
	for _, source := range []string{"header", "cookie"} {
		h := newApp(fiberjwt.New(f.v, fiberjwt.WithCookie("session"))).Handler()
		var ctx fasthttp.RequestCtx
		for i, tok := range []string{a, forged, a, forged} {
			want := map[string]int{a: http.StatusOK, forged: http.StatusUnauthorized}[tok]
			if source == "header" {
				serve(h, &ctx, "", "Bearer "+tok)
			} else {
				serve(h, &ctx, "session="+tok, "")
			}
			if got := ctx.Response.StatusCode(); got != want {
				t.Errorf("%s request %d: %d %q; want %d", source, i, got, ctx.Response.Body(), want)
			}
		}
	}
}

// TestSeesARepeatedAuthorizationHeader checks that a repeated Authorization header is seen
// through fasthttp (whose Peek returns only the first). (F13)
func TestSeesARepeatedAuthorizationHeader(t *testing.T) {
	f := newFixture(t, 0)
	h := newApp(fiberjwt.New(f.v)).Handler()
	var ctx fasthttp.RequestCtx
	serve(h, &ctx, "", "Bearer "+f.token("alice"))
	ctx.Response.Reset()
	ctx.Request.Header.Add("Authorization", "Bearer "+f.token("bobby"))
	h(&ctx)
	if ctx.Response.StatusCode() != http.StatusBadRequest {
		t.Errorf("two headers: %d %s; want 400", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}

func TestNilVerifierRefuses(t *testing.T) {
	h := newApp(fiberjwt.New(nil)).Handler()
	var ctx fasthttp.RequestCtx
	serve(h, &ctx, "", "Bearer abc.def.ghi")
	if ctx.Response.StatusCode() != http.StatusServiceUnavailable {
		t.Errorf("got %d; want 503", ctx.Response.StatusCode())
	}
}

// benchServe measures one request through app's handler on one reused
// RequestCtx, as fasthttp's server serves a kept-alive connection.
func benchServe(b *testing.B, app *fiber.App, authorization string) {
	h := app.Handler()
	var ctx fasthttp.RequestCtx
	serve(h, &ctx, "", authorization)
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		ctx.ResetUserValues()
		h(&ctx)
		if ctx.Response.StatusCode() != http.StatusOK {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}

func BenchmarkFiber(b *testing.B) {
	b.Run("noauth", func(b *testing.B) { benchServe(b, newApp(), "") })
	b.Run("cold", func(b *testing.B) {
		f := newFixture(b, -1)
		benchServe(b, newApp(fiberjwt.New(f.v)), "Bearer "+f.token("alice"))
	})
	b.Run("warm", func(b *testing.B) {
		f := newFixture(b, 0)
		benchServe(b, newApp(fiberjwt.New(f.v)), "Bearer "+f.token("alice"))
	})
}

// TestDisableHeaderNormalizing checks that with Fiber's
// DisableHeaderNormalizing, where header names keep the client's spelling,
// a lowercase authorization header is read and two spellings count as two
// headers (F13).
func TestDisableHeaderNormalizing(t *testing.T) {
	f := newFixture(t, 0)
	app := fiber.New(fiber.Config{DisableStartupMessage: true, DisableHeaderNormalizing: true})
	app.Get("/me", fiberjwt.New(f.v, fiberjwt.WithCookie("session")), func(c *fiber.Ctx) error {
		claims, _ := fiberjwt.Claims(c)
		return c.SendString(claims.Subject)
	})
	h := app.Handler()
	tok := f.token("alice")
	tests := []struct {
		name    string
		headers [][2]string
		status  int
	}{
		{"lowercase", [][2]string{{"authorization", "Bearer " + tok}}, 200},
		{"uppercase", [][2]string{{"AUTHORIZATION", "Bearer " + tok}}, 200},
		{"lowercase cookie", [][2]string{{"cookie", "session=" + tok}}, 200},
		{"two spellings", [][2]string{{"Authorization", "Bearer " + tok}, {"authorization", "Bearer " + tok}}, 400},
		{"header and cookie", [][2]string{{"authorization", "Bearer " + tok}, {"COOKIE", "session=" + tok}}, 400},
	}
	for _, tt := range tests {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.DisableNormalizing()
		ctx.Request.Header.SetMethod("GET")
		ctx.Request.SetRequestURI("/me")
		for _, kv := range tt.headers {
			ctx.Request.Header.Add(kv[0], kv[1])
		}
		h(&ctx)
		if ctx.Response.StatusCode() != tt.status {
			t.Errorf("%s: %d %s; want %d", tt.name, ctx.Response.StatusCode(), ctx.Response.Body(), tt.status)
		}
	}
}
