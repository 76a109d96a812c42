//go:build !lambda

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"golang.org/x/sync/errgroup"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/daemon"
	"github.com/connect-reporting/connect-reporting/internal/historical"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/simingest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
	"github.com/connect-reporting/connect-reporting/internal/web"
)

// demoOptions are demo's flags.
type demoOptions struct {
	db, addr        string
	sim             simFlags
	duration, delay time.Duration
	throttle        float64
	quiet, fresh    bool
}

// demo is the running demo: the simulator, its Connect API and the
// pipeline's parts, on one store.
type demo struct {
	opts    demoOptions
	auth    web.Auth     // the dashboard's login
	ln      net.Listener // the dashboard's, nil without --addr
	cfg     simulator.Config
	loc     *time.Location
	store   *sqlstore.Store
	sim     *simulator.Simulator
	apiURL  string
	counts  demoCounts
	pollers Pollers
	sched   *daemon.Scheduler
}

// runDemo drives the real pipeline from a simulated Connect instance: its
// agent events and contact records go through the same ingest engine as the
// Lambda handlers, and the three pollers call its Connect API over loopback
// HTTP with the real AWS SDK client, all into one SQLite file, with the
// dashboard served beside it.
func runDemo(ctx context.Context, m *Main, args []string) error {
	opts, err := m.parseDemoFlags(args)
	if err != nil {
		return err
	}
	d, err := m.newDemo(opts)
	if err != nil {
		return err
	}
	// Warnings only, unless LOG_LEVEL says otherwise: the live summary
	// line tells what happens.
	m.setLogger("text", "warn")
	if err := m.startDemo(ctx, d); err != nil {
		return err
	}
	// --duration is how long the demo runs, once the database is ready.
	if opts.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.duration)
		defer cancel()
	}
	err = m.runDemoParts(ctx, d)
	fmt.Fprintf(m.Stdout, "\ndemo: stopped at simulated %s: %s\n", d.sim.Now().In(d.loc).Format("15:04"), d.counts.String())
	return err
}

// parseDemoFlags parses demo's command line.
func (m *Main) parseDemoFlags(args []string) (demoOptions, error) {
	var o demoOptions
	fs := m.newFlagSet("demo", "demo [--db PATH.db] [--addr 127.0.0.1:8080] [--agents N] [--queues N] [--speed X] [--duration D]")
	fs.StringVar(&o.db, "db", "sqlite:connect-reporting-demo.db", "database (SQLite by default; any DSN works)")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "dashboard address (\"\" for none)")
	o.sim = addSimFlags(fs, 60, "08:00 today in --time-zone, as agents log in")
	fs.DurationVar(&o.duration, "duration", 0, "stop after this long (default: until interrupted)")
	fs.DurationVar(&o.delay, "delay", 5*time.Second, "real-time poll interval (wall clock)")
	fs.Float64Var(&o.throttle, "throttle", 0, "fraction of Connect API calls the simulator throttles (the pollers retry)")
	fs.BoolVar(&o.quiet, "quiet", false, "no live summary line")
	fs.BoolVar(&o.fresh, "fresh", false, "start with an empty database: delete the SQLite file of --db (and its -wal and -shm) first")
	pos, err := m.parse(fs, args)
	if err != nil {
		return o, err
	}
	if len(pos) > 0 {
		return o, usageError("demo", "unexpected arguments %q", pos)
	}
	return o, nil
}

