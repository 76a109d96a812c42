package historical_test

import (
	"context"
	"errors"
	"github.com/connect-reporting/connect-reporting/internal/polltest"
	"github.com/connect-reporting/connect-reporting/internal/report"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/historical"
	"github.com/connect-reporting/connect-reporting/internal/historical/histtest"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
)

// agentEnv is a static source of 6 queues and 130 agents with contacts
// over [from, to), its clock at now.
func agentEnv(from, to, now time.Time) *histtest.Source {
	const agents = 130
	src := histtest.NewSource(now, 6, 1)
	src.SetAgents(agents)
	var ids []string
	for i := range 6 {
		ids = append(ids, histtest.QueueID(i))
	}
	src.SetFacts(histtest.GenerateAgents(13, ids, 300, agents, from, to))
	return src
}

// TestPollAgentMetrics: with 130 agents (AGENT filters chunked by 100) and
// 30% of the calls throttled, the agent_interval_metric table equals the
// independent computation from the source's contact facts, per agent,
// channel and interval; the queue metrics are stored beside it under one
// checkpoint; re-running the poll and backfilling the range again change
// nothing.
func TestPollAgentMetrics(t *testing.T) {
	ny := loadZone(t, "America/New_York")
	from := time.Date(2024, 3, 4, 5, 0, 0, 0, time.UTC) // midnight in New York
	now := time.Date(2024, 3, 4, 15, 10, 0, 0, time.UTC)
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			src := agentEnv(from, now.Add(-time.Hour), now)
			client, rec := newClient(t, src, api.Options{ThrottleRate: 0.3, Seed: 17})
			store := polltest.OpenStore(t, dialect)
			p := &historical.Poller{API: client, Store: store, TimeZone: ny, Now: src.Now,
				InitialBackfill: now.Sub(from), SliceSize: 4 * time.Hour, Logger: testLogger(t)}
			rep, err := p.PollReport(testCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			last := report.LastCompleted(now, ny)
			if !rep.Complete() || rep.Queues != 6 || rep.Agents != 130 || rep.Slices != 3 || rep.AgentMetrics == 0 || rep.Metrics <= rep.AgentMetrics {
				t.Fatalf("report %+v", rep)
			}
			if cp, _ := checkpoint(t, store, p); !cp.Equal(last) {
				t.Errorf("checkpoint %s, want %s", cp, last)
			}
			if client.Throttled() == 0 {
				t.Error("nothing was throttled")
			}
			if n := rec.rejected(); n != 0 {
				t.Errorf("%d requests rejected", n)
			}
			chunks := map[int]int{}
			for _, r := range rec.ok() {
				if r.Agents > 0 {
					chunks[r.Agents]++
				}
			}
			if chunks[100] == 0 || chunks[30] == 0 || len(chunks) != 2 {
				t.Errorf("AGENT filter sizes %v, want chunks of 100 and 30", chunks)
			}

			want := histtest.ExpectedAgents(src.Facts(), from, last, ny)
			got := dumpAgents(t, store)
			stored := map[histtest.AgentKey]float64{}
			agents := map[string]bool{}
			for _, r := range got {
				if r.Channel == connectreporting.ChannelAll {
					t.Fatalf("agent-time metric stored though the API returned null: %v", r)
				}
				if r.IntervalStart.Before(from) || r.IntervalEnd.After(last) || r.IntervalEnd.Sub(r.IntervalStart) != report.IntervalLength {
					t.Fatalf("row outside the polled range: %v", r)
				}
				stored[histtest.AgentKey{AgentID: r.QueueID, Channel: r.Channel, IntervalStart: r.IntervalStart, Metric: r.Metric}] = r.Value
				agents[r.QueueID] = true
			}
			for k, w := range want {
				if g, ok := stored[k]; !ok || !near(g, w) {
					t.Errorf("%s %s %s %s = %v (stored %v), want %v", k.AgentID, k.Channel, k.IntervalStart.In(ny).Format("01-02 15:04"), k.Metric, g, ok, w)
				}
			}
			// Nothing stored that the facts do not explain: every stored row
			// is an expected one or an average beside expected sums.
			for k := range stored {
				if _, ok := want[k]; !ok && !(strings.HasPrefix(k.Metric, "AVG_") && !strings.Contains(k.Metric, "__")) {
					t.Errorf("unexpected row %+v", k)
				}
			}
			if len(agents) <= 100 || len(want) < 1000 {
				t.Errorf("%d agents, %d expected values: too little to test chunking", len(agents), len(want))
			}
			t.Logf("%d agent rows of %d agents, %d queue rows, %d throttled", len(got), len(agents), len(dump(t, store)), client.Throttled())

			// A second poll re-pulls the lookback; a backfill re-pulls the
			// whole range: neither changes a row of either table.
			queues := dump(t, store)
			if err := p.Poll(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			if err := p.Backfill(testCtx(t), from, now); err != nil {
				t.Fatal(err)
			}
			if a, b := diff(got, dumpAgents(t, store)); len(a)+len(b) > 0 {
				t.Errorf("re-run changed agent rows: %v -> %v", head(a), head(b))
			}
			if a, b := diff(queues, dump(t, store)); len(a)+len(b) > 0 {
				t.Errorf("re-run changed queue rows: %v -> %v", head(a), head(b))
			}
		})
	}
}

