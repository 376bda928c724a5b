package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScanObjectRefusesWhatIsNotOneStrictObject(t *testing.T) {
	nest := func(n int) string { return `{"a":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}` }
	deep := nest(MaxDepth + 1)
	for _, c := range []struct {
		name, in string
		want     error
	}{
		{"array", `[]`, ErrNotObject},
		{"two objects", `{}{}`, ErrNotObject},
		{"trailing data", `{"a":1}x`, ErrNotObject},
		{"empty", ``, ErrNotObject},
		{"duplicate name", `{"a":1,"a":2}`, ErrDuplicate},
		{"duplicate after unescaping", `{"a":1,"\u0061":2}`, ErrDuplicate},
		{"leading zero", `{"a":01}`, ErrSyntax},
		{"bad literal", `{"a":tru}`, ErrSyntax},
		{"control character", "{\"a\":\"\x01\"}", ErrSyntax},
		{"lone surrogate", `{"a":"\ud800"}`, ErrSyntax},
		{"too deep", deep, ErrDepth},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ScanObject([]byte(c.in), nil); !errors.Is(err, c.want) {
				t.Errorf("ScanObject(%q) = %v; want %v", c.in, err, c.want)
			}
		})
	}
	if _, err := ScanObject([]byte(nest(MaxDepth)), nil); err != nil {
		t.Errorf("nesting at MaxDepth: got %v; want nil", err)
	}
	// Names are case-sensitive: these are two members (S09).
	ms, err := ScanObject([]byte(`{"a":1,"A":2}`), nil)
	if err != nil || len(ms) != 2 {
		t.Errorf("got %d members, %v; want 2, nil", len(ms), err)
	}
	// Duplicates below the top level are the caller's business.
	if _, err := ScanObject([]byte(`{"a":{"b":1,"b":2}}`), nil); err != nil {
		t.Errorf("nested duplicate: got %v; want nil", err)
	}
}

func TestMemberNamesAndValues(t *testing.T) {
	data := []byte(` { "iss" : "x" , "a\u0062c":[1, {"d":null}] ,"n":-0.5e+3} `)
	ms, err := ScanObject(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"iss", `"x"`}, {"abc", `[1, {"d":null}]`}, {"n", "-0.5e+3"}}
	if len(ms) != len(want) {
		t.Fatalf("got %d members; want %d", len(ms), len(want))
	}
	for i, m := range ms {
		if got := string(m.Name(data)); got != want[i][0] {
			t.Errorf("member %d name: got %q; want %q", i, got, want[i][0])
		}
		if got := string(data[m.Start:m.End]); got != want[i][1] {
			t.Errorf("member %d value: got %q; want %q", i, got, want[i][1])
		}
	}
}

// Unquote decodes strings as encoding/json does.
func TestUnquoteMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`"plain"`, `"\" \\ \/ \b \f \n \r \t"`, `"\u0041\u00e9\u20ac"`, `"\ud83d\ude00 and \uD83D\uDE00"`,
		`"caf\u00E9 é 😀"`, `""`, `"\u0000"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		got, ok := Unquote([]byte(in))
		if !ok || string(got) != want {
			t.Errorf("Unquote(%s): got %q; want %q", in, got, want)
		}
	}
	if _, ok := Unquote([]byte(`12`)); ok {
		t.Errorf("Unquote(12): got ok; want false")
	}
	for _, in := range []string{`"\u12"`, `"\x"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00"`, `"\u12g4"`, `"\`} {
		if _, err := ScanObject([]byte(`{"a":`+in+`}`), nil); err == nil {
			t.Errorf("ScanObject accepted %s", in)
		}
	}
}

func TestArrayWalksElements(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{`[]`, nil},
		{`[ ]`, nil},
		{`["a"]`, []string{`"a"`}},
		{`[ "a" , 1,{"b":[2]} ,null ]`, []string{`"a"`, `1`, `{"b":[2]}`, `null`}},
	} {
		a, ok := NewArray([]byte(c.in))
		if !ok {
			t.Fatalf("NewArray(%s): not an array", c.in)
		}
		var got []string
		for {
			s, e, ok := a.Next()
			if !ok {
				break
			}
			got = append(got, c.in[s:e])
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: got %q; want %q", c.in, got, c.want)
		}
	}
	if _, ok := NewArray([]byte(`"a"`)); ok {
		t.Errorf("NewArray of a string: got ok; want false")
	}
}

func TestIsNumber(t *testing.T) {
	for in, want := range map[string]bool{"0": true, "-1.5e3": true, "1E+2": true, "01": false, "1.": false, ".5": false,
		"+1": false, "1 ": false, `"1"`: false, "": false, "-": false, "1e": false} {
		if got := IsNumber([]byte(in)); got != want {
			t.Errorf("IsNumber(%q) = %v; want %v", in, got, want)
		}
	}
}

// What ScanObject accepts is a valid JSON object without duplicate top-level
// names, and the value ranges it reports are the values encoding/json sees.
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, ` {"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00"} `, `{"a":1,"a":2}`,
		`{"a":"\ud800"}`, `{"a":01}`, `{"a":-0.5e+3}`, `[]`, `{"a":1}x`, "{\"a\":\"\x01\"}", `{"a":tru}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return
		}
		ms, err := ScanObject(data, nil)
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("scanner accepted invalid JSON %q", data)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("scanner accepted %q, which is not an object: %v", data, err)
		}
		if len(m) != len(ms) {
			t.Fatalf("%q: %d members, encoding/json sees %d names", data, len(ms), len(m))
		}
		for _, mb := range ms {
			name := mb.Name(data)
			raw, ok := m[string(name)]
			if !ok {
				t.Fatalf("%q: member %q unknown to encoding/json", data, name)
			}
			if !bytes.Equal(bytes.TrimSpace(raw), data[mb.Start:mb.End]) {
				t.Fatalf("%q: member %q value %q; encoding/json %q", data, name, data[mb.Start:mb.End], raw)
			}
		}
	})
}
