package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"golang.org/x/sync/errgroup"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/daemon"
	"github.com/connect-reporting/connect-reporting/internal/historical"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
	"github.com/connect-reporting/connect-reporting/internal/web"
)

func init() {
	register(command{name: "demo", summary: "simulated contact centre + the full pipeline + dashboard on embedded SQLite", run: runDemo})
}

// runDemo drives the real pipeline from a simulated Connect instance: its
// agent events and contact records go through the same ingest engine as the
// Lambda handlers, and the three pollers call its Connect API over loopback
// HTTP with the real AWS SDK client, all into one SQLite file, with the
// dashboard served beside it.
func runDemo(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("demo", "demo [--db PATH.db] [--addr 127.0.0.1:8080] [--agents N] [--queues N] [--speed X] [--duration D]")
	db := fs.String("db", "sqlite:connect-reporting-demo.db", "database (SQLite by default; any DSN works)")
	addr := fs.String("addr", "127.0.0.1:8080", "dashboard address (\"\" for none)")
	sf := addSimFlags(fs, 60)
	fs.Lookup("start").Usage = "simulated start time, RFC 3339 (default: 08:00 today in --time-zone, as agents log in)"
	duration := fs.Duration("duration", 0, "stop after this long (default: until interrupted)")
	delay := fs.Duration("delay", 5*time.Second, "real-time poll interval (wall clock)")
	throttle := fs.Float64("throttle", 0, "fraction of Connect API calls the simulator throttles (the pollers retry)")
	quiet := fs.Bool("quiet", false, "no live summary line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &ExitError{Code: 2, Err: fmt.Errorf("demo: unexpected arguments %q", fs.Args())}
	}
	loc, err := m.dashboardZone(*sf.tz)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	// Default start: 08:00 today in the centre's time zone, so agents are
	// logging in as the demo starts.
	now := time.Now().In(loc)
	cfg, err := sf.config(time.Date(now.Year(), now.Month(), now.Day(), 8, 0, 0, 0, loc))
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	var auth web.Auth
	if *addr != "" {
		if auth, err = m.dashboardAuth(*addr); err != nil {
			return err
		}
	}
	if m.Getenv("LOG_LEVEL") == "" {
		m.Logger = newLogger(m.Stderr, "warn", "text")
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}

	store, err := m.openStore(ctx, *db, sqlstore.Options{})
	if err != nil {
		return err
	}
	engine := &ingest.Engine{Store: store, Logger: m.Logger}
	var counts demoCounts
	sink := simulator.SinkFunc(func(ctx context.Context, recs []simulator.Record) error {
		// A flush that has started completes, even as the demo stops.
		return counts.ingest(context.WithoutCancel(ctx), engine, recs)
	})
	sim, err := simulator.New(cfg, sink)
	if err != nil {
		return err
	}
	srv := api.New(sim, api.Options{ThrottleRate: *throttle, Seed: uint64(*sf.seed)})
	url, err := srv.Start()
	if err != nil {
		return err
	}
	defer srv.Close()

	client := connectapi.New(aws.Config{
		Region:      cfg.Region,
		Credentials: credentials.NewStaticCredentialsProvider("demo", "demo", ""),
	}, connectapi.Options{InstanceID: cfg.InstanceID, Limiter: demoLimiter(*sf.speed), Logger: m.Logger},
		func(o *connect.Options) { o.BaseEndpoint = aws.String(url) })
	pollers := NewPollers(store, client, PollerOptions{RealtimeDelay: *delay, Loop: true, Logger: m.Logger})
	pollers.Realtime.Now = sim.Now
	pollers.Config.Now = sim.Now
	hist := &historical.Poller{API: client, Store: store, TimeZone: loc, InitialBackfill: time.Hour, Now: sim.Now, Logger: m.Logger}
	// The pollers run on the wall clock (at --speed 60 a minute is an hour
	// of the contact centre): the real-time poller loops every --delay, the
	// scheduler runs the historical and configuration pollers.
	sched := &daemon.Scheduler{Logger: m.Logger, Jobs: []daemon.Job{
		{Name: "config", Poller: pollers.Config, Every: time.Minute},
		{Name: "historical", Poller: hist, Every: demoHistoricalEvery(*sf.speed)},
	}}

	fmt.Fprintf(m.Stdout, "demo: simulated instance %s, %d agents, %d queues, %gx speed from %s; database %s\n",
		cfg.InstanceID, cfg.Agents, len(cfg.Queues), *sf.speed, cfg.Start.Format("2006-01-02 15:04 MST"), *db)
	fmt.Fprintf(m.Stdout, "demo: Connect API %s (AWS_ENDPOINT_URL_CONNECT=%s, instance id %s)\n", url, url, cfg.InstanceID)

	// The pollers get a context without --duration's deadline: a deadline
	// means "Lambda invocation" to them, and they would stop short of it.
	pollCtx, stopPolls := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPolls()
	g, gctx := errgroup.WithContext(ctx)
	go func() {
		<-gctx.Done()
		stopPolls()
	}()
	g.Go(func() error { return sim.Run(gctx, *sf.speed, 0) })
	g.Go(func() error { return sched.Run(pollCtx) })
	g.Go(func() error {
		if err := pollers.Realtime.Poll(pollCtx); err != nil && pollCtx.Err() == nil {
			return fmt.Errorf("real-time poller: %w", err)
		}
		return nil
	})
	if *addr != "" {
		h := newDashboard(store, demoDashboardOptions(loc, m.Logger, sim, *sf.speed))
		g.Go(func() error { return m.serveDashboard(gctx, *addr, "demo: dashboard", h, auth) })
	}
	if !*quiet {
		g.Go(func() error { return demoSummary(gctx, m.Stdout, store, sim, &counts) })
	}
	err = g.Wait()
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, http.ErrServerClosed)) {
		err = nil
	}
	fmt.Fprintf(m.Stdout, "\ndemo: stopped at simulated %s: %s\n", sim.Now().In(loc).Format("15:04"), counts.String())
	return err
}

