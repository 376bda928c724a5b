// Package readme checks that every Go program in the project's README.md
// compiles against the current code, so the quick starts cannot rot.
package readme

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goBlocks returns the ```go blocks of md that are whole programs.
func goBlocks(md string) []string {
	var blocks []string
	for {
		_, rest, ok := strings.Cut(md, "```go\n")
		if !ok {
			return blocks
		}
		body, after, ok := strings.Cut(rest, "```")
		if !ok {
			return blocks
		}
		if strings.HasPrefix(body, "package main") {
			blocks = append(blocks, body)
		}
		md = after
	}
}

func TestGoBlocksCompile(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlocks(string(md))
	if len(blocks) < 5 {
		t.Fatalf("README.md has %d complete Go programs; want at least 5 (one quick start per framework and the refresh client)", len(blocks))
	}
	// The blocks are laid over the module as internal/readme/blockN/main.go
	// with -overlay, so nothing is written into the tree.
	dir := t.TempDir()
	replace := map[string]string{}
	var pkgs []string
	for i, b := range blocks {
		src := filepath.Join(dir, strconv.Itoa(i)+".go")
		if err := os.WriteFile(src, []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
		pkg := "block" + strconv.Itoa(i)
		replace[filepath.Join(root, "internal", "readme", pkg, "main.go")] = src
		pkgs = append(pkgs, "./internal/readme/"+pkg)
	}
	ov, _ := json.Marshal(map[string]any{"Replace": replace})
	ovPath := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", append([]string{"build", "-overlay", ovPath}, pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("README.md Go programs do not compile: %v\n%s", err, out)
	}
}
