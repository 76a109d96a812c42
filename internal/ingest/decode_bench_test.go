package ingest

import (
	"bytes"
	"log/slog"
	"strconv"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
)

// realistic returns the simulator's agent events and contact records of 3
// hours of a small centre.
func realistic(b *testing.B) (events, ctrs [][]byte) {
	cfg := simulator.DefaultConfig(3, 60, 4)
	cfg.Start = cfg.Start.Add(9 * time.Hour)
	all, err := simulator.Emit(cfg, 3*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range all {
		if r.Stream == simulator.StreamCTR {
			ctrs = append(ctrs, r.Data)
		} else {
			events = append(events, r.Data)
		}
	}
	return events, ctrs
}

// BenchmarkScanRealistic reads 500 of the simulator's agent events from a
// JSON lines file image per op, as `ingest agent-events FILE` does before
// decoding them.
func BenchmarkScanRealistic(b *testing.B) {
	events, _ := realistic(b)
	var file []byte
	for _, e := range events[len(events)-500:] {
		file = append(append(file, e...), '\n')
	}
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		s := NewScanner(bytes.NewReader(file), "bench")
		n := 0
		for s.Scan() {
			n++
		}
		if n != 500 || s.Err() != nil {
			b.Fatalf("%d records, %v", n, s.Err())
		}
	}
}

// BenchmarkDecodeRealistic decodes 500 of the simulator's agent events
// (about 7 KB each: the configuration snapshot twice) or contact records
// per op, as the engine does before storing: kind detection, decoding, the
// kept raw record. No database.
func BenchmarkDecodeRealistic(b *testing.B) {
	events, ctrs := realistic(b)
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

// BenchmarkDecodeChunkRealistic decodes a chunk of 500 of the simulator's
// agent events as the engine does before storing it: in parts side by side
// (as many as GOMAXPROCS; -cpu 1 gives the one-part figure).
func BenchmarkDecodeChunkRealistic(b *testing.B) {
	events, _ := realistic(b)
	recs := make([]Record, 500)
	for i, e := range events[len(events)-500:] {
		recs[i] = Record{Data: e, SequenceNumber: strconv.Itoa(i)}
	}
	e := &Engine{Logger: slog.New(slog.DiscardHandler)}
	b.ReportAllocs()
	for b.Loop() {
		var st stats
		e.decodeChunk(e.logger(), connectreporting.SourceAgentEvents, KindAgentEvent, recs, &st)
		if st.decodeErrors != 0 {
			b.Fatalf("%d decode errors", st.decodeErrors)
		}
	}
}
