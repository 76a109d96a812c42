package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/connect-reporting/connect-reporting/internal/configsync"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/daemon"
	"github.com/connect-reporting/connect-reporting/internal/historical"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/realtime"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

func init() {
	register(command{name: "run", summary: "daemon: stream consumers, scheduled pollers, dashboard (--config FILE)", run: runDaemon})
}

const runUsage = "run --config FILE [--check]"

// daemonEnv is what the daemon's parts are built from.
type daemonEnv struct {
	cfg      *daemon.Config
	store    *sqlstore.Store
	aws      aws.Config
	consumer *daemon.Consumer  // nil without streams
	sched    *daemon.Scheduler // nil without pollers
}

// daemonDashboard is the hook for the dashboard (internal/web): when set
// (by the file that wires the web package) and dashboard.addr is
// configured, run serves the dashboard with the daemon's store and its
// consumer and scheduler statistics until ctx is cancelled.
var daemonDashboard func(ctx context.Context, m *Main, addr string, env *daemonEnv) error

// daemonPollers builds the configured pollers. All three share one Connect
// client, so one rate limiter per Connect API serves the whole process.
var daemonPollers = map[string]func(m *Main, env *daemonEnv, client *connectapi.Client) (daemon.Poller, error){
	daemon.PollerRealtime: func(m *Main, env *daemonEnv, client *connectapi.Client) (daemon.Poller, error) {
		// One round per scheduled run, whatever the job's timeout: the
		// scheduler is the loop (a deadline would switch Poll to its
		// Lambda-style loop).
		p := &realtime.Poller{API: client, Store: env.store, Logger: m.Logger.With("poller", "realtime")}
		return daemon.PollerFunc(p.Round), nil
	},
	daemon.PollerHistorical: func(m *Main, env *daemonEnv, client *connectapi.Client) (daemon.Poller, error) {
		loc, err := env.cfg.Location()
		if err != nil {
			return nil, err
		}
		return &historical.Poller{API: client, Store: env.store, TimeZone: loc, Logger: m.Logger.With("poller", "historical")}, nil
	},
	daemon.PollerConfigSync: func(m *Main, env *daemonEnv, client *connectapi.Client) (daemon.Poller, error) {
		return &configsync.Syncer{API: client, Store: env.store, Logger: m.Logger.With("poller", "config")}, nil
	},
}

// runDaemon is `run --config FILE`: the Kinesis consumers, the scheduled
// pollers and (when built in and configured) the dashboard, until ctx is
// cancelled (SIGINT/SIGTERM), then a graceful stop: in-flight batches are
// stored and checkpointed.
func runDaemon(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("run", runUsage)
	path := fs.String("config", "", "daemon configuration, YAML or JSON (see deploy/daemon.example.yaml)")
	check := fs.Bool("check", false, "validate the configuration and exit")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &ExitError{Code: 2, Err: fmt.Errorf("run: unexpected arguments %q", pos)}
	}
	if *path == "" {
		fs.Usage()
		return &ExitError{Code: 2, Err: errors.New("run: give --config FILE")}
	}
	cfg, err := daemon.LoadConfig(*path, m.Getenv)
	if err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("run: %w", err)}
	}
	// The file's log settings, unless the environment says otherwise.
	if cfg.LogLevel != "" || cfg.LogFormat != "" {
		m.Logger = newLogger(m.Stderr, firstSet(m.Getenv("LOG_LEVEL"), cfg.LogLevel), firstSet(m.Getenv("LOG_FORMAT"), cfg.LogFormat))
	}
	if addr := cfg.Dashboard.Addr; addr != "" {
		if _, err := m.dashboardAuth(addr); err != nil {
			return fmt.Errorf("run: dashboard.addr: %w", err)
		}
	}
	if *check {
		var names []string
		for _, s := range cfg.Schedules() {
			names = append(names, fmt.Sprintf("%s every %s", s.Name, s.Every))
		}
		if len(names) == 0 {
			names = []string{"none"}
		}
		fmt.Fprintf(m.Stdout, "%s: ok: %d streams, pollers: %s\n", *path, len(cfg.Streams), strings.Join(names, ", "))
		return nil
	}

	env := &daemonEnv{cfg: cfg}
	env.store, err = sqlstore.Open(ctx, cfg.Database.DSN, sqlstore.Options{
		Storage: cfg.Database.Storage, StoreHeartbeats: cfg.Database.StoreHeartbeats, Logger: m.Logger,
	})
	if err != nil {
		return err
	}
	m.OnClose(env.store.Close)
	if env.aws, err = m.daemonAWSConfig(ctx, cfg); err != nil {
		return err
	}

	if len(cfg.Streams) > 0 {
		kc := kinesis.NewFromConfig(env.aws, func(o *kinesis.Options) {
			if cfg.Endpoints.Kinesis != "" {
				o.BaseEndpoint = aws.String(cfg.Endpoints.Kinesis)
			}
		})
		env.consumer = &daemon.Consumer{
			Client:      kc,
			Checkpoints: env.store,
			Ingester:    &ingest.Engine{Store: env.store, Logger: m.Logger, ChunkSize: cfg.Database.BatchSize},
			Streams:     cfg.ConsumerStreams(),
			Logger:      m.Logger.With("component", "consumer"),
		}
		cfg.Consumer.Apply(env.consumer)
	}
	if sch := cfg.Schedules(); len(sch) > 0 {
		client := connectapi.New(env.aws, connectapi.Options{InstanceID: cfg.InstanceID, Logger: m.Logger}, func(o *connect.Options) {
			if cfg.Endpoints.Connect != "" {
				o.BaseEndpoint = aws.String(cfg.Endpoints.Connect)
			}
		})
		env.sched = &daemon.Scheduler{Logger: m.Logger.With("component", "scheduler")}
		for _, s := range sch {
			build := daemonPollers[s.Name]
			if build == nil {
				m.Logger.Warn("poller configured but not built into this binary; skipped", "poller", s.Name)
				continue
			}
			p, err := build(m, env, client)
			if err != nil {
				return fmt.Errorf("run: poller %s: %w", s.Name, err)
			}
			env.sched.Jobs = append(env.sched.Jobs, daemon.Job{Name: s.Name, Poller: p, Every: s.Every, Timeout: s.Timeout, Hours: s.Hours})
		}
		if len(env.sched.Jobs) == 0 {
			env.sched = nil
		}
	}

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
				cancel() // one part failing stops the daemon: better than half a daemon
			}
		}()
	}
	if env.consumer != nil {
		part("consumer", env.consumer.Run)
	}
	if env.sched != nil {
		part("scheduler", env.sched.Run)
	}
	if addr := cfg.Dashboard.Addr; addr != "" {
		if daemonDashboard == nil {
			m.Logger.Warn("dashboard.addr is set but the dashboard is not built into this binary yet; not serving it", "addr", addr)
		} else {
			part("dashboard", func(ctx context.Context) error { return daemonDashboard(ctx, m, addr, env) })
		}
	}
	jobs := 0
	if env.sched != nil {
		jobs = len(env.sched.Jobs)
	}
	m.Logger.Info("daemon started", "config", *path, "streams", len(cfg.Streams), "pollers", jobs, "database", env.store.Dialect())
	if env.consumer == nil && env.sched == nil {
		return errors.New("run: nothing to run (no streams, and no poller built in)")
	}
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
	c, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("run: AWS configuration: %w", err)
	}
	if c.Region == "" {
		return aws.Config{}, &ExitError{Code: 2, Err: errors.New("run: no AWS region: set region in the config file or AWS_REGION")}
	}
	return c, nil
}

func firstSet(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