// newDemo checks the options and configures the simulated instance: by
// default it starts at 08:00 today in the centre's time zone, so agents are
// logging in as the demo starts.
func (m *Main) newDemo(o demoOptions) (*demo, error) {
	loc, err := m.dashboardZone(*o.sim.tz)
	if err != nil {
		return nil, usageError("demo", "%v", err)
	}
	now := time.Now().In(loc)
	cfg, err := o.sim.config(time.Date(now.Year(), now.Month(), now.Day(), 8, 0, 0, 0, loc))
	if err != nil {
		return nil, usageError("demo", "%v", err)
	}
	d := &demo{opts: o, cfg: cfg, loc: loc}
	if o.addr != "" {
		if d.auth, err = m.dashboardAuth(o.addr); err != nil {
			return nil, err
		}
		// The port is taken before anything is stored.
		if d.ln, err = m.listen(o.addr, "demo: dashboard", "choose another with --addr, e.g. --addr 127.0.0.1:8081 (or --addr \"\" for none)"); err != nil {
			return nil, err
		}
		m.OnClose(func() error { d.ln.Close(); return nil })
	}
	return d, m.prepareDemoDB(o)
}

// startDemo opens the store, starts the simulated Connect API and builds
// the pollers on the real SDK client pointed at it.
func (m *Main) startDemo(ctx context.Context, d *demo) error {
	var err error
	if d.store, err = m.openStore(ctx, d.opts.db, sqlstore.Options{TimeZones: []*time.Location{d.loc}}); err != nil {
		return err
	}
	engine := &ingest.Engine{Store: d.store, Logger: m.Logger}
	sink := simulator.SinkFunc(func(ctx context.Context, recs []simulator.Record) error {
		// A flush that has started completes, even as the demo stops.
		return d.counts.ingest(context.WithoutCancel(ctx), engine, recs)
	})
	if d.sim, err = simulator.New(d.cfg, sink); err != nil {
		return err
	}
	srv := api.New(d.sim, api.Options{ThrottleRate: d.opts.throttle, Seed: uint64(*d.opts.sim.seed)})
	if d.apiURL, err = srv.Start(); err != nil {
		return err
	}
	m.OnClose(func() error { srv.Close(); return nil })
	client := connectapi.New(aws.Config{
		Region:      d.cfg.Region,
		Credentials: credentials.NewStaticCredentialsProvider("demo", "demo", ""),
	}, connectapi.Options{InstanceID: d.cfg.InstanceID, Limiter: demoLimiter(*d.opts.sim.speed), Logger: m.Logger, Endpoint: d.apiURL})
	d.pollers = NewPollers(d.store, client, PollerOptions{RealtimeDelay: d.opts.delay, Loop: true, Logger: m.Logger})
	d.pollers.Realtime.Now = d.sim.Now
	d.pollers.Config.Now = d.sim.Now
	hist := &historical.Poller{API: client, Store: d.store, TimeZone: d.loc, InitialBackfill: time.Hour, Now: d.sim.Now, Logger: m.Logger}
	// The pollers run on the wall clock (at --speed 60 a minute is an hour
	// of the contact centre): the real-time poller loops every --delay, the
	// scheduler runs the historical and configuration pollers.
	d.sched = &daemon.Scheduler{Logger: m.Logger, Jobs: []daemon.Job{
		{Name: "config", Poller: d.pollers.Config, Every: time.Minute},
		{Name: "historical", Poller: hist, Every: demoHistoricalEvery(*d.opts.sim.speed)},
	}}
	fmt.Fprintf(m.Stdout, "demo: simulated instance %s, %d agents, %d queues, %gx speed from %s; database %s\n",
		d.cfg.InstanceID, d.cfg.Agents, len(d.cfg.Queues), *d.opts.sim.speed, d.cfg.Start.Format("2006-01-02 15:04 MST"), sqlstore.Redact(d.opts.db))
	fmt.Fprintf(m.Stdout, "demo: Connect API %s (AWS_ENDPOINT_URL_CONNECT=%s, instance id %s)\n", d.apiURL, d.apiURL, d.cfg.InstanceID)
	return nil
}

