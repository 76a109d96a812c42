// Package connectapi is connect-reporting's only importer of the Amazon
// Connect SDK (github.com/aws/aws-sdk-go-v2/service/connect). It wraps the
// SDK client with what every poller needs: one shared per-operation rate
// limiter sized to the account's quotas, retries with backoff on throttling,
// full pagination, filters chunked by 100, and conversion of the API's shapes
// to the root package's domain types.
package connectapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/clock"
)

// Operation names whose quota differs from the default.
const (
	OpGetCurrentMetricData = "GetCurrentMetricData"
	OpGetMetricData        = "GetMetricData"
	OpGetMetricDataV2      = "GetMetricDataV2"
)

// Quota is a request-rate quota: Rate requests per second, bursts up to Burst.
type Quota struct {
	Rate  float64
	Burst int
}

// DefaultQuota is Amazon Connect's default quota of most operations.
var DefaultQuota = Quota{Rate: 2, Burst: 5}

// DefaultQuotas returns the operations whose default account quota differs
// from DefaultQuota: the metric APIs, 5 requests per second with a burst of 8.
func DefaultQuotas() map[string]Quota {
	return map[string]Quota{
		OpGetCurrentMetricData: {Rate: 5, Burst: 8},
		OpGetMetricData:        {Rate: 5, Burst: 8},
		OpGetMetricDataV2:      {Rate: 5, Burst: 8},
	}
}

// Limiter holds one token bucket per API operation. The quotas are per
// account and region, so one Limiter must be shared by every poller (and
// every Client) of a process. It is safe for concurrent use.
type Limiter struct {
	def Quota

	mu       sync.Mutex
	quotas   map[string]Quota
	limiters map[string]*rate.Limiter
	stats    map[string]*opStats
}

type opStats struct {
	calls, throttled, succeeded atomic.Int64
	waited                      atomic.Int64 // nanoseconds spent waiting for a token
}

// OpStats counts one operation's calls through a Limiter.
type OpStats struct {
	Calls     int64         // attempts sent (retries included)
	Throttled int64         // attempts answered with a throttling error
	Succeeded int64         // operations that succeeded (one per answered call, whatever its retries)
	Waited    time.Duration // total time spent waiting for the limiter
}

// NewLimiter returns a Limiter with DefaultQuotas, overridden per operation
// by overrides; an operation named in neither gets DefaultQuota (or the
// override of the key "*", when given).
func NewLimiter(overrides map[string]Quota) *Limiter {
	l := &Limiter{def: DefaultQuota, quotas: DefaultQuotas(), limiters: map[string]*rate.Limiter{}, stats: map[string]*opStats{}}
	for op, q := range overrides {
		if op == "*" {
			l.def = q
			continue
		}
		l.quotas[op] = q
	}
	return l
}

// Quota returns the quota the Limiter applies to op.
func (l *Limiter) Quota(op string) Quota {
	l.mu.Lock()
	defer l.mu.Unlock()
	if q, ok := l.quotas[op]; ok {
		return q
	}
	return l.def
}

func (l *Limiter) get(op string) (*rate.Limiter, *opStats) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.limiters[op]
	if lim == nil {
		q, ok := l.quotas[op]
		if !ok {
			q = l.def
		}
		burst := max(q.Burst, 1)
		lim = rate.NewLimiter(rate.Limit(q.Rate), burst)
		l.limiters[op] = lim
		l.stats[op] = &opStats{}
	}
	return lim, l.stats[op]
}

// Wait blocks until op may be called (or ctx ends).
func (l *Limiter) Wait(ctx context.Context, op string) error {
	lim, st := l.get(op)
	start := time.Now()
	err := lim.Wait(ctx)
	st.waited.Add(int64(time.Since(start)))
	if err == nil {
		st.calls.Add(1)
	} else if ctx.Err() == nil {
		err = wouldExceedDeadline{op: op, err: err}
	}
	return err
}

// wouldExceedDeadline: the limiter would let op start only after ctx's
// deadline. It is context.DeadlineExceeded (errors.Is), so a caller with a
// time budget tells it from a failure, and a canceled error to the SDK's
// retryer, which does not retry it.
type wouldExceedDeadline struct {
	op  string
	err error
}

