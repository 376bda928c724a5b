package core

import (
	"errors"
	"reflect"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

var (
	errNoPayload    = errors.New("jwtgate: claims carry no verified payload")
	errDecodeTarget = errors.New("jwtgate: Decode needs a non-nil pointer")
)

// decodeOptions are encoding/json's semantics (so that a struct decodes as
// it would with json.Unmarshal) made strict: names match case-sensitively,
// and duplicate names (at any depth) and invalid UTF-8 are errors.
var decodeOptions = jsonv2.JoinOptions(
	jsonv1.DefaultOptionsV1(),
	jsonv2.MatchCaseInsensitiveNames(false),
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
)

// Decode decodes the token's verified payload into v, a non-nil pointer to a
// struct, a map or any other type encoding/json can fill. Unknown claims are
// ignored. The payload's rules are the verifier's: duplicate member names are
// refused at every nesting level, and names match struct fields
// case-sensitively (encoding/json alone would let "EMAIL" fill a field tagged
// "email"; with Decode such a field stays zero). Struct fields are matched by
// their json tag or Go name; a type with its own UnmarshalJSON or
// UnmarshalText receives its value as it is. Decode uses reflection and
// allocates: it is not on Verify's path.
func (c *Claims) Decode(v any) error {
	if c == nil || c.raw == "" {
		return errNoPayload
	}
	if rv := reflect.ValueOf(v); !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errDecodeTarget
	}
	return jsonv2.Unmarshal([]byte(c.raw), v, decodeOptions)
}
