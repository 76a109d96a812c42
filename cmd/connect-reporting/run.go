//go:build !lambda

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/connect-reporting/connect-reporting/internal/configsync"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/daemon"
	"github.com/connect-reporting/connect-reporting/internal/historical"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/realtime"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

const runUsage = "run --config FILE [--check]"

// daemonEnv is what the daemon's parts are built from.
type daemonEnv struct {
	cfg      *daemon.Config
	store    *sqlstore.Store
	aws      aws.Config
	consumer *daemon.Consumer  // nil without streams
	sched    *daemon.Scheduler // nil without pollers
}

// runDaemon is `run --config FILE`: the Kinesis consumers, the scheduled
// pollers and (when configured) the dashboard, until ctx is cancelled
// (SIGINT/SIGTERM), then a graceful stop: in-flight batches are stored and
// checkpointed.
func runDaemon(ctx context.Context, m *Main, args []string) error {
	path, check, err := m.parseRunFlags(args)
	if err != nil {
		return err
	}
	cfg, err := m.loadDaemonConfig(path)
	if err != nil {
		return err
	}
	// The same parse Open (and so migrate) makes: --check accepts no
	// connection string that the start would refuse.
	if _, err := sqlstore.ParseDSN(cfg.Database.DSN, cfg.Database.Storage); err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("run: database.dsn: %w", err)}
	}
	if addr := cfg.Dashboard.Addr; addr != "" {
		if _, err := m.dashboardAuth(addr); err != nil {
			return fmt.Errorf("run: dashboard.addr: %w", err)
		}
	}
	if check {
		printDaemonCheck(m, path, cfg)
		return nil
	}
	env, err := m.buildDaemon(ctx, cfg)
	if err != nil {
		return err
	}
	return m.runDaemonParts(ctx, path, env)
}

// parseRunFlags parses run's command line: --config FILE and --check.
func (m *Main) parseRunFlags(args []string) (path string, check bool, err error) {
	fs := m.newFlagSet("run", runUsage)
	fs.StringVar(&path, "config", "", "daemon configuration, YAML or JSON (see deploy/daemon.example.yaml)")
	fs.BoolVar(&check, "check", false, "validate the configuration and exit")
	pos, err := m.parse(fs, args)
	switch {
	case err != nil:
		return "", false, err
	case len(pos) > 0:
		return "", false, usageError("run", "unexpected arguments %q", pos)
	case path == "":
		return "", false, usageError("run", "give --config FILE")
	}
	return path, check, nil
}

// loadDaemonConfig reads the configuration file and applies its log
// settings, unless the command line or the environment says otherwise.
func (m *Main) loadDaemonConfig(path string) (*daemon.Config, error) {
	cfg, err := daemon.LoadConfig(path, m.Getenv)
	if err != nil {
		return nil, &ExitError{Code: 2, Err: fmt.Errorf("run: %w", err)}
	}
	m.setLogger(firstSet(cfg.LogFormat, "json"), firstSet(cfg.LogLevel, "info"))
	return cfg, nil
}

// printDaemonCheck is run --check's answer: what the configuration runs.
func printDaemonCheck(m *Main, path string, cfg *daemon.Config) {
	var names []string
	for _, s := range cfg.Schedules() {
		names = append(names, fmt.Sprintf("%s every %s", s.Name, s.Every))
	}
	if len(names) == 0 {
		names = []string{"none"}
	}
	fmt.Fprintf(m.Stdout, "%s: ok: %d streams, pollers: %s\n", path, len(cfg.Streams), strings.Join(names, ", "))
}

// buildDaemon opens the store and the AWS configuration and builds the
// consumer (when streams are configured) and the scheduler (when pollers
// are).
func (m *Main) buildDaemon(ctx context.Context, cfg *daemon.Config) (*daemonEnv, error) {
	env := &daemonEnv{cfg: cfg}
	opts := sqlstore.Options{
		Storage: cfg.Database.Storage, StoreHeartbeats: cfg.Database.StoreHeartbeats, Logger: m.Logger,
	}
	if err := m.reportOptions(&opts); err != nil {
		return nil, &ExitError{Code: 2, Err: err}
	}
	var err error
	env.store, err = sqlstore.Open(ctx, cfg.Database.DSN, opts)
	if err != nil {
		return nil, err
	}
	m.OnClose(env.store.Close)
	if env.aws, err = m.daemonAWSConfig(ctx, cfg); err != nil {
		return nil, err
	}
	if len(cfg.Streams) > 0 {
		env.consumer = m.daemonConsumer(env)
	}
	if env.sched, err = m.daemonScheduler(env); err != nil {
		return nil, err
	}
	if env.consumer == nil && env.sched == nil {
		return nil, errors.New("run: nothing to run (no streams and no pollers configured)")
	}
	return env, nil
}

