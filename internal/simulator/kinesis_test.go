package simulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/connect-reporting/connect-reporting/internal/daemon/kinesalitetest"
)

// flakyKinesis fails every third entry of each call's first attempt.
type flakyKinesis struct {
	calls   int
	maxRecs int
	got     map[string][][]byte
	seen    map[string]int
}

func (f *flakyKinesis) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	f.calls++
	if len(in.Records) > f.maxRecs {
		f.maxRecs = len(in.Records)
	}
	out := &kinesis.PutRecordsOutput{}
	failed := int32(0)
	for i, e := range in.Records {
		key := string(e.Data)
		f.seen[key]++
		if i%3 == 1 && f.seen[key] == 1 {
			failed++
			out.Records = append(out.Records, types.PutRecordsResultEntry{
				ErrorCode: aws.String("ProvisionedThroughputExceededException"), ErrorMessage: aws.String("slow down"),
			})
			continue
		}
		out.Records = append(out.Records, types.PutRecordsResultEntry{SequenceNumber: aws.String(strconv.Itoa(f.calls)), ShardId: aws.String("shardId-000000000000")})
		f.got[aws.ToString(in.StreamName)] = append(f.got[aws.ToString(in.StreamName)], e.Data)
	}
	out.FailedRecordCount = aws.Int32(failed)
	return out, nil
}

func testRecords(n int) []Record {
	var recs []Record
	for i := 0; i < n; i++ {
		st := StreamAgentEvents
		if i%4 == 0 {
			st = StreamCTR
		}
		recs = append(recs, Record{Stream: st, PartitionKey: "k" + strconv.Itoa(i%7), Data: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	return recs
}

func TestKinesisSinkBatchesAndRetries(t *testing.T) {
	f := &flakyKinesis{got: map[string][][]byte{}, seen: map[string]int{}}
	k := NewKinesisSink(f, "ae", "ctr")
	k.Backoff = time.Millisecond
	recs := testRecords(1300)
	if err := k.Write(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	if f.maxRecs > 500 {
		t.Fatalf("batch of %d records", f.maxRecs)
	}
	if len(f.got["ae"])+len(f.got["ctr"]) != len(recs) {
		t.Fatalf("delivered %d + %d of %d", len(f.got["ae"]), len(f.got["ctr"]), len(recs))
	}
	for key, n := range f.seen {
		if n > 2 {
			t.Fatalf("%s sent %d times", key, n)
		}
	}
	// An entry that always fails ends in an error after MaxAttempts.
	k2 := NewKinesisSink(failingKinesis{}, "ae", "")
	k2.Backoff, k2.MaxAttempts = time.Millisecond, 3
	if err := k2.Write(context.Background(), testRecords(3)); err == nil || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("err = %v", err)
	}
}

type failingKinesis struct{}

func (failingKinesis) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	out := &kinesis.PutRecordsOutput{FailedRecordCount: aws.Int32(int32(len(in.Records)))}
	for range in.Records {
		out.Records = append(out.Records, types.PutRecordsResultEntry{ErrorCode: aws.String("InternalFailure")})
	}
	return out, nil
}

func TestKinesisSinkKinesalite(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := kinesalitetest.Client(kinesalitetest.Start(t))
	for _, name := range []string{"agent-events", "ctr"} {
		kinesalitetest.CreateStream(ctx, t, client, name, 1)
	}
	cfg := dayConfig()
	cfg.Agents = 30
	cfg.Start = cfg.Start.Add(8 * time.Hour)
	mem := &MemorySink{}
	s, err := New(cfg, mem, NewKinesisSink(client, "agent-events", "ctr"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RunUntilContext(ctx, cfg.Start.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := map[string][]Record{}
	for _, r := range mem.Records() {
		want[r.Stream] = append(want[r.Stream], r)
	}
	if len(want[StreamAgentEvents]) < 600 || len(want[StreamCTR]) == 0 {
		t.Fatalf("too few records: %d agent events, %d CTRs", len(want[StreamAgentEvents]), len(want[StreamCTR]))
	}
	for stream, name := range map[string]string{StreamAgentEvents: "agent-events", StreamCTR: "ctr"} {
		got := readStream(ctx, t, client, name, len(want[stream]))
		if len(got) != len(want[stream]) {
			t.Fatalf("%s: read back %d records, wrote %d", name, len(got), len(want[stream]))
		}
		// One shard: records come back in the order they were put, since
		// none needed a retry.
		for i, r := range got {
			if !bytes.Equal(r.Data, want[stream][i].Data) || aws.ToString(r.PartitionKey) != want[stream][i].PartitionKey {
				t.Fatalf("%s record %d differs", name, i)
			}
		}
	}
}

func readStream(ctx context.Context, t *testing.T, c *kinesis.Client, stream string, want int) []types.Record {
	t.Helper()
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
		StreamName: aws.String(stream), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
	})
	if err != nil {
		t.Fatal(err)
	}
	iter := it.ShardIterator
	var out []types.Record
	for empty := 0; iter != nil && len(out) < want && empty < 5; {
		res, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
		if err != nil {
			var tp *types.ProvisionedThroughputExceededException
			if errors.As(err, &tp) {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			t.Fatal(err)
		}
		if len(res.Records) == 0 {
			empty++
		}
		out = append(out, res.Records...)
		iter = res.NextShardIterator
	}
	return out
}
