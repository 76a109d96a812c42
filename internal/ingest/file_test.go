package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

func scanAll(t *testing.T, data []byte, name string) ([]Record, error) {
	t.Helper()
	s := NewScanner(bytes.NewReader(data), name)
	var recs []Record
	for s.Scan() {
		recs = append(recs, s.Record())
	}
	return recs, s.Err()
}

func compact(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestScannerFormats(t *testing.T) {
	e1, e2 := fixture(t, "agentevents", "login"), fixture(t, "agentevents", "state_change_contacts")
	c1 := fixture(t, "ctr", "voice_inbound")
	l1, l2, l3 := compact(t, e1), compact(t, e2), compact(t, c1)
	valid := [][]byte{l1, l2, l3}
	lines := bytes.Join(valid, []byte("\n"))
	tests := []struct {
		name string
		data []byte
		want []string // compact JSON of each record, or the raw bytes of a broken one
	}{
		{"JSON lines", append(lines, '\n'), strs(valid)},
		{"JSON lines, CRLF, blank lines, no final newline", bytes.Join([][]byte{l1, {}, l2, l3}, []byte("\r\n")), strs(valid)},
		{"concatenated as Firehose writes them", bytes.Join(valid, nil), strs(valid)},
		{"concatenated pretty-printed", bytes.Join([][]byte{e1, e2, c1}, nil), strs(valid)},
		{"array", []byte("[" + string(l1) + "," + string(l2) + ",\n" + string(l3) + "]"), strs(valid)},
		{"pretty-printed array", []byte("[\n" + string(e1) + ",\n" + string(e2) + ",\n" + string(c1) + "\n]\n"), strs(valid)},
		{"gzip JSON lines", gz(t, lines), strs(valid)},
		{"gzip concatenated", gz(t, bytes.Join(valid, nil)), strs(valid)},
		{"gzip pretty array", gz(t, []byte("[\n"+string(e1)+",\n"+string(c1)+"\n]")), []string{string(l1), string(l3)}},
		{"bad line in the middle", []byte(string(l1) + "\n{\"EventId\": \"x\", \"EventType\":\n" + string(l2) + "\n" + string(l3) + "\n"),
			[]string{string(l1), `{"EventId": "x", "EventType":`, string(l2), string(l3)}},
		{"bad line, next line indented", []byte(string(l1) + "\n{\"EventId\": [1,\n  " + string(l2) + "\n" + string(l3) + "\n"),
			[]string{string(l1), `{"EventId": [1,`, string(l2), string(l3)}},
		{"unterminated string", []byte(string(l1) + "\n{\"EventId\": \"x\n" + string(l2) + "\n"),
			[]string{string(l1), `{"EventId": "x`, string(l2)}},
		{"garbage line", []byte(string(l1) + "\nhello world\n" + string(l2) + "\n"),
			[]string{string(l1), "hello world", string(l2)}},
		{"garbage between concatenated records", []byte(string(l1) + "}}" + string(l2)), []string{string(l1), "}}", string(l2)}},
		{"truncated last record", []byte(string(l1) + "\n" + string(l2[:40])), []string{string(l1), string(l2[:40])}},
		{"broken pretty record before a record at column 0", []byte("{\n  \"EventId\": \"x\",\n" + string(e1)), []string{"{\n  \"EventId\": \"x\",", string(l1)}},
		{"braces inside strings", []byte(`{"ContactId":"c{[","Attributes":{"a":"}]\"{"}}` + "\n" + string(l1)),
			[]string{`{"ContactId":"c{[","Attributes":{"a":"}]\"{"}}`, string(l1)}},
		{"byte order mark", append([]byte("\xef\xbb\xbf"), lines...), strs(valid)},
		{"gzip with byte order mark", gz(t, append([]byte("\xef\xbb\xbf"), lines...)), strs(valid)},
		{"empty", nil, nil},
		{"whitespace only", []byte(" \n\t\r\n"), nil},
		{"empty array", []byte("[]"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := scanAll(t, tt.data, "f.json")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, r := range recs {
				if want := fmt.Sprintf("f.json:%d", i+1); r.SequenceNumber != want {
					t.Errorf("record %d SequenceNumber = %q, want %q", i, r.SequenceNumber, want)
				}
				if json.Valid(r.Data) {
					got = append(got, string(compact(t, r.Data)))
				} else {
					got = append(got, string(r.Data))
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func strs(bs [][]byte) []string {
	var out []string
	for _, b := range bs {
		out = append(out, string(b))
	}
	return out
}

// TestScannerRecordTooLarge: a record over MaxRecordSize is yielded cut,
// with its whole size, and reading goes on after it, in every layout.
func TestScannerRecordTooLarge(t *testing.T) {
	big := `{"b":"` + strings.Repeat("x", 100) + `","c":{"d":[1,2,"}]"]}}`
	for _, tt := range []struct{ name, data string }{
		{"lines", `{"a":1}` + "\n" + big + "\n" + `{"z":2}` + "\n"},
		{"first line", big + "\n" + `{"a":1}` + "\n" + `{"z":2}`},
		{"concatenated", `{"a":1}` + big + `{"z":2}`},
		{"array", `[{"a":1},` + big + `,{"z":2}]`},
		{"garbage line", `{"a":1}` + "\n" + strings.Repeat("g", 200) + "\n" + `{"z":2}`},
		{"broken line", `{"a":1}` + "\n" + big[:90] + "\n" + `{"z":2}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScanner(strings.NewReader(tt.data), "big")
			s.MaxRecordSize = 50
			var recs []Record
			for s.Scan() {
				recs = append(recs, s.Record())
			}
			if s.Err() != nil || len(recs) != 3 {
				t.Fatalf("%d records, error %v", len(recs), s.Err())
			}
			var cut []Record
			for _, r := range recs {
				if r.Size > 0 {
					cut = append(cut, r)
				}
			}
			if len(cut) != 1 || len(cut[0].Data) != 50 || cut[0].Size <= 50 || !strings.Contains(tt.data, string(cut[0].Data)) {
				t.Fatalf("cut records: %+v", cut)
			}
			if !strings.Contains(string(recs[2].Data), `"z"`) {
				t.Errorf("last record: %q", recs[2].Data)
			}
		})
	}
}

func TestScannerCorruptGzip(t *testing.T) {
	data := gz(t, bytes.Repeat([]byte(`{"a":1}`+"\n"), 1000))
	data = data[:len(data)/2]
	s := NewScanner(bytes.NewReader(data), "cut.gz")
	for s.Scan() {
	}
	if s.Err() == nil || !strings.Contains(s.Err().Error(), "cut.gz") {
		t.Errorf("Err = %v, want a read error naming the file", s.Err())
	}
}

func TestReadFileAndStdin(t *testing.T) {
	dir := t.TempDir()
	l1 := compact(t, fixture(t, "agentevents", "login"))
	l2 := compact(t, fixture(t, "ctr", "chat"))
	path := filepath.Join(dir, "export.json.gz")
	if err := os.WriteFile(path, gz(t, append(append(l1, '\n'), l2...)), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadFile(path, nil)
	if err != nil || len(recs) != 2 {
		t.Fatalf("ReadFile: %d records, %v", len(recs), err)
	}
	if recs[1].SequenceNumber != path+":2" || recs[1].ArrivalTime.IsZero() {
		t.Errorf("record = %+v", recs[1])
	}
	recs, err = ReadFile("-", bytes.NewReader(append(l2, l1...)))
	if err != nil || len(recs) != 2 || recs[0].SequenceNumber != "stdin:1" || !bytes.Equal(recs[1].Data, l1) {
		t.Fatalf("stdin: %+v, %v", recs, err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.json"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestIngestFile(t *testing.T) {
	var buf bytes.Buffer
	for i := range 23 {
		switch {
		case i == 7:
			buf.WriteString("{\"EventId\": broken\n")
		case i%5 == 0:
			buf.Write(contact(fmt.Sprintf("c%d", i), t0))
			buf.WriteByte('\n')
		default:
			buf.Write(event(fmt.Sprintf("e%d", i), t0))
			buf.WriteByte('\n')
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "agent-events.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	store := &memStore{}
	e := testEngine(store, nil)
	e.ChunkSize = 5
	res, err := e.IngestFile(context.Background(), connectreporting.SourceAgentEvents, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (connectreporting.BatchResult{Stored: 22, Rejected: 1}); res.BatchResult != want || res.Failed != nil {
		t.Errorf("Result = %+v, want %+v", res, want)
	}
	if store.calls != 5 || len(store.contacts) != 5 || len(store.events) != 17 {
		t.Errorf("%d calls, %d contacts, %d events", store.calls, len(store.contacts), len(store.events))
	}
	if r := store.rejected[0]; r.SequenceNumber != path+":8" || string(r.Payload) != `{"EventId": broken` {
		t.Errorf("rejected = %+v", r)
	}

	// The same through stdin, with the store failing on its third chunk:
	// that chunk and every record after it are not stored (the reader reads
	// on only to count them).
	store = &memStore{failOn: 3}
	e = testEngine(store, nil)
	e.ChunkSize = 5
	res, err = e.IngestFile(context.Background(), connectreporting.SourceAgentEvents, "-", bytes.NewReader(buf.Bytes()))
	if !errors.Is(err, errStore) {
		t.Fatalf("error %v, want %v", err, errStore)
	}
	if res.Stored != 9 || res.Rejected != 1 || !reflect.DeepEqual(res.Failed, indexes(10, 23)) {
		t.Errorf("Result = %+v", res)
	}

	if _, err := e.IngestFile(context.Background(), connectreporting.SourceCTR, filepath.Join(dir, "nope"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func FuzzScanner(f *testing.F) {
	f.Add([]byte(`{"a":1}` + "\n" + `{"b":2}`))
	f.Add([]byte(`[{"a":1},{"b":"}"}]`))
	f.Add([]byte(`{"a":"x` + "\n" + `{"b":2}}{`))
	f.Add([]byte("{\n  \"a\": 1\n}{\"b\":[\n{]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewScanner(bytes.NewReader(data), "fuzz")
		s.MaxRecordSize = 1 << 10
		total := 0
		for s.Scan() {
			r := s.Record()
			if len(bytes.TrimSpace(r.Data)) == 0 || len(r.Data) != len(bytes.TrimSpace(r.Data)) {
				t.Fatalf("record %q not trimmed or empty", r.Data)
			}
			total += len(r.Data)
		}
		if total > len(data) {
			t.Fatalf("records hold %d bytes of a %d-byte input", total, len(data))
		}
	})
}
