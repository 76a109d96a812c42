package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/connect-reporting/connect-reporting/internal/lambda"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// retentionFromEnv reads RAW_DAYS and KEEP_DAYS (unset: 0, keep
// everything), the retention of `maintain`, the daemon and the Maintain
// Lambda function.
func retentionFromEnv(getenv func(string) string) (sqlstore.MaintainOptions, error) {
	var o sqlstore.MaintainOptions
	for name, dst := range map[string]*int{"RAW_DAYS": &o.RawDays, "KEEP_DAYS": &o.KeepDays} {
		v := getenv(name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return o, fmt.Errorf("%s: %q is not a number of days (0 or more)", name, v)
		}
		*dst = n
	}
	return o, nil
}

func runMaintain(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("maintain", "maintain --db DSN [--raw-days N] [--keep-days N]")
	db := m.dbFlag(fs)
	opts, err := retentionFromEnv(m.Getenv)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	fs.IntVar(&opts.RawDays, "raw-days", opts.RawDays, "set raw (the original JSON) to NULL on agent events and contact records older than N days (default $RAW_DAYS; 0 keeps it)")
	fs.IntVar(&opts.KeepDays, "keep-days", opts.KeepDays, "delete agent events, contact records, real-time snapshots and rejected records older than N days (default $KEEP_DAYS; 0 keeps them)")
	if pos, err := m.parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError("maintain", "unexpected arguments %q", pos)
	}
	if opts.RawDays < 0 || opts.KeepDays < 0 {
		return usageError("maintain", "--raw-days and --keep-days are 0 or more")
	}
	s, err := m.openStore(ctx, *db, sqlstore.Options{})
	if err != nil {
		return err
	}
	res, err := s.Maintain(ctx, opts)
	for _, line := range res.Lines() {
		fmt.Fprintln(m.Stdout, line)
	}
	return err
}

// maintainJob is one scheduled maintenance run (the Maintain Lambda
// function, the daemon's maintenance job): retention, then index
// maintenance, each step logged.
func maintainJob(s *sqlstore.Store, opts sqlstore.MaintainOptions, log *slog.Logger) lambda.PollerFunc {
	return func(ctx context.Context) error {
		res, err := s.Maintain(ctx, opts)
		for _, line := range res.Lines() {
			log.Info("maintenance", "done", line)
		}
		return err
	}
}
