// Package wire holds the helpers the stream decoders (internal/agentevents,
// internal/ctr) share: Clean, the one pass over a record's bytes that
// replaces what no dialect keeps and notes what the kept original needs;
// Reader, which reads the fields a decoder models and skips the rest; JSON
// errors turned into connectreporting.DecodeError; the timestamp formats
// Amazon Connect writes, whole-second durations, the attribute map and the
// kept original record (Doc.Raw).
//
// Reader is built on the streaming tokenizer (jsontext) of
// github.com/go-json-experiment/json, the upstream of Go's encoding/json/v2,
// kept by the Go team's JSON maintainers: it validates as it reads and
// skips a value without decoding it, which is what a decoder that models a
// few fields of a 7 KB agent event needs (about 5 times encoding/json's
// speed on those records, see README "Decoding"). Reader keeps
// encoding/json's reading of names and values (case-insensitive names, the
// last of a repeated name, null, invalid UTF-8), which the decoders'
// FuzzDecodeMatchesEncodingJSON holds it to; Unmarshal, the encoding/json
// path, stays for kind detection's slow path and as those tests' oracle.
// It imports the root package, the standard library and that module only.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// Malformed returns a *connectreporting.DecodeError for field (a JSON path,
// "" for the whole record); errors.Is(err, connectreporting.ErrMalformed)
// holds for it.
func Malformed(field, reason string, cause error) *connectreporting.DecodeError {
	return &connectreporting.DecodeError{Field: field, Reason: reason, Err: cause}
}

// Unmarshal decodes data into v (a pointer to a wire struct) with
// encoding/json and turns every failure into a *connectreporting.DecodeError
// naming the offending field.
func Unmarshal(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return Malformed("", fmt.Sprintf("invalid JSON at byte %d", syn.Offset), err)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return Malformed("", "record is a JSON "+typ.Value+", not an object", nil)
		}
		return Malformed(typ.Field, fmt.Sprintf("wrong type: JSON %s where %s was expected", typ.Value, kindOf(typ.Type.Kind().String())), nil)
	default:
		return Malformed("", "invalid JSON", err)
	}
}

func kindOf(k string) string {
	switch k {
	case "struct", "map", "ptr":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "int", "int64", "float64":
		return "a number"
	}
	return k
}

// Time parses a timestamp as Amazon Connect writes it and returns it in UTC.
// "" or white space (a missing, null or blank field) is the zero time,
// stored as NULL; a timestamp outside [connectreporting.MinTime,
// connectreporting.MaxTime), the zero time 0001-01-01 included, is an error. Accepted: RFC 3339 with or
// without fractional seconds and with Z or any offset
// (2019-08-13T20:52:30Z, 2019-08-13T20:52:30.704Z,
// 2019-08-13T22:52:30.704+02:00), the documentation's
// 2019-08-13T20:52:30:704Z, a space instead of the T, an offset without a
// colon (+0200), and no zone at all (taken as UTC).
func Time(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	s = normalTime(s)
	for _, layout := range timeLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		// A zero time (0001-01-01) would read as absent, and a year
		// outside 1970..9999 fits no dialect: both are refused, never NULL.
		if !connectreporting.TimeInRange(t) {
			return time.Time{}, Malformed(field, fmt.Sprintf("timestamp %q out of range [1970-01-01, 9999-12-31]", clip(s, 64)), nil)
		}
		return t.UTC(), nil
	}
	return time.Time{}, Malformed(field, fmt.Sprintf("invalid timestamp %q", clip(s, 64)), nil)
}

// normalTime returns s with a space or t at the date's end made a T,
// the milliseconds after a colon after a dot, and a final z a Z; s itself
// (no copy) when it has none of them.
func normalTime(s string) string {
	n := len(s)
	space := n > 10 && (s[10] == ' ' || s[10] == 't')
	colonMillis := n > 20 && s[19] == ':' && s[13] == ':' && s[16] == ':'
	z := n > 0 && s[n-1] == 'z'
	if !space && !colonMillis && !z {
		return s
	}
	b := []byte(s)
	if space {
		b[10] = 'T'
	}
	if colonMillis {
		b[19] = '.'
	}
	if z {
		b[n-1] = 'Z'
	}
	return string(b)
}

