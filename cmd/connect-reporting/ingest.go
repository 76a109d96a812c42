package main

import (
	"context"
	"errors"
	"fmt"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

func init() {
	register(command{name: "ingest", summary: "load agent events or contact records from files (JSON lines, Firehose, .gz)", run: runIngest})
}

func runIngest(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("ingest", "ingest agent-events|ctr [FILE...|-] --db DSN")
	db := m.dbFlag(fs)
	heartbeats := fs.Bool("heartbeats", false, "keep HEART_BEAT agent events as agent_event rows")
	chunk := fs.Int("batch", ingest.DefaultChunkSize, "records per transaction")
	if len(args) == 0 {
		fs.Usage()
		return &ExitError{Code: 2, Err: errors.New("ingest: say agent-events or ctr")}
	}
	var source string
	switch args[0] {
	case "agent-events", "agent-event", "agentevents":
		source = connectreporting.SourceAgentEvents
	case "ctr", "ctrs", "contact-records":
		source = connectreporting.SourceCTR
	default:
		fs.Usage()
		return &ExitError{Code: 2, Err: fmt.Errorf("ingest: %q is not agent-events or ctr", args[0])}
	}
	files, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	s, err := m.openStore(ctx, *db, sqlstore.Options{StoreHeartbeats: *heartbeats})
	if err != nil {
		return err
	}
	e := &ingest.Engine{Store: s, Logger: m.Logger, ChunkSize: *chunk}
	var total connectreporting.BatchResult
	for _, f := range files {
		res, err := e.IngestFile(ctx, source, f, m.Stdin)
		total = total.Add(res.BatchResult)
		fmt.Fprintf(m.Stdout, "%s: stored %d, duplicate %d, rejected %d\n", f, res.Stored, res.Duplicate, res.Rejected)
		if err != nil {
			if len(res.Failed) > 0 {
				return fmt.Errorf("%s: %d records not stored (from record %d): %w", f, len(res.Failed), res.Failed[0]+1, err)
			}
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	if len(files) > 1 {
		fmt.Fprintf(m.Stdout, "total: stored %d, duplicate %d, rejected %d\n", total.Stored, total.Duplicate, total.Rejected)
	}
	return nil
}
