package core

import (
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
)

var (
	errNoPayload     = errors.New("jwtgate: claims carry no verified payload")
	errDecodeTarget  = errors.New("jwtgate: Decode needs a non-nil pointer")
	errDecodePayload = errors.New("jwtgate: verified payload cannot be decoded strictly")
)

// Decode decodes the token's verified payload into v, a non-nil pointer to a
// struct, a map or any other type encoding/json can fill. Unknown claims are
// ignored. The payload's rules are the verifier's: duplicate member names are
// refused at every nesting level, and names match struct fields
// case-sensitively (encoding/json alone would let "EMAIL" fill a field tagged
// "email"; Decode removes such near-misses before decoding, so the field
// stays zero). Struct fields are matched by their json tag or Go name; a
// type with its own UnmarshalJSON or UnmarshalText receives its value as it
// is. Decode uses reflection and allocates: it is not on Verify's path.
func (c *Claims) Decode(v any) error {
	if c == nil || c.raw == "" {
		return errNoPayload
	}
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errDecodeTarget
	}
	raw := []byte(c.raw)
	s := jsonScanner{data: raw, deepDup: true}
	s.ws()
	if err := s.value(1); err != nil {
		return errors.Join(errDecodePayload, err)
	}
	f := caseFilter{data: raw}
	out := f.value(make([]byte, 0, len(raw)), 0, len(raw), rv.Type().Elem())
	return json.Unmarshal(out, v)
}

// caseFilter copies a validated JSON value, leaving out object members whose
// names match a struct field only when case is ignored.
type caseFilter struct {
	data []byte
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// value appends the value data[start:end] (surrounding white space allowed)
// filtered for type t.
func (f *caseFilter) value(out []byte, start, end int, t reflect.Type) []byte {
	for t != nil && t.Kind() == reflect.Pointer {
		if t.Implements(jsonUnmarshalerType) || t.Implements(textUnmarshalerType) {
			return append(out, f.data[start:end]...)
		}
		t = t.Elem()
	}
	s := jsonScanner{data: f.data[:end], pos: start}
	s.ws()
	if s.pos >= end || t == nil {
		return append(out, f.data[start:end]...)
	}
	pt := reflect.PointerTo(t)
	if pt.Implements(jsonUnmarshalerType) || pt.Implements(textUnmarshalerType) {
		return append(out, f.data[start:end]...)
	}
	switch c := f.data[s.pos]; {
	case c == '{' && t.Kind() == reflect.Struct:
		return f.object(out, &s, fieldTypes(t), true)
	case c == '{' && t.Kind() == reflect.Map:
		return f.object(out, &s, map[string]reflect.Type{"": t.Elem()}, false)
	case c == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		out = append(out, '[')
		s.pos++
		first := true
		for {
			s.ws()
			if f.data[s.pos] == ']' {
				break
			}
			vs := s.pos
			s.value(1) //nolint:errcheck // validated by Decode
			if !first {
				out = append(out, ',')
			}
			first = false
			out = f.value(out, vs, s.pos, t.Elem())
			s.ws()
			if f.data[s.pos] == ',' {
				s.pos++
			}
		}
		return append(out, ']')
	}
	return append(out, f.data[start:end]...)
}

// object filters the object at s.pos. With isStruct, fields maps exact field
// names to types; otherwise fields[""] is the map's element type.
func (f *caseFilter) object(out []byte, s *jsonScanner, fields map[string]reflect.Type, isStruct bool) []byte {
	out = append(out, '{')
	s.pos++
	first := true
	for {
		s.ws()
		if f.data[s.pos] == '}' {
			break
		}
		ns := s.pos
		nb, nend, escaped, _ := s.name()
		ne := s.pos
		name := f.data[nb:nend]
		if escaped {
			name = unescape(name)
		}
		s.ws()
		s.pos++ // ':'
		s.ws()
		vs := s.pos
		s.value(1) //nolint:errcheck // validated by Decode
		ve := s.pos
		s.ws()
		if f.data[s.pos] == ',' {
			s.pos++
		}
		var t reflect.Type
		if isStruct {
			// A name that is no field's exact name is left out: encoding/json
			// would let it fill a field whose name differs only in case, and
			// ignores it otherwise.
			ft, ok := fields[string(name)]
			if !ok {
				continue
			}
			t = ft
		} else {
			t = fields[""]
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = append(out, f.data[ns:ne]...)
		out = append(out, ':')
		out = f.value(out, vs, ve, t)
	}
	return append(out, '}')
}

// fieldTypes returns the JSON names of t's fields as encoding/json sees
// them (json tag name, else the Go name; embedded structs without a tag are
// promoted, shallower names winning) with each field's type.
func fieldTypes(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type)
	type level struct {
		t     reflect.Type
		depth int
	}
	queue := []level{{t, 0}}
	seen := map[reflect.Type]bool{}
	for len(queue) > 0 {
		l := queue[0]
		queue = queue[1:]
		if seen[l.t] || l.depth > 8 {
			continue
		}
		seen[l.t] = true
		for i := 0; i < l.t.NumField(); i++ {
			sf := l.t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if sf.Anonymous && name == "" {
				et := sf.Type
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					queue = append(queue, level{et, l.depth + 1})
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if _, ok := fields[name]; !ok {
				fields[name] = sf.Type
			}
		}
	}
	return fields
}
