package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
)

// Ingester stores a batch of stream records; ingest.Engine implements it.
// Result.Failed lists the indexes of the records that were not stored.
type Ingester interface {
	Ingest(ctx context.Context, source string, recs []ingest.Record) (ingest.Result, error)
}

// Poller is one run of a scheduled poller. The real-time poller loops until
// ctx's deadline (the invocation's) less its own margin.
type Poller interface {
	Poll(ctx context.Context) error
}

// PollerFunc adapts a function to Poller.
type PollerFunc func(ctx context.Context) error

// Poll calls f.
func (f PollerFunc) Poll(ctx context.Context) error { return f(ctx) }

// Handlers is what a Factory builds for one container. Only the field the
// function's handler needs must be set.
type Handlers struct {
	Ingester   Ingester // ProcessAgentEvents, ProcessCTR
	Realtime   Poller   // OnboardObservations
	Historical Poller   // OnboardMetrics
	Config     Poller   // OnboardUserGroups
	Maintain   Poller   // Maintain
	// Close, if set, releases what the Factory opened (the store). It runs
	// when the runtime shuts the container down (SIGTERM) or Runtime.Close.
	Close func() error
}

// Factory builds the handlers of a container from its configuration, with
// cfg.DSN resolved (read from SSM when SQL_PARAM is set). cfg.Handler says
// which function this container serves, so the Factory builds only what it
// needs. It is called on the first invocation and again only if it failed.
type Factory func(ctx context.Context, cfg Config) (Handlers, error)

// Options tunes a Runtime.
type Options struct {
	// Logger receives the JSON logs; nil means JSON on stderr at cfg.LogLevel.
	// Every record passes through a filter that redacts the DSN.
	Logger *slog.Logger
	// Parameters reads SQL_PARAM; nil means SSM with the SDK's default
	// configuration (built on first use).
	Parameters ParameterReader
}

// Runtime holds one container's state: its configuration and, once the
// first invocation has built them, the handlers (store, engine, pollers).
type Runtime struct {
	cfg     Config
	factory Factory
	params  ParameterReader
	log     *slog.Logger
	secret  *redactor

	mu       sync.Mutex
	dsn      Secret // resolved DSN, cached once read
	handlers *Handlers
}

// NewRuntime returns the runtime of one container. Nothing is read or opened
// until the first invocation (see Runtime.Handlers).
func NewRuntime(cfg Config, factory Factory, opts Options) *Runtime {
	red := &redactor{}
	red.set(cfg.DSN)
	base := opts.Logger
	if base == nil {
		base = NewLogger(os.Stderr, cfg.LogLevel)
	}
	log := slog.New(&redactingHandler{next: base.Handler(), r: red}).With("handler", cfg.Handler)
	cfg.Logger = log
	return &Runtime{cfg: cfg, factory: factory, params: opts.Parameters, log: log, secret: red, dsn: cfg.DSN}
}

// NewLogger returns a JSON logger writing to w at level.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// Config returns the container's configuration (DSN as resolved so far).
func (r *Runtime) Config() Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.cfg
	c.DSN = r.dsn
	return c
}

// Logger returns the runtime's (redacting) logger.
func (r *Runtime) Logger() *slog.Logger { return r.log }

// Handlers returns the container's handlers, building them on first use:
// the SSM parameter is read (once per container: the value is cached even
// if the Factory then fails) and the Factory called. A failure is returned
// to the invocation and the next invocation tries again, so a database that
// is briefly unreachable does not cost the container.
func (r *Runtime) Handlers(ctx context.Context) (*Handlers, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.handlers != nil {
		return r.handlers, nil
	}
	start := time.Now()
	if r.dsn == "" {
		if r.params == nil {
			p, err := NewSSMReader(ctx)
			if err != nil {
				return nil, err
			}
			r.params = p
		}
		v, err := r.params.ReadParameter(ctx, r.cfg.SQLParam)
		if err != nil {
			return nil, err
		}
		r.dsn = v
		r.secret.set(v)
		r.log.Debug("connection string read", "sql_param", r.cfg.SQLParam, "duration_ms", ms(time.Since(start)))
	}
	cfg := r.cfg
	cfg.DSN = r.dsn
	h, err := r.factory(ctx, cfg)
	if err != nil {
		return nil, errors.New(r.dsn.Redact(fmt.Sprintf("initialise %s: %v", r.cfg.Handler, err)))
	}
	if err := h.check(r.cfg.Handler); err != nil {
		if h.Close != nil {
			_ = h.Close()
		}
		return nil, err
	}
	r.handlers = &h
	r.log.Info("initialised", "storage", cfg.Storage, "duration_ms", ms(time.Since(start)))
	return r.handlers, nil
}

