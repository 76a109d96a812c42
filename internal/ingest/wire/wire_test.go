package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

func TestTime(t *testing.T) {
	want := time.Date(2019, 8, 13, 20, 52, 30, 704e6, time.UTC)
	for _, s := range []string{
		"2019-08-13T20:52:30.704Z", "2019-08-13T20:52:30.704000000Z", "2019-08-13T22:52:30.704+02:00",
		"2019-08-13T17:52:30.704-03:00", "2019-08-13T22:52:30.704+0200", "2019-08-13T22:52:30.704+02",
		"2019-08-13T20:52:30:704Z", "2019-08-13 20:52:30.704Z", "2019-08-13t20:52:30.704z",
		"2019-08-13T20:52:30.704", " 2019-08-13T20:52:30.704Z ",
	} {
		got, err := Time("f", s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Time(%q) = %v, %v", s, got, err)
		}
	}
	if got, err := Time("f", "2019-08-13T20:52:30Z"); err != nil || !got.Equal(want.Truncate(time.Second)) {
		t.Errorf("without fraction: %v, %v", got, err)
	}
	if got, err := Time("f", ""); err != nil || !got.IsZero() {
		t.Errorf("empty: %v, %v", got, err)
	}
	for _, s := range []string{"now", "2019-08-13", "1565729550", "2019-02-30T00:00:00Z", "2019-08-13T20:52:30.704Q"} {
		_, err := Time("Agent.X", s)
		var de *connectreporting.DecodeError
		if !errors.As(err, &de) || de.Field != "Agent.X" || !errors.Is(err, connectreporting.ErrMalformed) {
			t.Errorf("Time(%q) error = %v", s, err)
		}
	}
}

func TestSeconds(t *testing.T) {
	for raw, want := range map[string]int64{`12`: 12, `0`: 0, `12.5`: 13, `12.4`: 12, `-3`: -3, `1e2`: 100, `"42"`: 42, ` 7 `: 7} {
		got, err := Seconds("d", json.RawMessage(raw))
		if err != nil || got == nil || *got != want {
			t.Errorf("Seconds(%s) = %v, %v; want %d", raw, got, err, want)
		}
	}
	for _, raw := range []string{``, `null`, `""`} {
		if got, err := Seconds("d", json.RawMessage(raw)); got != nil || err != nil {
			t.Errorf("Seconds(%q) = %v, %v; want nil", raw, got, err)
		}
	}
	for _, raw := range []string{`true`, `{}`, `[1]`, `"ten"`, `1e300`, `"NaN"`, `"Inf"`} {
		_, err := Seconds("Queue.Duration", json.RawMessage(raw))
		var de *connectreporting.DecodeError
		if !errors.As(err, &de) || de.Field != "Queue.Duration" {
			t.Errorf("Seconds(%s) error = %v", raw, err)
		}
	}
}