// daemonConsumer is the Kinesis consumer of the configured streams.
func (m *Main) daemonConsumer(env *daemonEnv) *daemon.Consumer {
	cfg := env.cfg
	kc := kinesis.NewFromConfig(env.aws, func(o *kinesis.Options) {
		if cfg.Endpoints.Kinesis != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoints.Kinesis)
		}
	})
	c := &daemon.Consumer{
		Client:   kc,
		Leases:   env.store,
		Ingester: &ingest.Engine{Store: env.store, Logger: m.Logger, ChunkSize: cfg.Database.BatchSize},
		Streams:  cfg.ConsumerStreams(),
		Logger:   m.Logger.With("component", "consumer"),
	}
	cfg.Consumer.Apply(c)
	return c
}

// daemonScheduler schedules the configured pollers (nil when none is). All
// share one Connect client, so one rate limiter per Connect API serves the
// whole process.
func (m *Main) daemonScheduler(env *daemonEnv) (*daemon.Scheduler, error) {
	sch := env.cfg.Schedules()
	if len(sch) == 0 {
		return nil, nil
	}
	client := connectapi.New(env.aws, connectapi.Options{InstanceID: env.cfg.InstanceID, Logger: m.Logger, Endpoint: env.cfg.Endpoints.Connect})
	sched := &daemon.Scheduler{Logger: m.Logger.With("component", "scheduler")}
	for _, s := range sch {
		p, err := m.daemonPoller(s.Name, env, client)
		if err != nil {
			return nil, fmt.Errorf("run: poller %s: %w", s.Name, err)
		}
		sched.Jobs = append(sched.Jobs, daemon.Job{Name: s.Name, Poller: p, Every: s.Every, Timeout: s.Timeout, Hours: s.Hours})
	}
	return sched, nil
}

// daemonPoller builds the poller the configuration names.
func (m *Main) daemonPoller(name string, env *daemonEnv, client *connectapi.Client) (daemon.Poller, error) {
	logger := m.Logger.With("poller", name)
	switch name {
	case daemon.PollerRealtime:
		// One round per scheduled run, whatever the job's timeout: the
		// scheduler is the loop (a deadline would switch Poll to its
		// Lambda-style loop).
		p := &realtime.Poller{API: client, Store: env.store, Logger: logger}
		return daemon.PollerFunc(p.Round), nil
	case daemon.PollerHistorical:
		loc, err := env.cfg.Location()
		if err != nil {
			return nil, err
		}
		return &historical.Poller{API: client, Store: env.store, TimeZone: loc, Logger: logger}, nil
	case daemon.PollerConfigSync:
		return &configsync.Syncer{API: client, Store: env.store, Logger: logger}, nil
	case daemon.JobMaintain:
		mc := env.cfg.Maintenance
		return daemon.PollerFunc(maintainJob(env.store, sqlstore.MaintainOptions{RawDays: mc.RawDays, KeepDays: mc.KeepDays}, logger)), nil
	}
	return nil, fmt.Errorf("unknown poller %q", name)
}

// runDaemonParts runs the consumer, the scheduler and the dashboard until
// ctx ends or one of them fails (which stops the others: better than half
// a daemon).
func (m *Main) runDaemonParts(ctx context.Context, path string, env *daemonEnv) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	part := func(name string, run func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil && ctx.Err() == nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				mu.Unlock()
				cancel()
			}
		}()
	}
	jobs := 0
	if env.consumer != nil {
		part("consumer", env.consumer.Run)
	}
	if env.sched != nil {
		part("scheduler", env.sched.Run)
		jobs = len(env.sched.Jobs)
	}
	if addr := env.cfg.Dashboard.Addr; addr != "" {
		part("dashboard", func(ctx context.Context) error { return daemonDashboard(ctx, m, addr, env) })
	}
	m.Logger.Info("daemon started", "config", path, "streams", len(env.cfg.Streams), "pollers", jobs, "database", env.store.Dialect())
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		m.Logger.Error("daemon stopped on an error", "error", err)
		return fmt.Errorf("run: %w", err)
	}
	m.Logger.Info("daemon stopped")
	return nil
}

// daemonAWSConfig is the SDK's standard configuration (credentials chain,
// AWS_ENDPOINT_URL_KINESIS / _CONNECT) with the region of the file, else of
// the environment, else of the instance ARN.
func (m *Main) daemonAWSConfig(ctx context.Context, cfg *daemon.Config) (aws.Config, error) {
	region := firstSet(cfg.Region, m.Getenv("AWS_REGION"), m.Getenv("AWS_DEFAULT_REGION"))
	if region == "" && strings.HasPrefix(cfg.InstanceID, "arn:") {
		if parts := strings.SplitN(cfg.InstanceID, ":", 6); len(parts) == 6 {
			region = parts[3]
		}
	}
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	c, err := awsconfig.LoadDefaultConfig(ctx, append(opts, awsconfig.WithLogger(sdkLogger{m.Logger}))...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("run: AWS configuration: %w", err)
	}
	if c.Region == "" {
		return aws.Config{}, &ExitError{Code: 2, Err: errors.New("run: no AWS region: set region in the config file or AWS_REGION")}
	}
	return c, nil
}
