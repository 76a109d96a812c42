package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"

	"github.com/connect-reporting/connect-reporting/internal/agentevents"
)

// TestSimulateServesConnectAPI runs `simulate` whole, reads the endpoint it
// prints, lists the queues through the real AWS SDK client and checks the
// records it writes with --out decode.
func TestSimulateServesConnectAPI(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	pr, pw := io.Pipe()
	m := NewMain()
	m.Stdout, m.Stderr = pw, io.Discard
	m.Getenv = func(string) string { return "" }
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, []string{"simulate", "--addr", "127.0.0.1:0", "--agents", "12", "--queues", "3",
			"--speed", "3600", "--start", "2026-11-23T08:00:00Z", "--out", dir, "--instance-id", "inst-1"})
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var url string
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "Connect API: "); ok {
			url = u
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		t.Fatalf("simulate printed no endpoint (err %v)", <-done)
	}
	client := connect.New(connect.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")})
	out, err := client.ListQueues(ctx, &connect.ListQueuesInput{InstanceId: aws.String("inst-1")})
	if err != nil {
		t.Fatal(err)
	}
	standard := 0
	for _, q := range out.QueueSummaryList {
		if q.QueueType == "STANDARD" {
			standard++
		}
	}
	if standard != 3 {
		t.Errorf("%d standard queues, want 3", standard)
	}
	// An hour a second: agents log in within the first simulated minutes.
	deadline := time.Now().Add(20 * time.Second)
	var lines []string
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(filepath.Join(dir, "agent-events.jsonl"))
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) >= 12 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(lines) < 12 {
		t.Fatalf("%d agent events written", len(lines))
	}
	for _, l := range lines[:12] {
		if _, err := agentevents.Decode([]byte(l)); err != nil {
			t.Errorf("emitted agent event does not decode: %v", err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("simulate: %v", err)
	}
	m.Close()
}