// runDemoParts runs the simulation, the pollers, the dashboard and the live
// summary until ctx ends (or one of them fails).
func (m *Main) runDemoParts(ctx context.Context, d *demo) error {
	// The pollers get a context without --duration's deadline: a deadline
	// means "Lambda invocation" to them, and they would stop short of it.
	pollCtx, stopPolls := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPolls()
	g, gctx := errgroup.WithContext(ctx)
	go func() {
		<-gctx.Done()
		stopPolls()
	}()
	g.Go(func() error { return d.sim.Run(gctx, *d.opts.sim.speed, 0) })
	g.Go(func() error { return d.sched.Run(pollCtx) })
	g.Go(func() error {
		if err := d.pollers.Realtime.Poll(pollCtx); err != nil && pollCtx.Err() == nil {
			return fmt.Errorf("real-time poller: %w", err)
		}
		return nil
	})
	if d.ln != nil {
		h := newDashboard(d.store, demoDashboardOptions(d.loc, m.Logger, d.sim, *d.opts.sim.speed))
		g.Go(func() error { return m.serveDashboard(gctx, d.ln, "demo: dashboard", h, d.auth) })
	}
	if !d.opts.quiet {
		g.Go(func() error { return demoSummary(gctx, m.Stdout, d.store, d.sim, &d.counts) })
	}
	err := g.Wait()
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, http.ErrServerClosed)) {
		err = nil
	}
	return err
}

// prepareDemoDB deletes the SQLite file of --db with --fresh, or says that
// the demo resumes the database an earlier run left.
func (m *Main) prepareDemoDB(o demoOptions) error {
	path := sqliteFile(o.db)
	if path == "" {
		if o.fresh {
			return usageError("demo", "--fresh deletes a SQLite file; --db %s is not one (empty that database yourself)", sqlstore.Redact(o.db))
		}
		return nil
	}
	st, err := os.Stat(path)
	switch {
	case err != nil || st.Size() == 0:
		return nil
	case o.fresh:
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("demo: --fresh: %w", err)
			}
		}
		fmt.Fprintf(m.Stdout, "demo: deleted %s; starting with an empty database\n", path)
	default:
		fmt.Fprintf(m.Stdout, "demo: resuming %s from an earlier run: the simulated day starts again, so records stored before count as duplicates; --fresh starts with an empty database\n", path)
	}
	return nil
}

// sqliteFile is the file of a SQLite DSN ("" for other databases and for
// :memory:).
func sqliteFile(dsn string) string {
	d, err := sqlstore.ParseDSN(dsn, "")
	if err != nil || d.Dialect != sqlstore.DialectSQLite {
		return ""
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(d.Conn, "file:"), "?")
	if path == ":memory:" {
		return ""
	}
	return path
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
	return simingest.Ingest(ctx, e, recs, func(source string, res ingest.Result) {
		into := &c.events
		if source == connectreporting.SourceCTR {
			into = &c.ctrs
		}
		c.mu.Lock()
		*into = into.Add(res.BatchResult)
		c.mu.Unlock()
		c.failed.Add(int64(len(res.Failed)))
	})
}

func (c *demoCounts) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("agent events %d stored / %d duplicate / %d heartbeat, contact records %d stored / %d updated / %d duplicate, %d rejected",
		c.events.Stored, c.events.Duplicate, c.events.Heartbeat, c.ctrs.Stored, c.ctrs.Updated, c.ctrs.Duplicate, c.events.Rejected+c.ctrs.Rejected)
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
		line := fmt.Sprintf("sim %s | %s | %s", sim.Now().Format("Mon 15:04"), demoTableCounts(ctx, s), c.String())
		if tty {
			fmt.Fprintf(w, "\r\033[K%s", line)
		} else if i%10 == 0 {
			fmt.Fprintln(w, line)
		}
	}
}

// demoTableCounts is the store's part of the live line.
func demoTableCounts(ctx context.Context, s *sqlstore.Store) string {
	c, err := s.Summary(ctx)
	if err != nil {
		return "counts unavailable"
	}
	return fmt.Sprintf("agents on %d, in queue %d, snapshots %d, interval metrics %d, users %d",
		c.AgentsOn, c.InQueue, c.QueueSnapshots, c.IntervalMetrics, c.Users)
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
