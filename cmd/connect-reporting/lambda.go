package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/historical"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/lambda"
	"github.com/connect-reporting/connect-reporting/internal/report"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// runLambda runs the binary as a Lambda function (Main.Run calls it when
// AWS_LAMBDA_RUNTIME_API is set): internal/lambda reads the configuration
// and serves the function named by _HANDLER with the handlers lambdaFactory
// builds.
func runLambda(ctx context.Context, m *Main) error {
	return lambda.Run(ctx, m.Getenv, lambdaFactory, lambda.Options{Logger: m.Logger})
}

// lambdaMaxOpenConns caps each container's pool: a container serves one
// invocation at a time, and many containers share the database.
const lambdaMaxOpenConns = 2

// lambdaFactory builds one container's handlers: it opens (and migrates)
// the store, then the ingest engine for the stream functions or the poller
// for a scheduled one. internal/lambda calls it on the first invocation,
// with the DSN read from SQL_PARAM (or DB_DSN).
func lambdaFactory(ctx context.Context, cfg lambda.Config) (lambda.Handlers, error) {
	sl, err := report.ParseServiceLevelSeconds(os.Getenv("SERVICE_LEVEL_SECONDS"))
	if err != nil {
		return lambda.Handlers{}, fmt.Errorf("SERVICE_LEVEL_SECONDS: %w", err)
	}
	s, err := sqlstore.Open(ctx, cfg.DSN.Reveal(), sqlstore.Options{
		Storage:             cfg.Storage,
		StoreHeartbeats:     cfg.StoreHeartbeats,
		MaxOpenConns:        lambdaMaxOpenConns,
		Logger:              cfg.Logger,
		TimeZones:           []*time.Location{cfg.TimeZone},
		ServiceLevelSeconds: sl,
	})
	if err != nil {
		return lambda.Handlers{}, err
	}
	h := lambda.Handlers{Close: s.Close}
	if lambda.IsStreamHandler(cfg.Handler) {
		h.Ingester = &ingest.Engine{Store: s, Logger: cfg.Logger}
		return h, nil
	}
	if cfg.Handler == lambda.Maintain {
		opts, err := retentionFromEnv(os.Getenv)
		if err != nil {
			s.Close()
			return lambda.Handlers{}, err
		}
		h.Maintain = maintainJob(s, opts, cfg.Logger)
		return h, nil
	}
	p, err := lambdaPoller(ctx, cfg, s)
	if err != nil {
		s.Close()
		return lambda.Handlers{}, err
	}
	switch cfg.Handler {
	case lambda.OnboardObservations:
		h.Realtime = p
	case lambda.OnboardMetrics:
		h.Historical = p
	case lambda.OnboardUserGroups:
		h.Config = p
	}
	return h, nil
}

// lambdaPoller builds the poller of a scheduled function on the Connect
// client of internal/connectapi for cfg.InstanceID (standard AWS
// configuration: the function's region and role, AWS_ENDPOINT_URL_CONNECT),
// storing through s:
//   - OnboardObservations: the real-time poller, every cfg.Delay until the
//     invocation's deadline less 2 s, so a function scheduled every minute
//     leaves a gap of about one DELAY;
//   - OnboardMetrics: the historical poller, 15-minute intervals in
//     cfg.TimeZone, from its checkpoint;
//   - OnboardUserGroups: the configuration syncer, cfg.Delay between API calls.
func lambdaPoller(ctx context.Context, cfg lambda.Config, s *sqlstore.Store) (lambda.Poller, error) {
	apiDelay := time.Duration(0)
	if cfg.Handler == lambda.OnboardUserGroups {
		apiDelay = cfg.Delay
	}
	client, err := NewConnectClient(ctx, cfg.InstanceID, apiDelay, cfg.Logger)
	if err != nil {
		return nil, err
	}
	switch cfg.Handler {
	case lambda.OnboardObservations:
		// A round's calls are already cut off at the deadline less the
		// margin, so 2 s suffices to finish: with a 60 s timeout scheduled
		// every minute, the gap between invocations is about one DELAY.
		return NewPollers(s, client, PollerOptions{RealtimeDelay: cfg.Delay, Margin: 2 * time.Second, Logger: cfg.Logger}).Realtime, nil
	case lambda.OnboardUserGroups:
		return NewPollers(s, client, PollerOptions{Logger: cfg.Logger}).Config, nil
	case lambda.OnboardMetrics:
		return &historical.Poller{API: client, Store: s, TimeZone: cfg.TimeZone, Logger: cfg.Logger}, nil
	}
	return nil, fmt.Errorf("%s is not a scheduled function", cfg.Handler)
}
