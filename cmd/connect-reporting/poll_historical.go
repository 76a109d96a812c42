package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/connect"

	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/historical"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

const pollHistoricalUsage = "poll historical --instance ID --db DSN [--from RFC3339 --to RFC3339] [--time-zone Europe/London] [--lookback 1h] [--endpoint URL]"

// runPollHistorical is `poll historical`: one run of the OnboardMetrics
// poller (GetMetricDataV2 queue metrics per 15-minute interval of the time
// zone, from the checkpoint to the last completed interval), or with --from
// and --to a backfill of that range. args are the arguments after
// "historical".
func runPollHistorical(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("poll historical", pollHistoricalUsage)
	instance := fs.String("instance", "", "Amazon Connect instance id or ARN (default $INSTANCE_ID)")
	dsn := m.dbFlag(fs)
	from := fs.String("from", "", "backfill from this time (RFC 3339; with --to)")
	to := fs.String("to", "", "backfill up to this time (RFC 3339; with --from; clamped to the last completed interval)")
	tz := fs.String("time-zone", "", "IANA time zone the 15-minute intervals are bucketed in (default $TIME_ZONE, else UTC)")
	lookback := fs.Duration("lookback", historical.DefaultLookback, "how far before the checkpoint a run re-pulls, for late data")
	slice := fs.Duration("slice", historical.DefaultSliceSize, "range of one GetMetricDataV2 request (less than 3 days)")
	initial := fs.Duration("initial-backfill", historical.DefaultInitialBackfill, "how far back the first run (no checkpoint) starts")
	endpoint := fs.String("endpoint", "", "Connect API endpoint URL, e.g. the simulator's (default: $AWS_ENDPOINT_URL_CONNECT, else AWS's)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	usageErr := func(format string, a ...any) error {
		return &ExitError{Code: 2, Err: fmt.Errorf("poll historical: "+format, a...)}
	}
	if len(pos) > 0 {
		return usageErr("unexpected arguments %q", pos)
	}
	if *instance == "" {
		*instance = m.Getenv("INSTANCE_ID")
	}
	if *instance == "" {
		return usageErr("no instance: give --instance ID or set INSTANCE_ID")
	}
	if *tz == "" {
		*tz = m.Getenv("TIME_ZONE")
	}
	loc := time.UTC
	if *tz != "" {
		if loc, err = time.LoadLocation(*tz); err != nil {
			return usageErr("--time-zone: %v", err)
		}
	}
	var start, end time.Time
	if (*from == "") != (*to == "") {
		return usageErr("--from and --to go together")
	}
	if *from != "" {
		if start, err = time.Parse(time.RFC3339, *from); err != nil {
			return usageErr("--from: %v", err)
		}
		if end, err = time.Parse(time.RFC3339, *to); err != nil {
			return usageErr("--to: %v", err)
		}
		if !start.Before(end) {
			return usageErr("--from must be before --to")
		}
	}
	if *slice <= 0 || *slice > historical.MaxSlice {
		return usageErr("--slice must be more than 0 and at most %s", historical.MaxSlice)
	}

	store, err := m.openStore(ctx, *dsn, sqlstore.Options{})
	if err != nil {
		return err
	}
	client, err := m.historicalClient(ctx, *instance, *endpoint)
	if err != nil {
		return err
	}
	p := &historical.Poller{
		API: client, Store: store, TimeZone: loc,
		Lookback: *lookback, SliceSize: *slice, InitialBackfill: *initial,
		Logger: m.Logger,
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
		case rep.Stopped:
			state = "stopped early; the next run resumes at the checkpoint"
		case err != nil:
			state = "failed"
		}
		fmt.Fprintf(m.Stdout, "historical %s %s..%s: %d queues, %d slices, %d metrics stored up to %s (%s)\n",
			rep.Scope, rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339),
			rep.Queues, rep.Slices, rep.Metrics, rep.Done.Format(time.RFC3339), state)
	}
	return err
}

// historicalClient returns the Connect client for instance: the standard
// AWS configuration (region, credentials), DELAY as the pause between
// configuration calls, the Connect endpoint from --endpoint or
// AWS_ENDPOINT_URL_CONNECT.
func (m *Main) historicalClient(ctx context.Context, instance, endpoint string) (*connectapi.Client, error) {
	var opts []func(*config.LoadOptions) error
	if r := firstNonEmpty(m.Getenv("AWS_REGION"), m.Getenv("AWS_DEFAULT_REGION")); r != "" {
		opts = append(opts, config.WithRegion(r))
	} else if region := regionOfARN(instance); region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, &ExitError{Code: 2, Err: errors.New("poll historical: no AWS region: set AWS_REGION or give the instance ARN")}
	}
	if endpoint == "" {
		endpoint = m.Getenv("AWS_ENDPOINT_URL_CONNECT")
	}
	var delay time.Duration
	if d := m.Getenv("DELAY"); d != "" {
		secs, err := strconv.ParseFloat(d, 64)
		if err != nil || secs < 0 {
			return nil, &ExitError{Code: 2, Err: fmt.Errorf("DELAY=%q: want seconds", d)}
		}
		delay = time.Duration(secs * float64(time.Second))
	}
	var fns []func(*connect.Options)
	if endpoint != "" {
		fns = append(fns, func(o *connect.Options) { o.BaseEndpoint = aws.String(endpoint) })
	}
	return connectapi.New(cfg, connectapi.Options{InstanceID: instance, Delay: delay, Logger: m.Logger}, fns...), nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// regionOfARN returns the region of arn:aws:connect:REGION:ACCOUNT:instance/ID.
func regionOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		return parts[3]
	}
	return ""
}
