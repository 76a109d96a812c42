package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/syncbuf"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/connect-reporting/connect-reporting/internal/daemon/kinesalitetest"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// TestRunDaemon runs `run --config FILE` through Main against kinesalite,
// the simulated Connect API and SQLite, waits until every record is
// checkpointed, cancels, and checks the tables.
func TestRunDaemon(t *testing.T) {
	endpoint := kinesalitetest.Start(t)
	ctx := context.Background()
	kc := kinesalitetest.Client(endpoint)
	kinesalitetest.CreateStream(ctx, t, kc, "connect-ae", 2)
	kinesalitetest.CreateStream(ctx, t, kc, "connect-ctr", 2)

	cfg := simulator.DefaultConfig(5, 12, 2)
	cfg.Start = cfg.Start.Add(8 * time.Hour)
	mem := &simulator.MemorySink{}
	sim, err := simulator.New(cfg, mem, simulator.NewKinesisSink(kc, "connect-ae", "connect-ctr"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.RunUntil(cfg.Start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	connectAPI := httptest.NewServer(api.New(sim, api.Options{Seed: 1}))
	defer connectAPI.Close()

	// The SDK's default chain reads the process environment.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))

	db := filepath.Join(t.TempDir(), "daemon.db")
	conf := filepath.Join(t.TempDir(), "daemon.yaml")
	body := fmt.Sprintf(`
log_level: debug
database:
  dsn: sqlite:%s
instance_id: %s
region: us-east-1
endpoints:
  kinesis: %s
  connect: %s
streams:
  - {name: connect-ae, source: agent-events}
  - {name: connect-ctr, source: ctr, starting_position: TRIM_HORIZON}
consumer:
  idle_wait: 20ms
  shard_refresh: 200ms
  retry_backoff: 10ms
  max_backoff: 100ms
pollers:
  config: {every: 1h}
maintenance: {every: 1h}
dashboard:
  addr: ""
`, db, sim.InstanceID(), endpoint, connectAPI.URL)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr syncbuf.Buffer
	m := NewMain()
	m.Stdout, m.Stderr = &stdout, &stderr
	m.Getenv = func(string) string { return "" }
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- m.Run(runCtx, []string{"run", "--config", conf}) }()

	// Wait until every shard's checkpoint is its last record.
	want := map[string]string{}
	for _, st := range []string{"connect-ae", "connect-ctr"} {
		for id, recs := range kinesalitetest.ShardRecords(ctx, t, kc, st) {
			if len(recs) > 0 {
				want[st+"/"+id] = aws.ToString(recs[len(recs)-1].SequenceNumber)
			}
		}
	}
	var reader *sqlstore.Store
	deadline := time.Now().Add(90 * time.Second)
	for done := false; !done; {
		select {
		case err := <-errc:
			t.Fatalf("run returned early: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("records not all consumed in time\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
		if reader == nil {
			if _, err := os.Stat(db); err != nil {
				continue
			}
			if reader, err = sqlstore.Open(ctx, "sqlite:"+db, sqlstore.Options{SkipMigrate: true}); err != nil {
				t.Fatal(err)
			}
			defer reader.Close()
		}
		done = true
		for key, seq := range want {
			st, shard, _ := strings.Cut(key, "/")
			got, ok, err := reader.StreamCheckpoint(ctx, st, shard)
			if err != nil || !ok || got != seq {
				done = false
				break
			}
		}
	}
	// Let the config poller's first run finish too (it describes the
	// users for their emails at DescribeUser's 2/s).
	for time.Now().Before(deadline) && !(strings.Contains(stderr.String(), `"msg":"poller run done","component":"scheduler","poller":"config"`) && strings.Contains(stderr.String(), "ran: PRAGMA optimize")) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if err := m.Close(); err != nil {
		t.Error(err)
	}
	logs := stderr.String()
	for _, s := range []string{"daemon started", "consuming stream", "shard progress", "poller run done", `"msg":"maintenance","poller":"maintain"`, "daemon stopped"} {
		if !strings.Contains(logs, s) {
			t.Errorf("logs lack %q", s)
		}
	}

	// The same records ingested directly give the same counts.
	ref, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "ref.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	e := &ingest.Engine{Store: ref, Logger: m.Logger}
	for _, src := range []string{simulator.StreamAgentEvents, simulator.StreamCTR} {
		var in []ingest.Record
		for _, r := range mem.Records() {
			if r.Stream == src {
				in = append(in, ingest.Record{Data: r.Data, PartitionKey: r.PartitionKey})
			}
		}
		if _, err := e.Ingest(ctx, src, in); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"SELECT COUNT(*) FROM agent_event", "SELECT COUNT(*) FROM contact_record", "SELECT COUNT(*) FROM agent_state"} {
		var got, exp int
		if err := reader.DB().QueryRow(q).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if err := ref.DB().QueryRow(q).Scan(&exp); err != nil {
			t.Fatal(err)
		}
		if got != exp || exp == 0 {
			t.Errorf("%s: %d, want %d", q, got, exp)
		}
	}
	var users int
	if err := reader.DB().QueryRow("SELECT COUNT(*) FROM connect_user").Scan(&users); err != nil || users == 0 {
		t.Errorf("config poller stored %d users (%v)", users, err)
	}
}

func TestRunConfigErrors(t *testing.T) {
	_, _, err := run(t, nil, "", "run")
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--config") {
		t.Errorf("no config: %v", err)
	}
	p := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(p, []byte("streams:\n  - {name: a, source: calls}\n"), 0o600)
	_, _, err = run(t, nil, "", "run", "--config", p)
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), `streams[0].source: "calls"`) || !strings.Contains(err.Error(), "DB_DSN") {
		t.Errorf("bad config: %v", err)
	}
	ok := filepath.Join(t.TempDir(), "ok.yaml")
	os.WriteFile(ok, []byte("streams:\n  - {name: a, source: ctr}\npollers: {historical: {every: 10m}}\ninstance_id: i\n"), 0o600)
	out, _, err := run(t, map[string]string{"DB_DSN": "sqlite:x.db"}, "", "run", "--check", "--config", ok)
	if err != nil || !strings.Contains(out, "ok: 1 streams, pollers: historical every 10m0s") {
		t.Errorf("--check: %q %v", out, err)
	}
}