func TestAttributes(t *testing.T) {
	got, err := Attributes("Attributes", json.RawMessage(`{"s":"x\"y","n":1.50,"b":false,"o":{ "k" : [1, 2] },"z":null,"u":"\u00e9"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"s": `x"y`, "n": "1.50", "b": "false", "o": `{"k":[1,2]}`, "z": "null", "u": "é"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, raw := range []string{``, `null`, `{}`} {
		if m, err := Attributes("a", json.RawMessage(raw)); m != nil || err != nil {
			t.Errorf("Attributes(%q) = %v, %v", raw, m, err)
		}
	}
	if _, err := Attributes("Attributes", json.RawMessage(`"x"`)); !errors.Is(err, connectreporting.ErrMalformed) {
		t.Errorf("string attributes: %v", err)
	}
}

// cleanRaw is what a decoder keeps of data: Clean, then Raw.
func cleanRaw(data []byte) (json.RawMessage, error) {
	doc, err := Clean(data)
	if err != nil {
		return nil, err
	}
	return doc.Raw()
}

func TestRaw(t *testing.T) {
	raw, err := cleanRaw([]byte(" {\"a\" :\n [1, \"\xff\"] }\n"))
	if err != nil || string(raw) != "{\"a\":[1,\"\uFFFD\"]}" {
		t.Errorf("Raw = %q, %v", raw, err)
	}
	if _, err := cleanRaw([]byte(`{"a": `)); !errors.Is(err, connectreporting.ErrMalformed) {
		t.Errorf("invalid JSON: %v", err)
	}
	// Already compact: kept as it is, not copied.
	in := []byte(`{"a":"x y","b":[1,{"c":"\" "}]}`)
	if raw, err := cleanRaw(in); err != nil || &raw[0] != &in[0] || string(raw) != string(in) {
		t.Errorf("Raw of compact JSON = %q, %v (copied: %v)", raw, err, &raw[0] != &in[0])
	}
}

func TestUnmarshalErrors(t *testing.T) {
	var v struct {
		A struct{ B []string }
	}
	for data, field := range map[string]string{`{"A":{"B":"x"}}`: "A.B", `{"A":1}`: "A", `[1]`: "", `{`: ""} {
		err := Unmarshal([]byte(data), &v)
		var de *connectreporting.DecodeError
		if !errors.As(err, &de) || de.Field != field || !errors.Is(err, connectreporting.ErrMalformed) {
			t.Errorf("Unmarshal(%s) = %v, want a DecodeError for field %q", data, err, field)
		}
	}
}

func TestCleanRefusesNumbers(t *testing.T) {
	for _, in := range []string{
		`{"a":1e131072}`, `{"a":1e-16384}`, `{"a":1.5e-16383}`, `{"a":0.0e-20000}`,
		`{"a":[1,2,-1e99999999999]}`, `{"a":{"b":1234e131069}}`,
		`{"a":` + strings.Repeat("9", 131073) + `}`,
	} {
		_, err := Clean([]byte(in))
		if !errors.Is(err, connectreporting.ErrMalformed) {
			t.Errorf("Clean(%.60s) = %v, want a DecodeError", in, err)
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"x"}`:                   `{"a":"x"}`,
		`{"a":"x\u0000y"}`:            `{"a":"x\ufffdy"}`,
		`{"a":"\\u0000"}`:             `{"a":"\\u0000"}`,
		`{"a":"\\\u0000","\u0000":1}`: `{"a":"\\\ufffd","\ufffd":1}`,
		`{"a":"\u00001"}`:             `{"a":"\ufffd1"}`,
		`{"a":"\u0001"}`:              `{"a":"\u0001"}`,
		// Surrogates: a pair is kept, a lone half becomes U+FFFD.
		`{"a":"\ud83d\ude00"}`: `{"a":"\ud83d\ude00"}`,
		`{"a":"\ud83d"}`:       `{"a":"\ufffd"}`,
		`{"a":"\ud83dx"}`:      `{"a":"\ufffdx"}`,
		`{"a":"\ude00\ud83d"}`: `{"a":"\ufffd\ufffd"}`,
		`{"a":"\ud83d\u0041"}`: `{"a":"\ufffd\u0041"}`,
		`{"a":"\uD800\uDC00"}`: `{"a":"\uD800\uDC00"}`,
		// Numbers PostgreSQL's numeric holds are kept.
		`{"a":[1e131071,1e-16383,0e99999,-1.5e10,123e131069]}`: `{"a":[1e131071,1e-16383,0e99999,-1.5e10,123e131069]}`,
	} {
		doc, err := Clean([]byte(in))
		if got := doc.Data; err != nil || string(got) != want {
			t.Errorf("Clean(%s) = %s, %v; want %s", in, doc.Data, err, want)
		}
	}
}

// FuzzCompact: for valid JSON, Clean notes white space exactly when
// json.Compact would change the input, so Raw keeps a record as it is only
// when that is its compact form; and it notes invalid UTF-8 exactly when
// there is some.
func FuzzCompact(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a": 1}`, `{"a":"x y"}`, `{"a":"\" "}`, `[1, 2]`, "{\"a\":\"\\\\\"}\n", `{"a":"\\\" "}`, ` {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			t.Fatal(err)
		}
		doc, err := Clean(data)
		if err != nil {
			return // a number no database holds
		}
		if want := bytes.Equal(buf.Bytes(), data); doc.spaced == want {
			t.Fatalf("Clean(%q) notes white space: %v, json.Compact leaves it unchanged: %v", data, doc.spaced, want)
		}
		if doc.invalidUTF8 == utf8.Valid(data) {
			t.Fatalf("Clean(%q) notes invalid UTF-8: %v, utf8.Valid: %v", data, doc.invalidUTF8, utf8.Valid(data))
		}
	})
}

// TestNamesMatch: an exact name first, else one strings.EqualFold finds
// (K, the Kelvin sign, folds to k), as encoding/json matches fields.
func TestNamesMatch(t *testing.T) {
	ns := NewNames("Key", "Name", "ContactId")
	for in, want := range map[string]string{"Key": "Key", "KEY": "Key", "key": "Key", "\u212Aey": "Key", "name": "Name", "Nam": "", "Names": "",
		"contactid": "ContactId", "CONTACTID": "ContactId", "Contact\u017fId": "", "\u017fName": "", "contactld": "", strings.Repeat("k", 100): ""} {
		if got := ns.Match([]byte(in)); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReaderWrongType: a value of the wrong type names its field, array
// elements by index; invalid JSON and trailing data are errors of the
// whole record.
func TestReaderWrongType(t *testing.T) {
	type leaf struct{ S string }
	type node struct {
		L  []*leaf
		Li *leaf
	}
	readLeaf := func(l *leaf, r *Reader, name []byte) error {
		if string(name) == "S" {
			return r.String(&l.S)
		}
		return r.Skip()
	}
	readNode := func(n *node, r *Reader, name []byte) error {
		switch string(name) {
		case "L":
			return Slice(r, &n.L, func(e **leaf) error { return Struct(r, e, readLeaf) })
		case "Li":
			return Struct(r, &n.Li, readLeaf)
		}
		return r.Skip()
	}
	for in, field := range map[string]string{
		`{"A":{"L":[{"S":"x"},{"S":1}]}}`: "A.L[1].S",
		`{"A":{"L":{}}}`:                  "A.L",
		`{"A":{"Li":[]}}`:                 "A.Li",
		`{"A":[]}`:                        "A",
		`[{"A":{}}]`:                      "",
		`{"A":{"L":[{"S":"x"}]}} {}`:      "",
		`{"A":{"L":[{"S":"x"]}}`:          "",
	} {
		var n *node
		doc, err := Clean([]byte(in))
		if err == nil {
			err = Read(doc, func(r *Reader) error {
				_, err := r.Object(func(name []byte) error {
					if string(name) == "A" {
						return Struct(r, &n, readNode)
					}
					return r.Skip()
				})
				return err
			})
		}
		var de *connectreporting.DecodeError
		if !errors.As(err, &de) || de.Field != field {
			t.Errorf("%s: %v, want a DecodeError for field %q", in, err, field)
		}
	}
}

// TestReaderStrings: a string read again is the one read before, and the
// strings kept stay bounded whatever a stream holds.
func TestReaderStrings(t *testing.T) {
	r := &Reader{}
	a := r.str([]byte("arn:aws:connect:x/queue/q"))
	if b := r.str([]byte("arn:aws:connect:x/queue/q")); b != a || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Errorf("the same text read twice is two strings: %q %q", a, b)
	}
	for i := range 3 * maxStrs {
		if s := r.str([]byte(strconv.Itoa(i))); s != strconv.Itoa(i) {
			t.Fatalf("str(%d) = %q", i, s)
		}
	}
	if len(r.strs) > maxStrs {
		t.Errorf("%d strings kept, more than %d", len(r.strs), maxStrs)
	}
	if long := strings.Repeat("x", maxStrLen+1); r.str([]byte(long)) != long || r.strs[long] != "" {
		t.Errorf("a string longer than %d is kept", maxStrLen)
	}
}

// FuzzAttributesMatchesEncodingJSON: Attributes, which reads the map with
// the streaming Reader, gives for every object a cleaned record can hold
// the map encoding/json gives (a map of json.RawMessage: strings
// unquoted, other values compacted, the last of a repeated name, invalid
// UTF-8 as U+FFFD). The decoders' differential fuzz tests do not cover it:
// both of their sides call Attributes.
func FuzzAttributesMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{`{"a":"1","a":[1, 2],"b":{"c":null}}`, "{\"k\xfe\":\"v\xff\",\"o\":{\"x\":\"\xc3\"}}", `{}`, `{"a":null}`,
		`{"\u00e9":"x\ty","A":"\ufffd"}`, `{"a" : { "b" : [ 1 , "x y" ] } }`, `{"a":"\ud83d\ude00","a\"b":-0.5e3}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Clean(data)
		if err != nil || !json.Valid(doc.Data) {
			return
		}
		got, err := Attributes("Attributes", doc.Data)
		var m map[string]json.RawMessage
		werr := json.Unmarshal(doc.Data, &m)
		if (err == nil) != (werr == nil) {
			t.Fatalf("Attributes(%q): error %v, encoding/json's %v", data, err, werr)
		}
		if err != nil {
			return
		}
		var want map[string]string
		for k, v := range m {
			if want == nil {
				want = make(map[string]string)
			}
			var s string
			if v[0] == '"' {
				if err := json.Unmarshal(v, &s); err != nil {
					t.Fatal(err)
				}
			} else {
				var buf bytes.Buffer
				if err := json.Compact(&buf, v); err != nil {
					t.Fatal(err)
				}
				s = buf.String()
			}
			want[k] = s
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Attributes(%q) = %q, encoding/json reads %q", data, got, want)
		}
	})
}
