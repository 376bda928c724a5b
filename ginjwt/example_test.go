package ginjwt_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/ginjwt"
)

// Example puts the middleware in front of a Gin group: one route for any
// valid token, one that also requires the "admin" scope.
func Example() {
	// A test issuer: a key and its JWKS on 127.0.0.1.
	key := jwttest.NewKey("RS256", "key-1")
	idp := jwttest.NewServer(key)
	defer idp.Close()

	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{{URL: idp.URL, JWKSURL: idp.JWKSURL()}},
		Audience: []string{"my-api"},
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	hello := func(c *gin.Context) {
		claims, _ := ginjwt.Claims(c)
		c.String(http.StatusOK, "hello %s", claims.Subject)
	}
	api := r.Group("/", ginjwt.New(v))
	api.GET("/me", hello)
	api.GET("/admin", ginjwt.Require(core.RequireScopes("admin")), hello)
	srv := httptest.NewServer(r)
	defer srv.Close()

	token := key.Sign(map[string]any{
		"iss": idp.URL, "aud": "my-api", "sub": "alice", "scope": "read",
		"exp": time.Now().Add(time.Hour).Unix(),
	})
	for _, rq := range []struct{ path, authorization string }{
		{"/me", ""},
		{"/me", "Bearer " + token},
		{"/admin", "Bearer " + token},
	} {
		req, _ := http.NewRequest("GET", srv.URL+rq.path, nil)
		if rq.authorization != "" {
			req.Header.Set("Authorization", rq.authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		line := fmt.Sprint(resp.StatusCode)
		if www := resp.Header.Get("WWW-Authenticate"); www != "" {
			line += " " + www
		}
		fmt.Println(line)
		fmt.Println(string(body))
	}
	// Output:
	// 401 Bearer realm="api"
	// {"error":"unauthorized","error_description":"a bearer token is required"}
	// 200
	// hello alice
	// 403 Bearer realm="api", error="insufficient_scope", scope="admin"
	// {"error":"insufficient_scope","error_description":"the token does not grant access to this resource"}
}