func (e wouldExceedDeadline) Error() string        { return e.op + ": " + e.err.Error() }
func (e wouldExceedDeadline) Is(target error) bool { return target == context.DeadlineExceeded }
func (e wouldExceedDeadline) CanceledError() bool  { return true }

func (l *Limiter) noteSuccess(op string) {
	_, st := l.get(op)
	st.succeeded.Add(1)
}

func (l *Limiter) noteThrottle(op string) {
	_, st := l.get(op)
	st.throttled.Add(1)
}

// Stats returns the counters of every operation called so far.
func (l *Limiter) Stats() map[string]OpStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]OpStats, len(l.stats))
	for op, st := range l.stats {
		out[op] = OpStats{Calls: st.calls.Load(), Throttled: st.throttled.Load(), Succeeded: st.succeeded.Load(), Waited: time.Duration(st.waited.Load())}
	}
	return out
}

// Throttled is the number of throttled attempts over every operation.
func (l *Limiter) Throttled() int64 {
	var n int64
	for _, st := range l.Stats() {
		n += st.Throttled
	}
	return n
}

// Options configures a Client.
type Options struct {
	// InstanceID is the Connect instance id; an instance ARN is accepted
	// too (its id is used and it becomes InstanceARN).
	InstanceID string
	// InstanceARN is the instance's ARN (GetMetricDataV2 needs it). When
	// empty it is derived from the first resource ARN the API returns.
	InstanceARN string
	// Limiter is shared by every Client of the process; nil means a new one
	// with the default quotas.
	Limiter *Limiter
	// Delay is a pause between consecutive configuration calls of this
	// Client (DELAY of the earlier deployment); the metric operations are
	// paced by the Limiter only.
	Delay time.Duration
	// MaxAttempts is the number of attempts per call (default 10); throttled
	// attempts are retried with exponential backoff and jitter up to
	// MaxBackoff (default 20s).
	MaxAttempts int
	MaxBackoff  time.Duration
	// Logger receives retries and throttles at debug level (default: slog.Default()).
	Logger *slog.Logger
	// Endpoint is the Connect API's base URL (the simulator's, say); empty
	// means the standard resolution: AWS_ENDPOINT_URL_CONNECT,
	// AWS_ENDPOINT_URL, else the region's endpoint.
	Endpoint string
}

// Client calls the Amazon Connect API for one instance. It is safe for
// concurrent use.
type Client struct {
	sdk        *connect.Client
	InstanceID string
	limiter    *Limiter
	delay      time.Duration
	log        *slog.Logger

	arnMu       sync.Mutex
	instanceARN string

	paceMu   sync.Mutex
	nextCall time.Time

	throttled atomic.Int64
}

// New returns a Client for opts.InstanceID on the configuration cfg (region,
// credentials, and the standard endpoint settings: AWS_ENDPOINT_URL_CONNECT,
// AWS_ENDPOINT_URL), or on opts.Endpoint when set.
func New(cfg aws.Config, opts Options) *Client {
	c := &Client{
		InstanceID:  opts.InstanceID,
		instanceARN: opts.InstanceARN,
		limiter:     opts.Limiter,
		delay:       opts.Delay,
		log:         opts.Logger,
	}
	if strings.HasPrefix(c.InstanceID, "arn:") {
		if c.instanceARN == "" {
			c.instanceARN = c.InstanceID
		}
		c.InstanceID = connectreporting.IDFromARN(c.InstanceID)
	}
	if c.limiter == nil {
		c.limiter = NewLimiter(nil)
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = 10
	}
	maxBackoff := opts.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = 20 * time.Second
	}
	fns := []func(*connect.Options){func(o *connect.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = attempts
			so.MaxBackoff = maxBackoff
			so.BaseDelay = 100 * time.Millisecond
			// The shared Limiter paces calls; the SDK's client-side retry
			// quota would only turn a throttling storm into hard failures.
			so.RateLimiter = ratelimit.None
		})
		o.APIOptions = append(o.APIOptions, c.addMiddleware)
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
	}}
	c.sdk = connect.NewFromConfig(cfg, fns...)
	return c
}

// Limiter returns the Client's (shared) limiter.
func (c *Client) Limiter() *Limiter { return c.limiter }

// Throttled is the number of attempts of this Client answered with a
// throttling error (each was retried).
func (c *Client) Throttled() int64 { return c.throttled.Load() }

