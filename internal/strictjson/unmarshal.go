package strictjson

import (
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// options are encoding/json's semantics (so that a struct decodes as it
// would with json.Unmarshal) made strict: names match case-sensitively, and
// duplicate names (at any depth), invalid UTF-8 and data after the value are
// errors.
var options = jsonv2.JoinOptions(
	jsonv1.DefaultOptionsV1(),
	jsonv2.MatchCaseInsensitiveNames(false),
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
)

// Unmarshal decodes data into v as encoding/json's Unmarshal would, but
// strictly: member names match struct fields case-sensitively ("KEYS" does
// not fill a field tagged "keys"), a name repeated in one object, invalid
// UTF-8 and trailing data are errors. Claims.Decode and the key sets' JWK Set
// and discovery documents use it.
func Unmarshal(data []byte, v any) error {
	return jsonv2.Unmarshal(data, v, options)
}
