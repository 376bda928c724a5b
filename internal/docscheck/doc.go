// Package docscheck holds tests that keep the repository's documentation and
// its code in step. It has no code of its own; run it with
//
//	go test ./internal/docscheck/
//
// The tests walk every text file of the module that we author (.go, .md,
// .sh, .yaml, .yml, the harness's .mjs and .cjs, Makefiles, and everything
// in .ci/), bench/ included (other directories whose name starts with a dot,
// and node_modules, are skipped), and fail when:
//
//   - code, tests or docs cite a rule id that docs/SECURITY.md does not
//     define. A rule id is a capital S, A, H, C, K, B, R, J or O followed by
//     exactly two digits, or F followed by one or two digits, standing as a
//     word of its own ("B03", "(S05, F14)", "J06 truncated JSON") or right
//     after the Test, Benchmark, Fuzz or Example prefix of a function name,
//     possibly several in a row (TestJ15J16UnknownKidFlood). A word ends at
//     any character other than an ASCII letter or digit, so "R01_x" counts;
//     the id must be followed by the end of the word or a capital letter, so
//     S256 (PKCE, x5t#S256), A128GCM, P256, HS256, RS256, hex literals and
//     HTTP status codes are not ids. "B64" (base64) is excluded by name. A
//     range such as "S06–S09" cites its two ends. docs/SECURITY.md defines
//     an id with a list item that starts with it in bold ("- **K08** …"), a
//     heading that starts with it, or a table row whose first cell is it;
//     an id defined twice is an error too;
//   - a file refers to a document that is not in the repository (the
//     Markdown files named PERF, DESIGN or STYLE), or names the SECURITY,
//     COGNITO or PERFORMANCE documents other than by their docs/ path (a
//     file in docs/ may name its siblings without the prefix);
//   - a file carries process notes: the bracketed source tags of working
//     notes (MEM, RUN, SRC, DOC) or a note addressed from one person to
//     another;
//   - a relative link in docs/*.md, README.md or bench/README.md points to a
//     file that does not exist, or to a heading anchor that the target
//     Markdown file does not have.
package docscheck
