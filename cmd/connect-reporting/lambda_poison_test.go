package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/lambda/lambdatest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// lambdaPoison runs the real bootstrap's ProcessAgentEvents on a batch
// with poison values between good records (issue 11): the response holds
// no batchItemFailures (a poison record is parked, never retried), the good
// records are stored, and the counts the function logs are the rows.
func lambdaPoison(t *testing.T, bin string) {
	for name, dsn := range dsns(t) {
		t.Run(name, func(t *testing.T) {
			api := lambdatest.NewRuntimeAPI(t)
			env := append(lambdatest.Env(api, "ProcessAgentEvents"), "DB_DSN="+dsn,
				"STORAGE="+map[string]string{"sqlite": "sqlite", "postgres": "postgresql"}[name])
			p := lambdatest.Start(t, bin, nil, env)
			ev := lambdatest.KinesisEvent(lambdatest.StreamARN("AgentEvents"),
				[]byte(`{"EventId":"g1","EventType":"LOGIN","EventTimestamp":"2025-03-03T09:00:00Z"}`),
				[]byte(`{"EventId":"p1","EventType":"LOGIN","EventTimestamp":"0001-01-01T00:00:00Z"}`),
				[]byte(`{"EventId":"g2","EventType":"LOGIN","EventTimestamp":"2025-03-03T09:00:01Z"}`),
				[]byte(`{"EventId":"p2","EventType":"LOGIN","EventTimestamp":"   "}`),
				[]byte(`{"EventId":"  ","EventType":"LOGIN","EventTimestamp":"2025-03-03T09:00:02Z"}`),
				[]byte(`{"EventId":"g3","EventType":"LOGIN","EventTimestamp":"+00:00"}`),
				[]byte(`{"EventId":"g4","EventType":"LOGOUT","EventTimestamp":"2025-03-03T09:00:03Z"}`))
			r, err := api.InvokeJSON(context.Background(), ev, 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			p.Stop()
			if r.Err != nil || string(r.Payload) != `{"batchItemFailures":[]}` {
				t.Fatalf("response %s, error %+v\n%s", r.Payload, r.Err, p.Output())
			}
			s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{SkipMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for table, want := range map[string]int{"agent_event": 3, "rejected_record": 4} {
				var n int
				if err := s.DB().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != want {
					t.Errorf("%s has %d rows, want %d", table, n, want)
				}
			}
			for _, want := range []string{`"stored":3`, `"rejected":4`, `"failed":0`} {
				if out := p.Output(); !strings.Contains(out, want) {
					t.Errorf("output lacks %s:\n%s", want, out)
				}
			}
		})
	}
}
