package daemon_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// TestPoisonRecordMidShard replays issue 11's scenario: poison records in
// the middle of a shard, one the decoder refuses (a zero EventTimestamp,
// which used to become NULL and fail the NOT NULL column on every retry) and
// one only the database refuses (a constraint the test adds). Every good
// record behind them is stored, both are parked, no Ingest call fails (no
// retry at all), and the checkpoint reaches the shard's last record.
func TestPoisonRecordMidShard(t *testing.T) {
	endpoint := startKinesalite(t)
	client := newKinesis(endpoint)
	for name, newDSN := range dsnFactories() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			ae, ctr := "poison-ae-"+name, "poison-ctr-"+name
			createStream(ctx, t, client, ae, 1)
			createStream(ctx, t, client, ctr, 1)
			store := openStore(t, newDSN(t))
			refuseType(t, store, "POISON")

			t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
			var poison []string
			for i := range 132 {
				data := fmt.Appendf(nil, `{"EventId":"e%03d","EventType":"LOGIN","EventTimestamp":%q,"AgentARN":"arn:aws:connect:eu-west-2:1:instance/i/agent/a%d"}`,
					i, t0.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i%7)
				switch i {
				case 40:
					data = []byte(`{"EventId":"zero","EventType":"STATE_CHANGE","EventTimestamp":"0001-01-01T00:00:00Z"}`)
				case 90:
					data = fmt.Appendf(nil, `{"EventId":"db-refused","EventType":"POISON","EventTimestamp":%q}`, t0.Format(time.RFC3339))
				}
				seq := putRaw(ctx, t, client, ae, "pk", data)
				if i == 40 || i == 90 {
					poison = append(poison, connectreporting.SourceAgentEvents+"/"+seq)
				}
			}
			rec := newRecorder(&ingest.Engine{Store: store, Logger: testLogger(), ChunkSize: 25})
			stop := start(t, fastConsumer(client, store, rec, streams(ae, ctr)...))
			waitFor(t, "the 130 good records and the 2 parked", func() bool {
				return countRows(t, store, "agent_event") == 130 && countRows(t, store, "rejected_record") == 2
			})
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if rec.failed != 0 {
				t.Errorf("%d Ingest calls left records unstored: the poison was retried", rec.failed)
			}
			_, counts := rec.snapshot()
			for k, n := range counts {
				if n != 1 {
					t.Errorf("record %s ingested %d times", k, n)
				}
			}
			if got := rejected(t, store.DB()); fmt.Sprint(got) != fmt.Sprint(poison) {
				t.Errorf("parked %v, want %v", got, poison)
			}
			checkCheckpoints(ctx, t, client, store, ae)
		})
	}
}

// refuseType makes the database refuse agent events of type typ, as it
// would a value the decoders let through.
func refuseType(t *testing.T, s *sqlstore.Store, typ string) {
	t.Helper()
	q := fmt.Sprintf(`ALTER TABLE agent_event ADD CONSTRAINT refuse_type CHECK (event_type <> '%s')`, typ)
	if s.Dialect() == sqlstore.DialectSQLite {
		q = fmt.Sprintf(`CREATE TRIGGER refuse_type BEFORE INSERT ON agent_event WHEN NEW.event_type = '%s'
			BEGIN SELECT RAISE(ABORT, 'refused'); END`, typ)
	}
	if _, err := s.DB().Exec(q); err != nil {
		t.Fatal(err)
	}
}

func countRows(t *testing.T, s *sqlstore.Store, table string) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
