package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	connectreporting "github.com/connect-reporting/connect-reporting"

	"github.com/connect-reporting/connect-reporting/internal/daemon"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// testLease is the lease duration of the tests: short, so that a takeover
// happens within a second or two.
const testLease = 1500 * time.Millisecond

// owners returns how many leases of the streams each owner holds ("" =
// free), and how many leases there are.
func owners(ctx context.Context, t *testing.T, s connectreporting.LeaseStore, streams ...string) (map[string]int, int) {
	t.Helper()
	out, n := map[string]int{}, 0
	for _, st := range streams {
		ls, err := s.Leases(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if l.Checkpoint != connectreporting.CheckpointShardEnd {
				out[l.Owner]++
				n++
			}
		}
	}
	return out, n
}

// TestTwoConsumersSplitFourShards: a second consumer on a 4-shard stream
// steals from the first until they hold 2 shards each; every record is
// accepted exactly once across the two (a batch of a consumer that has
// just lost its lease is refused whole), and both free their leases when
// they stop.
func TestTwoConsumersSplitFourShards(t *testing.T) {
	endpoint := startKinesalite(t)
	client := newKinesis(endpoint)
	ctx := context.Background()
	first, second := simDay(t, 30*time.Minute, 60*time.Minute)
	createStream(ctx, t, client, "ae", 4)
	createStream(ctx, t, client, "ctr", 2)
	put(ctx, t, client, "ae", "ctr", first)
	store := openStore(t, sqliteDSN(t))
	eng := &ingest.Engine{Store: store, Logger: testLogger(), ChunkSize: 50}
	recs := map[string]*recorder{}
	consumer := func(id string) func() error {
		recs[id] = newRecorder(eng)
		c := fastConsumer(client, store, recs[id], streams("ae", "ctr")...)
		c.WorkerID, c.LeaseDuration, c.Limit = id, testLease, 100
		return start(t, c)
	}
	stopA := consumer("A")
	waitFor(t, "A to hold all 4 shards", func() bool { o, _ := owners(ctx, t, store, "ae"); return o["A"] == 4 })
	stopB := consumer("B")
	waitFor(t, "a 2/2 split", func() bool { o, _ := owners(ctx, t, store, "ae"); return o["A"] == 2 && o["B"] == 2 })
	put(ctx, t, client, "ae", "ctr", second)
	// Stable: several lease periods later, still 2/2.
	time.Sleep(4 * testLease)
	if o, _ := owners(ctx, t, store, "ae"); o["A"] != 2 || o["B"] != 2 {
		t.Errorf("leases %v after balancing, want 2 each", o)
	}
	all := append(seqsOf("agent-events", shardRecords(ctx, t, client, "ae")), seqsOf("ctr", shardRecords(ctx, t, client, "ctr"))...)
	waitFor(t, "every record", func() bool {
		_, a := recs["A"].snapshot()
		_, b := recs["B"].snapshot()
		for _, s := range all {
			if a[s]+b[s] == 0 {
				return false
			}
		}
		return true
	})
	for _, stop := range []func() error{stopA, stopB} {
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
	_, a := recs["A"].snapshot()
	_, b := recs["B"].snapshot()
	for _, s := range all {
		if a[s]+b[s] != 1 {
			t.Fatalf("record %s accepted %d times by A and %d by B, want once in all", s, a[s], b[s])
		}
	}
	if len(b) == 0 {
		t.Error("B stored nothing")
	}
	checkCheckpoints(ctx, t, client, store, "ae")
	checkCheckpoints(ctx, t, client, store, "ctr")
	diffDumps(t, reference(t, sqliteDSN(t), append(append(first[:0:0], first...), second...)), dump(t, store.DB()))
}

// Environment of a daemon process started by TestKillOneOfThreeDaemons.
const (
	envWorker   = "DAEMON_LEASE_WORKER"
	envKinesis  = "DAEMON_LEASE_KINESIS"
	envDSN      = "DAEMON_LEASE_DSN"
	envWorkerOK = "worker ready"
)

// leaseWorkerMain runs a consumer of streams ae and ctr as its own process
// (the test binary run again) until SIGTERM.
func leaseWorkerMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	store, err := sqlstore.Open(ctx, os.Getenv(envDSN), sqlstore.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer store.Close()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("worker", os.Getenv(envWorker))
	c := &daemon.Consumer{
		Client: newKinesis(os.Getenv(envKinesis)), Leases: store, Logger: log,
		Ingester: &ingest.Engine{Store: store, Logger: log, ChunkSize: 50},
		Streams:  streams("ae", "ctr"), WorkerID: os.Getenv(envWorker), LeaseDuration: testLease,
		Limit: 100, IdleWait: 20 * time.Millisecond, MinInterval: time.Millisecond, ShardRefresh: 200 * time.Millisecond,
		RetryBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
	}
	fmt.Println(envWorkerOK)
	if err := c.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type workerProc struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	out *bytes.Buffer
}

func (w *workerProc) output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

func startWorker(t *testing.T, id, endpoint, dsn string) *workerProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envWorker+"="+id, envKinesis+"="+endpoint, envDSN+"="+dsn)
	w := &workerProc{cmd: cmd, out: &bytes.Buffer{}}
	sw := &syncWriter{mu: &w.mu, b: w.out}
	cmd.Stdout, cmd.Stderr = sw, sw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("worker %s output (tail):\n%s", id, tail(w.output(), 3000))
		}
	})
	return w
}