func (h *Handlers) check(name string) error {
	var missing bool
	switch name {
	case ProcessAgentEvents, ProcessCTR:
		missing = h.Ingester == nil
	case OnboardObservations:
		missing = h.Realtime == nil
	case OnboardMetrics:
		missing = h.Historical == nil
	case OnboardUserGroups:
		missing = h.Config == nil
	case Maintain:
		missing = h.Maintain == nil
	}
	if missing {
		return fmt.Errorf("initialise %s: the factory built no handler for it", name)
	}
	return nil
}

// Close releases the handlers, if built.
func (r *Runtime) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.handlers == nil || r.handlers.Close == nil {
		r.handlers = nil
		return nil
	}
	err := r.handlers.Close()
	r.handlers = nil
	return err
}

// Handler returns the function aws-lambda-go calls for the configured
// handler name.
func (r *Runtime) Handler() any {
	switch r.cfg.Handler {
	case ProcessAgentEvents, ProcessCTR:
		return r.HandleKinesis
	default:
		return r.HandleSchedule
	}
}

// Source returns the ingest source of a stream handler.
func Source(handler string) string {
	if handler == ProcessCTR {
		return connectreporting.SourceCTR
	}
	return connectreporting.SourceAgentEvents
}

// Records turns a Kinesis event into ingest records, in order.
func Records(ev events.KinesisEvent) []ingest.Record {
	recs := make([]ingest.Record, len(ev.Records))
	for i, er := range ev.Records {
		k := er.Kinesis
		recs[i] = ingest.Record{
			Data:           k.Data,
			PartitionKey:   k.PartitionKey,
			SequenceNumber: k.SequenceNumber,
			ArrivalTime:    connectreporting.UTC(k.ApproximateArrivalTimestamp.Time),
		}
	}
	return recs
}

// BatchItemFailures maps the failed indexes of res to the records' sequence
// numbers. An index outside recs is an error: the whole batch is retried
// rather than a record dropped.
func BatchItemFailures(recs []ingest.Record, failed []int) ([]events.KinesisBatchItemFailure, error) {
	out := make([]events.KinesisBatchItemFailure, 0, len(failed))
	for _, i := range failed {
		if i < 0 || i >= len(recs) {
			return nil, fmt.Errorf("ingester reported failed record %d of a batch of %d", i, len(recs))
		}
		out = append(out, events.KinesisBatchItemFailure{ItemIdentifier: recs[i].SequenceNumber})
	}
	return out, nil
}

// HandleKinesis is the handler of ProcessAgentEvents and ProcessCTR. Every
// record the Ingester reports failed becomes a batch item failure (Lambda
// retries from the lowest one); a store error that names its failed records
// returns the response, not an error. Records that cannot be decoded are the
// Ingester's to reject; they are not failures. An error without failed
// records (or before the handlers exist) fails the invocation, so the whole
// batch is retried.
func (r *Runtime) HandleKinesis(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	start := time.Now()
	resp := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
	log := r.log.With("request_id", requestID(ctx))
	if len(ev.Records) == 0 {
		log.Info("batch", "records", 0)
		return resp, nil
	}
	recs := Records(ev)
	batch := []any{"records", len(recs),
		"first_sequence", recs[0].SequenceNumber, "last_sequence", recs[len(recs)-1].SequenceNumber}
	if src := ev.Records[0].EventSourceArn; src != "" {
		batch = append(batch, "stream", src)
	}

	h, err := r.Handlers(ctx)
	if err != nil {
		log.Error("batch not processed: initialisation failed", append(batch, "error", err.Error())...)
		return events.KinesisEventResponse{}, err
	}
	res, ierr := h.Ingester.Ingest(ctx, Source(r.cfg.Handler), recs)
	failures, ferr := BatchItemFailures(recs, res.Failed)
	attrs := append(append(batch, res.LogAttrs()...),
		"failed", len(res.Failed), "duration_ms", ms(time.Since(start)))
	switch {
	case ferr != nil:
		log.Error("batch failed", append(attrs, "error", ferr.Error())...)
		return events.KinesisEventResponse{}, ferr
	case ierr != nil && len(failures) == 0:
		err := errors.New(r.Config().DSN.Redact(ierr.Error()))
		log.Error("batch failed", append(attrs, "error", err.Error())...)
		return events.KinesisEventResponse{}, err
	case ierr != nil:
		log.Warn("batch partly stored; failed records will be retried",
			append(attrs, "first_failed_sequence", failures[0].ItemIdentifier, "error", ierr.Error())...)
	case len(failures) > 0:
		log.Warn("batch partly stored; failed records will be retried",
			append(attrs, "first_failed_sequence", failures[0].ItemIdentifier)...)
	default:
		log.Info("batch", attrs...)
	}
	resp.BatchItemFailures = failures
	return resp, nil
}

