//go:build !lambda

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
)

// simFlags are the flags shared by simulate and demo.
type simFlags struct {
	instance      *string
	agents        *int
	queues        *int
	speed         *float64
	seed          *int64
	start         *string
	tz            *string
	dupRate       *float64
	redeliverRate *float64
}

// addSimFlags registers the simulator's flags on fs; startDefault says what
// --start defaults to.
func addSimFlags(fs *flag.FlagSet, defaultSpeed float64, startDefault string) simFlags {
	return simFlags{
		instance:      fs.String("instance-id", "", "instance id of the simulated instance (default: derived from --seed)"),
		agents:        fs.Int("agents", 50, "agents"),
		queues:        fs.Int("queues", 4, "standard queues"),
		speed:         fs.Float64("speed", defaultSpeed, "simulated seconds per wall-clock second (60: an hour a minute)"),
		seed:          fs.Int64("seed", 1, "seed: the same seed and start give the same contact centre"),
		start:         fs.String("start", "", "simulated start time, RFC 3339 (default: "+startDefault+")"),
		tz:            fs.String("time-zone", "UTC", "the contact centre's IANA time zone (shifts, arrival profile)"),
		dupRate:       fs.Float64("duplicates", 0.02, "fraction of records delivered twice, as Kinesis may"),
		redeliverRate: fs.Float64("redeliveries", 0.05, "fraction of contact records re-delivered later with a newer LastUpdateTimestamp"),
	}
}

func (f simFlags) config(now time.Time) (simulator.Config, error) {
	loc, err := time.LoadLocation(*f.tz)
	if err != nil {
		return simulator.Config{}, fmt.Errorf("--time-zone: %w", err)
	}
	start := now.UTC().Truncate(time.Second)
	if *f.start != "" {
		if start, err = time.Parse(time.RFC3339, *f.start); err != nil {
			return simulator.Config{}, fmt.Errorf("--start: %w", err)
		}
	}
	if *f.agents < 1 || *f.queues < 1 {
		return simulator.Config{}, errors.New("--agents and --queues must be at least 1")
	}
	cfg := simulator.Config{
		Seed: *f.seed, InstanceID: *f.instance, Start: start, Location: loc,
		Agents: *f.agents, NumQueues: *f.queues,
		AgentEventDuplicateRate: *f.dupRate, CTRDuplicateRate: *f.dupRate, CTRRedeliveryRate: *f.redeliverRate,
	}
	return cfg, cfg.Normalize()
}

func runSimulate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("simulate", "simulate --addr 127.0.0.1:PORT [--instance-id ID --agents N --queues N --speed X --seed S] [--out DIR] [--kinesis]")
	addr := fs.String("addr", "127.0.0.1:8700", "address the Connect API listens on")
	sf := addSimFlags(fs, 1, "now, to the second")
	out := fs.String("out", "", "also write the emitted records to DIR/agent-events.jsonl and DIR/ctr.jsonl")
	toKinesis := fs.Bool("kinesis", false, "also put the records on Kinesis (standard AWS config; AWS_ENDPOINT_URL_KINESIS for kinesalite)")
	agentStream := fs.String("agent-stream", "AgentEvents", "Kinesis stream for agent events (with --kinesis)")
	ctrStream := fs.String("ctr-stream", "ContactTraceRecords", "Kinesis stream for contact records (with --kinesis)")
	throttle := fs.Float64("throttle", 0, "fraction of API calls answered with ThrottlingException")
	quotas := fs.Bool("quotas", false, "throttle above the Connect API's default request-rate quotas, like the service")
	latency := fs.Duration("latency", 0, "latency added to every API response")
	if pos, err := m.parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError("simulate", "unexpected arguments %q", pos)
	}
	cfg, err := sf.config(time.Now())
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	var sinks []simulator.Sink
	if *out != "" {
		fsink, err := simulator.NewFileSink(*out)
		if err != nil {
			return err
		}
		m.OnClose(fsink.Close)
		sinks = append(sinks, fsink)
	}
	if *toKinesis {
		awsCfg, err := config.LoadDefaultConfig(ctx, config.WithLogger(sdkLogger{m.Logger}))
		if err != nil {
			return fmt.Errorf("AWS configuration: %w", err)
		}
		sinks = append(sinks, simulator.NewKinesisSink(kinesis.NewFromConfig(awsCfg), *agentStream, *ctrStream))
	}
	sim, err := simulator.New(cfg, sinks...)
	if err != nil {
		return err
	}
	srv := api.New(sim, api.Options{ThrottleRate: *throttle, Quotas: *quotas, Latency: *latency, Seed: uint64(*sf.seed)})
	url, err := srv.ListenAndServe(*addr)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(m.Stdout, "simulated Amazon Connect instance %s (%s, account %s): %d agents, %d queues, speed %gx from %s\n",
		cfg.InstanceID, cfg.Region, cfg.AccountID, cfg.Agents, len(cfg.Queues), *sf.speed, cfg.Start.Format(time.RFC3339))
	fmt.Fprintf(m.Stdout, "Connect API: %s\n  export AWS_ENDPOINT_URL_CONNECT=%s AWS_REGION=%s AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x\n  aws connect list-queues --instance-id %s\n",
		url, url, cfg.Region, cfg.InstanceID)
	printSimulatedClock(m.Stdout, cfg, *sf.speed)
	if err := sim.Run(ctx, *sf.speed, 0); err != nil {
		return fmt.Errorf("simulation: %w", err)
	}
	return nil
}

// printSimulatedClock says that the API answers on the simulated clock and
// how to poll historical metrics of the simulated time.
func printSimulatedClock(w io.Writer, cfg simulator.Config, speed float64) {
	hour := time.Duration(float64(time.Hour) / speed).Round(time.Second)
	fmt.Fprintf(w, "The API answers on the simulated clock, which starts at %s and runs %gx (a simulated hour every %s).\n",
		cfg.Start.Format(time.RFC3339), speed, hour)
	fmt.Fprintf(w, "Historical metrics of its first hour, once it has passed:\n  connect-reporting poll historical --instance %s --db sqlite:simulated.db --from %s --to %s\n",
		cfg.InstanceID, cfg.Start.Format(time.RFC3339), cfg.Start.Add(time.Hour).Format(time.RFC3339))
}
