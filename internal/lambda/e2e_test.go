package lambda_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/connect-reporting/connect-reporting/internal/lambda"
	"github.com/connect-reporting/connect-reporting/internal/lambda/lambdatest"
)

// The end-to-end tests run this test binary again as the function process
// (LAMBDATEST_CHILD=1): the real aws-lambda-go runtime loop against the
// loopback Runtime API, the real SDK against the loopback SSM server.
func TestMain(m *testing.M) {
	if os.Getenv("LAMBDATEST_CHILD") == "1" {
		err := lambda.Run(context.Background(), os.Getenv, childFactory, lambda.Options{})
		fmt.Fprintln(os.Stderr, "lambda.Run:", err)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func childFactory(_ context.Context, cfg lambda.Config) (lambda.Handlers, error) {
	if cfg.DSN.Reveal() != testDSN {
		return lambda.Handlers{}, fmt.Errorf("unexpected DSN %s", cfg.DSN.Reveal())
	}
	cfg.Logger.Info("factory", "dsn", cfg.DSN.Reveal()) // redacted by the runtime's logger
	realtime := lambda.PollerFunc(func(ctx context.Context) error {
		dl, ok := ctx.Deadline()
		if !ok {
			return fmt.Errorf("no deadline")
		}
		// Loop like the real-time poller: until the deadline less a margin.
		for time.Until(dl) > 2500*time.Millisecond {
			time.Sleep(50 * time.Millisecond)
		}
		return nil
	})
	return lambda.Handlers{Ingester: &fakeIngester{}, Realtime: realtime, Historical: realtime, Config: realtime}, nil
}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type function struct {
	api  *lambdatest.RuntimeAPI
	ssm  *lambdatest.SSMServer
	proc *lambdatest.Process
}

func startFunction(t *testing.T, handler string, extra ...string) function {
	t.Helper()
	api := lambdatest.NewRuntimeAPI(t)
	ssm := lambdatest.NewSSMServer(t, map[string]string{"/connect-reporting/dsn": testDSN})
	env := append(lambdatest.Env(api, handler),
		"LAMBDATEST_CHILD=1",
		"SQL_PARAM=/connect-reporting/dsn",
		"AWS_ENDPOINT_URL_SSM="+ssm.URL,
		"STORAGE=pgsql",
		"INSTANCE_ID=0a1b2c3d-1111-2222-3333-444455556666",
		"TIME_ZONE=Australia/Sydney",
		"LOG_LEVEL=debug",
	)
	env = append(env, extra...)
	return function{api, ssm, lambdatest.Start(t, os.Args[0], []string{"-test.run=^$"}, env)}
}

func TestEndToEndKinesis(t *testing.T) {
	fn := startFunction(t, "ConnectLambda::ConnectLambda.ProcessCTR::Handler")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The sample batch: one contact record and one record that is not JSON.
	// The malformed record is the ingester's to reject, not a failure.
	r, err := fn.api.Invoke(ctx, readEvent(t, "kinesis-ctr-malformed.json"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cold start (test binary): process start -> first response %v (runtime asked for work after %v)",
		r.Received.Sub(fn.proc.Started).Round(time.Millisecond), fn.api.FirstNext().Sub(fn.proc.Started).Round(time.Millisecond))
	if r.Err != nil || string(r.Payload) != `{"batchItemFailures":[]}` {
		t.Fatalf("response %s, error %+v", r.Payload, r.Err)
	}

	// A batch whose records 1 and 3 the store fails.
	ev := lambdatest.KinesisEvent(lambdatest.StreamARN("ContactTraceRecords"),
		[]byte(`{"ContactId":"a"}`), []byte(`{"fail":1}`), []byte(`{"ContactId":"c"}`), []byte(`{"fail":3}`))
	r, err = fn.api.InvokeJSON(ctx, ev, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.KinesisEventResponse
	if err := json.Unmarshal(r.Payload, &resp); err != nil || r.Err != nil {
		t.Fatalf("response %s: %v %+v", r.Payload, err, r.Err)
	}
	if len(resp.BatchItemFailures) != 2 || resp.BatchItemFailures[0].ItemIdentifier != lambdatest.SequenceNumber(1) ||
		resp.BatchItemFailures[1].ItemIdentifier != lambdatest.SequenceNumber(3) {
		t.Errorf("batchItemFailures = %+v", resp.BatchItemFailures)
	}
	if _, err := fn.api.Invoke(ctx, readEvent(t, "kinesis-ctr.json"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if fn.ssm.Calls() != 1 {
		t.Errorf("GetParameter calls = %d over 3 invocations, want 1", fn.ssm.Calls())
	}
	rss, _ := fn.proc.Stop()
	out := fn.proc.Output()
	if strings.Contains(out, password) || strings.Contains(out, "db.internal") {
		t.Errorf("the function's output shows the secret:\n%s", out)
	}
	for _, want := range []string{`"msg":"batch"`, `"records":2`, `"stored":1`, `"rejected":1`, `"failed":2`, `"request_id":"req-000002"`, `"handler":"ProcessCTR"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	t.Logf("peak RSS %.1f MiB", float64(rss)/(1<<20))
}

func TestEndToEndSchedule(t *testing.T) {
	fn := startFunction(t, lambda.OnboardObservations)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range []string{"scheduler.json", "eventbridge-scheduled.json"} {
		start := time.Now()
		r, err := fn.api.Invoke(ctx, readEvent(t, name), 3*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if r.Err != nil || string(r.Payload) != "null" {
			t.Errorf("%s: response %s, error %+v", name, r.Payload, r.Err)
		}
		// The poller ran until the invocation's deadline less its margin.
		if took := r.Received.Sub(start); took < 300*time.Millisecond || took > 2500*time.Millisecond {
			t.Errorf("%s: took %v; the poller should run until the deadline (3s) less 2.5s", name, took)
		}
	}
	fn.proc.Stop()
	if out := fn.proc.Output(); !strings.Contains(out, `"event_id":"3f1e6d2c-5b4a-4c3d-9e8f-0a1b2c3d4e5f"`) || strings.Contains(out, password) {
		t.Errorf("output:\n%s", out)
	}
}

func TestEndToEndInitError(t *testing.T) {
	for handler, want := range map[string]string{
		"ConnectLambda::ConnectLambda.ProcessEverything::Handler": "valid handlers are ProcessAgentEvents, ProcessCTR, OnboardObservations, OnboardMetrics, OnboardUserGroups",
		"OnboardMetrics": "TIME_ZONE",
	} {
		fn := startFunction(t, handler, "TIME_ZONE=Mars/Olympus")
		select {
		case e := <-fn.api.InitError():
			if !strings.Contains(e.ErrorMessage, want) || !strings.HasPrefix(e.Header, "Runtime.") {
				t.Errorf("%s: init error %+v, want it to say %q", handler, e, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no init error", handler)
		}
		if err := fn.proc.Wait(10 * time.Second); err == nil || fn.api.FirstNext() != (time.Time{}) {
			t.Errorf("%s: the process must exit without asking for work (err %v)", handler, err)
		}
	}
}

// TestEndToEndBatch500 sends a full batch (500 agent events of about 2 KB)
// and reports the process's peak RSS. The fake ingester stores nothing, so
// this is the Lambda layer's share; the figure with the SQL store comes from
// cmd/connect-reporting's test.
func TestEndToEndBatch500(t *testing.T) {
	var sample events.KinesisEvent
	if err := json.Unmarshal(readEvent(t, "kinesis-agent-events.json"), &sample); err != nil {
		t.Fatal(err)
	}
	payloads := make([][]byte, 500)
	for i := range payloads {
		payloads[i] = bytes.Replace(sample.Records[0].Kinesis.Data, []byte("000000000001"), []byte(fmt.Sprintf("%012d", i)), 1)
	}
	fn := startFunction(t, lambda.ProcessAgentEvents)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := fn.api.InvokeJSON(ctx, lambdatest.KinesisEvent(lambdatest.StreamARN("AgentEvents"), payloads...), 30*time.Second)
	if err != nil || r.Err != nil || string(r.Payload) != `{"batchItemFailures":[]}` {
		t.Fatalf("response %s, %+v, %v", r.Payload, r.Err, err)
	}
	rss, _ := fn.proc.Stop()
	if !strings.Contains(fn.proc.Output(), `"stored":500`) {
		t.Errorf("output:\n%s", fn.proc.Output())
	}
	t.Logf("500-record batch (%d bytes of records): peak RSS %.1f MiB (Lambda layer, fake ingester)", 500*len(payloads[0]), float64(rss)/(1<<20))
}
