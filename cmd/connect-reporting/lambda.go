package main

import (
	"context"
	"fmt"

	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/lambda"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// The binary runs as a Lambda function when AWS_LAMBDA_RUNTIME_API is set:
// internal/lambda reads the configuration and serves the function named by
// _HANDLER with the handlers lambdaFactory builds.
func init() {
	lambdaStart = func(ctx context.Context, m *Main) error {
		return lambda.Run(ctx, m.Getenv, lambdaFactory, lambda.Options{Logger: m.Logger})
	}
}

// lambdaMaxOpenConns caps each container's pool: a container serves one
// invocation at a time, and many containers share the database.
const lambdaMaxOpenConns = 2

// lambdaFactory builds one container's handlers: it opens (and migrates)
// the store, then the ingest engine for the stream functions or the poller
// for a scheduled one. internal/lambda calls it on the first invocation,
// with the DSN read from SQL_PARAM (or DB_DSN).
func lambdaFactory(ctx context.Context, cfg lambda.Config) (lambda.Handlers, error) {
	s, err := sqlstore.Open(ctx, cfg.DSN.Reveal(), sqlstore.Options{
		Storage:      cfg.Storage,
		MaxOpenConns: lambdaMaxOpenConns,
		Logger:       cfg.Logger,
	})
	if err != nil {
		return lambda.Handlers{}, err
	}
	h := lambda.Handlers{Close: s.Close}
	if lambda.IsStreamHandler(cfg.Handler) {
		h.Ingester = &ingest.Engine{Store: s, Logger: cfg.Logger}
		return h, nil
	}
	p, err := lambdaPollerTODO(ctx, cfg, s)
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

// lambdaPollerTODO builds the poller of a scheduled function: the real-time
// poller (OnboardObservations: loops every cfg.Delay until the invocation's
// deadline less a margin), the historical metrics poller (OnboardMetrics) or
// the configuration poller (OnboardUserGroups), each on the Connect client
// of internal/connectapi for cfg.InstanceID, storing through s, bucketing in
// cfg.TimeZone.
//
// TODO(pollers): the pollers (internal/realtime, internal/historical,
// internal/configsync) are not in this build yet; wire them here when they
// land. Until then a scheduled function fails each invocation with this error.
func lambdaPollerTODO(_ context.Context, cfg lambda.Config, _ *sqlstore.Store) (lambda.Poller, error) {
	return nil, fmt.Errorf("%s: the poller is not in this build yet", cfg.Handler)
}
