package docscheck

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// securityDoc is the document that defines every rule id.
const securityDoc = "docs/SECURITY.md"

// repoRoot returns the module root (two levels above this package).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	return root
}

// sourceFiles returns the text files of the repository that we author
// (see authored), relative to root with forward slashes, sorted.
// Directories whose name starts with a dot, except .ci, and node_modules are
// skipped.
func sourceFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && ((strings.HasPrefix(name, ".") && name != ".ci") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); authored(rel) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < 20 {
		t.Fatalf("found %d source files under %s; want the whole module", len(files), root)
	}
	return files
}

// authoredExts are the endings of the text files we write by hand: Go,
// Markdown, shell, YAML and the JavaScript of the real-IdP harness.
// Generated files (go.sum, package-lock.json) are left out.
var authoredExts = []string{".go", ".md", ".sh", ".yaml", ".yml", ".mjs", ".cjs"}

// authored reports whether the file at rel (relative to the module root,
// forward slashes) is one whose text the checks read: a file with one of
// authoredExts, a Makefile, or any file in .ci/.
func authored(rel string) bool {
	name := rel[strings.LastIndexByte(rel, '/')+1:]
	if name == "Makefile" || strings.HasPrefix(rel, ".ci/") {
		return true
	}
	for _, ext := range authoredExts {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

func TestAuthored(t *testing.T) {
	for _, tc := range []struct {
		rel  string
		want bool
	}{
		{"core/verifier.go", true},
		{"README.md", true},
		{"Makefile", true},
		{".ci/run", true},
		{".ci/ensure-node.sh", true},
		{"bench/run.sh", true},
		{"x/ci.yaml", true},
		{"internal/idp/testdata/oidc-server.mjs", true},
		{"go.sum", false},
		{"internal/idp/testdata/package-lock.json", false},
		{"core/testdata/jwks.json", false},
		{".gitignore", false},
	} {
		if got := authored(tc.rel); got != tc.want {
			t.Errorf("authored(%q): got %v; want %v", tc.rel, got, tc.want)
		}
	}
	// The walk finds the build and CI scripts.
	files := sourceFiles(t, repoRoot(t))
	for _, want := range []string{"Makefile", ".ci/run", "bench/run.sh"} {
		if !slices.Contains(files, want) {
			t.Errorf("sourceFiles: got no %s; want it checked", want)
		}
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return lines
}

// ruleID matches a rule id at the start of a string: a family letter and
// two digits, or F and one or two digits.
var ruleID = regexp.MustCompile(`^(?:[SAHCKBRJO][0-9]{2}|F[0-9]{1,2})`)

// notIDs are words of the id shape that mean something else.
var notIDs = map[string]bool{"B64": true} // base64, as in jwttest.B64

// funcPrefixes are the Go test function prefixes an id may follow directly.
var funcPrefixes = []string{"Test", "Benchmark", "Fuzz", "Example"}

// idsIn returns the rule ids cited in line, in order (see the package
// documentation for the rules).
func idsIn(line string) []string {
	var ids []string
	for _, word := range strings.FieldsFunc(line, func(r rune) bool {
		return r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r))
	}) {
		for _, p := range funcPrefixes {
			if rest, ok := strings.CutPrefix(word, p); ok && rest != "" && unicode.IsUpper(rune(rest[0])) {
				word = rest
				break
			}
		}
		for word != "" {
			id := ruleID.FindString(word)
			if id == "" {
				break
			}
			rest := word[len(id):]
			if rest != "" && !unicode.IsUpper(rune(rest[0])) {
				break // more digits (S256) or lower case: not an id
			}
			if !notIDs[id] {
				ids = append(ids, id)
			}
			word = rest
		}
	}
	return ids
}

func TestIDsIn(t *testing.T) {
	cases := []struct {
		line string
		want []string
	}{
		{"// maxTokenLen caps the raw token (S05, F14).", []string{"S05", "F14"}},
		{`{"B03 F13 two headers", []string{"Bearer abc"}}`, []string{"B03", "F13"}},
		{"func TestR01ConcurrentRejectsOneRefresh(t *testing.T) {", []string{"R01"}},
		{"func TestJ15J16UnknownKidFlood(t *testing.T) {", []string{"J15", "J16"}},
		{"func BenchmarkK08Flood(b *testing.B) {", []string{"K08"}},
		{`t.Run("R01_concurrent", f)`, []string{"R01"}},
		{"// (SECURITY K04–K07, A05–A09; JWKS rows J07, J17–J23).", []string{"K04", "K07", "A05", "A09", "J07", "J17", "J23"}},
		{`e.t.Errorf("R23: log contains secret %q", s)`, []string{"R23"}},
		{"// F11/H04: no kid with several keys", []string{"F11", "H04"}},
		{"// O01 and O03 are documentation.", []string{"O01", "O03"}},
		// Not ids.
		{"if !isB64Token(token) { return jwttest.B64(h) + B64(p) }", nil},
		{`"x5t#S256", code_challenge_method=S256`, nil},
		{"RS256 PS384 ES512 HS256 EdDSA P256 P-384 A128GCM A256KW", nil},
		{"return 401, 403 or 503; 0xC05A 0xB03; HTTP/2 H2 h2c", nil},
		{"func TestRejectsAlgNone(t *testing.T) {", nil},
		{"testR01 errJ01 S01x S1 K8s C0FFEE", nil},
	}
	for _, tc := range cases {
		if got := idsIn(tc.line); !slices.Equal(got, tc.want) {
			t.Errorf("idsIn(%q) = %q; want %q", tc.line, got, tc.want)
		}
	}
}

// definitionLine matches a line of docs/SECURITY.md that defines an id: a
// list item starting with the id in bold, a heading starting with it, or a
// table row whose first cell is it.
var definitionLine = regexp.MustCompile(`^\s*(?:[-*+]\s+\*\*([A-Z][0-9]{1,2})\*\*|#{1,6}\s+\**([A-Z][0-9]{1,2})\b|\|\s*\**([A-Z][0-9]{1,2})\**\s*\|)`)

// definedIDs returns the ids lines define, and the ids defined more than once.
func definedIDs(lines []string) (defined map[string]int, dup []string) {
	defined = make(map[string]int)
	for i, l := range lines {
		m := definitionLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		id := m[1] + m[2] + m[3]
		if _, ok := defined[id]; ok {
			dup = append(dup, fmt.Sprintf("%s (lines %d and %d)", id, defined[id], i+1))
			continue
		}
		defined[id] = i + 1
	}
	return defined, dup
}

func TestDefinedIDs(t *testing.T) {
	lines := []string{
		"# Title",
		"- **S01** Compact serialization only.",
		"* **F1** golang-jwt ignores crit.",
		"### K08 Unknown kids",
		"| J01 | down at start-up |",
		"See **S02** in the text, and [H01](#h).",
		"- **S01** again.",
	}
	defined, dup := definedIDs(lines)
	var got []string
	for id := range defined {
		got = append(got, id)
	}
	sort.Strings(got)
	if want := []string{"F1", "J01", "K08", "S01"}; !slices.Equal(got, want) {
		t.Errorf("defined = %q; want %q", got, want)
	}
	if len(dup) != 1 || !strings.HasPrefix(dup[0], "S01") {
		t.Errorf("duplicates = %q; want S01 once", dup)
	}
}

// TestRuleIDsAreDefined checks that every rule id cited anywhere in the
// repository is defined in docs/SECURITY.md.
func TestRuleIDsAreDefined(t *testing.T) {
	root := repoRoot(t)
	defined, dup := definedIDs(readLines(t, filepath.Join(root, securityDoc)))
	if len(dup) > 0 {
		t.Errorf("%s defines these ids more than once: %s", securityDoc, strings.Join(dup, ", "))
	}
	if len(defined) < 100 {
		t.Fatalf("%s defines %d rule ids; want the whole rule set (definition lines start with \"- **ID**\")", securityDoc, len(defined))
	}
	undefined := map[string][]string{}
	cited := 0
	for _, f := range sourceFiles(t, root) {
		for i, line := range readLines(t, filepath.Join(root, f)) {
			for _, id := range idsIn(line) {
				cited++
				if _, ok := defined[id]; !ok {
					undefined[id] = append(undefined[id], fmt.Sprintf("%s:%d", f, i+1))
				}
			}
		}
	}
	if cited == 0 {
		t.Fatal("no rule id is cited anywhere; the scan is broken")
	}
	if len(undefined) > 0 {
		ids := make([]string, 0, len(undefined))
		for id := range undefined {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		var b strings.Builder
		for _, id := range ids {
			fmt.Fprintf(&b, "\n  %s: %s", id, strings.Join(undefined[id], ", "))
		}
		t.Errorf("rule ids cited but not defined in %s (define each as a list item \"- **ID** …\"):%s", securityDoc, b.String())
	}
}

// The forbidden strings are assembled so that this file does not match them.
var (
	// outsideDocs are documents that exist only outside the repository.
	outsideDocs = []string{"PERF" + ".md", "DESIGN" + ".md", "STYLE" + ".md"}
	// repoDocs are the repository's docs; they must be named by their path.
	repoDocs = []string{"SECURITY" + ".md", "COGNITO" + ".md", "PERFORMANCE" + ".md"}
	// processMarkers are traces of working notes that do not belong in the repository.
	processMarkers = []string{"[" + "MEM", "[" + "RUN]", "[" + "SRC", "[" + "DOC]", "Note " + "from"}
)

// referenceProblems returns what is wrong with line of file f: references
// to documents outside the repository, repository docs named without their
// docs/ path, and process-note markers.
func referenceProblems(f, line string) []string {
	var out []string
	for _, d := range outsideDocs {
		if strings.Contains(line, d) {
			out = append(out, fmt.Sprintf("refers to %s, which is not in the repository", d))
		}
	}
	inDocs := strings.HasPrefix(f, "docs/")
	for _, d := range repoDocs {
		for rest := line; ; {
			i := strings.Index(rest, d)
			if i < 0 {
				break
			}
			before := rest[:i]
			sibling := inDocs && (!strings.HasSuffix(before, "/") ||
				strings.HasSuffix(before, "./") && !strings.HasSuffix(before, "../"))
			if !strings.HasSuffix(before, "docs/") && !sibling {
				out = append(out, fmt.Sprintf("names %s without its path docs/%s", d, d))
			}
			rest = rest[i+len(d):]
		}
	}
	for _, m := range processMarkers {
		if strings.Contains(line, m) {
			out = append(out, fmt.Sprintf("carries the process-note marker %q", m))
		}
	}
	return out
}

func TestReferenceProblems(t *testing.T) {
	const sec = "SECURITY" + ".md"
	cases := []struct {
		file, line string
		bad        bool
	}{
		{"core/a.go", "// see docs/" + sec + ", K08", false},
		{"README.md", "[security](docs/" + sec + "#key-sets-k)", false},
		{"bench/README.md", "[method](../docs/PERFORMANCE" + ".md)", false},
		{"docs/PERFORMANCE.md", "[cache](" + sec + "#the-verified-token-cache)", false},
		{"docs/COGNITO.md", "see [the rules](./" + sec + ")", false},
		{"docs/COGNITO.md", "see [the rules](../" + sec + ")", true},
		{"README.md", "see [the rules](" + sec + ")", true},
		{"core/a.go", "// SECURITY" + ".md 1.2: algorithms", true},
		{"core/a.go", "// PERF" + ".md target 1", true},
		{"docs/X.md", "as DESIGN" + ".md says", true},
		{"core/keys.go", "// Note " + "from one team to another", true},
		{"core/a.go", "// [" + "MEM: recalled]", true},
		{"core/a.go", "// nothing to see", false},
	}
	for _, tc := range cases {
		if got := referenceProblems(tc.file, tc.line); (len(got) > 0) != tc.bad {
			t.Errorf("referenceProblems(%q, %q) = %q; want a problem: %v", tc.file, tc.line, got, tc.bad)
		}
	}
}

// TestNoOutsideReferences checks that no file refers to documents outside
// the repository or carries process notes.
func TestNoOutsideReferences(t *testing.T) {
	root := repoRoot(t)
	var problems []string
	for _, f := range sourceFiles(t, root) {
		for i, line := range readLines(t, filepath.Join(root, f)) {
			for _, p := range referenceProblems(f, line) {
				problems = append(problems, fmt.Sprintf("%s:%d: %s", f, i+1, p))
			}
		}
	}
	if len(problems) > 0 {
		t.Errorf("%d references to documents outside the repository or process notes:\n  %s",
			len(problems), strings.Join(problems, "\n  "))
	}
}

var (
	fence      = regexp.MustCompile("(?ms)^\\s*```.*?^\\s*```")
	inlineCode = regexp.MustCompile("`[^`\n]*`")
	mdLink     = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	heading    = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)
)

// stripCode removes fenced code blocks and inline code spans from md.
func stripCode(md string) string {
	return inlineCode.ReplaceAllString(fence.ReplaceAllString(md, ""), "")
}

// anchors returns the heading anchors of md as GitHub renders them: lower
// case, punctuation other than "-" and "_" removed, spaces turned into "-",
// repeated anchors numbered -1, -2, ….
func anchors(md string) map[string]bool {
	out := map[string]bool{}
	for _, m := range heading.FindAllStringSubmatch(stripCode(md), -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteByte('-')
			}
		}
		a := b.String()
		if out[a] {
			for n := 1; ; n++ {
				if s := fmt.Sprintf("%s-%d", a, n); !out[s] {
					a = s
					break
				}
			}
		}
		out[a] = true
	}
	return out
}