var timeLayouts = []string{
	time.RFC3339Nano,                     // Z or ±hh:mm, optional fraction
	"2006-01-02T15:04:05.999999999Z0700", // ±hhmm
	"2006-01-02T15:04:05.999999999Z07",   // ±hh
	"2006-01-02T15:04:05.999999999",      // no zone: UTC
	"2006-01-02T15:04Z07:00",             // no seconds
}

// Seconds converts a duration in seconds (or a count) to a whole number,
// rounding fractions half away from zero. raw is the field's JSON: a number,
// or a string holding one; missing or null is nil.
func Seconds(field string, raw []byte) (*int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	s := string(raw)
	switch raw[0] {
	case '"':
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, Malformed(field, "invalid string", err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
	default:
		return nil, Malformed(field, "wrong type: JSON "+jsonKind(raw[0])+" where a number was expected", nil)
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return &i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(f) {
		return nil, Malformed(field, fmt.Sprintf("invalid number %q", clip(s, 64)), nil)
	}
	f = math.Round(f)
	if math.IsInf(f, 0) || f >= math.MaxInt64 || f < math.MinInt64 {
		return nil, Malformed(field, fmt.Sprintf("number %q out of range", clip(s, 64)), nil)
	}
	i := int64(f)
	return &i, nil
}

func jsonKind(first byte) string {
	switch first {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "value"
}

// Attributes decodes a map of contact attributes. A missing or null map is
// nil. String values are kept as they are; any other value (number, bool,
// object, array, null) is kept as its compact JSON text. raw is a value a
// Reader has read (valid JSON); of a repeated name the last value wins.
func Attributes(field string, raw []byte) (map[string]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, Malformed(field, "wrong type: an object of attributes was expected", nil)
	}
	var out map[string]string
	err := Read(Doc{Data: raw, invalidUTF8: !utf8.Valid(raw)}, func(r *Reader) error {
		_, err := r.Object(func(name []byte) error {
			k := string(name)
			v, err := r.dec.ReadValue()
			if err != nil {
				return err
			}
			if out == nil {
				out = make(map[string]string)
			}
			out[k], err = attribute(r, v)
			return err
		})
		return err
	})
	if err != nil {
		return nil, Malformed(field, "invalid attributes", err)
	}
	return out, nil
}

// attribute is the text of an attribute's value v: a string's text, or any
// other value's compact JSON.
func attribute(r *Reader, v jsontext.Value) (string, error) {
	if v[0] == '"' {
		return string(r.unquoted(v)), nil
	}
	if !bytes.ContainsAny(v, " \t\r\n") {
		return string(v), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// Raw returns the record to keep beside the decoded columns: Data compacted
// (so it is one line of valid JSON whatever whitespace it arrived with), with
// any invalid UTF-8 replaced by U+FFFD so every database accepts it as text.
// Data must be valid JSON (the decoders call Raw after decoding it): a
// record already compact, as Kinesis records are, is returned as it is, the
// same bytes; only one with white space between tokens is compacted (and
// then checked).
func (d Doc) Raw() (json.RawMessage, error) {
	data := d.Data
	if d.invalidUTF8 {
		data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	if !d.spaced {
		// Already one line with no space between tokens (as Kinesis
		// records are): kept as it is, no copy.
		return json.RawMessage(data), nil
	}
	var buf bytes.Buffer
	buf.Grow(len(data))
	if err := json.Compact(&buf, data); err != nil {
		return nil, Malformed("", "invalid JSON", err)
	}
	return json.RawMessage(buf.Bytes()), nil
}

// WrongKind returns the error of a decoder handed a record of the other
// stream: errors.Is finds both ErrMalformed and ErrWrongKind.
func WrongKind(reason string) *connectreporting.DecodeError {
	return &connectreporting.DecodeError{Reason: reason, Err: connectreporting.ErrWrongKind}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
