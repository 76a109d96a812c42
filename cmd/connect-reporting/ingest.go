package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// runIngest is `ingest agent-events|ctr [FILE...|-] --db DSN`.
func runIngest(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("ingest", "ingest agent-events|ctr [FILE...|-] --db DSN [--heartbeats] [--batch N]\n\nReads FILEs (JSON lines, concatenated JSON as Firehose writes it, .gz), or standard input for - or no FILE.")
	db := m.dbFlag(fs)
	heartbeats := fs.Bool("heartbeats", false, "keep HEART_BEAT agent events as agent_event rows")
	chunk := fs.Int("batch", ingest.DefaultChunkSize, "records per transaction")
	pos, err := m.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError("ingest", "say agent-events or ctr")
	}
	var source string
	switch pos[0] {
	case "agent-events", "agent-event", "agentevents":
		source = connectreporting.SourceAgentEvents
	case "ctr", "ctrs", "contact-records":
		source = connectreporting.SourceCTR
	default:
		return usageError("ingest", "%q is not agent-events or ctr", pos[0])
	}
	files := pos[1:]
	if len(files) == 0 {
		files = []string{"-"}
	}
	// Every file is there and readable before the database is touched.
	if err := checkFiles(files); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	s, err := m.openStore(ctx, *db, sqlstore.Options{StoreHeartbeats: *heartbeats})
	if err != nil {
		return err
	}
	e := &ingest.Engine{Store: s, Logger: m.Logger, ChunkSize: *chunk}
	var total connectreporting.BatchResult
	for _, f := range files {
		if f == "-" {
			fmt.Fprintf(m.Stderr, "ingest: reading %s from standard input\n", pos[0])
		}
		res, err := e.IngestFile(ctx, source, f, m.Stdin)
		total = total.Add(res.BatchResult)
		fmt.Fprintf(m.Stdout, "%s: %s\n", f, res.BatchResult)
		if err != nil {
			if len(res.Failed) > 0 {
				return fmt.Errorf("%s: %d records not stored (from record %d): %w", f, len(res.Failed), res.Failed[0]+1, err)
			}
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	if len(files) > 1 {
		fmt.Fprintf(m.Stdout, "total: %s\n", total)
	}
	return nil
}

// checkFiles reports every named file (not "-", standard input) that cannot
// be opened for reading or is a directory.
func checkFiles(files []string) error {
	var errs []error
	for _, name := range files {
		if name == "-" {
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st, err := f.Stat()
		f.Close()
		switch {
		case err != nil:
			errs = append(errs, err)
		case st.IsDir():
			errs = append(errs, fmt.Errorf("%s is a directory", name))
		}
	}
	return errors.Join(errs...)
}
