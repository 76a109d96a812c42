package ingest

import (
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/simulator"
)

// BenchmarkDecodeRealistic decodes 500 of the simulator's agent events
// (about 7 KB each: the configuration snapshot twice) or contact records
// per op, as the engine does before storing: kind detection, decoding, the
// kept raw record. No database.
func BenchmarkDecodeRealistic(b *testing.B) {
	cfg := simulator.DefaultConfig(3, 60, 4)
	cfg.Start = cfg.Start.Add(9 * time.Hour)
	all, err := simulator.Emit(cfg, 3*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	var events, ctrs [][]byte
	for _, r := range all {
		if r.Stream == simulator.StreamCTR {
			ctrs = append(ctrs, r.Data)
		} else {
			events = append(events, r.Data)
		}
	}
	for _, tc := range []struct {
		name string
		home Kind
		recs [][]byte
	}{{"agent-events", KindAgentEvent, events}, {"ctr", KindContactRecord, ctrs}} {
		if len(tc.recs) < 500 {
			b.Fatalf("%d %s records, want 500", len(tc.recs), tc.name)
		}
		recs := tc.recs[len(tc.recs)-500:]
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, data := range recs {
					if _, _, _, err := decode(tc.home, data); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