// demoDashboardOptions put the dashboard on the simulator's clock: "now",
// "today", ages and staleness are simulated time, so the first screen is
// live and the reports offer only days the simulation reached; the page
// says that the clock is simulated and runs it at --speed.
func demoDashboardOptions(loc *time.Location, logger *slog.Logger, sim *simulator.Simulator, speed float64) web.Options {
	return web.Options{Location: loc, Logger: logger, Now: sim.Now, Simulated: true, ClockRate: speed}
}

// demoHistoricalEvery runs the historical poller about once per simulated
// 15-minute interval, between every 5 s and every minute of wall clock.
func demoHistoricalEvery(speed float64) time.Duration {
	d := time.Duration(float64(15*time.Minute) / max(speed, 1))
	return min(max(d, 5*time.Second), time.Minute)
}

// demoLimiter paces the demo's API calls: the simulator has no account
// quotas, and its clock runs speed times faster than the account's would, so
// the quotas are scaled up with it (never below the real ones).
func demoLimiter(speed float64) *connectapi.Limiter {
	scale := max(1, min(speed, 20))
	over := map[string]connectapi.Quota{}
	for op, q := range connectapi.DefaultQuotas() {
		over[op] = connectapi.Quota{Rate: q.Rate * scale, Burst: int(float64(q.Burst) * scale)}
	}
	d := connectapi.DefaultQuota
	over["*"] = connectapi.Quota{Rate: d.Rate * scale, Burst: int(float64(d.Burst) * scale)}
	return connectapi.NewLimiter(over)
}

// demoCounts counts what the ingest engine stored from the simulator.
type demoCounts struct {
	mu     sync.Mutex
	events connectreporting.BatchResult
	ctrs   connectreporting.BatchResult
	failed atomic.Int64
}

// ingest hands one flush of the simulator to the engine, per stream, as
// Kinesis batches reach the Lambda handlers.
func (c *demoCounts) ingest(ctx context.Context, e *ingest.Engine, recs []simulator.Record) error {
	var ae, ctr []ingest.Record
	for _, r := range recs {
		rec := ingest.Record{Data: r.Data, PartitionKey: r.PartitionKey, ArrivalTime: r.Time}
		if r.Stream == simulator.StreamCTR {
			ctr = append(ctr, rec)
		} else {
			ae = append(ae, rec)
		}
	}
	for _, part := range []struct {
		source string
		recs   []ingest.Record
		into   *connectreporting.BatchResult
	}{{connectreporting.SourceAgentEvents, ae, &c.events}, {connectreporting.SourceCTR, ctr, &c.ctrs}} {
		if len(part.recs) == 0 {
			continue
		}
		res, err := e.Ingest(ctx, part.source, part.recs)
		c.mu.Lock()
		*part.into = part.into.Add(res.BatchResult)
		c.mu.Unlock()
		if err != nil {
			c.failed.Add(int64(len(res.Failed)))
			return fmt.Errorf("ingest %s: %w", part.source, err)
		}
	}
	return nil
}

func (c *demoCounts) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("agent events %d stored / %d duplicate, contact records %d stored / %d duplicate, %d rejected",
		c.events.Stored, c.events.Duplicate, c.ctrs.Stored, c.ctrs.Duplicate, c.events.Rejected+c.ctrs.Rejected)
}

// demoSummary prints one live line a second: the simulated time, what the
// agents are doing and what the pipeline has stored.
func demoSummary(ctx context.Context, w io.Writer, s *sqlstore.Store, sim *simulator.Simulator, c *demoCounts) error {
	tty := isTerminal(w)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		line := fmt.Sprintf("sim %s | %s | %s", sim.Now().Format("Mon 15:04"), demoTableCounts(ctx, s.DB()), c.String())
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", line)
		} else if i%10 == 0 {
			fmt.Fprintln(w, line)
		}
	}
}

func demoTableCounts(ctx context.Context, db *sql.DB) string {
	var parts []string
	for _, q := range []struct{ label, sql string }{
		{"agents on", "SELECT COUNT(*) FROM agent_state WHERE status_type IS NOT NULL AND status_type <> 'OFFLINE'"},
		{"in queue", "SELECT COALESCE(SUM(contacts_in_queue), 0) FROM queue_realtime_current"},
		{"snapshots", "SELECT COUNT(*) FROM queue_realtime_snapshot"},
		{"interval metrics", "SELECT COUNT(*) FROM queue_interval_metric"},
		{"users", "SELECT COUNT(*) FROM connect_user WHERE valid_to IS NULL"},
	} {
		var n float64
		if err := db.QueryRowContext(ctx, q.sql).Scan(&n); err != nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %g", q.label, n))
	}
	return strings.Join(parts, ", ")
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
