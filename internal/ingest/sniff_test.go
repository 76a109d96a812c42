package ingest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSniffKind: wherever sniffKind answers for valid JSON, DetectKind
// (a full json.Unmarshal of the top-level fields) gives the same kind.
func FuzzSniffKind(f *testing.F) {
	for _, dir := range []string{"../agentevents/testdata", "../ctr/testdata"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{
		`{"EventId":"e","EventType":"LOGIN"}`, `{"eventid":"e","EVENTTYPE":"x"}`, `{"EventId":null,"EventType":"x"}`,
		`{"EventId":"e","EventType":"x","EventId":null}`, `{"ContactId":"c","Channel":"VOICE"}`,
		`{"ContactId":"c","Channel":null,"InitiationMethod":"INBOUND"}`, `{"ContactId":"c","EventId":"e","EventType":"x","Channel":"V"}`,
		`{"E\u0076entId":"e","EventType":"x"}`, `{"a":{"EventId":"e"},"EventType":"x","EventId":[1,{"b":"}"}]}`,
		` { "EventId" : "e" , "EventType" : 1 } `, `{"EventId":"e","EventType":"x"} trailing`, `[]`, `{}`, `{"EventId":"e\"","EventType":"x"}`,
		// Names encoding/json folds to a mark's name though their lengths
		// differ: ſ (U+017F) is s, K (U+212A) is k.
		`{"EventId":"e","EventType":"x","ContactId":"c","AWſContactTraceRecordFormatVersion":"1"}`,
		`{"EventId":"e","EventType":"x","ContactId":"c","AWSContactTraceRecordFormatVerſion":"1"}`,
		`{"ContactId":"c","Channel":"V","EventId":"e","EventType":"x","Channel":null,"InitiationMethod":null,"AWSContactTraceRecordFormatVersion":"1","AWſContactTraceRecordFormatVersion":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		kind, _, ok := sniffKind(data)
		if !ok || !json.Valid(data) {
			return
		}
		if want, err := DetectKind(data); err != nil || want != kind {
			t.Fatalf("sniffKind = %v, DetectKind = %v, %v for %s", kind, want, err, data)
		}
	})
}
