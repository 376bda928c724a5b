// Command echo is a small Echo v4 API behind jwtgate:
//
//	GET /public   no token needed
//	GET /me       any valid access token; answers the verified claims
//	GET /orders   an access token with the scope -scope (default orders/read)
//	GET /admin    an access token of a member of the group "admin"
//
// Without flags it starts an embedded test issuer (core/jwttest) on a
// loopback port and prints curl lines with a token:
//
//	go run ./examples/echo
//
// Against a real Amazon Cognito user pool (no AWS credentials needed):
//
//	go run ./examples/echo -pool eu-west-1_AbC123xyz -client-id 1example23456789
//
// or with COGNITO_POOL_ID and COGNITO_CLIENT_ID in the environment. The pool
// id has the form <region>_<id>; the region is its prefix.
package main

import (
	"context"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/echojwt"
	"github.com/jwtgate/jwtgate/examples/internal/exampleenv"
)

func main() { exampleenv.Main("echo", run) }

// run serves the API until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env, err := exampleenv.Parse("echo", args, getenv, stderr)
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

	return env.ServeHTTP(ctx, stdout, newAPI(v, env.Scope))
}

// newAPI returns the routes, with v in front of all but /public.
func newAPI(v *core.Verifier, scope string) http.Handler {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.GET("/public", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"message": "public"})
	})
	api := e.Group("", echojwt.New(v))
	api.GET("/me", func(c echo.Context) error {
		claims, _ := echojwt.Claims(c)
		return c.JSON(http.StatusOK, map[string]any{"sub": claims.Subject, "username": claims.Username, "scopes": claims.Scopes, "groups": claims.Groups})
	})
	api.GET("/orders", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"orders": []string{}})
	}, echojwt.Require(core.RequireScopes(scope)))
	api.GET("/admin", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"message": "welcome, admin"})
	}, echojwt.Require(core.RequireGroups("admin")))
	return e
}
