package sqlstore

import (
	"context"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// TestSummary counts an empty store, then real-time snapshots of two queues
// (the newest snapshot decides the contacts in queue).
func TestSummary(t *testing.T) {
	ctx := context.Background()
	for _, dialect := range ingestDialects(t) {
		t.Run(dialect, func(t *testing.T) {
			s := openIngestStore(t, dialect, Options{})
			if got, err := s.Summary(ctx); err != nil || got != (Summary{}) {
				t.Fatalf("empty store: %+v, %v", got, err)
			}
			f := func(v float64) *float64 { return &v }
			t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
			var snaps []connectreporting.QueueSnapshot
			for i, at := range []time.Time{t0, t0.Add(15 * time.Second)} {
				for _, q := range []string{"q1", "q2"} {
					snaps = append(snaps, connectreporting.QueueSnapshot{SnapshotTime: at, QueueID: q, Channel: "VOICE", ContactsInQueue: f(float64(i + 2))})
				}
			}
			if err := s.StoreQueueSnapshots(ctx, snaps); err != nil {
				t.Fatal(err)
			}
			got, err := s.Summary(ctx)
			if want := (Summary{InQueue: 6, QueueSnapshots: 4}); err != nil || got != want {
				t.Errorf("after snapshots: %+v, %v; want %+v", got, err, want)
			}
		})
	}
}
