package daemon_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/daemon"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
)

var malformed = []byte(`{"EventId": 42, "this is": "not an agent event"`)

func streams(ae, ctr string) []daemon.Stream {
	return []daemon.Stream{
		{Name: ae, Source: connectreporting.SourceAgentEvents, StartingPosition: daemon.StartTrimHorizon},
		{Name: ctr, Source: connectreporting.SourceCTR},
	}
}

// checkCheckpoints says every shard's lease checkpoint is its last record,
// or SHARD_END when the shard is closed, and that no lease is held.
func checkCheckpoints(ctx context.Context, t *testing.T, c *kinesis.Client, leases connectreporting.LeaseStore, stream string) {
	t.Helper()
	shards := shardRecords(ctx, t, c, stream)
	ls, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	closed := map[string]bool{}
	for _, sh := range ls.Shards {
		closed[aws.ToString(sh.ShardId)] = sh.SequenceNumberRange.EndingSequenceNumber != nil
	}
	got, err := leases.Leases(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]connectreporting.ShardLease{}
	for _, l := range got {
		byID[l.ShardID] = l
		if l.Owner != "" {
			t.Errorf("%s/%s: lease still held by %s after the consumers stopped", stream, l.ShardID, l.Owner)
		}
	}
	for id, recs := range shards {
		l, ok := byID[id]
		want := connectreporting.CheckpointTrimHorizon
		switch {
		case closed[id]:
			want = connectreporting.CheckpointShardEnd
		case len(recs) > 0:
			want = aws.ToString(recs[len(recs)-1].SequenceNumber)
		}
		if !ok || l.Checkpoint != want {
			t.Errorf("%s/%s: checkpoint %q (%v), want %q", stream, id, l.Checkpoint, ok, want)
		}
	}
}

// TestConsumeResumeAndPark consumes simulated agent events and CTRs from
// two 2-shard streams into SQLite and PostgreSQL, with a malformed record
// on each stream, stops, puts more, restarts, and compares the tables
// with the same records ingested directly.
func TestConsumeResumeAndPark(t *testing.T) {
	endpoint := startKinesalite(t)
	client := newKinesis(endpoint)
	first, second := simDay(t, 90*time.Minute, 150*time.Minute)
	t.Logf("%d + %d simulated records", len(first), len(second))
	for name, newDSN := range dsnFactories() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			ae, ctr := "ae-"+name, "ctr-"+name
			createStream(ctx, t, client, ae, 2)
			createStream(ctx, t, client, ctr, 2)
			half := len(first) / 2
			put(ctx, t, client, ae, ctr, first[:half])
			badAE := putRaw(ctx, t, client, ae, "bad-key", malformed)
			badCTR := putRaw(ctx, t, client, ctr, "bad-key", []byte("not json at all"))
			put(ctx, t, client, ae, ctr, first[half:])

			store := openStore(t, newDSN(t))
			eng := &ingest.Engine{Store: store, Logger: testLogger(), ChunkSize: 200}
			rec := newRecorder(eng)
			stop := start(t, fastConsumer(client, store, rec, streams(ae, ctr)...))
			aeShards, ctrShards := shardRecords(ctx, t, client, ae), shardRecords(ctx, t, client, ctr)
			all := append(seqsOf("agent-events", aeShards), seqsOf("ctr", ctrShards)...)
			waitFor(t, "the first records", func() bool { return rec.has(all) })
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			checkCheckpoints(ctx, t, client, store, ae)
			checkCheckpoints(ctx, t, client, store, ctr)
			want := []string{"agent-events/" + badAE, "ctr/" + badCTR}
			slices.Sort(want)
			if got := rejected(t, store.DB()); !slices.Equal(got, want) {
				t.Errorf("rejected records %v, want %v", got, want)
			}
			_, counts := rec.snapshot()
			for _, s := range all {
				if counts[s] != 1 {
					t.Fatalf("record %s ingested %d times in one clean run", s, counts[s])
				}
			}

			// Restart after more records: only the new ones are read.
			put(ctx, t, client, ae, ctr, second)
			rec2 := newRecorder(eng)
			stop = start(t, fastConsumer(client, store, rec2, streams(ae, ctr)...))
			aeShards, ctrShards = shardRecords(ctx, t, client, ae), shardRecords(ctx, t, client, ctr)
			all2 := append(seqsOf("agent-events", aeShards), seqsOf("ctr", ctrShards)...)
			var fresh []string
			for _, s := range all2 {
				if counts[s] == 0 {
					fresh = append(fresh, s)
				}
			}
			if len(fresh) != len(second) {
				t.Fatalf("%d new records on the streams, put %d", len(fresh), len(second))
			}
			waitFor(t, "the records after the restart", func() bool { return rec2.has(fresh) })
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			accepted, counts2 := rec2.snapshot()
			if len(accepted) != len(fresh) {
				t.Errorf("after the restart %d records ingested, want only the %d new ones", len(accepted), len(fresh))
			}
			for _, s := range accepted {
				if counts[s] > 0 {
					t.Errorf("record %s read again after a clean restart", s)
					break
				}
			}
			for _, s := range fresh {
				if counts2[s] != 1 {
					t.Errorf("new record %s ingested %d times", s, counts2[s])
					break
				}
			}
			checkCheckpoints(ctx, t, client, store, ae)
			checkCheckpoints(ctx, t, client, store, ctr)
			diffDumps(t, reference(t, newDSN(t), append(append(first[:0:0], first...), second...)), dump(t, store.DB()))
		})
	}
}

