package daemon_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/daemon"
	"github.com/connect-reporting/connect-reporting/internal/daemon/kinesalitetest"
	"github.com/connect-reporting/connect-reporting/internal/dbtest"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/mssqltest"
	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

func TestMain(m *testing.M) {
	if os.Getenv(envWorker) != "" { // a daemon process of TestKillOneOfThreeDaemons
		os.Exit(leaseWorkerMain())
	}
	os.Exit(pgtest.Main(m))
}

// repoRoot is the repository root (where deploy/ is).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func startKinesalite(t *testing.T) string { return kinesalitetest.Start(t) }

func newKinesis(endpoint string) *kinesis.Client { return kinesalitetest.Client(endpoint) }

func waitActive(ctx context.Context, t *testing.T, c *kinesis.Client, name string) {
	kinesalitetest.WaitActive(ctx, t, c, name)
}

func createStream(ctx context.Context, t *testing.T, c *kinesis.Client, name string, shards int32) {
	kinesalitetest.CreateStream(ctx, t, c, name, shards)
}

func shardRecords(ctx context.Context, t *testing.T, c *kinesis.Client, stream string) map[string][]types.Record {
	return kinesalitetest.ShardRecords(ctx, t, c, stream)
}

// simDay returns the records of a small simulated contact centre, first
// the hours before split, then the hours after, in emission order.
func simDay(t testing.TB, split, end time.Duration) (first, second []simulator.Record) {
	t.Helper()
	cfg := simulator.DefaultConfig(11, 16, 3)
	cfg.Start = cfg.Start.Add(8 * time.Hour)
	m := &simulator.MemorySink{}
	s, err := simulator.New(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RunUntil(cfg.Start.Add(split)); err != nil {
		t.Fatal(err)
	}
	n := len(m.Records())
	if err := s.RunUntil(cfg.Start.Add(end)); err != nil {
		t.Fatal(err)
	}
	all := m.Records()
	return all[:n], all[n:]
}

func put(ctx context.Context, t *testing.T, c *kinesis.Client, ae, ctr string, recs []simulator.Record) {
	t.Helper()
	if err := simulator.NewKinesisSink(c, ae, ctr).Write(ctx, recs); err != nil {
		t.Fatal(err)
	}
}

// putRaw puts one record and returns its sequence number.
func putRaw(ctx context.Context, t *testing.T, c *kinesis.Client, stream, key string, data []byte) string {
	t.Helper()
	out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(stream), PartitionKey: aws.String(key), Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.SequenceNumber)
}

// recorder wraps an Ingester and keeps, per call, which records were
// accepted (stored, duplicate or rejected: not in Result.Failed).
type recorder struct {
	next daemon.Ingester

	mu       sync.Mutex
	calls    int
	failed   int
	accepted []string       // sequence numbers, in acceptance order
	count    map[string]int // sequence number -> times accepted
	data     map[string][]byte
}

func newRecorder(next daemon.Ingester) *recorder {
	return &recorder{next: next, count: map[string]int{}, data: map[string][]byte{}}
}

func (r *recorder) IngestShard(ctx context.Context, source string, recs []ingest.Record, shard connectreporting.ShardCheckpoint) (ingest.Result, error) {
	res, err := r.next.IngestShard(ctx, source, recs, shard)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	failed := map[int]bool{}
	for _, i := range res.Failed {
		failed[i] = true
	}
	if len(failed) > 0 {
		r.failed++
	}
	for i, rec := range recs {
		if failed[i] {
			continue
		}
		k := source + "|" + rec.SequenceNumber // sequence numbers repeat across kinesalite's streams
		r.accepted = append(r.accepted, k)
		r.count[k]++
		r.data[k] = rec.Data
	}
	return res, err
}

func (r *recorder) has(seqs []string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range seqs {
		if r.count[s] == 0 {
			return false
		}
	}
	return true
}

func (r *recorder) snapshot() ([]string, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := make(map[string]int, len(r.count))
	for k, v := range r.count {
		c[k] = v
	}
	return append([]string(nil), r.accepted...), c
}

// faultyStore fails the StoreBatch calls whose numbers (from 1) are in fail.
type faultyStore struct {
	connectreporting.IngestStore
	mu    sync.Mutex
	calls int
	fail  map[int]bool
}

func (f *faultyStore) StoreBatch(ctx context.Context, b connectreporting.Batch) (connectreporting.BatchResult, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.mu.Unlock()
	if f.fail[n] {
		return connectreporting.BatchResult{}, fmt.Errorf("injected database failure on call %d", n)
	}
	return f.IngestStore.StoreBatch(ctx, b)
}

func openStore(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sqliteDSN(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "r.db") }