// syncWriter is a buffer written by a process's stdout and stderr at once.
type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestKillOneOfThreeDaemons runs three daemons as separate processes on
// two 3-shard streams, kills one with SIGKILL while records keep coming,
// and ends with its shards taken over, every shard read to its last record
// and every record stored exactly once (the tables equal the records
// ingested once, in order).
func TestKillOneOfThreeDaemons(t *testing.T) {
	endpoint := startKinesalite(t)
	client := newKinesis(endpoint)
	ctx := context.Background()
	newDSN := sqliteDSN
	if pgtest.Available() {
		newDSN = func(t *testing.T) string { return pgtest.DSN(t) }
	}
	dsn := newDSN(t)
	store := openStore(t, dsn) // migrates before the workers start
	a, rest := simDay(t, 30*time.Minute, 75*time.Minute)
	b, c := rest[:len(rest)/2], rest[len(rest)/2:]
	createStream(ctx, t, client, "ae", 3)
	createStream(ctx, t, client, "ctr", 3)
	put(ctx, t, client, "ae", "ctr", a)
	workers := map[string]*workerProc{}
	for _, id := range []string{"w1", "w2", "w3"} {
		workers[id] = startWorker(t, id, endpoint, dsn)
	}
	waitFor(t, "three daemons holding two shards each", func() bool {
		o, n := owners(ctx, t, store, "ae", "ctr")
		return n == 6 && o["w1"] == 2 && o["w2"] == 2 && o["w3"] == 2
	})
	put(ctx, t, client, "ae", "ctr", b)
	if err := workers["w2"].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = workers["w2"].cmd.Wait()
	put(ctx, t, client, "ae", "ctr", c)
	waitFor(t, "w2's shards taken over", func() bool {
		o, n := owners(ctx, t, store, "ae", "ctr")
		return n == 6 && o["w1"]+o["w3"] == 6
	})
	waitFor(t, "every shard read to its last record", func() bool { return allCheckpointed(ctx, t, client, store, "ae", "ctr") })
	for _, id := range []string{"w1", "w3"} {
		if err := workers[id].cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := workers[id].cmd.Wait(); err != nil {
			t.Errorf("daemon %s: %v", id, err)
		}
		if !strings.Contains(workers[id].output(), envWorkerOK) {
			t.Errorf("daemon %s did not start", id)
		}
	}
	for _, st := range []string{"ae", "ctr"} {
		checkCheckpoints(ctx, t, client, store, st)
	}
	all := append(append(append(a[:0:0], a...), b...), c...)
	diffDumps(t, reference(t, newDSN(t), all), dump(t, store.DB()))
	if !strings.Contains(workers["w1"].output()+workers["w3"].output(), "from=w2") {
		t.Error("no daemon logged a lease takeover")
	}
}

// allCheckpointed says every shard's lease is at the shard's last record.
func allCheckpointed(ctx context.Context, t *testing.T, client *kinesis.Client, s connectreporting.LeaseStore, streams ...string) bool {
	for _, st := range streams {
		ls, err := s.Leases(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, l := range ls {
			got[l.ShardID] = l.Checkpoint
		}
		for id, recs := range shardRecords(ctx, t, client, st) {
			if len(recs) > 0 && got[id] != *recs[len(recs)-1].SequenceNumber {
				return false
			}
		}
	}
	return true
}
