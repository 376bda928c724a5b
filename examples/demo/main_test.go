package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out bytes.Buffer
	code := run(ctx, nil, &out)
	text := out.String()
	if code != 0 {
		t.Fatalf("run() = %d; want 0\n%s", code, text)
	}
	for _, fw := range []string{"net/http", "gin", "echo", "fiber"} {
		for _, c := range []string{"valid token", "no token", "expired token", "tampered token", "missing scope"} {
			if !strings.Contains(text, fw) || !strings.Contains(text, c) {
				t.Errorf("output lacks %s / %s:\n%s", fw, c, text)
			}
		}
	}
	if strings.Contains(text, "FAIL") {
		t.Errorf("output has a failed check:\n%s", text)
	}
	if !strings.Contains(text, "21 checks: 21 passed, 0 failed") {
		t.Errorf("summary missing or wrong:\n%s", text)
	}
	if !strings.Contains(text, "1 refresh") {
		t.Errorf("concurrent calls after expiry did not share one refresh:\n%s", text)
	}
}

func TestDemoFlags(t *testing.T) {
	var out bytes.Buffer
	for _, args := range [][]string{
		{"-pool", "us-east-1_X"},                                            // no client id
		{"-pool", "us-east-1", "-client-id", "c"},                           // a region, not a pool id
		{"-pool", "us-east-1_X", "-region", "eu-west-1", "-client-id", "c"}, // another region
	} {
		out.Reset()
		if code := run(context.Background(), args, &out); code != 2 || !strings.Contains(out.String(), "-pool") {
			t.Errorf("run(%q) = %d, %q; want 2 and a message naming -pool", args, code, out.String())
		}
	}
	if code := run(context.Background(), []string{"-nope"}, &out); code != 2 {
		t.Errorf("run(-nope) = %d; want 2", code)
	}
}
