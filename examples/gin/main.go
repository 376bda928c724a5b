// Command gin is a small Gin API behind jwtgate:
//
//	GET /public   no token needed
//	GET /me       any valid access token; answers the verified claims
//	GET /orders   an access token with the scope -scope (default orders/read)
//	GET /admin    an access token of a member of the group "admin"
//
// Without flags it starts an embedded test issuer (core/jwttest) on a
// loopback port and prints curl lines with a token:
//
//	go run ./examples/gin
//
// Against a real Amazon Cognito user pool (no AWS credentials needed):
//
//	go run ./examples/gin -pool eu-west-1_AbC123xyz -client-id 1example23456789
//
// or with COGNITO_POOL_ID and COGNITO_CLIENT_ID in the environment. The pool
// id has the form <region>_<id>; the region is its prefix.
package main

import (
	"context"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/examples/internal/exampleenv"
	"github.com/jwtgate/jwtgate/ginjwt"
)

func main() { exampleenv.Main("gin", run) }

// run serves the API until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env, err := exampleenv.Parse("gin", args, getenv, stderr)
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
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/public", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"message": "public"})
	})
	api := r.Group("/", ginjwt.New(v))
	api.GET("/me", func(c *gin.Context) {
		claims, _ := ginjwt.Claims(c)
		c.JSON(http.StatusOK, gin.H{"sub": claims.Subject, "username": claims.Username, "scopes": claims.Scopes, "groups": claims.Groups})
	})
	api.GET("/orders", ginjwt.Require(core.RequireScopes(scope)), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"orders": []string{}})
	})
	api.GET("/admin", ginjwt.Require(core.RequireGroups("admin")), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"message": "welcome, admin"})
	})
	return r
}
