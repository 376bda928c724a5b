// Package strictjson scans the top level of a JWS header or JWT payload.
// encoding/json is case-insensitive, last-wins on duplicate names, replaces
// invalid UTF-8 with U+FFFD and allocates per member; ScanObject finds the
// members of one top-level object, validates every value's syntax (RFC
// 8259), rejects duplicate member names, lone surrogates and control
// characters in strings, bounds nesting depth, and hands back byte ranges,
// so that a caller decodes only the members it needs, without allocating.
//
// The input must already be valid UTF-8 (checked once with utf8.Valid).
package strictjson

import (
	"bytes"
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds nesting inside a scanned object (docs/SECURITY.md S10).
// With a cap on the input's length it also bounds the work per input.
const MaxDepth = 32

// The errors of ScanObject.
var (
	ErrSyntax    = errors.New("malformed JSON")
	ErrNotObject = errors.New("not a single JSON object")
	ErrDuplicate = errors.New("duplicate member name")
	ErrDepth     = errors.New("JSON nested too deeply")
)

// Member is one top-level member: the byte ranges of its name and of its raw
// value, data[Start:End]. Only indices are kept, so that the input never
// escapes through a Member (callers decode into stack buffers).
type Member struct {
	Start, End int // the value is data[Start:End]

	ns, ne int    // the name is data[ns:ne] unless esc is set
	esc    []byte // the unescaped name, when it had escapes
}

// Name returns m's unescaped name; data is the scanned input.
func (m *Member) Name(data []byte) []byte {
	if m.esc != nil {
		return m.esc
	}
	return data[m.ns:m.ne]
}

// ScanObject scans data as exactly one JSON object with optional surrounding
// white space and appends its members to ms. Duplicate names at the top level
// are rejected (names compare code point by code point after unescaping,
// docs/SECURITY.md S08, S09); nested values are validated but not decoded.
func ScanObject(data []byte, ms []Member) ([]Member, error) {
	s := scanner{data: data}
	s.ws()
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		return ms, ErrNotObject
	}
	s.pos++
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
	} else {
		for {
			s.ws()
			ns, ne, escaped, err := s.name()
			if err != nil {
				return ms, err
			}
			var esc []byte
			if escaped {
				esc = unescape(data[ns:ne])
			}
			s.ws()
			if s.pos >= len(s.data) || s.data[s.pos] != ':' {
				return ms, ErrSyntax
			}
			s.pos++
			s.ws()
			start := s.pos
			if err := s.value(1); err != nil {
				return ms, err
			}
			ms = append(ms, Member{ns: ns, ne: ne, esc: esc, Start: start, End: s.pos})
			s.ws()
			if s.pos >= len(s.data) {
				return ms, ErrSyntax
			}
			c := s.data[s.pos]
			s.pos++
			if c == '}' {
				break
			}
			if c != ',' {
				return ms, ErrSyntax
			}
		}
	}
	s.ws()
	if s.pos != len(s.data) {
		return ms, ErrNotObject
	}
	if hasDuplicateNames(data, ms) {
		return ms, ErrDuplicate
	}
	return ms, nil
}

// hasDuplicateNames reports whether two members share a name (code point
// comparison after unescaping, S08/S09).
func hasDuplicateNames(data []byte, ms []Member) bool {
	if len(ms) <= 24 {
		for i := 1; i < len(ms); i++ {
			for j := 0; j < i; j++ {
				if bytes.Equal(ms[i].Name(data), ms[j].Name(data)) {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(ms))
	for i := range ms {
		n := ms[i].Name(data)
		if _, ok := seen[string(n)]; ok {
			return true
		}
		seen[string(n)] = struct{}{}
	}
	return false
}

type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// name scans a member name and returns the range of its body (without the
// quotes) and whether it has escapes.
func (s *scanner) name() (start, end int, escaped bool, err error) {
	start = s.pos
	escaped, err = s.str()
	if err != nil {
		return 0, 0, false, err
	}
	return start + 1, s.pos - 1, escaped, nil
}

// str scans a string starting at the opening quote; it reports whether the
// string contains escapes.
func (s *scanner) str() (escaped bool, err error) {
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return false, ErrSyntax
	}
	s.pos++
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return escaped, nil
		case c == '\\':
			escaped = true
			n, err := escapeLen(s.data[s.pos:])
			if err != nil {
				return false, err
			}
			s.pos += n
		case c < 0x20:
			return false, ErrSyntax
		default:
			s.pos++
		}
	}
	return false, ErrSyntax
}

