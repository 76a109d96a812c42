// Package lambdatest runs a Lambda function built on internal/lambda the
// way AWS does, on loopback: a Runtime API server that hands out
// invocations and collects their responses, an SSM server speaking the JSON
// protocol the real aws-sdk-go-v2 client uses, helpers to build the
// bootstrap binary and run it as a process, and sample Kinesis events.
//
// It is a test helper: every constructor takes a testing.TB and cleans up
// after the test.
package lambdatest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/syncbuf"

	"github.com/aws/aws-lambda-go/events"
)

// ErrorResponse is the body a runtime posts for a failed invocation or init.
type ErrorResponse struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace,omitempty"`
	// Header is the Lambda-Runtime-Function-Error-Type header, if sent.
	Header string `json:"-"`
}

// Response is the outcome of one invocation.
type Response struct {
	RequestID string
	// Payload is the function's response body (nil for an error).
	Payload []byte
	// Err is the function's error (nil on success).
	Err *ErrorResponse
	// Received is when the runtime posted the outcome.
	Received time.Time
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	arn      string
	done     chan Response
}

// RuntimeAPI is a loopback implementation of the Lambda Runtime API
// (2018-06-01): GET invocation/next, POST invocation/{id}/response,
// POST invocation/{id}/error and POST init/error.
type RuntimeAPI struct {
	srv   *httptest.Server
	queue chan *invocation
	stop  chan struct{}
	seq   atomic.Int64

	mu         sync.Mutex
	pending    map[string]*invocation
	initErr    chan ErrorResponse
	firstNext  time.Time
	nexts      int
	extensions []string
}

// NewRuntimeAPI starts a Runtime API on 127.0.0.1; it stops with the test.
func NewRuntimeAPI(t testing.TB) *RuntimeAPI {
	t.Helper()
	a := &RuntimeAPI{
		queue:   make(chan *invocation),
		stop:    make(chan struct{}),
		pending: map[string]*invocation{},
		initErr: make(chan ErrorResponse, 1),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", a.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", a.result)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", a.result)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", a.initError)
	// The Extensions API, as far as aws-lambda-go's SIGTERM support uses it.
	mux.HandleFunc("POST /2020-01-01/extension/register", a.registerExtension)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", a.extensionNext)
	a.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(a.stop) // release a runtime blocked in next before Close waits for it
		a.srv.Close()
	})
	return a
}

// Addr is the value for AWS_LAMBDA_RUNTIME_API (host:port).
func (a *RuntimeAPI) Addr() string { return strings.TrimPrefix(a.srv.URL, "http://") }

// FirstNext returns when the runtime first asked for an invocation (zero if not yet).
func (a *RuntimeAPI) FirstNext() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.firstNext
}

// InitError returns a channel that receives the runtime's init error, if it reports one.
func (a *RuntimeAPI) InitError() <-chan ErrorResponse { return a.initErr }

// Invoke hands payload to the runtime as the next invocation, with a
// deadline timeout from now, and waits for its outcome (or ctx).
func (a *RuntimeAPI) Invoke(ctx context.Context, payload []byte, timeout time.Duration) (Response, error) {
	inv := &invocation{
		id:       fmt.Sprintf("req-%06d", a.seq.Add(1)),
		payload:  payload,
		deadline: time.Now().Add(timeout),
		arn:      "arn:aws:lambda:ap-southeast-2:123456789012:function:connect-reporting-test",
		done:     make(chan Response, 1),
	}
	a.mu.Lock()
	a.pending[inv.id] = inv
	a.mu.Unlock()
	select {
	case a.queue <- inv:
	case <-ctx.Done():
		return Response{}, fmt.Errorf("no runtime asked for the invocation: %w", ctx.Err())
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-ctx.Done():
		return Response{}, fmt.Errorf("invocation %s: no outcome: %w", inv.id, ctx.Err())
	}
}

// InvokeJSON marshals v and invokes.
func (a *RuntimeAPI) InvokeJSON(ctx context.Context, v any, timeout time.Duration) (Response, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Response{}, err
	}
	return a.Invoke(ctx, b, timeout)
}

func (a *RuntimeAPI) next(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	if a.firstNext.IsZero() {
		a.firstNext = time.Now()
	}
	a.nexts++
	a.mu.Unlock()
	select {
	case inv := <-a.queue:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.arn)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	case <-a.stop:
		http.Error(w, "runtime API stopped", http.StatusGone)
	}
}

