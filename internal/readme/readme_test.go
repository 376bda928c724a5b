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
	return blocksWhere(md, func(body string) bool { return strings.HasPrefix(body, "package main\n") })
}

// testBlocks returns the ```go blocks of md that are whole test files: their
// package clause names an external test package (package x_test).
func testBlocks(md string) []string {
	return blocksWhere(md, func(body string) bool {
		line, _, _ := strings.Cut(body, "\n")
		name, ok := strings.CutPrefix(line, "package ")
		return ok && strings.HasSuffix(name, "_test") && !strings.ContainsAny(name, " \t")
	})
}

func blocksWhere(md string, keep func(body string) bool) []string {
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
		if keep(body) {
			blocks = append(blocks, body)
		}
		md = after
	}
}

// overlay writes files (module path → content) to dir and returns the path
// of a go -overlay file that lays them over the module.
func overlay(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	replace := map[string]string{}
	n := 0
	for path, content := range files {
		src := filepath.Join(dir, strconv.Itoa(n)+".go")
		n++
		if err := os.WriteFile(src, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		replace[path] = src
	}
	ov, _ := json.Marshal(map[string]any{"Replace": replace})
	ovPath := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o600); err != nil {
		t.Fatal(err)
	}
	return ovPath
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
	files := map[string]string{}
	var pkgs []string
	for i, b := range blocks {
		pkg := "block" + strconv.Itoa(i)
		files[filepath.Join(root, "internal", "readme", pkg, "main.go")] = b
		pkgs = append(pkgs, "./internal/readme/"+pkg)
	}
	ovPath := overlay(t, t.TempDir(), files)
	cmd := exec.Command("go", append([]string{"build", "-overlay", ovPath}, pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("README.md Go programs do not compile: %v\n%s", err, out)
	}
}

// TestTestBlocksPass runs every whole test file in README.md (the "Testing
// your handlers" section) against the current code: they must compile and
// pass.
func TestTestBlocksPass(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := testBlocks(string(md))
	if len(blocks) == 0 {
		t.Fatal("README.md has no complete test file; want the handler test of \"Testing your handlers\"")
	}
	// Each block is laid over the module as internal/readme/testblockN, built
	// with go test -c (the package directory exists only in the overlay, so
	// go test could not run the binary there) and run from a temporary
	// directory.
	dir := t.TempDir()
	files := map[string]string{}
	for i, b := range blocks {
		files[filepath.Join(root, "internal", "readme", "testblock"+strconv.Itoa(i), "readme_test.go")] = b
	}
	ovPath := overlay(t, dir, files)
	for i := range blocks {
		pkg := "./internal/readme/testblock" + strconv.Itoa(i)
		bin := filepath.Join(dir, "testblock"+strconv.Itoa(i)+".test")
		build := exec.Command("go", "test", "-c", "-vet=off", "-overlay", ovPath, "-o", bin, pkg)
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("README.md test file %d does not compile: %v\n%s", i, err, out)
		}
		run := exec.Command(bin, "-test.count=1")
		run.Dir = dir
		if out, err := run.CombinedOutput(); err != nil {
			t.Errorf("README.md test file %d fails: %v\n%s", i, err, out)
		}
	}
}
