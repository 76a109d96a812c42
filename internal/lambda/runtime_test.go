package lambda_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/lambda"
	"github.com/connect-reporting/connect-reporting/internal/lambda/lambdatest"
)

// testDSN holds the password the logs must never show.
const testDSN = "Server=db.internal,1433;Database=AmazonConnect;User Id=reporter;Password=" + password + ";MultipleActiveResultSets=True"

// ssmClient is the real SDK client pointed at the loopback SSM server.
func ssmClient(url string) *ssm.Client {
	return ssm.New(ssm.Options{
		BaseEndpoint: aws.String(url),
		Region:       "ap-southeast-2",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
}

func TestSSMReader(t *testing.T) {
	srv := lambdatest.NewSSMServer(t, map[string]string{"/connect-reporting/dsn": testDSN})
	r := &lambda.SSMReader{Client: ssmClient(srv.URL)}
	got, err := r.ReadParameter(context.Background(), "/connect-reporting/dsn")
	if err != nil {
		t.Fatal(err)
	}
	if got.Reveal() != testDSN {
		t.Errorf("value = %q, want the decrypted connection string", got.Reveal())
	}
	if srv.SignedCalls() != 1 {
		t.Errorf("signed requests = %d, want 1", srv.SignedCalls())
	}
	_, err = r.ReadParameter(context.Background(), "/missing")
	if err == nil || !strings.Contains(err.Error(), "ParameterNotFound") || !strings.Contains(err.Error(), "/missing") {
		t.Errorf("missing parameter: err = %v", err)
	}
}

// TestSSMReaderEndpointFromEnvironment checks that the default
// configuration honours the SDK's service endpoint variable.
func TestSSMReaderEndpointFromEnvironment(t *testing.T) {
	srv := lambdatest.NewSSMServer(t, map[string]string{"dsn": "sqlite:x.db"})
	t.Setenv("AWS_ENDPOINT_URL_SSM", srv.URL)
	t.Setenv("AWS_REGION", "eu-west-2")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_PROFILE", "")
	r, err := lambda.NewSSMReader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.ReadParameter(context.Background(), "dsn")
	if err != nil || got.Reveal() != "sqlite:x.db" || srv.Calls() != 1 {
		t.Fatalf("ReadParameter = %q, %v (calls %d)", got.Reveal(), err, srv.Calls())
	}
}

// fakeIngester rejects records that are not JSON (as the engine does),
// fails records whose data contains "fail" with a store error, and records
// what it was given.
type fakeIngester struct {
	mu      sync.Mutex
	sources []string
	got     [][]ingest.Record
	err     error // returned with the failed indexes
	failed  []int // overrides the computed indexes when set
}

func (f *fakeIngester) Ingest(_ context.Context, source string, recs []ingest.Record) (ingest.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sources = append(f.sources, source)
	f.got = append(f.got, recs)
	var res ingest.Result
	for i, r := range recs {
		switch {
		case !json.Valid(r.Data):
			res.Rejected++
		case bytes.Contains(r.Data, []byte("fail")):
			res.Failed = append(res.Failed, i)
		default:
			res.Stored++
		}
	}
	if f.failed != nil {
		res.Failed = f.failed
	}
	var err error
	if len(res.Failed) > 0 || f.err != nil {
		err = f.err
		if err == nil {
			err = errors.New("store: connection reset")
		}
	}
	return res, err
}

type countingFactory struct {
	calls atomic.Int64
	fail  atomic.Bool
	h     lambda.Handlers
	cfgs  []lambda.Config
	mu    sync.Mutex
}

func (f *countingFactory) build(_ context.Context, cfg lambda.Config) (lambda.Handlers, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.cfgs = append(f.cfgs, cfg)
	f.mu.Unlock()
	if f.fail.Load() {
		return lambda.Handlers{}, fmt.Errorf("open %s: dial tcp: i/o timeout", cfg.DSN.Reveal())
	}
	return f.h, nil
}

func newRuntime(t *testing.T, handler string, f *countingFactory, params lambda.ParameterReader, logs *bytes.Buffer) *lambda.Runtime {
	t.Helper()
	cfg, err := lambda.LoadConfig(envOf(map[string]string{
		"_HANDLER": handler, "SQL_PARAM": "/connect-reporting/dsn", "INSTANCE_ID": "inst", "STORAGE": "sqlserver",
	}))
	if err != nil {
		t.Fatal(err)
	}
	return lambda.NewRuntime(cfg, f.build, lambda.Options{
		Logger:     lambda.NewLogger(logs, slog.LevelDebug),
		Parameters: params,
	})
}

func TestRuntimeCachesParameterAndHandlers(t *testing.T) {
	srv := lambdatest.NewSSMServer(t, map[string]string{"/connect-reporting/dsn": testDSN})
	ing := &fakeIngester{}
	f := &countingFactory{h: lambda.Handlers{Ingester: ing}}
	var logs bytes.Buffer
	rt := newRuntime(t, lambda.ProcessAgentEvents, f, &lambda.SSMReader{Client: ssmClient(srv.URL)}, &logs)
	ctx := context.Background()

	// SSM down: the invocation fails, nothing is cached, the next one retries.
	srv.FailWith(true)
	if _, err := rt.HandleKinesis(ctx, lambdatest.KinesisEvent("s", []byte(`{}`))); err == nil {
		t.Fatal("want an error while SSM fails")
	}
	srv.FailWith(false)
	failedCalls := srv.Calls()

	// The database down: the DSN stays cached, the factory is retried.
	f.fail.Store(true)
	if _, err := rt.HandleKinesis(ctx, lambdatest.KinesisEvent("s", []byte(`{}`))); err == nil {
		t.Fatal("want an error while the factory fails")
	} else if strings.Contains(err.Error(), password) {
		t.Errorf("error shows the password: %v", err)
	}
	f.fail.Store(false)
	for i := 0; i < 5; i++ {
		resp, err := rt.HandleKinesis(ctx, lambdatest.KinesisEvent("s", []byte(`{"n":1}`), []byte(`{"n":2}`)))
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("invocation %d: %+v %v", i, resp, err)
		}
	}
	if got := srv.Calls() - failedCalls; got != 1 {
		t.Errorf("GetParameter calls after SSM recovered = %d, want 1 per container", got)
	}
	if got := f.calls.Load(); got != 2 {
		t.Errorf("factory calls = %d, want 2 (one failed, one built)", got)
	}
	if c := f.cfgs[len(f.cfgs)-1]; c.DSN.Reveal() != testDSN || c.Handler != lambda.ProcessAgentEvents || c.Logger == nil {
		t.Errorf("factory config: handler %q, DSN ok %v, logger %v", c.Handler, c.DSN.Reveal() == testDSN, c.Logger)
	}
	if ing.sources[0] != connectreporting.SourceAgentEvents {
		t.Errorf("source = %q", ing.sources[0])
	}
	if strings.Contains(logs.String(), password) || strings.Contains(logs.String(), "db.internal") {
		t.Errorf("logs show the secret:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"stored":2`) {
		t.Errorf("logs carry no counts:\n%s", logs.String())
	}
}

func TestHandleKinesisBatchItemFailures(t *testing.T) {
	ctx := context.Background()
	payloads := [][]byte{
		[]byte(`{"ok":0}`), []byte(`not json`), []byte(`{"fail":2}`), []byte(`{"ok":3}`), []byte(`{"fail":4}`),
	}
	ev := lambdatest.KinesisEvent(lambdatest.StreamARN("ContactTraceRecords"), payloads...)
	ing := &fakeIngester{}
	var logs bytes.Buffer
	rt := newRuntime(t, lambda.ProcessCTR, &countingFactory{h: lambda.Handlers{Ingester: ing}}, staticParams(testDSN), &logs)

	resp, err := rt.HandleKinesis(ctx, ev)
	if err != nil {
		t.Fatalf("a store error with failed records must return the response, got %v", err)
	}
	want := []events.KinesisBatchItemFailure{{ItemIdentifier: lambdatest.SequenceNumber(2)}, {ItemIdentifier: lambdatest.SequenceNumber(4)}}
	if fmt.Sprint(resp.BatchItemFailures) != fmt.Sprint(want) {
		t.Errorf("BatchItemFailures = %v, want %v (the malformed record 1 is not a failure)", resp.BatchItemFailures, want)
	}
	got := ing.got[0]
	if len(got) != 5 || string(got[2].Data) != `{"fail":2}` || got[3].SequenceNumber != lambdatest.SequenceNumber(3) ||
		got[1].PartitionKey != "pk-1" || !got[1].ArrivalTime.Equal(ev.Records[1].Kinesis.ApproximateArrivalTimestamp.Time) ||
		got[1].ArrivalTime.Location() != time.UTC {
		t.Errorf("records = %+v", got)
	}
	if ing.sources[0] != connectreporting.SourceCTR {
		t.Errorf("source = %q", ing.sources[0])
	}
	js, _ := json.Marshal(resp)
	if !strings.Contains(string(js), `"batchItemFailures":[{"itemIdentifier":"`+lambdatest.SequenceNumber(2)+`"}`) {
		t.Errorf("response JSON = %s", js)
	}

	// All stored: an empty list, not null.
	resp, err = rt.HandleKinesis(ctx, lambdatest.KinesisEvent("s", []byte(`{}`), []byte(`junk`)))
	js, _ = json.Marshal(resp)
	if err != nil || string(js) != `{"batchItemFailures":[]}` {
		t.Errorf("all stored: %s %v", js, err)
	}

	// A store error that names no record: the invocation fails, the batch is retried whole.
	ing.err = errors.New("store: deadlock victim, password=" + password)
	ing.failed = []int{}
	if _, err := rt.HandleKinesis(ctx, lambdatest.KinesisEvent("s", []byte(`{}`))); err == nil {
		t.Error("want an error for a store error without failed records")
	}
	// An index outside the batch is never silently dropped.
	ing.err, ing.failed = nil, []int{7}
	if _, err := rt.HandleKinesis(ctx, lambdatest.KinesisEvent("s", []byte(`{}`))); err == nil {
		t.Error("want an error for a failed index outside the batch")
	}
	// Failed records without an error are failures too.
	ing.failed = []int{0}
	ing.err = nil
	resp, err = rt.HandleKinesis(ctx, lambdatest.KinesisEvent("s", []byte(`{}`), []byte(`{}`)))
	if err == nil && len(resp.BatchItemFailures) == 1 && resp.BatchItemFailures[0].ItemIdentifier == lambdatest.SequenceNumber(0) {
		// ok
	} else {
		t.Errorf("failed without error: %+v %v", resp, err)
	}
	if strings.Contains(logs.String(), password) {
		t.Errorf("logs show the password:\n%s", logs.String())
	}
	for _, want := range []string{`"msg":"batch partly stored; failed records will be retried"`, `"failed":2`, `"rejected":1`, `"handler":"ProcessCTR"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}

type staticParams lambda.Secret

func (s staticParams) ReadParameter(context.Context, string) (lambda.Secret, error) {
	return lambda.Secret(s), nil
}

func TestHandleScheduleUsesInvocationDeadline(t *testing.T) {
	var gotDeadline time.Time
	var polls atomic.Int64
	realtime := lambda.PollerFunc(func(ctx context.Context) error {
		polls.Add(1)
		gotDeadline, _ = ctx.Deadline()
		return nil
	})
	failing := lambda.PollerFunc(func(context.Context) error {
		return errors.New("connect: throttled; dsn " + testDSN)
	})
	var logs bytes.Buffer
	f := &countingFactory{h: lambda.Handlers{Realtime: realtime, Historical: failing}}
	rt := newRuntime(t, lambda.OnboardObservations, f, staticParams(testDSN), &logs)
	deadline := time.Now().Add(58 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := rt.HandleSchedule(ctx, json.RawMessage(`{"id":"abc","time":"2025-03-03T22:05:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	if !gotDeadline.Equal(deadline) || polls.Load() != 1 {
		t.Errorf("poller deadline = %v, want %v", gotDeadline, deadline)
	}
	if !strings.Contains(logs.String(), `"event_id":"abc"`) || !strings.Contains(logs.String(), `"msg":"poll"`) {
		t.Errorf("logs:\n%s", logs.String())
	}

	rt = newRuntime(t, lambda.OnboardMetrics, f, staticParams(testDSN), &logs)
	err := rt.HandleSchedule(ctx, nil)
	if err == nil || strings.Contains(err.Error(), password) || strings.Contains(logs.String(), password) {
		t.Errorf("failing poll: err = %v; logs:\n%s", err, logs.String())
	}

	// A factory that forgot the handler this function needs fails clearly.
	rt = newRuntime(t, lambda.OnboardUserGroups, f, staticParams(testDSN), &logs)
	if err := rt.HandleSchedule(ctx, nil); err == nil || !strings.Contains(err.Error(), "OnboardUserGroups") {
		t.Errorf("missing poller: %v", err)
	}
}
