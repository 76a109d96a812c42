package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/jackc/pgx/v5/stdlib"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/agentevents"
	"github.com/connect-reporting/connect-reporting/internal/ctr"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/lambda"
	"github.com/connect-reporting/connect-reporting/internal/simingest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
)

// realisticPool is what the simulator emits for a 100-agent centre over a
// working day: agent events (about 7.7 KB each, the configuration snapshot
// twice) and contact records, exactly as Connect delivers them.
type realisticPool struct {
	events, contacts [][]byte
}

// realisticBatches is how many 500-record batches the pool holds per kind:
// enough for -benchtime 20x plus a warm-up batch.
const realisticBatches = 24

var realistic = sync.OnceValues(func() (*realisticPool, error) {
	cfg := simulator.DefaultConfig(7, 100, 5)
	p := &realisticPool{}
	want := realisticBatches * benchBatchSize
	sim, err := simulator.New(cfg, simulator.SinkFunc(func(_ context.Context, recs []simulator.Record) error {
		for _, r := range recs {
			if r.Stream == simulator.StreamCTR {
				p.contacts = append(p.contacts, r.Data)
			} else {
				p.events = append(p.events, r.Data)
			}
		}
		return nil
	}))
	if err != nil {
		return nil, err
	}
	for t := cfg.Start; len(p.events) < want || len(p.contacts) < want; t = t.Add(time.Hour) {
		if t.Sub(cfg.Start) > 72*time.Hour {
			return nil, fmt.Errorf("simulator: %d events and %d contacts after 3 days", len(p.events), len(p.contacts))
		}
		if err := sim.RunUntil(t.Add(time.Hour)); err != nil {
			return nil, err
		}
	}
	return p, nil
})

