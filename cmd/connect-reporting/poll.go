package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
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

// `poll <poller>` runs one poller against a Connect instance. Each poller is
// a sub-command registering itself with registerPoll (realtime and config
// here, historical in poll_historical.go).
func init() {
	register(command{name: "poll", summary: "one poller run: " + pollNames(), run: runPoll})
	registerPoll(pollCommand{name: "realtime", summary: "queue and agent real-time snapshots (OnboardObservations)", setup: setupRealtime})
	registerPoll(pollCommand{name: "config", summary: "users, hierarchy, routing profiles, queues, agent statuses with history (OnboardUserGroups)", setup: setupConfig})
}

// pollCommand is one poller of `poll`.
type pollCommand struct {
	name    string
	summary string
	// setup registers the poller's own flags on fs (the common ones are
	// there already) and returns the function that runs it once parsed.
	setup func(fs *flag.FlagSet) func(ctx context.Context, env *PollEnv) error
}

var pollCommands = map[string]pollCommand{}

func registerPoll(c pollCommand) { pollCommands[c.name] = c }

func pollNames() string {
	names := make([]string, 0, len(pollCommands)+1)
	for n := range pollCommands {
		names = append(names, n)
	}
	if _, ok := pollCommands["historical"]; !ok {
		names = append(names, "historical")
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
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

// NewConnectClient returns a Connect client for instanceID (an id or ARN)
// on the AWS SDK's standard configuration chain (region, credentials,
// AWS_ENDPOINT_URL_CONNECT), sharing the process's rate limiter. delay
// paces its configuration calls (DELAY).
func NewConnectClient(ctx context.Context, instanceID string, delay time.Duration, logger *slog.Logger) (*connectapi.Client, error) {
	if instanceID == "" {
		return nil, errors.New("no Connect instance: give --instance ID (or set INSTANCE_ID)")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
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

func (m *Main) pollUsage() string {
	names := make([]string, 0, len(pollCommands))
	for n := range pollCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	return "poll " + strings.Join(names, "|") + " --instance ID --db DSN [--delay D] [--duration D] [flags]"
}

func runPoll(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(m.Stderr, "Usage: connect-reporting %s\n\nPollers:\n", m.pollUsage())
		names := make([]string, 0, len(pollCommands))
		for n := range pollCommands {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(m.Stderr, "  %-11s %s\n", n, pollCommands[n].summary)
		}
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return nil
		}
		return &ExitError{Code: 2, Err: errors.New("poll: name a poller")}
	}
	pc, ok := pollCommands[args[0]]
	if !ok {
		return &ExitError{Code: 2, Err: fmt.Errorf("poll: unknown poller %q (have %s)", args[0], pollNames())}
	}
	fs := m.newFlagSet("poll "+pc.name, "poll "+pc.name+" --instance ID --db DSN [flags]")
	instance := fs.String("instance", "", "Amazon Connect instance id or ARN (default $INSTANCE_ID)")
	db := m.dbFlag(fs)
	delay := fs.Duration("delay", 0, "realtime: pause between rounds (default 5s); config and historical: pause between API calls (default none)")
	duration := fs.Duration("duration", 0, "realtime: keep polling for this long (default: one round)")
	run := pc.setup(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &ExitError{Code: 2, Err: fmt.Errorf("poll %s: unexpected arguments %q", pc.name, fs.Args())}
	}
	if *instance == "" {
		*instance = m.Getenv("INSTANCE_ID")
	}
	if *instance == "" {
		return &ExitError{Code: 2, Err: errors.New("no Connect instance: give --instance ID or set INSTANCE_ID")}
	}
	store, err := m.openStore(ctx, *db, sqlstore.Options{})
	if err != nil {
		return err
	}
	env := &PollEnv{Main: m, Store: store, Delay: *delay, Duration: *duration, Logger: m.Logger}
	clientDelay := *delay
	if pc.name == "realtime" {
		clientDelay = 0 // --delay is the pause between rounds there
	}
	env.Client, err = NewConnectClient(ctx, *instance, clientDelay, m.Logger)
	if err != nil {
		return err
	}
	return run(ctx, env)
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
	return func(ctx context.Context, env *PollEnv) error {
		s := NewPollers(env.Store, env.Client, PollerOptions{Logger: env.Logger}).Config
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
		if len(st.Failed) > 0 {
			fmt.Fprintf(env.Main.Stdout, "config: left untouched (read failed): %s\n", strings.Join(st.Failed, ", "))
		}
		return err
	}
}
