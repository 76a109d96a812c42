// Package historical is the OnboardMetrics poller: it lands Amazon Connect's
// historical queue and agent metrics (GetMetricDataV2, 15-minute intervals
// bucketed in the contact centre's time zone) in the MetricStore, keeps a checkpoint,
// fills gaps within the API's three-month window in slices the API accepts,
// and re-pulls recent intervals to catch late data.
//
// It depends on the root package and the standard library only; the Connect
// API comes in through the API interface, which *connectapi.Client
// implements.
package historical

import (
	"context"
	"errors"
	"fmt"
	"github.com/connect-reporting/connect-reporting/internal/report"
	"log/slog"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// PollerName is the poller column of the checkpoint.
const PollerName = "historical"

// API limits and defaults.
const (
	// MaxSlice is the longest range one FIFTEEN_MIN GetMetricDataV2 request
	// may span: the difference between StartTime and EndTime must be less
	// than 3 days.
	MaxSlice = 72*time.Hour - report.IntervalLength
	// APIRetention is how far back GetMetricDataV2 has data: 3 months, which
	// is never less than 89 days.
	APIRetention = 89 * 24 * time.Hour

	DefaultLookback        = time.Hour
	DefaultMaxBackfill     = APIRetention - 24*time.Hour // 3 months less a day's margin
	DefaultSliceSize       = 24 * time.Hour
	DefaultInitialBackfill = 24 * time.Hour
	DefaultStopMargin      = 5 * time.Second
)

// API is what the poller needs of the Connect API. *connectapi.Client
// implements it.
type API interface {
	// StandardQueueIDs lists the ids of the instance's standard queues.
	StandardQueueIDs(ctx context.Context) ([]string, error)
	// QueueIntervalMetrics returns the metrics of queueIDs, per queue,
	// channel and 15-minute interval of loc, for the intervals in
	// [start, end). start and end are interval boundaries, end-start is at
	// most MaxSlice.
	QueueIntervalMetrics(ctx context.Context, queueIDs []string, start, end time.Time, loc *time.Location) ([]connectreporting.IntervalMetric, error)
	// AgentIDs lists the ids of the instance's users.
	AgentIDs(ctx context.Context) ([]string, error)
	// AgentIntervalMetrics returns the metrics of agentIDs, per agent,
	// channel (or connectreporting.ChannelAll) and 15-minute interval of
	// loc, for the intervals in [start, end), like QueueIntervalMetrics.
	AgentIntervalMetrics(ctx context.Context, agentIDs []string, start, end time.Time, loc *time.Location) ([]connectreporting.AgentIntervalMetric, error)
}

// Store is where the poller keeps metrics and its checkpoint.
type Store interface {
	connectreporting.MetricStore
	connectreporting.CheckpointStore
}

// Poller is the historical metrics poller. The zero values of the optional
// fields mean their defaults.
type Poller struct {
	API   API
	Store Store
	// TimeZone is the contact centre's time zone (TIME_ZONE); intervals are
	// bucketed in it. Nil means UTC.
	TimeZone *time.Location

	// Lookback is how far before the checkpoint each run re-pulls, to catch
	// late data (default 1 hour).
	Lookback time.Duration
	// MaxBackfill is how far back from Now the poller ever asks (default 3
	// months less a day: the API keeps 3 months).
	MaxBackfill time.Duration
	// SliceSize is the range of one request (default 1 day; at most
	// MaxSlice, rounded down to whole intervals).
	SliceSize time.Duration
	// InitialBackfill is how far back the first run (no checkpoint) starts
	// (default 1 day; capped at MaxBackfill).
	InitialBackfill time.Duration
	// StopMargin is kept free before ctx's deadline: a slice is only started
	// when the time left exceeds the margin plus the longest slice so far
	// (default 5 s).
	StopMargin time.Duration

	// Now is the clock (time.Now when nil). The deadline check always uses
	// the wall clock.
	Now    func() time.Time
	Logger *slog.Logger
}

// Report says what one run did.
type Report struct {
	Scope string
	// From and To bound the range the run set out to fetch; Done is how far
	// it got (To when it finished).
	From, To, Done time.Time
	Queues         int
	Agents         int
	Slices         int // slices fetched and stored
	Metrics        int // metric values stored, queue and agent
	AgentMetrics   int // of which agent metric values
	// Stopped is true when the run stopped early for ctx's deadline; the
	// checkpoint says where the next run resumes.
	Stopped bool
}

// Complete is true when the run covered its whole range.
func (r Report) Complete() bool { return !r.Stopped && !r.Done.Before(r.To) }

// Scope is the checkpoint scope: "queues/<time zone>". One checkpoint
// covers queue and agent metrics: a slice counts as done when both are
// stored. (The name predates agent metrics and is kept so that an existing
// checkpoint stays valid.)
func (p *Poller) Scope() string { return "queues/" + p.loc().String() }

func (p *Poller) loc() *time.Location {
	if p.TimeZone == nil {
		return time.UTC
	}
	return p.TimeZone
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Poller) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (p *Poller) sliceSize() time.Duration {
	s := orDefault(p.SliceSize, DefaultSliceSize)
	if s > MaxSlice {
		s = MaxSlice
	}
	s = s.Truncate(report.IntervalLength)
	if s < report.IntervalLength {
		s = report.IntervalLength
	}
	return s
}

func (p *Poller) maxBackfill() time.Duration { return orDefault(p.MaxBackfill, DefaultMaxBackfill) }

// earliest is the first interval start the API still has data for.
func (p *Poller) earliest(now time.Time) time.Time {
	return report.Ceil(now.Add(-p.maxBackfill()), p.loc())
}

// Poll runs the poller once: from the checkpoint less Lookback (on the first
// run: Now less InitialBackfill) to the end of the last completed interval,
// clamped to the API's window, slice by slice, storing each slice's metrics
// and moving the checkpoint after each one. Before ctx's deadline it stops
// cleanly, keeping the checkpoint, and returns nil.
func (p *Poller) Poll(ctx context.Context) error {
	_, err := p.PollReport(ctx)
	return err
}

// PollReport is Poll, returning what the run did.
func (p *Poller) PollReport(ctx context.Context) (Report, error) {
	if err := p.check(); err != nil {
		return Report{}, err
	}
	loc, scope, now := p.loc(), p.Scope(), p.now()
	cp, ok, err := p.Store.Checkpoint(ctx, PollerName, scope)
	if err != nil {
		return Report{Scope: scope}, fmt.Errorf("historical: %w", err)
	}
	var from time.Time
	if ok {
		from = cp.Watermark.Add(-orDefault(p.Lookback, DefaultLookback))
	} else {
		initial := orDefault(p.InitialBackfill, DefaultInitialBackfill)
		from = now.Add(-min(initial, p.maxBackfill()))
	}
	from = report.Floor(from, loc)
	if e := p.earliest(now); from.Before(e) {
		if ok {
			p.logger().Warn("historical: checkpoint older than the API's window; intervals before it are lost",
				"scope", scope, "checkpoint", cp.Watermark, "earliest", e)
		}
		from = e
		// The checkpoint follows the clamp: intervals before e are out of
		// the API's reach, and a watermark left behind them would never move.
		cp.Watermark = e
	}
	return p.run(ctx, from, report.LastCompleted(now, loc), cp.Watermark, ok)
}

// Backfill fetches and stores the intervals of [from, to) (widened to whole
// intervals, clamped to the API's window and to the last completed
// interval). The checkpoint only moves forward, and only over a range that
// joins it: a backfill of an older range leaves it where it is.
func (p *Poller) Backfill(ctx context.Context, from, to time.Time) error {
	_, err := p.BackfillReport(ctx, from, to)
	return err
}

// BackfillReport is Backfill, returning what the run did.
func (p *Poller) BackfillReport(ctx context.Context, from, to time.Time) (Report, error) {
	if err := p.check(); err != nil {
		return Report{}, err
	}
	if !from.Before(to) {
		return Report{Scope: p.Scope()}, fmt.Errorf("historical: backfill: from %s is not before to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	loc, scope, now := p.loc(), p.Scope(), p.now()
	f, t := report.Floor(from, loc), report.Ceil(to, loc)
	if e := p.earliest(now); f.Before(e) {
		p.logger().Warn("historical: backfill starts before the API's window; starting at its start",
			"from", f, "earliest", e)
		f = e
	}
	if last := report.LastCompleted(now, loc); t.After(last) {
		t = last
	}
	cp, ok, err := p.Store.Checkpoint(ctx, PollerName, scope)
	if err != nil {
		return Report{Scope: scope}, fmt.Errorf("historical: %w", err)
	}
	return p.run(ctx, f, t, cp.Watermark, ok)
}

func (p *Poller) check() error {
	if p.API == nil || p.Store == nil {
		return errors.New("historical: poller needs API and Store")
	}
	return nil
}

// run fetches [from, to) slice by slice. watermark/haveCP is the checkpoint
// at the start; it moves to a slice's end when the slice joins it.
func (p *Poller) run(ctx context.Context, from, to, watermark time.Time, haveCP bool) (Report, error) {
	loc, scope, log := p.loc(), p.Scope(), p.logger()
	rep := Report{Scope: scope, From: from, To: to, Done: from}
	if !from.Before(to) {
		rep.Done = to
		log.Debug("historical: nothing to fetch", "scope", scope, "from", from, "to", to)
		return rep, nil
	}
	queues, err := p.API.StandardQueueIDs(ctx)
	if err != nil {
		return rep, fmt.Errorf("historical: list queues: %w", err)
	}
	agents, err := p.API.AgentIDs(ctx)
	if err != nil {
		return rep, fmt.Errorf("historical: list agents: %w", err)
	}
	rep.Queues, rep.Agents = len(queues), len(agents)
	if len(queues)+len(agents) == 0 {
		log.Info("historical: no queues and no agents", "scope", scope)
		rep.Done = to
		return rep, nil
	}
	size := p.sliceSize()
	margin := orDefault(p.StopMargin, DefaultStopMargin)
	var longest time.Duration
	for start := from; start.Before(to); {
		end := sliceEnd(start, to, size, loc)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < margin+longest {
			rep.Stopped = true
			log.Info("historical: stopping before the deadline; the next run resumes at the checkpoint",
				"scope", scope, "done", rep.Done, "to", to, "slices", rep.Slices, "metrics", rep.Metrics)
			return rep, nil
		}
		began := time.Now()
		n, na, err := p.slice(ctx, queues, agents, start, end)
		if err != nil {
			return rep, err
		}
		if end.After(watermark) && (!haveCP || !start.After(watermark)) {
			if err := p.Store.SetCheckpoint(ctx, PollerName, scope, end); err != nil {
				return rep, fmt.Errorf("historical: %w", err)
			}
			watermark, haveCP = end, true
		}
		rep.Slices++
		rep.Metrics += n + na
		rep.AgentMetrics += na
		rep.Done = end
		longest = max(longest, time.Since(began))
		log.Debug("historical: slice stored", "scope", scope, "start", start, "end", end, "queue_metrics", n, "agent_metrics", na)
		start = end
	}
	log.Info("historical: poll done", "scope", scope, "from", from, "to", to,
		"queues", rep.Queues, "agents", rep.Agents, "slices", rep.Slices, "metrics", rep.Metrics, "agent_metrics", rep.AgentMetrics)
	return rep, nil
}

// sliceEnd is where the slice from start ends: size later, on an interval
// boundary in loc (at least the end of start's interval), and not after to.
func sliceEnd(start, to time.Time, size time.Duration, loc *time.Location) time.Time {
	end := report.Floor(start.Add(size), loc)
	if !end.After(start) {
		end = report.End(start, loc)
	}
	if end.After(to) {
		end = to
	}
	return end
}

// slice fetches and stores the queue metrics, then the agent metrics, of
// [start, end); it returns how many of each it stored. The caller moves
// the checkpoint only after both.
func (p *Poller) slice(ctx context.Context, queues, agents []string, start, end time.Time) (int, int, error) {
	loc, rng := p.loc(), start.Format(time.RFC3339)+".."+end.Format(time.RFC3339)
	var ms []connectreporting.IntervalMetric
	if len(queues) > 0 {
		var err error
		if ms, err = p.API.QueueIntervalMetrics(ctx, queues, start, end, loc); err != nil {
			return 0, 0, fmt.Errorf("historical: metrics %s: %w", rng, err)
		}
		if err := p.Store.StoreIntervalMetrics(ctx, ms); err != nil {
			return 0, 0, fmt.Errorf("historical: store %s: %w", rng, err)
		}
	}
	var as []connectreporting.AgentIntervalMetric
	if len(agents) > 0 {
		var err error
		if as, err = p.API.AgentIntervalMetrics(ctx, agents, start, end, loc); err != nil {
			return len(ms), 0, fmt.Errorf("historical: agent metrics %s: %w", rng, err)
		}
		if err := p.Store.StoreAgentIntervalMetrics(ctx, as); err != nil {
			return len(ms), 0, fmt.Errorf("historical: store agent metrics %s: %w", rng, err)
		}
	}
	return len(ms), len(as), nil
}
