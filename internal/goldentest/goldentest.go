// Package goldentest is the golden-file harness of the stream decoders
// (internal/agentevents, internal/ctr): every testdata/*.json fixture is
// decoded, its kept original record checked, and the decoded value compared
// with testdata/NAME.golden. It is imported by tests only.
package goldentest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Fixtures returns the package's testdata/*.json files; none is a failure.
func Fixtures(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	return files
}

// DecodeFixture decodes testdata/NAME.json with decode; an error fails t.
func DecodeFixture[T any](t testing.TB, name string, decode func([]byte) (T, error)) T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := decode(data)
	if err != nil {
		t.Fatalf("Decode(%s): %v", name, err)
	}
	return v
}

// Run decodes every fixture with decode, checks that the record kept in
// the value (raw returns where) is the fixture compacted, and compares the
// value, that record left out, indented as JSON, with testdata/NAME.golden.
// With update set (the package's -update flag) it rewrites the golden files
// instead.
func Run[T any](t *testing.T, update bool, decode func([]byte) (T, error), raw func(*T) *json.RawMessage) {
	for _, file := range Fixtures(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			v, err := decode(data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, data); err != nil {
				t.Fatal(err)
			}
			if r := raw(&v); !json.Valid(*r) || !bytes.Equal(*r, want.Bytes()) {
				t.Errorf("Raw is not the compacted input:\n%s", *r)
			}
			*raw(&v) = nil
			got, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			compare(t, filepath.Join("testdata", name+".golden"), append(got, '\n'), update)
		})
	}
}

func compare(t *testing.T, golden string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	exp, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, exp) {
		t.Errorf("decoded value differs from %s:\n%s", golden, got)
	}
}

// Same fails t unless decode and oracle read data alike: the same value
// (reflect.DeepEqual), or both an error. It is the body of the decoders'
// differential fuzz tests, which hold their streaming reader against
// encoding/json, the decoder before it.
func Same[T any](t *testing.T, data []byte, decode, oracle func([]byte) (T, error)) {
	t.Helper()
	got, err := decode(data)
	want, werr := oracle(data)
	switch {
	case (err == nil) != (werr == nil):
		t.Fatalf("decoder error %v, encoding/json error %v, for %q", err, werr, data)
	case err == nil && !reflect.DeepEqual(got, want):
		t.Fatalf("for %q the decoder reads\n%+v\nencoding/json reads\n%+v", data, got, want)
	}
}
