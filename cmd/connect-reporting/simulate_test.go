package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/connect-reporting/connect-reporting/internal/agentevents"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
)

// TestSimulateServesConnectAPI runs `simulate` whole, reads the endpoint it
// prints, lists the queues through the real AWS SDK client (connectapi) and checks the
// records it writes with --out decode.
func TestSimulateServesConnectAPI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url, stop := startSimulate(t, "--agents", "12", "--queues", "3",
		"--speed", "3600", "--start", "2026-11-23T08:00:00Z", "--out", dir, "--instance-id", "inst-1")
	client := connectapi.New(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")},
		connectapi.Options{InstanceID: "inst-1", Endpoint: url})
	qs, _, err := client.ListQueues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 3 {
		t.Errorf("%d standard queues, want 3", len(qs))
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
	stop()
}

// startSimulate runs `simulate --addr 127.0.0.1:0 args...` whole and
// returns the endpoint it prints and a function that stops it.
func startSimulate(t *testing.T, args ...string) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	m := NewMain()
	m.Stdout, m.Stderr = pw, io.Discard
	m.Getenv = func(string) string { return "" }
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, append([]string{"simulate", "--addr", "127.0.0.1:0"}, args...))
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "Connect API: "); ok {
			url = u
			break
		}
	}
	go io.Copy(io.Discard, pr)
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulate: %v", err)
		}
		m.Close()
	}
	t.Cleanup(stop)
	if url == "" {
		cancel()
		t.Fatalf("simulate printed no endpoint (err %v)", <-done)
	}
	return url, stop
}

// TestSimulateThenPollHistorical is the README's example: `simulate`
// started in the past, in business hours, at 3600x, then `poll historical --from --to` within
// the simulated time stores metrics; without --from/--to the API's clock is
// behind and the error says what to do.
func TestSimulateThenPollHistorical(t *testing.T) {
	// 10:00 UTC two days ago: inside the simulated centre's opening hours
	// whatever the time of day the test runs (at 23:00 the centre is closed
	// and the hour has no contacts, so no metrics).
	start := time.Now().UTC().AddDate(0, 0, -2).Truncate(24 * time.Hour).Add(10 * time.Hour)
	url, _ := startSimulate(t, "--agents", "12", "--queues", "2", "--speed", "3600",
		"--start", start.Format(time.RFC3339), "--instance-id", "inst-1", "--seed", "3")
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{"AWS_ENDPOINT_URL_CONNECT": url, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none} {
		t.Setenv(k, v)
	}
	time.Sleep(2500 * time.Millisecond) // 2.5 simulated hours
	db := "sqlite:" + filepath.Join(t.TempDir(), "simulated.db")
	out, _, err := run(t, nil, "", "poll", "historical", "--instance", "inst-1", "--db", db,
		"--from", start.Format(time.RFC3339), "--to", start.Add(time.Hour).Format(time.RFC3339))
	if err != nil {
		t.Fatalf("poll historical: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`2 queues, \d+ agents, 1 slices, (\d+) metrics`).FindStringSubmatch(out)
	if m == nil || m[1] == "0" {
		t.Errorf("poll historical stored no metrics: %s", out)
	}
	_, _, err = run(t, nil, "", "poll", "historical", "--instance", "inst-1", "--db", db)
	if err == nil || !strings.Contains(err.Error(), "give --from and --to within its simulated time") {
		t.Errorf("poll historical past the simulated clock: %v", err)
	}
}
