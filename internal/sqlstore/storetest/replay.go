package storetest

import (
	"context"
	"math/rand/v2"
	"testing"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// DeliverInOrder stores items in their generated order, in batches of n.
func DeliverInOrder(t testing.TB, s connectreporting.IngestStore, items []Item, n int) connectreporting.BatchResult {
	t.Helper()
	var total connectreporting.BatchResult
	for i := 0; i < len(items); i += n {
		r, err := s.StoreBatch(context.Background(), BatchOf(items[i:min(i+n, len(items))]))
		if err != nil {
			t.Fatalf("in-order batch at %d: %v", i, err)
		}
		total = total.Add(r)
	}
	return total
}

// redeliveries returns items as Kinesis and Connect may deliver them: 30%
// of the records twice or more, every version of every contact (older ones
// often after newer ones), in shuffled order.
func redeliveries(rng *rand.Rand, items []Item) []Item {
	out := append([]Item(nil), items...)
	for range len(items) * 3 / 10 {
		out = append(out, items[rng.IntN(len(items))])
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// replay: the same records delivered once in order, and to a second
// database with duplicates, shuffled, with older contact versions
// re-delivered, in random batch sizes, leave every table identical.
func replay(t *testing.T, h Harness) {
	for _, heartbeats := range []bool{false, true} {
		name := "events-only-history"
		if heartbeats {
			name = "store-heartbeats"
		}
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(42, uint64(len(name))))
			w := GenWorkload(rng, 30, 120)
			items := w.Items()
			opts := Options{StoreHeartbeats: heartbeats}

			inOrder := h.Open(t, opts)
			first := DeliverInOrder(t, inOrder, items, 100)
			want := DumpTables(t, inOrder.DB())
			if len(want["agent_event"]) == 0 || len(want["contact_attribute"]) == 0 || len(want["agent_status_interval"]) == 0 {
				t.Fatalf("in-order delivery stored too little: %v", first)
			}

			replayed := h.Open(t, opts)
			delivery := redeliveries(rng, items)
			var total connectreporting.BatchResult
			for i := 0; i < len(delivery); {
				n := 1 + rng.IntN(250)
				r, err := replayed.StoreBatch(context.Background(), BatchOf(delivery[i:min(i+n, len(delivery))]))
				if err != nil {
					t.Fatalf("replay batch at %d: %v", i, err)
				}
				total = total.Add(r)
				i += n
			}
			if got := total.Total(); got != len(delivery) {
				t.Errorf("replay counted %d records (%+v), delivered %d", got, total, len(delivery))
			}
			if total.Duplicate < len(delivery)-len(items) {
				t.Errorf("replay counted %d duplicates, at least %d re-delivered", total.Duplicate, len(delivery)-len(items))
			}
			// The counts are the rows (issue 11).
			if rows := len(want["agent_event"]) + len(want["contact_record"]); total.Stored != rows {
				t.Errorf("replay counted %d stored, the tables hold %d rows", total.Stored, rows)
			}
			DiffDumps(t, want, DumpTables(t, replayed.DB()))
		})
	}
}
