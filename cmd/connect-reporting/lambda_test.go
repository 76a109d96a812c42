package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/connect-reporting/connect-reporting/internal/connectapi/connectapitest"
	"github.com/connect-reporting/connect-reporting/internal/lambda/lambdatest"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// TestLambdaBootstrap builds the real bootstrap the way `make lambda` does
// and runs it as AWS would, against a loopback Runtime API and SSM, on
// SQLite and PostgreSQL: the connection string comes from a SecureString
// parameter, the sample Kinesis events land in the database, and a replay
// changes nothing.
func TestLambdaBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap binary")
	}
	bin := lambdatest.BuildBootstrap(t, ".")
	// The release build stays under 25 MB (make lambda checks both
	// architectures; this, the host's).
	if st, err := os.Stat(bin); err != nil || st.Size() > maxBootstrapBytes {
		t.Errorf("bootstrap for %s: %v bytes (%v), want at most %d", runtime.GOARCH, sizeOf(st), err, maxBootstrapBytes)
	}
	evdir := filepath.Join("..", "..", "deploy", "events")

	for name, dsn := range dsns(t) {
		t.Run(name, func(t *testing.T) {
			storage := map[string]string{"sqlite": "sqlite", "postgres": "postgresql"}[name]
			count := func(table string) int {
				s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{SkipMigrate: true})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				var n int
				if err := s.DB().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for _, fn := range []struct {
				handler string
				event   string
				table   string
				rows    int
			}{
				// A STATE_CHANGE and a HEART_BEAT: heartbeats only refresh agent_state.
				{"ConnectLambda::ConnectLambda.ProcessAgentEvents::Handler", "kinesis-agent-events.json", "agent_event", 1},
				{"ProcessAgentEvents", "kinesis-agent-events.json", "agent_state", 1},
				{"ProcessCTR", "kinesis-ctr.json", "contact_record", 2},
				{"ProcessCTR", "kinesis-ctr-malformed.json", "rejected_record", 1},
			} {
				api := lambdatest.NewRuntimeAPI(t)
				ssm := lambdatest.NewSSMServer(t, map[string]string{"/connect-reporting/dsn": dsn})
				env := append(lambdatest.Env(api, fn.handler),
					"SQL_PARAM=/connect-reporting/dsn", "AWS_ENDPOINT_URL_SSM="+ssm.URL, "STORAGE="+storage,
					"TIME_ZONE=Australia/Sydney")
				p := lambdatest.Start(t, bin, nil, env)
				payload, err := os.ReadFile(filepath.Join(evdir, fn.event))
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < 2; i++ { // the second is a replay
					r, err := api.Invoke(ctx, payload, 30*time.Second)
					if err != nil {
						t.Fatal(err)
					}
					if r.Err != nil || string(r.Payload) != `{"batchItemFailures":[]}` {
						t.Fatalf("%s %s: response %s, error %+v\n%s", fn.handler, fn.event, r.Payload, r.Err, p.Output())
					}
					if i == 0 {
						t.Logf("%s: process start -> runtime ready %v, -> first invocation handled (SSM read, open, migrate, store) %v",
							fn.event, api.FirstNext().Sub(p.Started).Round(time.Millisecond), r.Received.Sub(p.Started).Round(time.Millisecond))
					}
				}
				p.Stop()
				if got := count(fn.table); got != fn.rows {
					t.Errorf("%s: %s has %d rows, want %d\n%s", fn.event, fn.table, got, fn.rows, p.Output())
				}
				if ssm.Calls() != 1 {
					t.Errorf("GetParameter calls = %d, want 1", ssm.Calls())
				}
				if out := p.Output(); !strings.Contains(out, `"msg":"batch"`) || strings.Contains(out, dsn) {
					t.Errorf("output:\n%s", out)
				}
			}
			// The good record of the malformed batch is a copy of a sample's first.
			if got := count("contact_record"); got != 2 {
				t.Errorf("contact_record has %d rows, want 2", got)
			}
		})
	}

	t.Run("poison records", func(t *testing.T) { lambdaPoison(t, bin) })

	t.Run("database down", func(t *testing.T) {
		// The store error names the server; the password never shows.
		const secret = "Pw-n0t-in-logs"
		api := lambdatest.NewRuntimeAPI(t)
		env := append(lambdatest.Env(api, "ProcessAgentEvents"),
			"DB_DSN=postgres://reporter:"+secret+"@127.0.0.1:1/connect?connect_timeout=2", "STORAGE=postgresql")
		p := lambdatest.Start(t, bin, nil, env)
		payload, _ := os.ReadFile(filepath.Join(evdir, "kinesis-agent-events.json"))
		r, err := api.Invoke(context.Background(), payload, 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if r.Err == nil || !strings.Contains(r.Err.ErrorMessage, "initialise ProcessAgentEvents") {
			t.Errorf("want a function error (the whole batch retried), got %s %+v", r.Payload, r.Err)
		}
		p.Stop()
		if out := p.Output() + fmt.Sprint(r.Err); strings.Contains(out, secret) {
			t.Errorf("the password shows:\n%s", out)
		}
	})

	t.Run("unknown handler", func(t *testing.T) {
		api := lambdatest.NewRuntimeAPI(t)
		p := lambdatest.Start(t, bin, nil, append(lambdatest.Env(api, "ConnectLambda::ConnectLambda.Nope::Handler"), "DB_DSN=sqlite::memory:"))
		select {
		case e := <-api.InitError():
			if !strings.Contains(e.ErrorMessage, "ProcessAgentEvents, ProcessCTR, OnboardObservations, OnboardMetrics, OnboardUserGroups") {
				t.Errorf("init error %+v", e)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no init error")
		}
		if err := p.Wait(10 * time.Second); err == nil {
			t.Error("the process must exit non-zero")
		}
	})

	t.Run("scheduled", func(t *testing.T) {
		// The three scheduled functions against the simulated Connect API,
		// through the standard AWS endpoint configuration.
		src := connectapitest.NewStatic(12, 5, 2)
		src.Clock = time.Now().UTC() // the function runs on the wall clock
		tick, stopTick := context.WithCancel(context.Background())
		defer stopTick()
		go func() { // and the instance's clock moves with it
			for tick.Err() == nil {
				time.Sleep(100 * time.Millisecond)
				src.Mu.Lock()
				src.Clock = time.Now().UTC()
				for i := range src.Snaps {
					src.Snaps[i].SnapshotTime = src.Clock
				}
				src.Mu.Unlock()
			}
		}()
		sim := connectapitest.Start(t, src, api.Options{ThrottleRate: 0.2, Seed: 5})
		dsn := "sqlite:" + filepath.Join(t.TempDir(), "s.db")
		payload, _ := os.ReadFile(filepath.Join(evdir, "scheduler.json"))
		for _, fn := range []struct {
			handler string
			delay   string
			timeout time.Duration
			query   string
			min     int
		}{
			{"ConnectLambda::ConnectLambda.OnboardUserGroups::Handler", "0.05", 60 * time.Second, "SELECT COUNT(*) FROM connect_user WHERE valid_to IS NULL", 12},
			{"OnboardMetrics", "0", 60 * time.Second, "SELECT COUNT(*) FROM poll_checkpoint WHERE poller = 'historical'", 1},
			// 18 s with a 10 s margin: rounds one second apart for 8 s, then it returns in time.
			{"OnboardObservations", "1", 18 * time.Second, "SELECT COUNT(DISTINCT snapshot_time) FROM queue_realtime_snapshot", 2},
			// Retention off (no RAW_DAYS, KEEP_DAYS): index maintenance only; the snapshots stay.
			{"Maintain", "0", 60 * time.Second, "SELECT COUNT(DISTINCT snapshot_time) FROM queue_realtime_snapshot", 2},
		} {
			api := lambdatest.NewRuntimeAPI(t)
			env := append(lambdatest.Env(api, fn.handler), "DB_DSN="+dsn, "STORAGE=sqlite", "INSTANCE_ID="+src.Instance, "DELAY="+fn.delay,
				"AWS_ENDPOINT_URL_CONNECT="+sim.URL, "AWS_REGION="+src.RegionName, "TIME_ZONE=Europe/London")
			lambdatest.Start(t, bin, nil, env)
			r, err := api.Invoke(context.Background(), payload, fn.timeout)
			if err != nil {
				t.Fatal(err)
			}
			if r.Err != nil {
				t.Fatalf("%s: %+v", fn.handler, r.Err)
			}
			s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{SkipMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := s.DB().QueryRow(fn.query).Scan(&n); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if n < fn.min {
				t.Errorf("%s: %s = %d, want at least %d", fn.handler, fn.query, n, fn.min)
			}
		}
	})

	t.Run("figures", func(t *testing.T) { lambdaFigures(t, bin, evdir) })
}

// lambdaFigures logs the cold start (process start to the first invocation
// handled, on an already migrated database) and the peak RSS of a
// 500-record batch of agent events stored in SQLite (and PostgreSQL when
// available). They are figures, not assertions.
func lambdaFigures(t *testing.T, bin, evdir string) {
	b, err := os.ReadFile(filepath.Join(evdir, "kinesis-agent-events.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sample struct {
		Records []struct {
			Kinesis struct{ Data []byte } `json:"kinesis"`
		}
	}
	if err := json.Unmarshal(b, &sample); err != nil {
		t.Fatal(err)
	}
	payloads := make([][]byte, 500)
	for i := range payloads {
		payloads[i] = bytes.Replace(sample.Records[0].Kinesis.Data, []byte("000000000001"), []byte(fmt.Sprintf("%012d", 1000+i)), 1)
	}
	batch := lambdatest.KinesisEvent(lambdatest.StreamARN("AgentEvents"), payloads...)
	small := lambdatest.KinesisEvent(lambdatest.StreamARN("AgentEvents"), payloads[0])
	for name, dsn := range dsns(t) {
		storage := map[string]string{"sqlite": "sqlite", "postgres": "postgresql"}[name]
		var cold []time.Duration
		for i := 0; i < 5; i++ {
			api := lambdatest.NewRuntimeAPI(t)
			p := lambdatest.Start(t, bin, nil, append(lambdatest.Env(api, "ProcessAgentEvents"), "DB_DSN="+dsn, "STORAGE="+storage))
			r, err := api.InvokeJSON(context.Background(), small, 30*time.Second)
			if err != nil || r.Err != nil {
				t.Fatalf("%v %+v\n%s", err, r.Err, p.Output())
			}
			if i > 0 { // the first run migrates
				cold = append(cold, r.Received.Sub(p.Started))
			}
			p.Stop()
		}
		api := lambdatest.NewRuntimeAPI(t)
		p := lambdatest.Start(t, bin, nil, append(lambdatest.Env(api, "ProcessAgentEvents"), "DB_DSN="+dsn, "STORAGE="+storage))
		start := time.Now()
		r, err := api.InvokeJSON(context.Background(), batch, 60*time.Second)
		if err != nil || r.Err != nil {
			t.Fatalf("%v %+v", err, r.Err)
		}
		took := r.Received.Sub(start)
		var resp events.KinesisEventResponse
		_ = json.Unmarshal(r.Payload, &resp)
		rss, _ := p.Stop()
		t.Logf("%s: cold start to first invocation handled %v (runs: %v); 500-record batch (%d KiB) in %v incl. open, peak RSS %.1f MiB, failures %d",
			name, median(cold).Round(time.Millisecond), cold, 500*len(payloads[0])/1024, took.Round(time.Millisecond), float64(rss)/(1<<20), len(resp.BatchItemFailures))
	}
	if fi, err := os.Stat(bin); err == nil {
		t.Logf("bootstrap (stripped, lambda.norpc, %s): %.1f MiB", "host arch", float64(fi.Size())/(1<<20))
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// maxBootstrapBytes is the largest bootstrap allowed (MAX_BOOTSTRAP in the
// Makefile).
const maxBootstrapBytes = 25_000_000

func sizeOf(st os.FileInfo) int64 {
	if st == nil {
		return -1
	}
	return st.Size()
}