// escapeLen validates the escape sequence at the start of b (b[0] == '\\')
// and returns its length. A \u escape of a surrogate must be a valid pair.
func escapeLen(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, ErrSyntax
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
		r, ok := hex4(b[2:])
		if !ok {
			return 0, ErrSyntax
		}
		if !utf16.IsSurrogate(r) {
			return 6, nil
		}
		// A high surrogate must be followed by an escaped low surrogate.
		if r >= 0xDC00 || len(b) < 12 || b[6] != '\\' || b[7] != 'u' {
			return 0, ErrSyntax
		}
		r2, ok := hex4(b[8:])
		if !ok || r2 < 0xDC00 || r2 > 0xDFFF {
			return 0, ErrSyntax
		}
		return 12, nil
	}
	return 0, ErrSyntax
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// unescape decodes the body of a validated JSON string (without quotes).
func unescape(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, _ := hex4(raw[i+2:])
			if utf16.IsSurrogate(r) {
				r2, _ := hex4(raw[i+8:])
				r = utf16.DecodeRune(r, r2)
				i += 6
			}
			out = utf8.AppendRune(out, r)
			i += 6
			continue
		default: // '"', '\\', '/'
			out = append(out, raw[i+1])
		}
		i += 2
	}
	return out
}

// value scans one JSON value at nesting depth d.
func (s *scanner) value(d int) error {
	if d > MaxDepth {
		return ErrDepth
	}
	if s.pos >= len(s.data) {
		return ErrSyntax
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{':
		return s.object(d)
	case c == '[':
		s.pos++
		s.ws()
		if s.pos < len(s.data) && s.data[s.pos] == ']' {
			s.pos++
			return nil
		}
		for {
			s.ws()
			if err := s.value(d + 1); err != nil {
				return err
			}
			s.ws()
			if s.pos >= len(s.data) {
				return ErrSyntax
			}
			c := s.data[s.pos]
			s.pos++
			if c == ']' {
				return nil
			}
			if c != ',' {
				return ErrSyntax
			}
		}
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || ('0' <= c && c <= '9'):
		n := numberLen(s.data[s.pos:])
		if n == 0 {
			return ErrSyntax
		}
		s.pos += n
		return nil
	}
	return ErrSyntax
}

// object scans a nested object.
func (s *scanner) object(d int) error {
	s.pos++ // '{'
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	for {
		s.ws()
		if _, _, _, err := s.name(); err != nil {
			return err
		}
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return ErrSyntax
		}
		s.pos++
		s.ws()
		if err := s.value(d + 1); err != nil {
			return err
		}
		s.ws()
		if s.pos >= len(s.data) {
			return ErrSyntax
		}
		c := s.data[s.pos]
		s.pos++
		if c == '}' {
			return nil
		}
		if c != ',' {
			return ErrSyntax
		}
	}
}

func (s *scanner) lit(l string) error {
	if len(s.data)-s.pos < len(l) || string(s.data[s.pos:s.pos+len(l)]) != l {
		return ErrSyntax
	}
	s.pos += len(l)
	return nil
}

// numberLen returns the length of the JSON number at the start of b, or 0
// if there is none (RFC 8259 §6 grammar: no leading zeros, no '+', no
// leading or trailing '.').
func numberLen(b []byte) int {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		i++
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == j {
			return 0
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == j {
			return 0
		}
	}
	return i
}

// IsNumber reports whether raw is exactly one JSON number (RFC 8259 §6).
func IsNumber(raw []byte) bool {
	return len(raw) > 0 && numberLen(raw) == len(raw)
}

// Unquote returns the unescaped body of raw, a JSON string value that
// ScanObject has validated, or false if raw is not a string. Without escapes
// the body is a sub-slice of raw.
func Unquote(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return body, true
	}
	return unescape(body), true
}

// Array walks the elements of a JSON array value that ScanObject has
// validated, without allocating.
type Array struct {
	s    scanner
	done bool
}

// NewArray returns an Array over raw, or false if raw is not an array.
func NewArray(raw []byte) (Array, bool) {
	if len(raw) < 2 || raw[0] != '[' {
		return Array{}, false
	}
	a := Array{s: scanner{data: raw, pos: 1}}
	a.s.ws()
	a.done = raw[a.s.pos] == ']'
	return a, true
}

// Next returns the byte range of the next element's value in raw, or false
// when there is none left. It returns false too, and stays done, on
// malformed input.
func (a *Array) Next() (start, end int, ok bool) {
	if a.done {
		return 0, 0, false
	}
	a.s.ws()
	start = a.s.pos
	if err := a.s.value(1); err != nil {
		a.done = true
		return 0, 0, false
	}
	end = a.s.pos
	a.s.ws()
	if a.s.pos >= len(a.s.data) || a.s.data[a.s.pos] != ',' {
		a.done = true
	} else {
		a.s.pos++
	}
	return start, end, true
}
