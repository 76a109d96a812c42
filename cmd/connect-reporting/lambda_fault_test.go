package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/connect-reporting/connect-reporting/internal/agentevents"
	"github.com/connect-reporting/connect-reporting/internal/dbtest"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/lambda"
	"github.com/connect-reporting/connect-reporting/internal/lambda/lambdatest"
	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// TestIntegrationProcessAgentEventsPostgresFault runs the ProcessAgentEvents
// handler on a 500-record Kinesis batch of simulated agent events while the
// connection to PostgreSQL is cut in the middle of the third chunk's
// statement. The handler must report exactly the records from that chunk on
// as batchItemFailures; Lambda then re-delivers from the first of them, and
// the database must end exactly as one undisturbed, in-order delivery.
func TestIntegrationProcessAgentEventsPostgresFault(t *testing.T) {
	sim, err := simulator.New(simulator.DefaultConfig(11, 40, 2))
	if err != nil {
		t.Fatal(err)
	}
	mem := &simulator.MemorySink{}
	sim.AddSink(mem)
	if err := sim.RunUntil(sim.Config().Start.Add(10 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	var payloads [][]byte
	for _, r := range mem.Records() {
		if r.Stream == simulator.StreamAgentEvents && len(payloads) < 500 {
			payloads = append(payloads, r.Data)
		}
	}
	if len(payloads) < 500 {
		t.Fatalf("the simulator emitted %d agent events", len(payloads))
	}
	const chunk = 100
	event := lambdatest.KinesisEvent(lambdatest.StreamARN("AgentEvents"), payloads...)

	// The reference: the same batch, handled with nothing in the way.
	ref := openStoreT(t, pgtest.DSN(t))
	refResp := handleKinesis(t, ref, event, chunk)
	if len(refResp.BatchItemFailures) != 0 {
		t.Fatalf("undisturbed batch failed: %+v", refResp.BatchItemFailures)
	}

	dsn := pgtest.DSN(t)
	direct := openStoreT(t, dsn) // migrates, and reads the result past the proxy
	proxy := pgtest.StartFaultProxy(t, pgtest.SplitHostPort(dsn))
	via := openStoreT(t, pgtest.WithHost(dsn, proxy.Addr()))
	// Cut the connection halfway through the statement of the third chunk:
	// the first bytes that carry its first record's EventId.
	third, err := agentevents.Decode(payloads[2*chunk])
	if err != nil {
		t.Fatal(err)
	}
	var cut atomic.Bool
	proxy.SetCut(func(b []byte) (int, time.Duration, bool) {
		if bytes.Contains(b, []byte(third.EventID)) && cut.CompareAndSwap(false, true) {
			return len(b) / 2, 0, true
		}
		return 0, 0, false
	})
	resp := handleKinesis(t, via, event, chunk)
	proxy.SetCut(nil)
	if proxy.Cuts() == 0 {
		t.Fatal("the proxy never cut the connection")
	}
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	var want []string
	for i := 2 * chunk; i < len(payloads); i++ {
		want = append(want, lambdatest.SequenceNumber(i))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("batchItemFailures: %d items from %v, want %d from %s", len(got), first(got), len(want), want[0])
	}

	// Lambda re-delivers from the first failed record.
	retry := events.KinesisEvent{Records: event.Records[2*chunk:]}
	if resp := handleKinesis(t, via, retry, chunk); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry after recovery failed: %+v", resp.BatchItemFailures)
	}
	for _, q := range []string{
		"SELECT event_id, event_type, event_timestamp, agent_id, status_name, status_start_timestamp, contact_count, raw::text FROM agent_event ORDER BY event_id",
		"SELECT agent_id, status_name, status_start_timestamp, last_event_timestamp, last_event_type, last_event_id FROM agent_state ORDER BY agent_id",
		"SELECT agent_id, start_timestamp, status_name, end_timestamp FROM agent_status_interval ORDER BY agent_id, start_timestamp",
		"SELECT COUNT(*) FROM rejected_record",
	} {
		a, b := rowsOf(t, ref, q), rowsOf(t, direct, q)
		if a != b {
			t.Errorf("%s differs from the undisturbed delivery", q)
		}
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return s[0]
}

func openStoreT(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// handleKinesis runs the ProcessAgentEvents handler of internal/lambda on
// ev with an ingest engine on s.
func handleKinesis(t *testing.T, s *sqlstore.Store, ev events.KinesisEvent, chunk int) events.KinesisEventResponse {
	t.Helper()
	rt := lambda.NewRuntime(lambda.Config{Handler: lambda.ProcessAgentEvents, DSN: "unused"},
		func(context.Context, lambda.Config) (lambda.Handlers, error) {
			return lambda.Handlers{Ingester: &ingest.Engine{Store: s, ChunkSize: chunk}}, nil
		}, lambda.Options{Logger: newLogger(&bytes.Buffer{}, "error", "json")})
	resp, err := rt.HandleKinesis(context.Background(), ev)
	if err != nil {
		t.Fatalf("handler error (Lambda would retry the whole batch): %v", err)
	}
	return resp
}

func rowsOf(t *testing.T, s *sqlstore.Store, q string) string {
	t.Helper()
	_, rows := dbtest.Rows(t, s.DB(), q)
	var b strings.Builder
	for _, vals := range rows {
		for _, v := range vals {
			if tm, ok := v.(time.Time); ok {
				v = tm.UTC().Format(time.RFC3339Nano)
			}
			b.WriteString(toString(v))
			b.WriteByte('|')
		}
		b.WriteByte('\n')
	}
	if len(rows) == 0 && !strings.Contains(q, "COUNT") {
		t.Fatalf("%s: no rows", q)
	}
	return b.String()
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}
