package historical_test

import (
	"context"
	"github.com/connect-reporting/connect-reporting/internal/polltest"
	"github.com/connect-reporting/connect-reporting/internal/report"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/historical"
	"github.com/connect-reporting/connect-reporting/internal/historical/histtest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

func loadZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s: %v", name, err)
	}
	return loc
}

type groupKey struct {
	queue, channel string
	start          time.Time
}

func byGroup(rows []row) map[groupKey]map[string]float64 {
	out := map[groupKey]map[string]float64{}
	for _, r := range rows {
		k := groupKey{r.QueueID, r.Channel, r.IntervalStart}
		if out[k] == nil {
			out[k] = map[string]float64{}
		}
		out[k][r.Metric] = r.Value
	}
	return out
}

// TestPollMatchesSimulatorTruth runs the simulated contact centre through a
// day (New York time) and on until every contact of the day has finished,
// polls it through the real SDK client with 30% of the calls throttled, and
// compares every stored interval with the simulator's own Truth.
func TestPollMatchesSimulatorTruth(t *testing.T) {
	ny := loadZone(t, "America/New_York")
	cfg := simulator.DefaultConfig(42, 24, 4)
	cfg.Location = ny
	sim, err := simulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dayStart := time.Date(2024, 3, 4, 0, 0, 0, 0, ny).UTC()
	dayEnd := time.Date(2024, 3, 5, 0, 0, 0, 0, ny).UTC()
	if err := sim.RunUntil(dayEnd.Add(5 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	truth := sim.Truth(dayStart, dayEnd)
	if len(truth.Queues) < 100 {
		t.Fatalf("only %d truth rows: the simulated day is too quiet to test anything", len(truth.Queues))
	}

	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			store := polltest.OpenStore(t, dialect)
			client, rec := newClient(t, sim, api.Options{ThrottleRate: 0.3, Seed: 11})
			p := &historical.Poller{
				API: client, Store: store, TimeZone: ny,
				InitialBackfill: sim.Now().Sub(dayStart) + time.Hour,
				Now:             sim.Now, Logger: testLogger(t),
			}
			rep, err := p.PollReport(testCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Complete() || rep.Queues != 4 {
				t.Fatalf("report %+v", rep)
			}
			if client.Throttled() == 0 {
				t.Error("nothing was throttled")
			}
			if n := rec.rejected(); n != 0 {
				t.Errorf("%d requests rejected", n)
			}
			if cp, _ := checkpoint(t, store, p); !cp.Equal(report.LastCompleted(sim.Now(), ny)) {
				t.Errorf("checkpoint %s, want %s", cp, report.LastCompleted(sim.Now(), ny))
			}

			stored := byGroup(dump(t, store))
			type sums struct{ handle, handled, answer, answered float64 }
			dayTruth, dayStored := map[string]*sums{}, map[string]*sums{}
			matched := 0
			for _, tr := range truth.Queues {
				k := groupKey{tr.QueueID, tr.Channel, tr.IntervalStart}
				got := stored[k]
				if got == nil {
					if tr.ContactsOffered+tr.ContactsHandled+tr.ContactsAbandoned > 0 {
						t.Errorf("%v: not stored (truth %+v)", k, tr)
					}
					continue
				}
				matched++
				if !tr.IntervalEnd.Equal(tr.IntervalStart.Add(15 * time.Minute)) {
					t.Fatalf("truth interval %v", tr)
				}
				for _, c := range []struct {
					metric string
					want   float64
				}{
					{"CONTACTS_QUEUED", float64(tr.ContactsOffered)},
					{"CONTACTS_HANDLED", float64(tr.ContactsHandled)},
					{"CONTACTS_ABANDONED", float64(tr.ContactsAbandoned)},
					{"CONTACTS_TRANSFERRED_OUT", float64(tr.ContactsTransferredOut)},
					{"SUM_HANDLE_TIME", tr.HandleTimeSeconds},
					{"SUM_HOLD_TIME", tr.HoldTimeSeconds},
					{"SUM_AFTER_CONTACT_WORK_TIME", tr.ACWTimeSeconds},
					{"SUM_INTERACTION_TIME", tr.InteractionTimeSeconds},
					{"AVG_HANDLE_TIME__SUM", tr.HandleTimeSeconds},
					{"AVG_HANDLE_TIME__COUNT", float64(tr.ContactsCompleted)},
					{"AVG_QUEUE_ANSWER_TIME__SUM", tr.QueueAnswerTimeSeconds},
					{"AVG_QUEUE_ANSWER_TIME__COUNT", float64(tr.ContactsHandled)},
					{"AVG_ABANDON_TIME__SUM", tr.AbandonTimeSeconds},
					{"AVG_ABANDON_TIME__COUNT", float64(tr.ContactsAbandoned)},
					{"AVG_AFTER_CONTACT_WORK_TIME__SUM", tr.ACWTimeSeconds},
					{"AVG_HOLD_TIME__SUM", tr.HoldTimeSeconds},
				} {
					v, ok := got[c.metric]
					if !ok || !near(v, c.want) {
						t.Errorf("%s %s %s %s = %v (stored %v), truth %v", tr.QueueName, tr.Channel, tr.IntervalStart.In(ny).Format("15:04"), c.metric, v, ok, c.want)
					}
				}
				qc := tr.QueueID + "/" + tr.Channel
				if dayTruth[qc] == nil {
					dayTruth[qc], dayStored[qc] = &sums{}, &sums{}
				}
				dt, ds := dayTruth[qc], dayStored[qc]
				dt.handle += tr.HandleTimeSeconds
				dt.handled += float64(tr.ContactsCompleted)
				dt.answer += tr.QueueAnswerTimeSeconds
				dt.answered += float64(tr.ContactsHandled)
				ds.handle += got["AVG_HANDLE_TIME__SUM"]
				ds.handled += got["AVG_HANDLE_TIME__COUNT"]
				ds.answer += got["AVG_QUEUE_ANSWER_TIME__SUM"]
				ds.answered += got["AVG_QUEUE_ANSWER_TIME__COUNT"]
			}
			// Nothing stored for the day that the truth does not know.
			inDay := 0
			for k, ms := range stored {
				if k.start.Before(dayStart) || !k.start.Before(dayEnd) {
					continue
				}
				inDay++
				_ = ms
			}
			if inDay != matched {
				t.Errorf("%d queue/channel/intervals stored for the day, %d in the truth", inDay, matched)
			}
			// The day's averages roll up from the 15-minute sums and counts.
			for qc, dt := range dayTruth {
				ds := dayStored[qc]
				if dt.handled > 0 && !near(ds.handle/ds.handled, dt.handle/dt.handled) {
					t.Errorf("%s: day AVG_HANDLE_TIME %v, truth %v", qc, ds.handle/ds.handled, dt.handle/dt.handled)
				}
				if dt.answered > 0 && !near(ds.answer/ds.answered, dt.answer/dt.answered) {
					t.Errorf("%s: day AVG_QUEUE_ANSWER_TIME %v, truth %v", qc, ds.answer/ds.answered, dt.answer/dt.answered)
				}
			}
			t.Logf("%d truth rows, %d stored intervals, %d throttled", len(truth.Queues), matched, client.Throttled())

			// A second run re-pulls the last hour and changes nothing.
			before := dump(t, store)
			if err := p.Poll(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			if a, b := diff(before, dump(t, store)); len(a)+len(b) > 0 {
				t.Errorf("re-poll changed rows: %v -> %v", a, b)
			}
		})
	}
}

// staticEnv is a static source of queues with contacts over [from, to), its
// clock at now.
func staticEnv(t *testing.T, queues, perQueue int, from, to, now time.Time) (*histtest.Source, []string) {
	t.Helper()
	src := histtest.NewSource(now, queues, 1)
	var ids []string
	for i := range queues {
		ids = append(ids, histtest.QueueID(i))
	}
	src.SetFacts(histtest.Generate(7, ids, perQueue, from, to))
	return src, ids
}

// TestResumeFillsGap: a run to T1 sets the checkpoint; the clock moves to
// T2, several hours later; the next run fetches from the checkpoint (less
// the lookback) to T2, and the table is then exactly what one run over the
// whole range stores. Re-pulling the overlap changes nothing.
func TestResumeFillsGap(t *testing.T) {
	london := loadZone(t, "Europe/London")
	start := time.Date(2024, 10, 26, 0, 0, 0, 0, time.UTC)
	t1 := time.Date(2024, 10, 26, 13, 7, 0, 0, time.UTC)
	t2 := time.Date(2024, 10, 27, 2, 41, 0, 0, time.UTC) // across the clocks going back
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			src, _ := staticEnv(t, 3, 200, start, t2.Add(time.Hour), t1)
			client, rec := newClient(t, src, api.Options{ThrottleRate: 0.3, Seed: 5})
			store := polltest.OpenStore(t, dialect)
			p := &historical.Poller{API: client, Store: store, TimeZone: london, Now: src.Now,
				InitialBackfill: t1.Sub(start), Logger: testLogger(t)}
			if err := p.Poll(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			cp1, ok := checkpoint(t, store, p)
			if !ok || !cp1.Equal(time.Date(2024, 10, 26, 13, 0, 0, 0, time.UTC)) {
				t.Fatalf("checkpoint after T1: %s %v", cp1, ok)
			}
			first := rec.ok()
			if len(first) == 0 || !first[0].Start.Equal(start) || !first[len(first)-1].End.Equal(cp1) {
				t.Errorf("first run requests %+v", first)
			}

			src.SetNow(t2)
			if err := p.Poll(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			cp2, _ := checkpoint(t, store, p)
			if want := time.Date(2024, 10, 27, 2, 30, 0, 0, time.UTC); !cp2.Equal(want) {
				t.Errorf("checkpoint after T2: %s, want %s", cp2, want)
			}
			second := rec.ok()
			if len(second) == 0 || !second[0].Start.Equal(cp1.Add(-historical.DefaultLookback)) || !second[len(second)-1].End.Equal(cp2) {
				t.Errorf("second run requests %+v, want from %s to %s", second, cp1.Add(-time.Hour), cp2)
			}
			for i := 1; i < len(second); i++ {
				if !second[i].Start.Equal(second[i-1].End) && !second[i].Start.Equal(second[i-1].Start) {
					t.Errorf("second run not contiguous: %+v", second)
				}
			}

			// One run over the whole range into a fresh store.
			ref := polltest.OpenStore(t, "sqlite")
			refClient, _ := newClient(t, src, api.Options{})
			rp := &historical.Poller{API: refClient, Store: ref, TimeZone: london, Now: src.Now, InitialBackfill: t2.Sub(start)}
			if err := rp.Poll(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			got, want := dump(t, store), dump(t, ref)
			if a, b := diff(got, want); len(a)+len(b) > 0 {
				t.Errorf("resumed table differs from one full run: only resumed %d %v, only full %d %v", len(a), head(a), len(b), head(b))
			}
			if len(got) < 500 {
				t.Errorf("only %d rows", len(got))
			}
			// Nothing stored past the last completed interval.
			for _, r := range got {
				if !r.IntervalEnd.After(r.IntervalStart) || r.IntervalEnd.After(cp2) {
					t.Fatalf("row past the checkpoint: %v", r)
				}
			}

			// Again at the same time: the overlap is re-pulled, nothing changes.
			if err := p.Poll(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			if a, b := diff(got, dump(t, store)); len(a)+len(b) > 0 {
				t.Errorf("re-pull changed rows: %v -> %v", a, b)
			}
		})
	}
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}

// TestLateCorrection: a contact's hold time is corrected after it was
// polled; the next run's lookback re-pulls its interval and exactly the
// rows made from hold time change.
func TestLateCorrection(t *testing.T) {
	start := time.Date(2024, 3, 4, 8, 0, 0, 0, time.UTC)
	now := time.Date(2024, 3, 4, 14, 5, 0, 0, time.UTC)
	for _, dialect := range dialects {
		t.Run(dialect, func(t *testing.T) {
			// Contacts up to the last completed interval only: later runs
			// see no new intervals, only the correction.
			src, _ := staticEnv(t, 3, 300, start, report.Floor(now, time.UTC), now)
			client, _ := newClient(t, src, api.Options{})
			store := polltest.OpenStore(t, dialect)
			p := &historical.Poller{API: client, Store: store, Now: src.Now, InitialBackfill: now.Sub(start), Logger: testLogger(t)}
			if err := p.Poll(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			before := dump(t, store)

			// Correct the hold time of a held voice contact of 13:30-13:45.
			var target groupKey
			src.Update(func(fs []api.ContactFact) {
				for i := range fs {
					f := &fs[i]
					if f.Holds > 0 && !f.Initiation.Before(now.Add(-35*time.Minute)) && f.Initiation.Before(now.Add(-20*time.Minute)) {
						f.HoldSeconds += 30
						target = groupKey{f.QueueID, f.Channel, report.Floor(f.Initiation, time.UTC)}
						return
					}
				}
			})
			if target.queue == "" {
				t.Fatal("no held contact in the last hour")
			}
			src.SetNow(now.Add(10 * time.Minute))
			if err := p.Poll(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			after := dump(t, store)
			gone, added := diff(before, after)
			changed := map[string]bool{"SUM_HOLD_TIME": true, "AVG_HOLD_TIME": true, "AVG_HOLD_TIME__SUM": true,
				"SUM_INTERACTION_TIME": true, "AVG_INTERACTION_TIME": true, "AVG_INTERACTION_TIME__SUM": true}
			if len(gone) != len(changed) || len(added) != len(changed) {
				t.Fatalf("changed rows:\n-%s\n+%s", strings.Join(gone, "\n-"), strings.Join(added, "\n+"))
			}
			prefix := target.queue + "|" + target.channel + "|" + target.start.Format(time.RFC3339) + "|"
			for _, r := range added {
				name := strings.Split(r, "|")[4]
				if !strings.HasPrefix(r, prefix) || !changed[name] {
					t.Errorf("unexpected change %s (corrected %s)", r, prefix)
				}
			}
			old, cur := byGroup(before)[target], byGroup(after)[target]
			if !near(cur["SUM_HOLD_TIME"]-old["SUM_HOLD_TIME"], 30) || !near(old["SUM_INTERACTION_TIME"]-cur["SUM_INTERACTION_TIME"], 30) {
				t.Errorf("hold %v -> %v, interaction %v -> %v", old["SUM_HOLD_TIME"], cur["SUM_HOLD_TIME"], old["SUM_INTERACTION_TIME"], cur["SUM_INTERACTION_TIME"])
			}
		})
	}
}

// TestBackfillSlices: a 10-day backfill over 130 queues goes out in slices
// of a day (a 3-day slice size is cut below the API's limit), every
// request's queue filter holds at most 100 ids, the API rejects nothing,
// and the data equals the independent computation.
func TestBackfillSlices(t *testing.T) {
	kolkata := loadZone(t, "Asia/Kolkata")
	from := time.Date(2024, 2, 20, 0, 0, 0, 0, kolkata)
	to := time.Date(2024, 3, 1, 0, 0, 0, 0, kolkata)
	now := to.Add(30 * time.Minute)
	src, _ := staticEnv(t, 130, 4, from.Add(-time.Hour), to.Add(time.Hour), now)
	for _, size := range []time.Duration{0, 72 * time.Hour} {
		t.Run(size.String(), func(t *testing.T) {
			client, rec := newClient(t, src, api.Options{ThrottleRate: 0.3, Seed: 9})
			store := polltest.OpenStore(t, "sqlite")
			p := &historical.Poller{API: client, Store: store, TimeZone: kolkata, Now: src.Now, SliceSize: size, Logger: testLogger(t)}
			rep, err := p.BackfillReport(testCtx(t), from, to)
			if err != nil {
				t.Fatal(err)
			}
			wantSize := historical.DefaultSliceSize
			if size > 0 {
				wantSize = historical.MaxSlice
			}
			slices := histtest.Ranges(from.UTC(), to.UTC(), wantSize, kolkata)
			if rep.Slices != len(slices) || !rep.Complete() {
				t.Errorf("report %+v, want %d slices", rep, len(slices))
			}
			if n := rec.rejected(); n != 0 {
				t.Errorf("%d requests rejected", n)
			}
			seen := map[[2]time.Time]map[int]int{}
			for _, r := range rec.ok() {
				if r.End.Sub(r.Start) >= 72*time.Hour {
					t.Errorf("request of %s", r.End.Sub(r.Start))
				}
				if r.Queues > 100 {
					t.Errorf("request with %d queues", r.Queues)
				}
				k := [2]time.Time{r.Start, r.End}
				if seen[k] == nil {
					seen[k] = map[int]int{}
				}
				seen[k][r.Queues]++
			}
			if len(seen) != len(slices) {
				t.Errorf("%d distinct ranges requested, want %d", len(seen), len(slices))
			}
			for _, s := range slices {
				chunks := seen[s]
				if chunks[100] == 0 || chunks[30] == 0 || len(chunks) != 2 {
					t.Errorf("slice %s..%s: requests per chunk size %v, want chunks of 100 and 30", s[0], s[1], chunks)
				}
			}
			want := histtest.Expected(src.Facts(), from.UTC(), to.UTC(), kolkata)
			got := map[histtest.Key]float64{}
			for _, r := range dump(t, store) {
				got[histtest.Key{QueueID: r.QueueID, Channel: r.Channel, IntervalStart: r.IntervalStart, Metric: r.Metric}] = r.Value
				if r.IntervalStart.Before(from) || !r.IntervalStart.Before(to) {
					t.Fatalf("row outside the backfill: %v", r)
				}
			}
			bad := 0
			for k, w := range want {
				if g, ok := got[k]; !ok || !near(g, w) {
					if bad++; bad < 10 {
						t.Errorf("%v = %v (%v), want %v", k, g, ok, w)
					}
				}
			}
			// No checkpoint existed: the backfill sets one at its end.
			if cp, ok := checkpoint(t, store, p); !ok || !cp.Equal(to.UTC()) {
				t.Errorf("checkpoint %s %v", cp, ok)
			}
		})
	}
}

// TestBackfillKeepsCheckpoint: backfilling an older range neither moves the
// checkpoint back nor forward over a gap.
func TestBackfillKeepsCheckpoint(t *testing.T) {
	now := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	src, _ := staticEnv(t, 2, 50, now.Add(-10*24*time.Hour), now, now)
	client, _ := newClient(t, src, api.Options{})
	store := polltest.OpenStore(t, "sqlite")
	p := &historical.Poller{API: client, Store: store, Now: src.Now}
	if err := p.Poll(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	cp, _ := checkpoint(t, store, p)
	if err := p.Backfill(testCtx(t), now.Add(-9*24*time.Hour), now.Add(-5*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := checkpoint(t, store, p); !got.Equal(cp) {
		t.Errorf("checkpoint moved from %s to %s", cp, got)
	}
	// Backfill to a time in the future stops at the last completed interval.
	if err := p.Backfill(testCtx(t), now.Add(-2*time.Hour), now.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := checkpoint(t, store, p); !got.Equal(now) {
		t.Errorf("checkpoint %s, want %s", got, now)
	}
	if err := p.Backfill(testCtx(t), now, now.Add(-time.Hour)); err == nil {
		t.Error("a reversed range was accepted")
	}
}

// TestClampToRetention: a checkpoint older than the API's three months
// resumes at the oldest interval the API still has, and no request is
// rejected.
func TestClampToRetention(t *testing.T) {
	now := time.Date(2024, 5, 1, 6, 0, 0, 0, time.UTC) // 3 months back is only 89 days
	src, _ := staticEnv(t, 1, 30, now.Add(-100*24*time.Hour), now, now)
	client, rec := newClient(t, src, api.Options{})
	store := polltest.OpenStore(t, "sqlite")
	p := &historical.Poller{API: client, Store: store, Now: src.Now, SliceSize: 70 * time.Hour}
	if err := store.SetCheckpoint(context.Background(), historical.PollerName, p.Scope(), now.AddDate(0, -4, 0)); err != nil {
		t.Fatal(err)
	}
	rep, err := p.PollReport(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := rec.rejected(); n != 0 {
		t.Errorf("%d requests rejected", n)
	}
	if want := now.Add(-historical.DefaultMaxBackfill); !rep.From.Equal(want) || !rep.Complete() {
		t.Errorf("report %+v, want from %s", rep, want)
	}
	// The stale checkpoint followed the clamp and moved to the end: the
	// next run starts from it, not three months back again.
	cp, ok, err := store.Checkpoint(context.Background(), historical.PollerName, p.Scope())
	if err != nil || !ok || !cp.Watermark.Equal(rep.To) {
		t.Errorf("checkpoint after a clamped run: %+v %v %v, want %s", cp, ok, err, rep.To)
	}
	// First run without a checkpoint: InitialBackfill (default a day).
	store2 := polltest.OpenStore(t, "sqlite")
	p2 := &historical.Poller{API: client, Store: store2, Now: src.Now}
	rep, err = p2.PollReport(testCtx(t))
	if err != nil || !rep.From.Equal(now.Add(-24*time.Hour)) || !rep.To.Equal(now) {
		t.Errorf("first run %+v, %v", rep, err)
	}
}

// TestStopsBeforeDeadline: with slow API calls and a short deadline the
// poller stops between slices, returns nil and keeps the checkpoint; the
// next run resumes there and the result equals an uninterrupted run.
func TestStopsBeforeDeadline(t *testing.T) {
	now := time.Date(2024, 3, 4, 12, 0, 0, 0, time.UTC)
	src, _ := staticEnv(t, 2, 300, now.Add(-25*time.Hour), now, now)
	client, rec := newClient(t, src, api.Options{Latency: 100 * time.Millisecond})
	store := polltest.OpenStore(t, "sqlite")
	p := &historical.Poller{API: client, Store: store, Now: src.Now, SliceSize: time.Hour,
		InitialBackfill: 24 * time.Hour, StopMargin: time.Second, Logger: testLogger(t)}
	// The margin covers one slice's store under -race on a loaded machine;
	// at 100 ms a call, 24 slices need far more than the 2 s left before it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	rep, err := p.PollReport(ctx)
	if err != nil {
		t.Fatalf("stopping for the deadline is no error: %v", err)
	}
	if !rep.Stopped || rep.Slices == 0 || rep.Slices >= 24 {
		t.Fatalf("report %+v: want a clean stop after some slices", rep)
	}
	if ctx.Err() != nil {
		t.Errorf("the poller ran into the deadline instead of stopping before it")
	}
	cp, _ := checkpoint(t, store, p)
	if !cp.Equal(rep.Done) {
		t.Errorf("checkpoint %s, report done %s", cp, rep.Done)
	}
	rec.ok()
	if err := p.Poll(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if reqs := rec.ok(); len(reqs) == 0 || !reqs[0].Start.Equal(cp.Add(-time.Hour)) {
		t.Errorf("resume requests %+v, want from %s", reqs, cp.Add(-time.Hour))
	}
	ref := polltest.OpenStore(t, "sqlite")
	rp := &historical.Poller{API: client, Store: ref, Now: src.Now, InitialBackfill: 24 * time.Hour}
	if err := rp.Poll(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if a, b := diff(dump(t, store), dump(t, ref)); len(a)+len(b) > 0 {
		t.Errorf("interrupted + resumed differs from one run: %v / %v", head(a), head(b))
	}
}

// TestDSTDays polls the 25- and 23-hour days of London with contacts in
// every quarter hour: 100 and 92 intervals are stored, each on the local
// grid, and a day's rows roll up to the day's contacts.
func TestDSTDays(t *testing.T) {
	london := loadZone(t, "Europe/London")
	for _, tc := range []struct {
		day       string
		intervals int
	}{{"2024-10-27", 100}, {"2024-03-31", 92}, {"2024-03-04", 96}} {
		t.Run(tc.day, func(t *testing.T) {
			d, _ := time.ParseInLocation("2006-01-02", tc.day, london)
			start, end := report.Day(d, london)
			now := end.Add(20 * time.Minute)
			src, _ := staticEnv(t, 1, 1200, start, end, now)
			client, _ := newClient(t, src, api.Options{})
			store := polltest.OpenStore(t, "sqlite")
			p := &historical.Poller{API: client, Store: store, TimeZone: london, Now: src.Now}
			if err := p.Backfill(testCtx(t), start, end); err != nil {
				t.Fatal(err)
			}
			starts := map[time.Time]bool{}
			created := 0.0
			for _, r := range dump(t, store) {
				if r.Metric != "CONTACTS_CREATED" {
					continue
				}
				starts[r.IntervalStart] = true
				created += r.Value
				if lt := r.IntervalStart.In(london); lt.Minute()%15 != 0 || r.IntervalEnd.Sub(r.IntervalStart) != 15*time.Minute {
					t.Errorf("interval %s..%s", lt, r.IntervalEnd.In(london))
				}
			}
			if len(starts) != tc.intervals {
				t.Errorf("%d intervals stored, want %d", len(starts), tc.intervals)
			}
			queued := 0
			for _, f := range src.Facts() {
				if f.QueueID != "" && !f.Initiation.Before(start) && f.Initiation.Before(end) {
					queued++
				}
			}
			if int(created) != queued {
				t.Errorf("day rolls up to %v contacts, want %d", created, queued)
			}
		})
	}
}

// TestPollerDefaults checks the scope and the slice limits.
func TestPollerDefaults(t *testing.T) {
	p := &historical.Poller{}
	if p.Scope() != "queues/UTC" {
		t.Errorf("scope %q", p.Scope())
	}
	p.TimeZone = loadZone(t, "Australia/Adelaide")
	if p.Scope() != "queues/Australia/Adelaide" {
		t.Errorf("scope %q", p.Scope())
	}
	if historical.MaxSlice >= connectapi.MaxFifteenMinRange {
		t.Errorf("MaxSlice %s not below the API's limit", historical.MaxSlice)
	}
	if historical.DefaultMaxBackfill >= 89*24*time.Hour {
		t.Errorf("DefaultMaxBackfill %s leaves no margin", historical.DefaultMaxBackfill)
	}
	if err := p.Poll(context.Background()); err == nil {
		t.Error("a poller without API and Store ran")
	}
}