// failingAgents fails AgentIntervalMetrics from the second call on.
type failingAgents struct {
	*connectapi.Client
	calls atomic.Int32
}

var errAgents = errors.New("agent metrics unavailable")

func (f *failingAgents) AgentIntervalMetrics(ctx context.Context, ids []string, start, end time.Time, loc *time.Location) ([]connectreporting.AgentIntervalMetric, error) {
	if f.calls.Add(1) > 1 {
		return nil, errAgents
	}
	return f.Client.AgentIntervalMetrics(ctx, ids, start, end, loc)
}

// TestAgentFailureKeepsCheckpoint: when a slice's agent metrics fail, the
// checkpoint stays at the end of the last slice whose queue and agent
// metrics were both stored, so the next run fetches that slice again.
func TestAgentFailureKeepsCheckpoint(t *testing.T) {
	from := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	now := time.Date(2024, 3, 4, 12, 5, 0, 0, time.UTC)
	src := agentEnv(from, now, now)
	client, _ := newClient(t, src, api.Options{})
	store := polltest.OpenStore(t, "sqlite")
	api := &failingAgents{Client: client}
	p := &historical.Poller{API: api, Store: store, Now: src.Now, InitialBackfill: 12 * time.Hour, SliceSize: 4 * time.Hour, Logger: testLogger(t)}
	rep, err := p.PollReport(testCtx(t))
	if !errors.Is(err, errAgents) || rep.Slices != 1 {
		t.Fatalf("report %+v, err %v", rep, err)
	}
	if cp, _ := checkpoint(t, store, p); !cp.Equal(from.Add(4 * time.Hour)) {
		t.Errorf("checkpoint %s, want the end of the first slice", cp)
	}
	for _, r := range dumpAgents(t, store) {
		if !r.IntervalStart.Before(from.Add(4 * time.Hour)) {
			t.Fatalf("agent row of a failed slice: %v", r)
		}
	}
	// The next run resumes at the checkpoint (less the lookback) and completes.
	api.calls.Store(-100)
	rep, err = p.PollReport(testCtx(t))
	if err != nil || !rep.Complete() || !rep.From.Equal(from.Add(3*time.Hour)) {
		t.Fatalf("resumed run %+v, %v", rep, err)
	}
	if cp, _ := checkpoint(t, store, p); !cp.Equal(time.Date(2024, 3, 4, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("checkpoint after resume %s", cp)
	}
}