func realisticRecords(b *testing.B) *realisticPool {
	b.Helper()
	p, err := realistic()
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// batch returns the i-th 500-record batch of one stream, as ingest records.
func (p *realisticPool) batch(b testing.TB, contacts bool, i int) []ingest.Record {
	b.Helper()
	src := p.events
	if contacts {
		src = p.contacts
	}
	if (i+1)*benchBatchSize > len(src) {
		b.Fatalf("the realistic pool holds %d batches: run with -benchtime %dx or less", len(src)/benchBatchSize, len(src)/benchBatchSize-1)
	}
	recs := make([]ingest.Record, benchBatchSize)
	for j := range recs {
		recs[j] = ingest.Record{Data: src[i*benchBatchSize+j], SequenceNumber: fmt.Sprint(i*benchBatchSize + j)}
	}
	return recs
}

// BenchmarkRealistic decodes and stores 500-record batches of the
// simulator's records with the ingest engine (the Lambda handlers' path):
// agent events and contact records, each batch new. On PostgreSQL it also
// runs copy: a binary COPY of the same agent_event rows into the same,
// indexed agent_event table of another fresh database, the floor the
// ingest path is compared with (ratio measured side by side in one run),
// and store: StoreBatch alone of the same batches decoded beforehand.
func BenchmarkRealistic(b *testing.B) {
	pool := realisticRecords(b)
	for _, dialect := range ingestDialects(b) {
		for _, kind := range []string{"agent-events", "ctr"} {
			b.Run(dialect+"/"+kind+"/ingest", func(b *testing.B) {
				s := openIngestStore(b, dialect, Options{})
				e := &ingest.Engine{Store: s}
				source := connectreporting.SourceAgentEvents
				if kind == "ctr" {
					source = connectreporting.SourceCTR
				}
				run := func(i int) {
					recs := pool.batch(b, kind == "ctr", i)
					if _, err := e.Ingest(context.Background(), source, recs); err != nil {
						b.Fatal(err)
					}
				}
				benchBatches(b, run)
			})
		}
		b.Run(dialect+"/agent-events/store", func(b *testing.B) { benchStoreEvents(b, dialect, pool) })
		b.Run(dialect+"/ctr/store", func(b *testing.B) { benchStoreContacts(b, dialect, pool) })
		if dialect == DialectPostgres {
			b.Run(dialect+"/agent-events/copy", func(b *testing.B) { benchCopyEvents(b, pool) })
		}
	}
}

// benchBatches runs batch 0 as a warm-up, then batches 1..b.N timed.
func benchBatches(b *testing.B, run func(i int)) {
	run(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		run(i)
	}
	b.ReportMetric(float64(b.N*benchBatchSize)/b.Elapsed().Seconds(), "records/s")
}

// decodeEvents decodes batch i of the pool's agent events.
func (p *realisticPool) decodeEvents(tb testing.TB, i int) []connectreporting.AgentEvent {
	return decodeBatch(tb, p, false, i, agentevents.Decode)
}

// decodeBatch decodes batch i of the pool's contact records or agent
// events with decode.
func decodeBatch[T any](tb testing.TB, p *realisticPool, contacts bool, i int, decode func([]byte) (T, error)) []T {
	var out []T
	for _, r := range p.batch(tb, contacts, i) {
		v, err := decode(r.Data)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// benchStoreEvents stores batches of decoded agent events with StoreBatch.
func benchStoreEvents(b *testing.B, dialect string, pool *realisticPool) {
	s := openIngestStore(b, dialect, Options{})
	benchBatches(b, func(i int) {
		b.StopTimer()
		evs := pool.decodeEvents(b, i)
		b.StartTimer()
		if _, err := s.StoreBatch(context.Background(), connectreporting.Batch{AgentEvents: evs}); err != nil {
			b.Fatal(err)
		}
	})
}

// benchStoreContacts stores batches of decoded contact records with
// StoreBatch.
func benchStoreContacts(b *testing.B, dialect string, pool *realisticPool) {
	s := openIngestStore(b, dialect, Options{})
	benchBatches(b, func(i int) {
		b.StopTimer()
		crs := decodeBatch(b, pool, true, i, ctr.Decode)
		b.StartTimer()
		if _, err := s.StoreBatch(context.Background(), connectreporting.Batch{ContactRecords: crs}); err != nil {
			b.Fatal(err)
		}
	})
}

// benchCopyEvents COPYs the decoded agent events of each batch (heartbeats
// left out, as StoreBatch keeps them out of agent_event) into agent_event,
// one COPY statement on its own (autocommit).
func benchCopyEvents(b *testing.B, pool *realisticPool) {
	s := openIngestStore(b, DialectPostgres, Options{})
	ctx := context.Background()
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	rowsOf := func(i int) []eventRow {
		var rows []eventRow
		for _, ev := range pool.decodeEvents(b, i) {
			if ev.EventType != connectreporting.AgentEventHeartBeat {
				rows = append(rows, eventRow{AgentEvent: &ev})
			}
		}
		return rows
	}
	benchBatches(b, func(i int) {
		b.StopTimer()
		rows := rowsOf(i)
		b.StartTimer()
		if err := pgCopyCols(ctx, conn, "agent_event", agentEventCols, rows); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkRealisticLambdaRSS runs a Lambda-size batch (a Kinesis event of
// 500 realistic agent events, as the event-source mapping delivers it) in a
// fresh process, as a cold Lambda would: the test binary re-executed with
// TestRealisticLambdaChild, which unmarshals the event and ingests it into
// PostgreSQL. It reports the child's peak resident set size (VmHWM: the
// rusage of a child started with vfork counts the parent's pages).
func BenchmarkRealisticLambdaRSS(b *testing.B) {
	pool := realisticRecords(b)
	var ev events.KinesisEvent
	for j, d := range pool.events[:benchBatchSize] {
		ev.Records = append(ev.Records, events.KinesisEventRecord{Kinesis: events.KinesisRecord{
			Data: d, PartitionKey: "agent", SequenceNumber: fmt.Sprint(j)}})
	}
	body, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(b.TempDir(), "event.json")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		b.Fatal(err)
	}
	var maxRSS int64
	for i := 0; i < b.N; i++ {
		dsn := testDSN(b, DialectPostgres)
		cmd := exec.Command(os.Args[0], "-test.run=^TestRealisticLambdaChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "REALISTIC_CHILD_EVENT="+file, "REALISTIC_CHILD_DSN="+dsn)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatalf("child: %v\n%s", err, out.String())
		}
		kib, err := vmHWM(out.Bytes())
		if err != nil {
			b.Fatalf("child's peak RSS: %v\n%s", err, out.String())
		}
		maxRSS = max(maxRSS, kib)
	}
	b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MiB")
}

// TestRealisticLambdaChild is BenchmarkRealisticLambdaRSS's child process;
// it does nothing unless that benchmark started it.
func TestRealisticLambdaChild(t *testing.T) {
	file, dsn := os.Getenv("REALISTIC_CHILD_EVENT"), os.Getenv("REALISTIC_CHILD_DSN")
	if file == "" || dsn == "" {
		t.Skip("run by BenchmarkRealisticLambdaRSS")
	}
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.KinesisEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	s := openStoreDSN(t, dsn, Options{})
	e := &ingest.Engine{Store: s}
	res, err := e.Ingest(context.Background(), connectreporting.SourceAgentEvents, lambda.Records(ev))
	if err != nil || res.Rejected != 0 {
		t.Fatalf("ingest: %+v, %v", res, err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	kib, err := vmHWM(status)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("VmHWM: %d kB\n", kib)
}

// vmHWM reads the "VmHWM: N kB" line of /proc/PID/status (or of a child's
// output repeating it): the process's peak resident set size in KiB.
func vmHWM(text []byte) (int64, error) {
	i := bytes.Index(text, []byte("VmHWM:"))
	if i < 0 {
		return 0, errors.New("no VmHWM line")
	}
	var kib int64
	_, err := fmt.Sscanf(string(text[i:]), "VmHWM: %d kB", &kib)
	return kib, err
}

// BenchmarkRealisticStorage loads one simulated day of a 50-agent centre
// into PostgreSQL through the ingest engine, 500 records a batch, and
// reports the bytes each stored row takes, indexes and TOAST included
// (pg_total_relation_size / rows): agent_event with the parts its raw
// names (agent_event_part), and that split (the heap, the indexes, the
// parts); contact_record with its contact_attribute rows.
func BenchmarkRealisticStorage(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s := openIngestStore(b, DialectPostgres, Options{})
		loadSimulatedDay(b, s, simulator.DefaultConfig(int64(i+1), 50, 3))
		for _, m := range []struct{ unit, query string }{
			{"agent_event-B/row", `SELECT (pg_total_relation_size('agent_event') + pg_total_relation_size('agent_event_part'))::float8 / count(*) FROM agent_event`},
			{"heap-B/row", `SELECT pg_relation_size('agent_event')::float8 / count(*) FROM agent_event`},
			{"indexes-B/row", `SELECT pg_indexes_size('agent_event')::float8 / count(*) FROM agent_event`},
			{"parts-B/row", `SELECT pg_total_relation_size('agent_event_part')::float8 / count(*) FROM agent_event`},
			{"contact-B/row", `SELECT (pg_total_relation_size('contact_record') + pg_total_relation_size('contact_attribute'))::float8 / count(*) FROM contact_record`},
		} {
			var v float64
			if err := s.DB().QueryRow(m.query).Scan(&v); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(v, m.unit)
		}
	}
}

// loadSimulatedDay runs the simulator for a day and ingests what it emits.
func loadSimulatedDay(b *testing.B, s *Store, cfg simulator.Config) {
	sim, err := simulator.New(cfg, simingest.Sink(&ingest.Engine{Store: s}))
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.RunUntil(cfg.Start.Add(24 * time.Hour)); err != nil {
		b.Fatal(err)
	}
	if _, err := s.DB().ExecContext(context.Background(), "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
}

// realisticFileEvents is how many of the pool's agent events
// BenchmarkRealisticFile writes to its file.
const realisticFileEvents = 20 * benchBatchSize

// BenchmarkRealisticFile is `ingest agent-events FILE` end to end: a file
// of 10,000 realistic agent events as JSON lines (what simulate --out
// writes) read, decoded and stored in a fresh PostgreSQL database by the
// ingest engine, 500 records a transaction (events/s). Side by side,
// copy-jsonb is what `psql \copy` of the same lines into a one-column jsonb
// table does: the file streamed to COPY FROM STDIN (CSV with a quote and a
// delimiter byte that never occur, so each line is one value).
func BenchmarkRealisticFile(b *testing.B) {
	pool := realisticRecords(b)
	file := filepath.Join(b.TempDir(), "agent-events.jsonl")
	var body []byte
	for _, d := range pool.events[:realisticFileEvents] {
		body = append(append(body, d...), '\n')
	}
	if err := os.WriteFile(file, body, 0o644); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("postgres/agent-events/ingest", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			s := openIngestStore(b, DialectPostgres, Options{})
			b.StartTimer()
			res, err := (&ingest.Engine{Store: s}).IngestFile(ctx, connectreporting.SourceAgentEvents, file, nil)
			if err != nil || res.Rejected != 0 {
				b.Fatalf("IngestFile: %+v, %v", res, err)
			}
		}
		b.ReportMetric(float64(b.N*realisticFileEvents)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("postgres/agent-events/copy-jsonb", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			s := openIngestStore(b, DialectPostgres, Options{})
			if _, err := s.DB().ExecContext(ctx, "CREATE TABLE doc (doc jsonb)"); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			copyFile(b, s, file, `COPY doc (doc) FROM STDIN (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')`)
		}
		b.ReportMetric(float64(b.N*realisticFileEvents)/b.Elapsed().Seconds(), "events/s")
	})
}

// copyFile streams file to the COPY … FROM STDIN statement copy.
func copyFile(b *testing.B, s *Store, file, copy string) {
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	conn, err := s.DB().Conn(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		tag, err := dc.(*stdlib.Conn).Conn().PgConn().CopyFrom(context.Background(), f, copy)
		if err == nil && tag.RowsAffected() != realisticFileEvents {
			err = fmt.Errorf("copied %d rows", tag.RowsAffected())
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}
