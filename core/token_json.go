package core

// A small strict JSON scanner for the top level of a JWS header or JWT
// payload. encoding/json is case-insensitive, last-wins on duplicate names,
// replaces invalid UTF-8 with U+FFFD and allocates per member; the scanner
// below finds the members of one top-level object, validates every value's
// syntax (RFC 8259), rejects duplicate member names, lone surrogates and
// control characters in strings, bounds nesting depth, and hands back raw
// byte ranges so that only the members the verifier needs are decoded.
//
// The input must already be valid UTF-8 (checked once with utf8.Valid).

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting inside a header or payload (S10). With the
// token length cap it also bounds the work per token.
const maxJSONDepth = 32

var (
	errJSONSyntax    = errors.New("malformed JSON")
	errJSONNotObject = errors.New("not a single JSON object")
	errJSONDuplicate = errors.New("duplicate member name")
	errJSONDepth     = errors.New("JSON nested too deeply")
)

// member is one top-level member: the byte ranges of its name (without the
// quotes) and of its raw value. Only indices are kept, so that the input
// never escapes through a member (the verifier decodes into stack buffers).
type member struct {
	ns, ne     int    // name is data[ns:ne] unless esc is set
	esc        []byte // the unescaped name, when it had escapes
	start, end int    // value is data[start:end]
}

// name returns m's unescaped name.
func (m *member) name(data []byte) []byte {
	if m.esc != nil {
		return m.esc
	}
	return data[m.ns:m.ne]
}

// scanObject scans data as exactly one JSON object with optional surrounding
// white space and appends its members to ms. Duplicate names at the top level
// are rejected; with deepDuplicates, duplicates in nested objects are too.
func scanObject(data []byte, ms []member, deepDuplicates bool) ([]member, error) {
	s := jsonScanner{data: data, deepDup: deepDuplicates}
	s.ws()
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		return ms, errJSONNotObject
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
				return ms, errJSONSyntax
			}
			s.pos++
			s.ws()
			start := s.pos
			if err := s.value(1); err != nil {
				return ms, err
			}
			ms = append(ms, member{ns: ns, ne: ne, esc: esc, start: start, end: s.pos})
			s.ws()
			if s.pos >= len(s.data) {
				return ms, errJSONSyntax
			}
			c := s.data[s.pos]
			s.pos++
			if c == '}' {
				break
			}
			if c != ',' {
				return ms, errJSONSyntax
			}
		}
	}
	s.ws()
	if s.pos != len(s.data) {
		return ms, errJSONNotObject
	}
	if hasDuplicateNames(data, ms) {
		return ms, errJSONDuplicate
	}
	return ms, nil
}

// hasDuplicateNames reports whether two members share a name (code point
// comparison after unescaping, S08/S09).
func hasDuplicateNames(data []byte, ms []member) bool {
	if len(ms) <= 24 {
		for i := 1; i < len(ms); i++ {
			for j := 0; j < i; j++ {
				if bytes.Equal(ms[i].name(data), ms[j].name(data)) {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(ms))
	for i := range ms {
		n := ms[i].name(data)
		if _, ok := seen[string(n)]; ok {
			return true
		}
		seen[string(n)] = struct{}{}
	}
	return false
}

type jsonScanner struct {
	data    []byte
	pos     int
	deepDup bool
}

func (s *jsonScanner) ws() {
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
func (s *jsonScanner) name() (start, end int, escaped bool, err error) {
	start = s.pos
	escaped, err = s.str()
	if err != nil {
		return 0, 0, false, err
	}
	return start + 1, s.pos - 1, escaped, nil
}

// str scans a string starting at the opening quote; it reports whether the
// string contains escapes.
func (s *jsonScanner) str() (escaped bool, err error) {
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return false, errJSONSyntax
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
			return false, errJSONSyntax
		default:
			s.pos++
		}
	}
	return false, errJSONSyntax
}

// escapeLen validates the escape sequence at the start of b (b[0] == '\\')
// and returns its length. A \u escape of a surrogate must be a valid pair.
func escapeLen(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, errJSONSyntax
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
		r, ok := hex4(b[2:])
		if !ok {
			return 0, errJSONSyntax
		}
		if !utf16.IsSurrogate(r) {
			return 6, nil
		}
		// A high surrogate must be followed by an escaped low surrogate.
		if r >= 0xDC00 || len(b) < 12 || b[6] != '\\' || b[7] != 'u' {
			return 0, errJSONSyntax
		}
		r2, ok := hex4(b[8:])
		if !ok || r2 < 0xDC00 || r2 > 0xDFFF {
			return 0, errJSONSyntax
		}
		return 12, nil
	}
	return 0, errJSONSyntax
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
func (s *jsonScanner) value(d int) error {
	if d > maxJSONDepth {
		return errJSONDepth
	}
	if s.pos >= len(s.data) {
		return errJSONSyntax
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
				return errJSONSyntax
			}
			c := s.data[s.pos]
			s.pos++
			if c == ']' {
				return nil
			}
			if c != ',' {
				return errJSONSyntax
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
			return errJSONSyntax
		}
		s.pos += n
		return nil
	}
	return errJSONSyntax
}

// object scans a nested object.
func (s *jsonScanner) object(d int) error {
	s.pos++ // '{'
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	var names []member
	for {
		s.ws()
		ns, ne, escaped, err := s.name()
		if err != nil {
			return err
		}
		if s.deepDup {
			m := member{ns: ns, ne: ne}
			if escaped {
				m.esc = unescape(s.data[ns:ne])
			}
			for i := range names {
				if bytes.Equal(names[i].name(s.data), m.name(s.data)) {
					return errJSONDuplicate
				}
			}
			names = append(names, m)
		}
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return errJSONSyntax
		}
		s.pos++
		s.ws()
		if err := s.value(d + 1); err != nil {
			return err
		}
		s.ws()
		if s.pos >= len(s.data) {
			return errJSONSyntax
		}
		c := s.data[s.pos]
		s.pos++
		if c == '}' {
			return nil
		}
		if c != ',' {
			return errJSONSyntax
		}
	}
}

func (s *jsonScanner) lit(l string) error {
	if len(s.data)-s.pos < len(l) || string(s.data[s.pos:s.pos+len(l)]) != l {
		return errJSONSyntax
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

// maxNumericDate is 9999-12-31T23:59:59Z (C05).
const maxNumericDate = 253402300799

// numericDate parses a raw JSON value as a NumericDate: a finite number in
// [0, maxNumericDate], fractional seconds allowed (C05, F5). It returns the
// seconds and nanoseconds.
func numericDate(raw []byte) (sec, nsec int64, ok bool) {
	if len(raw) == 0 || numberLen(raw) != len(raw) {
		return 0, 0, false // a string, bool, null, object or array
	}
	// Fast path: a plain non-negative integer of at most 12 digits.
	if len(raw) <= 12 {
		var n int64
		plain := true
		for _, c := range raw {
			if c < '0' || c > '9' {
				plain = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if plain {
			if n > maxNumericDate {
				return 0, 0, false
			}
			return n, 0, true
		}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > maxNumericDate {
		return 0, 0, false
	}
	whole := math.Floor(f)
	sec = int64(whole)
	nsec = int64(math.Round((f - whole) * 1e9))
	if nsec >= 1e9 {
		sec, nsec = sec+1, nsec-1e9
	}
	return sec, nsec, true
}
