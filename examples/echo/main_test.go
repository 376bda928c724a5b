package main

import (
	"testing"

	"github.com/jwtgate/jwtgate/examples/internal/exampleenv"
)

func TestRunEmbedded(t *testing.T) {
	base, token := exampleenv.Start(t, run)
	exampleenv.CheckAPI(t, base, token)
}