// HandleSchedule is the handler of the scheduled functions. The payload (an
// EventBridge event or a Scheduler input) is not needed: the poller runs
// under the invocation's context, whose deadline the real-time poller loops
// to.
func (r *Runtime) HandleSchedule(ctx context.Context, payload json.RawMessage) error {
	start := time.Now()
	log := r.log.With("request_id", requestID(ctx))
	attrs := []any{}
	if dl, ok := ctx.Deadline(); ok {
		attrs = append(attrs, "deadline_in_ms", ms(time.Until(dl)))
	} else if r.cfg.Handler == OnboardObservations {
		log.Warn("invocation has no deadline; the real-time poller relies on it")
	}
	if len(payload) > 0 {
		var ev struct {
			ID   string `json:"id"`
			Time string `json:"time"`
		}
		if json.Unmarshal(payload, &ev) == nil && ev.ID != "" {
			attrs = append(attrs, "event_id", ev.ID, "event_time", ev.Time)
		}
	}
	h, err := r.Handlers(ctx)
	if err != nil {
		log.Error("poll not run: initialisation failed", append(attrs, "error", err.Error())...)
		return err
	}
	var p Poller
	switch r.cfg.Handler {
	case OnboardObservations:
		p = h.Realtime
	case OnboardMetrics:
		p = h.Historical
	case Maintain:
		p = h.Maintain
	default:
		p = h.Config
	}
	err = p.Poll(ctx)
	attrs = append(attrs, "duration_ms", ms(time.Since(start)))
	if err != nil {
		err = errors.New(r.Config().DSN.Redact(err.Error()))
		log.Error("poll failed", append(attrs, "error", err.Error())...)
		return err
	}
	log.Info("poll", attrs...)
	return nil
}

func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Run runs the Lambda runtime loop for the function named by _HANDLER, with
// handlers from factory. It reads and validates the configuration first; an
// invalid one (unknown handler, bad TIME_ZONE, ...) is reported to the
// Runtime API as an init error and returned. Otherwise Run does not return:
// aws-lambda-go serves invocations until the container ends.
//
// The SSM read and the Factory run on the first invocation, not at init:
// they then run under the invocation's deadline instead of the 10 s init
// limit, their failure fails one invocation (Kinesis retries the batch, the
// next schedule tries again) instead of tearing the container down, and a
// provisioned container is never frozen holding a half-open connection.
func Run(ctx context.Context, getenv func(string) string, factory Factory, opts Options) error {
	cfg, err := LoadConfig(getenv)
	log := opts.Logger
	if log == nil {
		log = NewLogger(os.Stderr, cfg.LogLevel)
	}
	if err != nil {
		typ := "Runtime.InvalidConfig"
		var uh *UnknownHandlerError
		if errors.As(err, &uh) {
			typ = "Runtime.InvalidHandler"
		}
		log.Error("invalid configuration", "error", err.Error())
		if api := getenv("AWS_LAMBDA_RUNTIME_API"); api != "" {
			if rerr := ReportInitError(ctx, api, typ, err); rerr != nil {
				log.Error("could not report the init error", "error", rerr.Error())
			}
		}
		return err
	}
	opts.Logger = log
	rt := NewRuntime(cfg, factory, opts)
	rt.Logger().Info("starting",
		"storage", cfg.Storage, "sql_param", cfg.SQLParam, "dsn_from_env", cfg.DSN != "",
		"instance_id", cfg.InstanceID, "delay_s", cfg.Delay.Seconds(), "time_zone", cfg.TimeZone.String())
	awslambda.StartWithOptions(rt.Handler(),
		awslambda.WithContext(ctx),
		// Lambda sends SIGTERM before ending a container (the SIGTERM
		// extension makes it do so): close the store and leave.
		awslambda.WithEnableSIGTERM(func() {
			if err := rt.Close(); err != nil {
				rt.Logger().Error("close", "error", err.Error())
			}
			rt.Logger().Info("shutdown")
			os.Exit(0)
		}))
	return errors.New("lambda runtime loop ended")
}

// ReportInitError posts err to the Runtime API's init error endpoint, so the
// failed start shows in the function's invocation result and logs.
func ReportInitError(ctx context.Context, api, errorType string, err error) error {
	body, _ := json.Marshal(map[string]any{
		"errorMessage": err.Error(),
		"errorType":    strings.TrimPrefix(errorType, "Runtime."),
		"stackTrace":   []string{},
	})
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, rerr := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if rerr != nil {
		return rerr
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
	// The Runtime API is link-local: never go through a configured proxy.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, rerr := client.Do(req)
	if rerr != nil {
		return rerr
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("init error: Runtime API answered %s", resp.Status)
	}
	return nil
}
