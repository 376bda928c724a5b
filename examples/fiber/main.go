// Command fiber is a small Fiber v2 API behind jwtgate:
//
//	GET /public   no token needed
//	GET /me       any valid access token; answers the verified claims
//	GET /orders   an access token with the scope -scope (default orders/read)
//	GET /admin    an access token of a member of the group "admin"
//
// Without flags it starts an embedded test issuer (core/jwttest) on a
// loopback port and prints curl lines with a token:
//
//	go run ./examples/fiber
//
// Against a real Amazon Cognito user pool (no AWS credentials needed):
//
//	go run ./examples/fiber -pool eu-west-1_AbC123xyz -client-id 1example23456789
//
// or with COGNITO_POOL_ID and COGNITO_CLIENT_ID in the environment. The pool
// id has the form <region>_<id>; the region is its prefix.
package main

import (
	"context"
	"io"

	"github.com/gofiber/fiber/v2"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/examples/internal/exampleenv"
	"github.com/jwtgate/jwtgate/fiberjwt"
)

func main() { exampleenv.Main("fiber", run) }

// run serves the API until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env, err := exampleenv.Parse("fiber", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	v, err := core.New(ctx, core.Config{
		Issuers:  []core.Issuer{env.Issuer},
		Audience: []string{env.ClientID},
		TokenUse: "access",
	})
	if err != nil {
		return err
	}
	defer v.Close()

	app := newAPI(v, env.Scope)
	return env.Serve(ctx, stdout, app.Listener, app.ShutdownWithContext)
}

// newAPI returns the routes, with v in front of all but /public.
func newAPI(v *core.Verifier, scope string) *fiber.App {
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		// fasthttp's default 4 KiB read buffer also caps the request
		// headers; room for an 8 KiB token (see fiberjwt's "Large tokens").
		ReadBufferSize: 16 << 10,
	})
	app.Get("/public", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"message": "public"})
	})
	api := app.Group("/", fiberjwt.New(v))
	api.Get("/me", func(c *fiber.Ctx) error {
		claims, _ := fiberjwt.Claims(c)
		return c.JSON(fiber.Map{"sub": claims.Subject, "username": claims.Username, "scopes": claims.Scopes, "groups": claims.Groups})
	})
	api.Get("/orders", fiberjwt.Require(core.RequireScopes(scope)), func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"orders": []string{}})
	})
	api.Get("/admin", fiberjwt.Require(core.RequireGroups("admin")), func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"message": "welcome, admin"})
	})
	return app
}
