// Package jsonobj writes a map[string]any as a JSON object, byte for byte
// as encoding/json does, without reflection for the values a token
// endpoint writes: strings, integers, booleans, string lists and nested
// objects. Every other value is written by encoding/json.
//
// Issuing a token marshals three such maps (the JWT header and claims and
// the token response): encoding/json reaches every map entry through
// reflect, about 4 % of an ES256 token request's CPU time.
package jsonobj

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Marshal returns m as encoding/json.Marshal does: keys sorted, strings
// escaped for HTML, nil as null.
func Marshal(m map[string]any) ([]byte, error) {
	return Append(make([]byte, 0, sizeHint(m)), m)
}

// sizeHint is about the length of Marshal(m), so that the buffer is
// allocated once: an access token in a token response is most of it.
func sizeHint(m map[string]any) int {
	n := 2
	for k, v := range m {
		n += len(k) + 4
		switch v := v.(type) {
		case string:
			n += len(v) + 2
		case []string:
			for _, s := range v {
				n += len(s) + 3
			}
		case map[string]any:
			n += sizeHint(v)
		default:
			n += 24
		}
	}
	return n
}

// Append appends Marshal(m) to b.
func Append(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if b, err = appendValue(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case float64:
		// encoding/json's plain form; its exponent form goes to it.
		if a := math.Abs(v); a == 0 || a >= 1e-6 && a < 1e21 {
			return strconv.AppendFloat(b, v, 'f', -1, 64), nil
		}
	case []string:
		return AppendStrings(b, v), nil
	case map[string]any:
		return Append(b, v)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}

// AppendString appends s quoted as encoding/json writes it.
func AppendString(b []byte, s string) []byte { return appendString(b, s) }

// AppendStrings appends v as encoding/json writes a []string: null when nil.
func AppendStrings(b []byte, v []string) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString quotes s. A string of printable ASCII that encoding/json
// leaves as it is (no quote, backslash, <, > or &) is copied; any other
// goes to encoding/json, whose escaping this then matches exactly.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			raw, _ := json.Marshal(s) // a string always marshals
			return append(b, raw...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