// dsnFactories are the databases the integration tests run against.
func dsnFactories() map[string]func(t *testing.T) string {
	out := map[string]func(t *testing.T) string{"sqlite": sqliteDSN}
	if pgtest.Available() || os.Getenv("CI") != "" {
		out["postgres"] = func(t *testing.T) string { return pgtest.DSN(t) }
	}
	if os.Getenv(mssqltest.Env) != "" {
		out["sqlserver"] = func(t *testing.T) string { return mssqltest.DSN(t) }
	}
	return out
}

// reference ingests recs, in emission order, into a fresh database of the
// kind dsn names and returns its dump.
func reference(t *testing.T, dsn string, recs []simulator.Record) map[string][]string {
	t.Helper()
	s := openStore(t, dsn)
	e := &ingest.Engine{Store: s, Logger: testLogger()}
	for _, src := range []string{connectreporting.SourceAgentEvents, connectreporting.SourceCTR} {
		var in []ingest.Record
		for i, r := range recs {
			if r.Stream == src {
				in = append(in, ingest.Record{Data: r.Data, PartitionKey: r.PartitionKey, SequenceNumber: strconv.Itoa(i)})
			}
		}
		if _, err := e.Ingest(context.Background(), src, in); err != nil {
			t.Fatal(err)
		}
	}
	return dump(t, s.DB())
}

var dumpTables = []struct{ name, order string }{
	{"agent_event", "event_id"},
	{"agent_state", "agent_id"},
	{"contact_record", "contact_id"},
	{"contact_attribute", "contact_id, name"},
}

// dump returns the stream-fed tables, every column, in key order.
func dump(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tb := range dumpTables {
		cols, rows := dbtest.Rows(t, db, "SELECT * FROM "+tb.name+" ORDER BY "+tb.order)
		for _, vals := range rows {
			parts := make([]string, len(cols))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				if tm, ok := v.(time.Time); ok {
					v = tm.UTC().Format(time.RFC3339Nano)
				}
				parts[i] = fmt.Sprintf("%s=%v", cols[i], v)
			}
			out[tb.name] = append(out[tb.name], strings.Join(parts, " | "))
		}
	}
	return out
}

func diffDumps(t *testing.T, want, got map[string][]string) {
	t.Helper()
	for _, tb := range dumpTables {
		w, g := want[tb.name], got[tb.name]
		if len(w) == 0 {
			t.Errorf("%s: reference is empty", tb.name)
		}
		if len(w) != len(g) {
			t.Errorf("%s: %d rows, want %d", tb.name, len(g), len(w))
			continue
		}
		for i := range w {
			if w[i] != g[i] {
				t.Errorf("%s row %d:\n got %s\nwant %s", tb.name, i, g[i], w[i])
				break
			}
		}
	}
}

func rejected(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT source, sequence_number FROM rejected_record ORDER BY sequence_number")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var src, seq string
		if err := rows.Scan(&src, &seq); err != nil {
			t.Fatal(err)
		}
		out = append(out, src+"/"+seq)
	}
	sort.Strings(out)
	return out
}

// fastConsumer is a Consumer with test-sized pauses.
func fastConsumer(client daemon.KinesisAPI, leases connectreporting.LeaseStore, ing daemon.Ingester, streams ...daemon.Stream) *daemon.Consumer {
	return &daemon.Consumer{
		Client: client, Leases: leases, Ingester: ing, Streams: streams,
		Logger:       testLogger(),
		IdleWait:     20 * time.Millisecond,
		MinInterval:  time.Millisecond,
		ShardRefresh: 100 * time.Millisecond,
		RetryBackoff: 5 * time.Millisecond,
		MaxBackoff:   50 * time.Millisecond,
	}
}

// start runs c in the background; stop cancels it and returns Run's error.
func start(t *testing.T, c *daemon.Consumer) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(60 * time.Second):
				err = fmt.Errorf("consumer did not stop within a minute")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// waitFor polls cond until it holds; it fails the test after a minute
// (a generous bound against a hang, not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// seqsOf returns the keys the recorder uses: source|sequence number.
func seqsOf(source string, m map[string][]types.Record) []string {
	var out []string
	for _, recs := range m {
		for _, r := range recs {
			out = append(out, source+"|"+aws.ToString(r.SequenceNumber))
		}
	}
	return out
}

func midHashKey(t *testing.T, sh types.Shard) string {
	t.Helper()
	lo, ok1 := new(big.Int).SetString(aws.ToString(sh.HashKeyRange.StartingHashKey), 10)
	hi, ok2 := new(big.Int).SetString(aws.ToString(sh.HashKeyRange.EndingHashKey), 10)
	if !ok1 || !ok2 {
		t.Fatal("bad hash key range")
	}
	return new(big.Int).Rsh(new(big.Int).Add(lo, hi), 1).String()
}