// TestDatabaseFailureRetriesFromFailedRecord makes the database fail
// several transactions mid-stream: every shard must still be stored exactly
// in order, each record accepted once, reading again from the first record
// not stored.
func TestDatabaseFailureRetriesFromFailedRecord(t *testing.T) {
	endpoint := startKinesalite(t)
	client := newKinesis(endpoint)
	ctx := context.Background()
	recs, _ := simDay(t, 90*time.Minute, 90*time.Minute)
	createStream(ctx, t, client, "ae", 2)
	createStream(ctx, t, client, "ctr", 2)
	put(ctx, t, client, "ae", "ctr", recs)
	shards := map[string][]types.Record{}
	shardOf := map[string]string{}
	source := map[string]string{"ae": connectreporting.SourceAgentEvents, "ctr": connectreporting.SourceCTR}
	for _, st := range []string{"ae", "ctr"} {
		for id, rs := range shardRecords(ctx, t, client, st) {
			shards[st+"/"+id] = rs
			for _, r := range rs {
				shardOf[source[st]+"|"+aws.ToString(r.SequenceNumber)] = st + "/" + id
			}
		}
	}
	srcOf := func(key string) string { return source[key[:strings.Index(key, "/")]] }
	store := openStore(t, sqliteDSN(t))
	faulty := &faultyStore{IngestStore: store, fail: map[int]bool{2: true, 3: true, 4: true, 9: true, 15: true}}
	rec := newRecorder(&ingest.Engine{Store: faulty, Logger: testLogger(), ChunkSize: 50})
	c := fastConsumer(client, store, rec, streams("ae", "ctr")...)
	c.Limit = 300 // several chunks per read, so a failure leaves part of a read stored
	stop := start(t, c)
	var all []string
	for key, rs := range shards {
		all = append(all, seqsOf(srcOf(key), map[string][]types.Record{"": rs})...)
	}
	waitFor(t, "every record", func() bool { return rec.has(all) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	accepted, counts := rec.snapshot()
	if rec.failed != 5 {
		t.Errorf("%d Ingest calls failed, want the 5 injected", rec.failed)
	}
	perShard := map[string][]string{}
	for _, s := range accepted {
		perShard[shardOf[s]] = append(perShard[shardOf[s]], s)
		if counts[s] != 1 {
			t.Fatalf("record %s stored %d times", s, counts[s])
		}
	}
	for key, rs := range shards {
		want := seqsOf(srcOf(key), map[string][]types.Record{"": rs})
		if !slices.Equal(perShard[key], want) {
			t.Errorf("%s: stored %d records out of order or with gaps, want %d in order", key, len(perShard[key]), len(want))
		}
	}
	for _, st := range []string{"ae", "ctr"} {
		checkCheckpoints(ctx, t, client, store, st)
	}
	stats := c.Stats()
	failures := int64(0)
	for _, s := range stats {
		failures += s.Failures
	}
	if failures != 5 {
		t.Errorf("stats count %d failures, want 5: %+v", failures, stats)
	}
	diffDumps(t, reference(t, sqliteDSN(t), recs), dump(t, store.DB()))
}

// faultyKinesis expires every 4th iterator and throttles every 3rd read.
type faultyKinesis struct {
	*kinesis.Client
	reads, expired, throttled atomic.Int64
}

func (f *faultyKinesis) GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	n := f.reads.Add(1)
	switch {
	case n%4 == 0:
		f.expired.Add(1)
		return nil, &types.ExpiredIteratorException{Message: aws.String("Iterator expired (injected)")}
	case n%3 == 0:
		f.throttled.Add(1)
		return nil, &types.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded (injected)")}
	}
	return f.Client.GetRecords(ctx, in, opts...)
}

// TestExpiredIteratorsAndThrottling: expired iterators are acquired again
// from the last position, throttling backs off; nothing lost or repeated.
func TestExpiredIteratorsAndThrottling(t *testing.T) {
	endpoint := startKinesalite(t)
	client := newKinesis(endpoint)
	ctx := context.Background()
	recs, _ := simDay(t, 60*time.Minute, 60*time.Minute)
	createStream(ctx, t, client, "ae", 2)
	createStream(ctx, t, client, "ctr", 2)
	put(ctx, t, client, "ae", "ctr", recs)
	store := openStore(t, sqliteDSN(t))
	rec := newRecorder(&ingest.Engine{Store: store, Logger: testLogger()})
	fk := &faultyKinesis{Client: client}
	c := fastConsumer(fk, store, rec, streams("ae", "ctr")...)
	c.Limit = 100
	stop := start(t, c)
	all := append(seqsOf("agent-events", shardRecords(ctx, t, client, "ae")), seqsOf("ctr", shardRecords(ctx, t, client, "ctr"))...)
	waitFor(t, "every record", func() bool { return rec.has(all) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	_, counts := rec.snapshot()
	for _, s := range all {
		if counts[s] != 1 {
			t.Fatalf("record %s ingested %d times", s, counts[s])
		}
	}
	if fk.expired.Load() == 0 || fk.throttled.Load() == 0 {
		t.Errorf("faults not exercised: %d expired, %d throttled", fk.expired.Load(), fk.throttled.Load())
	}
	diffDumps(t, reference(t, sqliteDSN(t), recs), dump(t, store.DB()))
}

// TestResharding splits a shard before the consumer starts and merges two
// while it runs: parents are read to their end before their children, so
// every partition key's records are ingested in the order they were put,
// each once.
func TestResharding(t *testing.T) {
	endpoint := startKinesalite(t)
	client := newKinesis(endpoint)
	ctx := context.Background()
	a, rest := simDay(t, 40*time.Minute, 120*time.Minute)
	b, c := rest[:len(rest)/2], rest[len(rest)/2:]
	createStream(ctx, t, client, "ae", 2)
	createStream(ctx, t, client, "ctr", 2)
	put(ctx, t, client, "ae", "ctr", a)
	// Split shard 0 of each stream into shards 2 and 3.
	for _, st := range []string{"ae", "ctr"} {
		ls, err := client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(st)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(st), ShardToSplit: ls.Shards[0].ShardId,
			NewStartingHashKey: aws.String(midHashKey(t, ls.Shards[0]))}); err != nil {
			t.Fatal(err)
		}
		waitActive(ctx, t, client, st)
	}
	put(ctx, t, client, "ae", "ctr", b)

	store := openStore(t, sqliteDSN(t))
	rec := newRecorder(&ingest.Engine{Store: store, Logger: testLogger()})
	cons := fastConsumer(client, store, rec, streams("ae", "ctr")...)
	stop := start(t, cons)
	seqs := func() []string {
		return append(seqsOf("agent-events", shardRecords(ctx, t, client, "ae")), seqsOf("ctr", shardRecords(ctx, t, client, "ctr"))...)
	}
	all := seqs()
	waitFor(t, "the records around the split", func() bool { return rec.has(all) })

	// Merge shards 3 and 1 (adjacent) while the consumer runs.
	for _, st := range []string{"ae", "ctr"} {
		if _, err := client.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(st),
			ShardToMerge: aws.String("shardId-000000000003"), AdjacentShardToMerge: aws.String("shardId-000000000001")}); err != nil {
			t.Fatal(err)
		}
		waitActive(ctx, t, client, st)
	}
	put(ctx, t, client, "ae", "ctr", c)
	all = seqs()
	if want := len(a) + len(b) + len(c); len(all) != want {
		t.Fatalf("%d records on the streams, put %d", len(all), want)
	}
	waitFor(t, "the records after the merge", func() bool { return rec.has(all) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	accepted, counts := rec.snapshot()
	for _, s := range all {
		if counts[s] != 1 {
			t.Fatalf("record %s ingested %d times", s, counts[s])
		}
	}
	// Per partition key, the records in the order put.
	putOrder := map[string][]string{}
	for _, r := range append(append(append(a[:0:0], a...), b...), c...) {
		putOrder[r.Stream+"|"+r.PartitionKey] = append(putOrder[r.Stream+"|"+r.PartitionKey], string(r.Data))
	}
	got := map[string][]string{}
	byData := map[string]string{}
	for _, r := range append(append(append(a[:0:0], a...), b...), c...) {
		byData[string(r.Data)] = r.Stream + "|" + r.PartitionKey
	}
	rec.mu.Lock()
	for _, s := range accepted {
		d := string(rec.data[s])
		got[byData[d]] = append(got[byData[d]], d)
	}
	rec.mu.Unlock()
	bad := 0
	for k, want := range putOrder {
		if !slices.Equal(got[k], want) {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d partition keys ingested out of the order put", bad, len(putOrder))
	}
	closed := 0
	for _, s := range cons.Stats() {
		if s.State == "closed" {
			closed++
		}
	}
	if closed != 4 { // shards 0 and 1 of both streams... and 3
		t.Logf("stats: %+v", cons.Stats())
	}
	if closed < 4 {
		t.Errorf("%d shards read to their end, want at least 4", closed)
	}
	for _, st := range []string{"ae", "ctr"} {
		checkCheckpoints(ctx, t, client, store, st)
	}
	diffDumps(t, reference(t, sqliteDSN(t), append(append(append(a[:0:0], a...), b...), c...)), dump(t, store.DB()))

	// A restart finds the closed shards done: nothing is read again.
	rec2 := newRecorder(&ingest.Engine{Store: store, Logger: testLogger()})
	cons2 := fastConsumer(client, store, rec2, streams("ae", "ctr")...)
	stop = start(t, cons2)
	waitFor(t, "the restarted consumer to reach the open shards", func() bool {
		open := 0
		for _, s := range cons2.Stats() {
			if s.State == "reading" && s.UpdatedAt.After(time.Time{}) {
				open++
			}
		}
		return open == 4 // shards 2 and 4 of both streams
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if acc, _ := rec2.snapshot(); len(acc) != 0 {
		t.Errorf("restart read %d records again", len(acc))
	}
}

// blockingIngester blocks its first call until released.
type blockingIngester struct {
	next     daemon.Ingester
	once     sync.Once
	entered  chan struct{}
	release  chan struct{}
	mu       sync.Mutex
	lastSeq  string
	ctxError error
}

func (b *blockingIngester) IngestShard(ctx context.Context, source string, recs []ingest.Record, shard connectreporting.ShardCheckpoint) (ingest.Result, error) {
	first := false
	b.once.Do(func() { first = true })
	if first {
		close(b.entered)
		<-b.release
		b.mu.Lock()
		b.lastSeq = recs[len(recs)-1].SequenceNumber
		b.ctxError = ctx.Err()
		b.mu.Unlock()
	}
	return b.next.IngestShard(ctx, source, recs, shard)
}

// TestShutdownFinishesInFlightBatch cancels the consumer while a batch is
// being stored: the batch is stored and checkpointed, then Run returns.
func TestShutdownFinishesInFlightBatch(t *testing.T) {
	endpoint := startKinesalite(t)
	client := newKinesis(endpoint)
	ctx := context.Background()
	recs, _ := simDay(t, 30*time.Minute, 30*time.Minute)
	createStream(ctx, t, client, "ae", 1)
	put(ctx, t, client, "ae", "", recs)
	store := openStore(t, sqliteDSN(t))
	b := &blockingIngester{next: &ingest.Engine{Store: store, Logger: testLogger()}, entered: make(chan struct{}), release: make(chan struct{})}
	c := fastConsumer(client, store, b, daemon.Stream{Name: "ae", Source: connectreporting.SourceAgentEvents})
	c.Limit = 50
	runCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- c.Run(runCtx) }()
	<-b.entered
	cancel()
	close(b.release)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if b.ctxError != nil {
		t.Errorf("the in-flight batch saw its context cancelled: %v", b.ctxError)
	}
	got, ok, err := store.StreamCheckpoint(ctx, "ae", "shardId-000000000000")
	if err != nil || !ok || got != b.lastSeq {
		t.Errorf("checkpoint %q (%v, %v), want the in-flight batch's last record %q", got, ok, err, b.lastSeq)
	}
	var n int
	if err := store.DB().QueryRow("SELECT COUNT(*) FROM agent_event").Scan(&n); err != nil || n == 0 {
		t.Errorf("agent events stored: %d (%v)", n, err)
	}
}

// TestMissingStream: a stream that does not exist stops Run with an error
// naming it.
func TestMissingStream(t *testing.T) {
	endpoint := startKinesalite(t)
	client := newKinesis(endpoint)
	store := openStore(t, sqliteDSN(t))
	c := fastConsumer(client, store, &ingest.Engine{Store: store}, daemon.Stream{Name: "nope", Source: connectreporting.SourceCTR})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := c.Run(ctx)
	if err == nil || !containsAll(err.Error(), "nope", "ResourceNotFound") {
		t.Errorf("Run = %v, want an error naming the stream", err)
	}
}