func (a *RuntimeAPI) result(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	inv := a.pending[id]
	delete(a.pending, id)
	a.mu.Unlock()
	if inv == nil {
		http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
		return
	}
	resp := Response{RequestID: id, Received: time.Now()}
	if strings.HasSuffix(r.URL.Path, "/error") {
		e := &ErrorResponse{}
		_ = json.Unmarshal(body, e)
		e.Header = r.Header.Get("Lambda-Runtime-Function-Error-Type")
		resp.Err = e
	} else {
		resp.Payload = body
	}
	inv.done <- resp
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func (a *RuntimeAPI) registerExtension(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.extensions = append(a.extensions, r.Header.Get("Lambda-Extension-Name"))
	n := len(a.extensions)
	a.mu.Unlock()
	w.Header().Set("Lambda-Extension-Identifier", fmt.Sprintf("ext-%d", n))
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"functionName":"connect-reporting-test","functionVersion":"$LATEST","handler":"bootstrap"}`)
}

// extensionNext blocks: an extension registered for no events gets none.
func (a *RuntimeAPI) extensionNext(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-a.stop:
		http.Error(w, "runtime API stopped", http.StatusGone)
	}
}

// Extensions returns the names of the extensions that registered.
func (a *RuntimeAPI) Extensions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.extensions...)
}

func (a *RuntimeAPI) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var e ErrorResponse
	_ = json.Unmarshal(body, &e)
	e.Header = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	select {
	case a.initErr <- e:
	default:
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// SSMServer answers GetParameter in the SSM JSON 1.1 protocol, as the real
// service does: a SecureString comes back decrypted only when the request
// says WithDecryption.
type SSMServer struct {
	URL   string
	mu    sync.Mutex
	vals  map[string]string
	calls atomic.Int64
	// Signed counts requests that carried a SigV4 Authorization header.
	signed atomic.Int64
	fail   atomic.Bool
}

// NewSSMServer serves params (name -> SecureString value) on 127.0.0.1.
func NewSSMServer(t testing.TB, params map[string]string) *SSMServer {
	t.Helper()
	s := &SSMServer{vals: map[string]string{}}
	for k, v := range params {
		s.vals[k] = v
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Set sets a parameter's value.
func (s *SSMServer) Set(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vals[name] = value
}

// FailWith makes every request fail with an InternalServerError while on.
func (s *SSMServer) FailWith(on bool) { s.fail.Store(on) }

// Calls is the number of GetParameter requests served.
func (s *SSMServer) Calls() int { return int(s.calls.Load()) }

// SignedCalls is the number of requests that carried a SigV4 signature.
func (s *SSMServer) SignedCalls() int { return int(s.signed.Load()) }

func (s *SSMServer) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	writeErr := func(code int, typ, msg string) {
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
	}
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" {
		writeErr(http.StatusBadRequest, "UnknownOperationException", "only AmazonSSM.GetParameter is served")
		return
	}
	s.calls.Add(1)
	if strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		s.signed.Add(1)
	}
	if s.fail.Load() {
		writeErr(http.StatusInternalServerError, "InternalServerError", "injected failure")
		return
	}
	var in struct {
		Name           string
		WithDecryption bool
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(http.StatusBadRequest, "ValidationException", err.Error())
		return
	}
	s.mu.Lock()
	v, ok := s.vals[in.Name]
	s.mu.Unlock()
	if !ok {
		writeErr(http.StatusBadRequest, "ParameterNotFound", "parameter "+in.Name+" not found")
		return
	}
	if !in.WithDecryption {
		v = "AQICAHh" + strings.Repeat("x", 40) // ciphertext, as SSM returns without decryption
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
		"Name": in.Name, "Type": "SecureString", "Value": v, "Version": 1,
		"LastModifiedDate": 1.7e9, "DataType": "text",
		"ARN": "arn:aws:ssm:ap-southeast-2:123456789012:parameter/" + strings.TrimPrefix(in.Name, "/"),
	}})
}

// BuildBootstrap builds the main package pkg (an import path or a
// directory) as a Lambda bootstrap for linux on the host's architecture,
// the way the Makefile does (CGO_ENABLED=0, -trimpath, -ldflags "-s -w",
// tags lambda and lambda.norpc), into a temporary directory, and returns its
// path.
func BuildBootstrap(t testing.TB, pkg string) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the bootstrap runs on linux only")
	}
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda,lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// Env is the environment Lambda gives a function, for api and handler, plus
// static credentials and a region so the SDK never looks elsewhere.
func Env(api *RuntimeAPI, handler string) []string {
	return []string{
		"AWS_LAMBDA_RUNTIME_API=" + api.Addr(),
		"_HANDLER=" + handler,
		"AWS_LAMBDA_FUNCTION_NAME=connect-reporting-test",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_REGION=ap-southeast-2",
		"AWS_DEFAULT_REGION=ap-southeast-2",
		"AWS_ACCESS_KEY_ID=AKIDLAMBDATEST",
		"AWS_SECRET_ACCESS_KEY=lambdatest-secret",
		"AWS_SESSION_TOKEN=lambdatest-token",
		"AWS_EC2_METADATA_DISABLED=true",
		"TZ=:/etc/localtime",
		"HOME=" + os.TempDir(),
		"PATH=/usr/local/bin:/usr/bin:/bin",
	}
}

// Process is a running function process.
type Process struct {
	Cmd *exec.Cmd
	// Started is when the process was started.
	Started time.Time
	out     syncbuf.Buffer
	waited  chan struct{}
	werr    error
}

// Start runs path with args and exactly env, capturing its output. The
// process is killed when the test ends.
func Start(t testing.TB, path string, args []string, env []string) *Process {
	t.Helper()
	p := &Process{Cmd: exec.Command(path, args...), waited: make(chan struct{})}
	p.Cmd.Env = env
	p.Cmd.Stdout = &p.out
	p.Cmd.Stderr = &p.out
	p.Started = time.Now()
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	go func() {
		p.werr = p.Cmd.Wait()
		close(p.waited)
	}()
	t.Cleanup(func() {
		_, _ = p.Stop()
		if t.Failed() {
			t.Logf("function output:\n%s", p.Output())
		}
	})
	return p
}

// Output is what the process has written to stdout and stderr so far.
func (p *Process) Output() string { return p.out.String() }

// Wait waits up to d for the process to exit by itself and returns its error.
func (p *Process) Wait(d time.Duration) error {
	select {
	case <-p.waited:
		return p.werr
	case <-time.After(d):
		return errors.New("process still running")
	}
}

// Stop ends the process (SIGTERM, then SIGKILL after a second) and returns
// its peak resident set size in bytes.
func (p *Process) Stop() (maxRSS int64, err error) {
	select {
	case <-p.waited:
	default:
		_ = p.Cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.waited:
		case <-time.After(time.Second):
			_ = p.Cmd.Process.Kill()
			<-p.waited
		}
	}
	if ru, ok := p.Cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxRSS = int64(ru.Maxrss) * 1024 // kilobytes on linux
	}
	return maxRSS, p.werr
}

// StreamARN is the ARN of a test stream named name.
func StreamARN(name string) string {
	return "arn:aws:kinesis:ap-southeast-2:123456789012:stream/" + name
}

// KinesisEvent wraps each payload in a Kinesis record of the stream, with
// increasing sequence numbers (SequenceNumber(0), SequenceNumber(1), ...).
func KinesisEvent(streamARN string, payloads ...[]byte) events.KinesisEvent {
	ev := events.KinesisEvent{Records: make([]events.KinesisEventRecord, len(payloads))}
	at := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	for i, p := range payloads {
		seq := SequenceNumber(i)
		ev.Records[i] = events.KinesisEventRecord{
			AwsRegion:         "ap-southeast-2",
			EventID:           "shardId-000000000000:" + seq,
			EventName:         "aws:kinesis:record",
			EventSource:       "aws:kinesis",
			EventSourceArn:    streamARN,
			EventVersion:      "1.0",
			InvokeIdentityArn: "arn:aws:iam::123456789012:role/connect-reporting",
			Kinesis: events.KinesisRecord{
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: at.Add(time.Duration(i) * time.Millisecond)},
				Data:                        p,
				PartitionKey:                "pk-" + strconv.Itoa(i%8),
				SequenceNumber:              seq,
				KinesisSchemaVersion:        "1.0",
			},
		}
	}
	return ev
}

// SequenceNumber is the sequence number KinesisEvent gives record i.
func SequenceNumber(i int) string {
	return fmt.Sprintf("4961234567890123456789012345678901234567890123%010d", i)
}
