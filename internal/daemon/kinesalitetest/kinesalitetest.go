// Package kinesalitetest has the Kinesis test helpers of the daemon's
// tests: kinesalite (a real Kinesis implementation on Node.js, started by
// internal/kinesalite), a client for it, and stream helpers.
package kinesalitetest

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/connect-reporting/connect-reporting/internal/kinesalite"
)

// Start runs kinesalite in memory on a free loopback port until the test
// ends and returns its endpoint URL (see internal/kinesalite). Without node
// or kinesalite the test is skipped, except under CI, where it fails.
func Start(t testing.TB) string {
	t.Helper()
	return kinesalite.Start(t)
}

// Client returns a Kinesis client for endpoint with static test credentials.
func Client(endpoint string) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
		}),
	})
}

// WaitActive waits until the stream is ACTIVE.
func WaitActive(ctx context.Context, t testing.TB, c *kinesis.Client, name string) {
	t.Helper()
	for {
		out, err := c.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if out.StreamDescription.StreamStatus == types.StreamStatusActive {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CreateStream creates a stream of shards shards and waits until it is ACTIVE.
func CreateStream(ctx context.Context, t testing.TB, c *kinesis.Client, name string, shards int32) {
	t.Helper()
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shards)}); err != nil {
		t.Fatal(err)
	}
	WaitActive(ctx, t, c, name)
}

// ShardRecords reads every shard of a stream from TRIM_HORIZON to its
// current end, by shard id.
func ShardRecords(ctx context.Context, t testing.TB, c *kinesis.Client, stream string) map[string][]types.Record {
	t.Helper()
	ls, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(stream)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]types.Record{}
	for _, sh := range ls.Shards {
		id := aws.ToString(sh.ShardId)
		out[id] = nil
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		for iter := it.ShardIterator; iter != nil; {
			res, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			out[id] = append(out[id], res.Records...)
			if len(res.Records) == 0 {
				break
			}
			iter = res.NextShardIterator
		}
	}
	return out
}
