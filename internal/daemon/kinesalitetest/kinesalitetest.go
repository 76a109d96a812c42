// Package kinesalitetest runs kinesalite, a real Kinesis implementation on
// Node.js, for tests: `npm ci` at the repository root installs it into
// node_modules (package.json lists it).
package kinesalitetest

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Root is the repository root (where package.json and node_modules are).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Start runs kinesalite in memory on a free loopback port until the test
// ends and returns its endpoint URL. Streams are created, updated and
// deleted at once. Without node or node_modules/.bin/kinesalite the test
// is skipped, except under CI=true, where it fails.
func Start(t testing.TB) string {
	t.Helper()
	missing := func(why string) {
		msg := "kinesalite not available (" + why + "); install it with `npm ci` at the repository root"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("no node on PATH")
	}
	if _, err := os.Stat(filepath.Join(Root(), "node_modules", ".bin", "kinesalite")); err != nil {
		missing("node_modules/.bin/kinesalite missing")
	}
	cli := filepath.Join(Root(), "node_modules", "kinesalite", "cli.js")
	for attempt := 0; ; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, node, cli, "--port", strconv.Itoa(port), "--shardLimit", "100",
			"--createStreamMs", "0", "--deleteStreamMs", "0", "--updateStreamMs", "0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		ready := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "Listening") {
					ready <- true
					for sc.Scan() {
					}
					return
				}
			}
			ready <- false
		}()
		ok := false
		select {
		case ok = <-ready:
		case <-time.After(30 * time.Second):
		}
		if ok {
			t.Cleanup(func() {
				cancel()
				_ = cmd.Wait()
				if t.Failed() && stderr.Len() > 0 {
					t.Logf("kinesalite stderr:\n%s", stderr.String())
				}
			})
			return "http://127.0.0.1:" + strconv.Itoa(port)
		}
		cancel()
		_ = cmd.Wait()
		if attempt == 2 {
			t.Fatalf("kinesalite did not start: %s", stderr.String())
		}
	}
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
