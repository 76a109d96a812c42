package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/configsync"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/realtime"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// pollCommand is one poller of `poll <poller>`.
type pollCommand struct {
	name    string
	summary string
	// setup registers the poller's own flags on fs (the common ones are
	// there already) and returns the function that runs it once parsed.
	setup func(fs *flag.FlagSet) func(ctx context.Context, env *PollEnv) error
}

// pollCommands are the pollers of `poll`, in the order the usage lists them.
func pollCommands() []pollCommand {
	return []pollCommand{
		{"realtime", "queue and agent real-time snapshots (OnboardObservations)", setupRealtime},
		{"historical", "historical queue and agent metrics per 15-minute interval, checkpointed; --from/--to backfills (OnboardMetrics)", setupHistorical},
		{"config", "users, hierarchy, routing profiles, queues, agent statuses with history (OnboardUserGroups)", setupConfig},
	}
}

func pollerNames() []string {
	var names []string
	for _, c := range pollCommands() {
		names = append(names, c.name)
	}
	return names
}

// PollEnv is what a poller sub-command gets: the parsed common flags, the
// opened store and the Connect client.
type PollEnv struct {
	Main   *Main
	Store  *sqlstore.Store
	Client *connectapi.Client
	// Delay is --delay (0 when not given); Duration is --duration.
	Delay    time.Duration
	Duration time.Duration
	Logger   *slog.Logger
}

// processLimiter is the one Limiter of the process: every Connect client
// (and so every poller) shares the account's quotas through it.
var processLimiter = connectapi.NewLimiter(nil)

// awsSettingsHint says which settings the Connect client reads.
const awsSettingsHint = "set AWS_REGION and credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); " +
	"against the simulator (connect-reporting simulate) also AWS_ENDPOINT_URL_CONNECT=http://127.0.0.1:8700"

// NewConnectClient returns a Connect client for instanceID (an id or ARN)
// on the AWS SDK's standard configuration chain (region, credentials,
// AWS_ENDPOINT_URL_CONNECT), sharing the process's rate limiter. delay
// paces its configuration calls (DELAY). A missing region (an instance ARN
// gives one) or credentials fail here, with a hint at the settings.
func NewConnectClient(ctx context.Context, instanceID string, delay time.Duration, logger *slog.Logger) (*connectapi.Client, error) {
	if instanceID == "" {
		return nil, errors.New("no Connect instance: give --instance ID (or set INSTANCE_ID)")
	}
	opts := []func(*config.LoadOptions) error{config.WithLogger(sdkLogger{logger})}
	if parts := strings.SplitN(instanceID, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		opts = append(opts, config.WithDefaultRegion(parts[3]))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w; %s", err, awsSettingsHint)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region: %s", awsSettingsHint)
	}
	// The credentials are cached, so this costs the first call nothing.
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(cctx); err != nil {
		return nil, fmt.Errorf("no AWS credentials (%w): %s", err, awsSettingsHint)
	}
	return connectapi.New(cfg, connectapi.Options{InstanceID: instanceID, Limiter: processLimiter, Delay: delay, Logger: logger}), nil
}

// PollerOptions tunes the pollers NewPollers builds.
type PollerOptions struct {
	// RealtimeDelay is the pause between real-time rounds (DELAY of
	// OnboardObservations; default 5s).
	RealtimeDelay time.Duration
	// Margin is kept free before an invocation's deadline (default 10s).
	Margin time.Duration
	// Loop makes the real-time poller loop until cancelled when its context
	// has no deadline (the daemon).
	Loop   bool
	Logger *slog.Logger
}

// Pollers are the Connect API pollers of one instance. Each has
// Poll(ctx) error, as internal/lambda.Poller and the daemon expect.
type Pollers struct {
	Realtime *realtime.Poller
	Config   *configsync.Syncer
}

// NewPollers builds the real-time poller (OnboardObservations) and the
// configuration syncer (OnboardUserGroups) on a store and a Connect client.
// The client's Delay paces the configuration calls.
func NewPollers(store connectreporting.Store, c *connectapi.Client, o PollerOptions) Pollers {
	delay := o.RealtimeDelay
	if delay <= 0 {
		delay = 5 * time.Second
	}
	return Pollers{
		Realtime: &realtime.Poller{API: c, Store: store, Delay: delay, Margin: o.Margin, Loop: o.Loop, Logger: o.Logger},
		Config:   &configsync.Syncer{API: c, Store: store, Margin: o.Margin, Logger: o.Logger},
	}
}

const pollUsage = "poll realtime|historical|config --instance ID --db DSN [--delay D] [--duration D] [flags]"

