package sqlstore

import (
	"bytes"
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore/storetest"
)

// proxiedDSN points a postgres:// DSN at the proxy.
func proxiedDSN(t *testing.T, dsn string, proxy *pgtest.FaultProxy) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest DSN is not a URL: %v", err)
	}
	u.Host = proxy.Addr()
	return u.String()
}

// TestIntegrationPostgresFaultMidBatch cuts the connection to PostgreSQL in
// the middle of a batch (half of the batch statement sent) and, in a second
// case, just after COMMIT was sent (the server commits, the client never
// hears). Either way StoreBatch reports an error; in the first case nothing
// of the batch is stored, and after recovery retrying the batch whole
// yields exactly the database of an undisturbed in-order delivery.
func TestIntegrationPostgresFaultMidBatch(t *testing.T) {
	cases := []struct {
		name        string
		cut         func([]byte) (int, time.Duration, bool)
		wantNothing bool // nothing of the failed batch may be visible
	}{
		{
			name: "connection lost while sending the batch",
			cut: func(b []byte) (int, time.Duration, bool) {
				// The batch statement is the only large message.
				return len(b) / 2, 0, len(b) > 8<<10
			},
			wantNothing: true,
		},
		{
			name: "connection lost after COMMIT was sent",
			cut: func(b []byte) (int, time.Duration, bool) {
				return len(b), 200 * time.Millisecond, bytes.Contains(bytes.ToLower(b), []byte("commit"))
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rng := storetest.NewRand(7)
			w := storetest.GenWorkload(rng, 20, 80)
			items := w.Items()
			const n = 100

			// The reference: an undisturbed in-order delivery.
			ref := openIngestStore(t, "postgres", Options{})
			storetest.DeliverInOrder(t, ref, items, n)
			want := dumpTables(t, ref.DB())

			direct, dsn := openIngestStorePG(t, Options{})
			proxy := pgtest.StartFaultProxy(t, pgtest.SplitHostPort(dsn))
			viaProxy := openStoreDSN(t, proxiedDSN(t, dsn, proxy), Options{})

			failAt := 2 * n // the third batch fails
			storetest.DeliverInOrder(t, viaProxy, items[:failAt], n)
			before := dumpTables(t, direct.DB())

			failing := storetest.BatchOf(items[failAt : failAt+n])
			proxy.SetCut(tc.cut)
			_, err := viaProxy.StoreBatch(ctx, failing)
			proxy.SetCut(nil)
			if err == nil {
				t.Fatal("StoreBatch succeeded through a cut connection")
			}
			if proxy.Cuts() == 0 {
				t.Fatal("the proxy never cut the connection")
			}
			t.Logf("StoreBatch error (expected): %v", err)
			if tc.wantNothing {
				diffDumps(t, before, dumpTables(t, direct.DB()))
			}

			// Recovery: the caller retries the failed batch whole, then goes on.
			if _, err := viaProxy.StoreBatch(ctx, failing); err != nil {
				t.Fatalf("retry after recovery: %v", err)
			}
			storetest.DeliverInOrder(t, viaProxy, items[failAt+n:], n)
			diffDumps(t, want, dumpTables(t, direct.DB()))
		})
	}
}
