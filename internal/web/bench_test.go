package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/simingest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
	"github.com/connect-reporting/connect-reporting/internal/web"
)

// simulatedMorning fills a SQLite store with a simulated morning (08:00 to
// 13:00 in New York) of agents agents, through the ingest engine, plus one
// real-time snapshot of every queue and agent, and returns the store and
// the simulated time at the end.
func simulatedMorning(b *testing.B, agents int) (*sqlstore.Store, time.Time) {
	b.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	loc, _ := time.LoadLocation("America/New_York")
	cfg := simulator.DefaultConfig(11, agents, 4)
	cfg.Start, cfg.Location = time.Date(2026, 3, 10, 8, 0, 0, 0, loc), loc
	engine := &ingest.Engine{Store: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	sim, err := simulator.New(cfg, simingest.Sink(engine))
	if err != nil {
		b.Fatal(err)
	}
	end := cfg.Start.Add(5 * time.Hour)
	if err := sim.RunUntil(end); err != nil {
		b.Fatal(err)
	}
	rows, err := s.DB().QueryContext(ctx, "SELECT DISTINCT queue_id, channel FROM contact_record WHERE queue_id IS NOT NULL")
	if err != nil {
		b.Fatal(err)
	}
	var qs []connectreporting.QueueSnapshot
	for rows.Next() {
		q := connectreporting.QueueSnapshot{SnapshotTime: end, ContactsInQueue: f64(3), OldestContactAgeSeconds: f64(40), AgentsOnline: f64(float64(agents))}
		if err := rows.Scan(&q.QueueID, &q.Channel); err != nil {
			b.Fatal(err)
		}
		qs = append(qs, q)
	}
	if err := rows.Close(); err != nil || len(qs) == 0 {
		b.Fatalf("%d queues: %v", len(qs), err)
	}
	if err := s.StoreQueueSnapshots(ctx, qs); err != nil {
		b.Fatal(err)
	}
	return s, end.UTC()
}

// BenchmarkWallboardViewers: 200 viewers ask for the wallboard at once,
// over loopback HTTP, from a SQLite store holding a simulated morning of 100
// agents; it reports the median and 95th percentile of their response
// times. "cold": every round starts with an empty cache, so all 200 wait for
// the one query the round runs (only the first viewers after a start, or
// after a pause of 3 refresh intervals, see this); "refresh": every round
// starts as a refresh interval ends, so one query runs while the viewers get
// the previous answer; "warm": rounds within one refresh interval, served
// from the shared answer. "query": the wallboard query alone, without HTTP.
//
//	go test -run '^$' -bench WallboardViewers -benchtime 20x -count 6 ./internal/web/
func BenchmarkWallboardViewers(b *testing.B) {
	store, now := simulatedMorning(b, 100)
	h := web.New(store, web.Options{Now: func() time.Time { return now }, Refresh: time.Hour})
	srv := httptest.NewServer(h)
	defer srv.Close()
	b.Run("query", func(b *testing.B) {
		for range b.N {
			if _, err := store.Wallboard(context.Background(), connectreporting.WallboardQuery{Now: now}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cold", func(b *testing.B) { viewerRounds(b, srv.URL, h.ResetWallboardCache) })
	b.Run("refresh", func(b *testing.B) { viewerRounds(b, srv.URL, h.ExpireWallboardCache) })
	b.Run("warm", func(b *testing.B) { viewerRounds(b, srv.URL, func() {}) })
}

// viewerRounds runs b.N rounds of 200 concurrent GET /api/wallboard,
// calling before ahead of each round, and reports the latencies.
func viewerRounds(b *testing.B, base string, before func()) {
	const viewers = 200
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: viewers, MaxConnsPerHost: viewers}}
	defer client.CloseIdleConnections()
	getOnce := func() (time.Duration, error) {
		start := time.Now()
		res, err := client.Get(base + "/api/wallboard")
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", res.StatusCode)
		}
		return time.Since(start), err
	}
	var wg sync.WaitGroup
	for range viewers { // open the connections
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := getOnce(); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	lat := make([]time.Duration, 0, b.N*viewers)
	var mu sync.Mutex
	b.ResetTimer()
	for range b.N {
		before()
		for range viewers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := getOnce()
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2])/1e6, "ms-median")
		b.ReportMetric(float64(lat[len(lat)*95/100])/1e6, "ms-p95")
	}
}