func TestAnchors(t *testing.T) {
	md := "# jwtgate\n## What jwtgate guarantees, and what it does not\n## Token syntax and decoding (S)\n" +
		"## Gaps in the libraries' defaults (F)\n```sh\n# not a heading\n```\n## Results\n## Results\n"
	got := anchors(md)
	for _, a := range []string{"jwtgate", "what-jwtgate-guarantees-and-what-it-does-not", "token-syntax-and-decoding-s",
		"gaps-in-the-libraries-defaults-f", "results", "results-1"} {
		if !got[a] {
			t.Errorf("anchor %q missing from %v", a, got)
		}
	}
	if got["not-a-heading"] {
		t.Errorf("a comment in a code block became an anchor: %v", got)
	}
}

// TestRelativeLinksResolve checks every relative link of the docs and the
// READMEs: the target file exists and, for a Markdown target with a
// fragment, has that heading.
func TestRelativeLinksResolve(t *testing.T) {
	root := repoRoot(t)
	mds, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(mds) < 3 {
		t.Fatalf("docs/ holds %d Markdown files; want SECURITY, PERFORMANCE and COGNITO at least", len(mds))
	}
	mds = append(mds, filepath.Join(root, "README.md"), filepath.Join(root, "bench", "README.md"))
	var broken []string
	checked := 0
	for _, md := range mds {
		src, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, md)
		for _, m := range mdLink.FindAllStringSubmatch(stripCode(string(src)), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			path, frag, _ := strings.Cut(target, "#")
			file := md
			if path != "" {
				file = filepath.Join(filepath.Dir(md), filepath.FromSlash(path))
			}
			if _, err := os.Stat(file); err != nil {
				broken = append(broken, fmt.Sprintf("%s: %s: no such file", filepath.ToSlash(rel), target))
				continue
			}
			if frag == "" || !strings.HasSuffix(file, ".md") {
				continue
			}
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !anchors(string(body))[frag] {
				broken = append(broken, fmt.Sprintf("%s: %s: no heading with anchor #%s", filepath.ToSlash(rel), target, frag))
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative link found; the scan is broken")
	}
	if len(broken) > 0 {
		t.Errorf("%d broken relative links:\n  %s", len(broken), strings.Join(broken, "\n  "))
	}
}
