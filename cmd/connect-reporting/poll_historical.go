package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/historical"
)

// setupHistorical is `poll historical`: one run of the OnboardMetrics poller (GetMetricDataV2
// queue metrics per 15-minute interval of the time zone, from the checkpoint
// to the last completed interval), or with --from and --to a backfill of
// that range. The common flags (--instance, --db, --delay) are poll's.
func setupHistorical(fs *flag.FlagSet) func(context.Context, *PollEnv) error {
	from := fs.String("from", "", "backfill from this time (RFC 3339; with --to)")
	to := fs.String("to", "", "backfill up to this time (RFC 3339; with --from; clamped to the last completed interval)")
	tz := fs.String("time-zone", "", "IANA time zone the 15-minute intervals are bucketed in (default $TIME_ZONE, else UTC)")
	lookback := fs.Duration("lookback", historical.DefaultLookback, "how far before the checkpoint a run re-pulls, for late data")
	slice := fs.Duration("slice", historical.DefaultSliceSize, "range of one GetMetricDataV2 request (at most 3 days less 15 minutes)")
	initial := fs.Duration("initial-backfill", historical.DefaultInitialBackfill, "how far back the first run (no checkpoint) starts")
	return func(ctx context.Context, env *PollEnv) error {
		m := env.Main
		usageErr := func(format string, a ...any) error {
			return &ExitError{Code: 2, Err: fmt.Errorf("poll historical: "+format, a...)}
		}
		zone := *tz
		if zone == "" {
			zone = m.Getenv("TIME_ZONE")
		}
		loc := time.UTC
		if zone != "" {
			var err error
			if loc, err = time.LoadLocation(zone); err != nil {
				return usageErr("--time-zone: %v", err)
			}
		}
		start, end, err := backfillRange(*from, *to)
		if err != nil {
			return usageErr("%v", err)
		}
		if *slice <= 0 || *slice > historical.MaxSlice {
			return usageErr("--slice must be more than 0 and at most %s", historical.MaxSlice)
		}
		p := &historical.Poller{
			API: env.Client, Store: env.Store, TimeZone: loc,
			Lookback: *lookback, SliceSize: *slice, InitialBackfill: *initial, Logger: env.Logger,
		}
		var rep historical.Report
		if start.IsZero() {
			rep, err = p.PollReport(ctx)
		} else {
			rep, err = p.BackfillReport(ctx, start, end)
		}
		if rep.Scope != "" {
			state := "done"
			switch {
			case err != nil:
				state = "failed"
			case rep.Stopped:
				state = "stopped early; the next run resumes at the checkpoint"
			}
			fmt.Fprintf(m.Stdout, "historical %s %s..%s: %d queues, %d agents, %d slices, %d metrics (%d of agents) stored up to %s (%s, %d throttled calls retried)\n",
				rep.Scope, rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339),
				rep.Queues, rep.Agents, rep.Slices, rep.Metrics, rep.AgentMetrics, rep.Done.Format(time.RFC3339), state, env.Client.Throttled())
		}
		if err != nil && strings.Contains(err.Error(), "EndTime cannot be later than the current time") {
			return fmt.Errorf("%w (the API's clock is behind this machine's; against a simulator started in the past, give --from and --to within its simulated time)", err)
		}
		return err
	}
}

// backfillRange parses --from and --to: both or neither.
func backfillRange(from, to string) (start, end time.Time, err error) {
	if (from == "") != (to == "") {
		return start, end, errors.New("--from and --to go together")
	}
	if from == "" {
		return start, end, nil
	}
	if start, err = time.Parse(time.RFC3339, from); err != nil {
		return start, end, fmt.Errorf("--from: %v", err)
	}
	if end, err = time.Parse(time.RFC3339, to); err != nil {
		return start, end, fmt.Errorf("--to: %v", err)
	}
	if !start.Before(end) {
		return start, end, errors.New("--from must be before --to")
	}
	return start, end, nil
}