// runPoll is `poll <poller>`: one run of a poller against a Connect instance.
func runPoll(ctx context.Context, m *Main, args []string) error {
	cmds := pollCommands()
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		w := m.Stderr
		if len(args) > 0 && isHelpFlag(args[0]) {
			w = m.Stdout
		}
		fmt.Fprintf(w, "Usage: connect-reporting %s\n\nPollers:\n", pollUsage)
		for _, c := range cmds {
			fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
		}
		fmt.Fprintln(w, "\nRun 'connect-reporting poll <poller> --help' for a poller's flags.")
		if w == m.Stdout {
			return nil
		}
		return usageError("poll", "name a poller: %s", strings.Join(pollerNames(), ", "))
	}
	i := slices.IndexFunc(cmds, func(c pollCommand) bool { return c.name == args[0] })
	if i < 0 {
		return usageError("poll", "unknown poller %q (have %s)", args[0], strings.Join(pollerNames(), ", "))
	}
	pc := cmds[i]
	fs := m.newFlagSet("poll "+pc.name, "poll "+pc.name+" --instance ID --db DSN [flags]")
	instance := fs.String("instance", "", "Amazon Connect instance id or ARN (default $INSTANCE_ID)")
	db := m.dbFlag(fs)
	delay := fs.Duration("delay", 0, "realtime: pause between rounds (default 5s); config and historical: pause between API calls (default none)")
	duration := fs.Duration("duration", 0, "realtime: keep polling for this long (default: one round)")
	run := pc.setup(fs)
	pos, err := m.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(fs.Name(), "unexpected arguments %q", pos)
	}
	if *instance == "" {
		*instance = m.Getenv("INSTANCE_ID")
	}
	if *instance == "" {
		return usageError(fs.Name(), "no Connect instance: give --instance ID or set INSTANCE_ID")
	}
	clientDelay := *delay
	if pc.name == "realtime" {
		clientDelay = 0 // --delay is the pause between rounds there
	}
	if _, err := m.dsn(*db); err != nil {
		return err
	}
	// The AWS settings are checked before the database is opened.
	client, err := NewConnectClient(ctx, *instance, clientDelay, m.Logger)
	if err != nil {
		return fmt.Errorf("poll %s: %w", pc.name, err)
	}
	store, err := m.openStore(ctx, *db, sqlstore.Options{})
	if err != nil {
		return err
	}
	return run(ctx, &PollEnv{Main: m, Store: store, Client: client, Delay: *delay, Duration: *duration, Logger: m.Logger})
}

func setupRealtime(fs *flag.FlagSet) func(context.Context, *PollEnv) error {
	return func(ctx context.Context, env *PollEnv) error {
		p := NewPollers(env.Store, env.Client, PollerOptions{RealtimeDelay: env.Delay, Logger: env.Logger}).Realtime
		if env.Duration > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, env.Duration)
			defer cancel()
			p.Margin = -1 // the whole duration is ours
		}
		start := time.Now()
		if err := p.Poll(ctx); err != nil {
			return err
		}
		lr := p.LastRound()
		fmt.Fprintf(env.Main.Stdout, "realtime: last snapshot %s: %d queue/channel snapshots, %d agent snapshots (%s, %d throttled calls retried)\n",
			lr.SnapshotTime.Format(time.RFC3339), lr.Queues, lr.Agents, time.Since(start).Round(time.Millisecond), env.Client.Throttled())
		return nil
	}
}

func setupConfig(fs *flag.FlagSet) func(context.Context, *PollEnv) error {
	budget := fs.Duration("email-budget", configsync.DefaultDetailBudget,
		"config: DescribeUser calls (the emails of new and changed users) stop when the run has taken this long; the rest follow on later runs")
	return func(ctx context.Context, env *PollEnv) error {
		s := NewPollers(env.Store, env.Client, PollerOptions{Logger: env.Logger}).Config
		s.DetailBudget = *budget
		err := s.Poll(ctx)
		st := s.LastSync()
		kinds := map[string]bool{}
		for _, m := range []map[string]int{st.Changes.Inserted, st.Changes.Updated, st.Changes.Deleted, st.Changes.Unchanged} {
			for k := range m {
				kinds[k] = true
			}
		}
		names := make([]string, 0, len(kinds))
		for k := range kinds {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(env.Main.Stdout, "config: %-22s inserted %d, updated %d, deleted %d, unchanged %d\n", k,
				st.Changes.Inserted[k], st.Changes.Updated[k], st.Changes.Deleted[k], st.Changes.Unchanged[k])
		}
		fmt.Fprintf(env.Main.Stdout, "config: %-22s described %d, pending %d\n", "user emails", st.Described, st.EmailsPending)
		if len(st.Failed) > 0 {
			fmt.Fprintf(env.Main.Stdout, "config: left untouched (read failed): %s\n", strings.Join(st.Failed, ", "))
		}
		var calls []string
		for op, n := range env.Client.Limiter().Stats() {
			if n.Succeeded > 0 {
				calls = append(calls, fmt.Sprintf("%s %d", op, n.Succeeded))
			}
		}
		sort.Strings(calls)
		fmt.Fprintf(env.Main.Stdout, "config: API calls: %s (%d throttled calls retried); %s\n",
			strings.Join(calls, ", "), env.Client.Throttled(), st.Duration.Round(time.Millisecond))
		return err
	}
}
