package simingest_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/simingest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// TestIngest stores two simulated hours through Ingest into a real SQLite
// store: Split sorts every record by its stream, each stream reports its
// result once, and the tables hold every agent event and contact record.
func TestIngest(t *testing.T) {
	ctx := context.Background()
	cfg := simulator.DefaultConfig(5, 10, 2)
	cfg.Start, cfg.Location = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC), time.UTC
	recs, err := simulator.Emit(cfg, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ae, ctr := simingest.Split(recs)
	if len(ae)+len(ctr) != len(recs) || len(ae) == 0 || len(ctr) == 0 {
		t.Fatalf("split %d records into %d agent events and %d contact records", len(recs), len(ae), len(ctr))
	}
	s, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "s.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := &ingest.Engine{Store: s, Logger: slog.New(slog.DiscardHandler)}
	got := map[string]int{}
	if err := simingest.Ingest(ctx, e, recs, func(source string, res ingest.Result) {
		got[source] += res.Stored + res.Updated + res.Duplicate + res.Heartbeat + res.Rejected
	}); err != nil {
		t.Fatal(err)
	}
	if got[connectreporting.SourceAgentEvents] != len(ae) || got[connectreporting.SourceCTR] != len(ctr) {
		t.Errorf("results counted %v, want %d agent events and %d contact records", got, len(ae), len(ctr))
	}
	var contacts int
	if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM contact_record").Scan(&contacts); err != nil {
		t.Fatal(err)
	}
	if contacts == 0 || contacts > len(ctr) {
		t.Errorf("%d contact records stored from %d", contacts, len(ctr))
	}
}