// InstanceARN returns the instance ARN: the one given, or the one derived
// from a resource ARN the API returned. When none is known yet it lists one
// queue to learn it.
func (c *Client) InstanceARN(ctx context.Context) (string, error) {
	if a := c.knownInstanceARN(); a != "" {
		return a, nil
	}
	out, err := c.sdk.ListQueues(ctx, &connect.ListQueuesInput{InstanceId: aws.String(c.InstanceID), MaxResults: aws.Int32(1)})
	if err != nil {
		return "", fmt.Errorf("connectapi: learning the instance ARN: %w", err)
	}
	for _, q := range out.QueueSummaryList {
		c.noteARN(aws.ToString(q.Arn))
	}
	if a := c.knownInstanceARN(); a != "" {
		return a, nil
	}
	return "", errors.New("connectapi: instance ARN unknown: set Options.InstanceARN (the instance has no queue to learn it from)")
}

func (c *Client) knownInstanceARN() string {
	c.arnMu.Lock()
	defer c.arnMu.Unlock()
	return c.instanceARN
}

// noteARN learns the instance ARN from a resource ARN
// (arn:aws:connect:REGION:ACCOUNT:instance/ID/queue/X).
func (c *Client) noteARN(arn string) {
	if arn == "" {
		return
	}
	if a := InstanceARNOf(arn); a != "" {
		c.arnMu.Lock()
		if c.instanceARN == "" {
			c.instanceARN = a
		}
		c.arnMu.Unlock()
	}
}

// InstanceARNOf returns the instance ARN a Connect resource ARN lies under,
// or "" when arn names no instance.
func InstanceARNOf(arn string) string {
	i := strings.Index(arn, ":instance/")
	if !strings.HasPrefix(arn, "arn:") || i < 0 {
		return ""
	}
	rest := arn[i+len(":instance/"):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	if rest == "" {
		return ""
	}
	return arn[:i+len(":instance/")] + rest
}

// isMetricOp reports whether op is a metric operation (paced by the
// Limiter only, never by Delay).
func isMetricOp(op string) bool {
	return strings.HasPrefix(op, "GetCurrent") || strings.HasPrefix(op, "GetMetricData")
}

// addMiddleware puts the limiter inside the retry loop, so that every
// attempt (retries included) takes a token of its operation's bucket, and
// counts the throttled attempts and, outside the retry loop, the
// operations that succeeded.
func (c *Client) addMiddleware(stack *middleware.Stack) error {
	mw := middleware.FinalizeMiddlewareFunc("connectreporting.Limiter", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		op := awsmw.GetOperationName(ctx)
		if c.delay > 0 && !isMetricOp(op) {
			if err := c.pace(ctx); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
		}
		if err := c.limiter.Wait(ctx, op); err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, err
		}
		out, md, err := next.HandleFinalize(ctx, in)
		if err != nil && IsThrottle(err) {
			c.throttled.Add(1)
			c.limiter.noteThrottle(op)
			c.log.Debug("connect API throttled", "operation", op, "err", err)
		}
		return out, md, err
	})
	done := middleware.InitializeMiddlewareFunc("connectreporting.Succeeded", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleInitialize(ctx, in)
		if err == nil {
			c.limiter.noteSuccess(awsmw.GetOperationName(ctx))
		}
		return out, md, err
	})
	if err := stack.Initialize.Add(done, middleware.After); err != nil {
		return err
	}
	if err := stack.Finalize.Insert(mw, "Retry", middleware.After); err != nil {
		return stack.Finalize.Add(mw, middleware.After)
	}
	return nil
}

// pace waits until Delay has passed since this Client's previous paced call.
func (c *Client) pace(ctx context.Context) error {
	c.paceMu.Lock()
	now := time.Now()
	at := c.nextCall
	if at.Before(now) {
		at = now
	}
	c.nextCall = at.Add(c.delay)
	c.paceMu.Unlock()
	return clock.Sleep(ctx, time.Until(at))
}

// IsThrottle reports whether err is a throttling error of the Connect API
// (ThrottlingException, TooManyRequestsException, or any HTTP 429).
func IsThrottle(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ThrottlingException", "TooManyRequestsException", "Throttling":
			return true
		}
	}
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool()
}

// chunks splits ids into slices of at most n.
func chunks[T any](ids []T, n int) [][]T {
	var out [][]T
	for len(ids) > n {
		out = append(out, ids[:n:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}
