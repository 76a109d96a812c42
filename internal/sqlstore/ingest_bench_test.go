package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

const benchBatchSize = 500 // the Kinesis event-source mapping's batch size

// benchBatch returns batch number i of kind: 500 new agent events (of 50
// agents, so agent_state is upserted too) or 500 new contact records with
// three attributes each.
func benchBatch(kind string, i int) connectreporting.Batch {
	var b connectreporting.Batch
	base := t0.Add(time.Duration(i) * time.Hour)
	for j := range benchBatchSize {
		ts := base.Add(time.Duration(j) * time.Second)
		switch kind {
		case "agent-events":
			b.AgentEvents = append(b.AgentEvents, agentEvent(fmt.Sprintf("%08d-0000-4000-8000-%012d", i, j),
				connectreporting.AgentEventStateChange, ts, fmt.Sprintf("agent-%03d", j%50), "Available", ts))
		case "ctr":
			b.ContactRecords = append(b.ContactRecords, contactRecord(fmt.Sprintf("%08d-c0de-4000-8000-%012d", i, j), ts,
				fmt.Sprintf("agent-%03d", j%50), map[string]string{"customerType": "gold", "language": "en", "intent": "billing"}))
		}
	}
	return b
}

// BenchmarkStoreBatch stores 500-record batches of new records with StoreBatch.
func BenchmarkStoreBatch(b *testing.B) {
	benchIngest(b, func(ctx context.Context, s *Store, batch connectreporting.Batch) error {
		_, err := s.StoreBatch(ctx, batch)
		return err
	})
}

// BenchmarkStoreBatchBaseline stores the same batches one statement per
// record, each statement its own transaction (autocommit): the approach
// batching replaces. It uses the same SQL and semantics (per-row upserts).
func BenchmarkStoreBatchBaseline(b *testing.B) {
	benchIngest(b, baselineStore)
}

func benchIngest(b *testing.B, store func(context.Context, *Store, connectreporting.Batch) error) {
	for _, dialect := range ingestDialects(b) {
		for _, kind := range []string{"agent-events", "ctr"} {
			b.Run(dialect+"/"+kind, func(b *testing.B) {
				s := openIngestStore(b, dialect, Options{})
				ctx := context.Background()
				// Warm up: the first batch prepares statements and fills
				// caches. It is the earliest, so every timed batch is new
				// records in order, later than all stored (a warm-up hours
				// ahead made every timed batch a late arrival that moved
				// each agent's status intervals up to it).
				if err := store(ctx, s, benchBatch(kind, 0)); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 1; i <= b.N; i++ {
					b.StopTimer()
					batch := benchBatch(kind, i)
					b.StartTimer()
					if err := store(ctx, s, batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*benchBatchSize)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

var sqliteParam = regexp.MustCompile(`\?(\d*)`)

// dollarParams rewrites SQLite's ? and ?N placeholders to PostgreSQL's $N.
func dollarParams(q string) string {
	n := 0
	return sqliteParam.ReplaceAllStringFunc(q, func(m string) string {
		if len(m) > 1 {
			return "$" + m[1:]
		}
		n++
		return "$" + strconv.Itoa(n)
	})
}

// baselineStore writes every record with its own statements in autocommit
// mode, as a straightforward per-record implementation does.
func baselineStore(ctx context.Context, s *Store, b connectreporting.Batch) error {
	p := prepareBatch(b, false)
	q := sqliteSQL()
	rw := func(x string) string { return x }
	if s.Dialect() == "postgres" {
		rw = dollarParams
	}
	exec := func(db *sql.DB, query string, args ...any) (int64, error) {
		r, err := db.ExecContext(ctx, rw(query), args...)
		if err != nil {
			return 0, err
		}
		return r.RowsAffected()
	}
	from := stateFromIndex()
	for i := range p.events {
		e := &p.events[i]
		args := sqliteRowArgs(agentEventCols, e, nil)
		if _, err := exec(s.DB(), q.event, args...); err != nil {
			return err
		}
		st := make([]any, len(from))
		for j, k := range from {
			st[j] = args[k]
		}
		if _, err := exec(s.DB(), q.state, st...); err != nil {
			return err
		}
	}
	for i := range p.contacts {
		c := &p.contacts[i]
		n, err := exec(s.DB(), q.contact, sqliteRowArgs(contactRecordCols, c, nil)...)
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		if _, err := exec(s.DB(), q.delAttrs, c.ContactID); err != nil {
			return err
		}
		for _, a := range c.attrs {
			if _, err := exec(s.DB(), q.insAttr, c.ContactID, a.name, a.value); err != nil {
				return err
			}
		}
	}
	return nil
}
