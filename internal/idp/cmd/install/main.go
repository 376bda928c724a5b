// Command install installs the npm packages of the real-IdP tests
// (cognito-local and oidc-provider, pinned by internal/idp/testdata) into
// the harness's cache directory. `make test` runs it before the tests.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/jwtgate/jwtgate/internal/idp"
)

func main() {
	start := time.Now()
	dir, err := idp.Install()
	if err != nil {
		fmt.Fprintf(os.Stderr, "install: real-IdP npm packages: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("real-IdP npm packages ready in %s (%s)\n", dir, time.Since(start).Round(time.Millisecond))
}
