package connectapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/historical"
	"github.com/connect-reporting/connect-reporting/internal/historical/histtest"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
)

// mv2Request is what the recording handler saw of one GetMetricDataV2 call.
type mv2Request struct {
	Start, End time.Time
	Queues     int
	Agents     int
	Channels   []string
	TimeZone   string
	Period     string
	Groupings  []string
	Metrics    int
	Status     int
}

// mv2Recorder serves srv and records every GetMetricDataV2 request.
type mv2Recorder struct {
	srv  *api.Server
	mu   sync.Mutex
	reqs []mv2Request
}

func (r *mv2Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != "/metrics/data" {
		r.srv.ServeHTTP(w, req)
		return
	}
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	var in struct {
		StartTime, EndTime float64
		Interval           struct{ TimeZone, IntervalPeriod string }
		Filters            []struct {
			FilterKey    string
			FilterValues []string
		}
		Groupings []string
		Metrics   []json.RawMessage
	}
	_ = json.Unmarshal(body, &in)
	rec := mv2Request{
		Start: time.Unix(0, int64(in.StartTime*1e9)).UTC().Round(time.Millisecond), End: time.Unix(0, int64(in.EndTime*1e9)).UTC().Round(time.Millisecond),
		TimeZone: in.Interval.TimeZone, Period: in.Interval.IntervalPeriod, Groupings: in.Groupings, Metrics: len(in.Metrics),
	}
	for _, f := range in.Filters {
		switch f.FilterKey {
		case "QUEUE":
			rec.Queues = len(f.FilterValues)
		case "AGENT":
			rec.Agents = len(f.FilterValues)
		case "CHANNEL":
			rec.Channels = f.FilterValues
		}
	}
	sw := &mv2Status{ResponseWriter: w, code: http.StatusOK}
	r.srv.ServeHTTP(sw, req)
	rec.Status = sw.code
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
}

func (r *mv2Recorder) requests() []mv2Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]mv2Request(nil), r.reqs...)
}

type mv2Status struct {
	http.ResponseWriter
	code int
}

func (s *mv2Status) WriteHeader(code int) { s.code = code; s.ResponseWriter.WriteHeader(code) }

// mv2Client serves src on httptest and returns a real connectapi.Client for it.
func mv2Client(t *testing.T, src api.Source, opts api.Options) (*connectapi.Client, *mv2Recorder) {
	t.Helper()
	rec := &mv2Recorder{srv: api.New(src, opts)}
	hs := httptest.NewServer(rec)
	t.Cleanup(hs.Close)
	cfg := aws.Config{Region: histtest.Region, Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	c := connectapi.New(cfg, connectapi.Options{
		InstanceID:  src.InstanceID(),
		Limiter:     connectapi.NewLimiter(map[string]connectapi.Quota{"*": {Rate: 10000, Burst: 1000}, connectapi.OpGetMetricDataV2: {Rate: 10000, Burst: 1000}}),
		MaxAttempts: 12,
		MaxBackoff:  2 * time.Millisecond,
		Logger:      nil,
		Endpoint:    hs.URL,
	})
	return c, rec
}

func mv2Ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

func TestStandardQueueIDs(t *testing.T) {
	src := histtest.NewSource(time.Date(2024, 3, 4, 12, 0, 0, 0, time.UTC), 1234, 7)
	c, _ := mv2Client(t, src, api.Options{})
	ids, err := c.StandardQueueIDs(mv2Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1234 {
		t.Fatalf("%d queue ids, want 1234 (agent queues left out, every page read)", len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !strings.HasPrefix(id, "q-") || seen[id] {
			t.Fatalf("unexpected or duplicate id %q", id)
		}
		seen[id] = true
	}
	if arn, err := c.InstanceARN(mv2Ctx(t)); err != nil || arn != histtest.InstanceARN {
		t.Errorf("InstanceARN = %q, %v", arn, err)
	}
}

// TestQueueIntervalMetrics: 250 queues go out in chunks of at most 100,
// every page is read, 30% of the requests are throttled and retried, and
// the values agree with an independent computation from the contacts.
func TestQueueIntervalMetrics(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Skip(err)
	}
	start := time.Date(2024, 3, 4, 0, 0, 0, 0, loc).UTC()
	end := start.Add(24 * time.Hour)
	src := histtest.NewSource(end.Add(2*time.Hour), 250, 3)
	var queues []string
	for i := range 250 {
		queues = append(queues, histtest.QueueID(i))
	}
	facts := histtest.Generate(1, queues, 12, start.Add(-time.Hour), end.Add(time.Hour))
	src.SetFacts(facts)
	c, rec := mv2Client(t, src, api.Options{ThrottleRate: 0.3, Seed: 3})

	got, err := c.QueueIntervalMetrics(mv2Ctx(t), queues, start, end, loc)
	if err != nil {
		t.Fatal(err)
	}
	if c.Throttled() == 0 {
		t.Error("no request was throttled")
	}
	ok := 0
	chunkSizes := map[int]int{}
	for _, r := range rec.requests() {
		if r.Status != http.StatusOK {
			continue
		}
		ok++
		if r.Queues > 100 {
			t.Errorf("a request filtered %d queues", r.Queues)
		}
		chunkSizes[r.Queues]++
		if !r.Start.Equal(start) || !r.End.Equal(end) || r.TimeZone != "Asia/Kolkata" || r.Period != "FIFTEEN_MIN" {
			t.Errorf("request %+v", r)
		}
		if strings.Join(r.Channels, ",") != "VOICE,CHAT,TASK" || strings.Join(r.Groupings, ",") != "QUEUE,CHANNEL" {
			t.Errorf("request channels %v groupings %v", r.Channels, r.Groupings)
		}
	}
	if chunkSizes[100] == 0 || chunkSizes[50] == 0 || len(chunkSizes) != 2 {
		t.Errorf("queue chunk sizes %v, want pages of chunks of 100, 100 and 50", chunkSizes)
	}
	if ok <= 3 {
		t.Errorf("%d successful requests: expected several pages per chunk", ok)
	}

	want := histtest.Expected(facts, start, end, loc)
	gotByKey := map[histtest.Key]float64{}
	groups := map[histtest.Key]bool{}
	for _, m := range got {
		if m.IntervalStart.Before(start) || !m.IntervalStart.Before(end) || m.IntervalEnd.Sub(m.IntervalStart) != 15*time.Minute {
			t.Fatalf("metric outside the range or not 15 minutes: %+v", m)
		}
		if lt := m.IntervalStart.In(loc); lt.Minute()%15 != 0 {
			t.Fatalf("interval %s not on the local grid", lt)
		}
		k := histtest.Key{QueueID: m.QueueID, Channel: m.Channel, IntervalStart: m.IntervalStart, Metric: m.MetricName}
		if _, dup := gotByKey[k]; dup {
			t.Fatalf("duplicate %+v", k)
		}
		gotByKey[k] = m.Value
		groups[histtest.Key{QueueID: m.QueueID, Channel: m.Channel, IntervalStart: m.IntervalStart}] = true
	}
	for k, w := range want {
		g, ok := gotByKey[k]
		if !ok || !near(g, w) {
			t.Errorf("%s %s %s %s = %v (stored %v), want %v", k.QueueID, k.Channel, k.IntervalStart.Format(time.RFC3339), k.Metric, g, ok, w)
		}
	}
	wantGroups := map[histtest.Key]bool{}
	for k := range want {
		wantGroups[histtest.Key{QueueID: k.QueueID, Channel: k.Channel, IntervalStart: k.IntervalStart}] = true
	}
	if len(groups) != len(wantGroups) {
		t.Errorf("%d queue/channel/interval groups, want %d", len(groups), len(wantGroups))
	}
	// Every average has its sum and count beside it, and AVG = SUM / COUNT.
	names := connectapi.QueueMetricNames()
	for g := range groups {
		for _, n := range names {
			k := g
			k.Metric = n
			v, ok := gotByKey[k]
			if !ok {
				if strings.HasPrefix(n, "AVG_") && !strings.Contains(n, "__") || strings.HasPrefix(n, "SERVICE_LEVEL_") && !strings.Contains(n, "__") || n == "MAX_QUEUED_TIME" {
					continue // no value: nothing to average
				}
				t.Fatalf("%v: %s missing", g, n)
			}
			if strings.HasSuffix(n, connectapi.SuffixSum) {
				base := strings.TrimSuffix(n, connectapi.SuffixSum)
				k.Metric = base + connectapi.SuffixCount
				cnt := gotByKey[k]
				k.Metric = base
				avg, has := gotByKey[k]
				if has != (cnt > 0) {
					t.Errorf("%v %s: average present %v with count %v", g, base, has, cnt)
				}
				if has && !near(v/cnt, avg) {
					t.Errorf("%v %s: sum %v / count %v != %v", g, base, v, cnt, avg)
				}
			}
		}
	}
}

func TestQueueIntervalMetricsLimits(t *testing.T) {
	now := time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)
	src := histtest.NewSource(now, 3, 0)
	c, rec := mv2Client(t, src, api.Options{})
	q := []string{histtest.QueueID(0)}
	if _, err := c.QueueIntervalMetrics(mv2Ctx(t), q, now.Add(-72*time.Hour), now, time.UTC); err == nil {
		t.Error("a range of 3 days was accepted")
	}
	if _, err := c.QueueIntervalMetrics(mv2Ctx(t), q, now, now, time.UTC); err == nil {
		t.Error("an empty range was accepted")
	}
	if _, err := c.QueueIntervalMetrics(mv2Ctx(t), q, now.Add(-time.Hour), now, time.Local); err == nil {
		t.Error("the Local zone was accepted")
	}
	if len(rec.requests()) != 0 {
		t.Errorf("invalid ranges reached the API: %+v", rec.requests())
	}
	// The longest range allowed goes through.
	if _, err := c.QueueIntervalMetrics(mv2Ctx(t), q, now.Add(-historical.MaxSlice), now, time.UTC); err != nil {
		t.Errorf("MaxSlice range: %v", err)
	}
	// The API's own limits are errors, not retried forever: data older than 3 months.
	old := now.AddDate(0, -3, 0).Add(-time.Hour)
	if _, err := c.QueueIntervalMetrics(mv2Ctx(t), q, old, old.Add(time.Hour), time.UTC); err == nil || !strings.Contains(err.Error(), "3 months") {
		t.Errorf("range before the API's window: %v", err)
	}
	if got, err := c.QueueIntervalMetrics(mv2Ctx(t), nil, now.Add(-time.Hour), now, time.UTC); err != nil || got != nil {
		t.Errorf("no queues: %v, %v", got, err)
	}
}

func TestQueueMetricNames(t *testing.T) {
	names := connectapi.QueueMetricNames()
	set := map[string]bool{}
	for _, n := range names {
		if set[n] {
			t.Errorf("duplicate stored name %s", n)
		}
		set[n] = true
	}
	for _, n := range []string{
		"CONTACTS_QUEUED", "CONTACTS_HANDLED", "CONTACTS_ABANDONED", "CONTACTS_CREATED", "CONTACTS_TRANSFERRED_OUT",
		"AVG_HANDLE_TIME", "AVG_HOLD_TIME", "AVG_AFTER_CONTACT_WORK_TIME", "AVG_QUEUE_ANSWER_TIME", "AVG_ABANDON_TIME",
		"AVG_INTERACTION_TIME", "MAX_QUEUED_TIME", "SERVICE_LEVEL_20", "SERVICE_LEVEL_60",
		"SUM_CONTACTS_ANSWERED_IN_20", "SUM_CONTACTS_ANSWERED_IN_60", "SUM_CONTACTS_ABANDONED_IN_20", "SUM_CONTACTS_ABANDONED_IN_60",
		"SUM_HANDLE_TIME", "SUM_HOLD_TIME", "SUM_AFTER_CONTACT_WORK_TIME", "SUM_INTERACTION_TIME",
	} {
		if !set[n] {
			t.Errorf("%s is not stored", n)
		}
		if strings.HasPrefix(n, "AVG_") || strings.HasPrefix(n, "SERVICE_LEVEL_") {
			if !set[n+connectapi.SuffixSum] || !set[n+connectapi.SuffixCount] {
				t.Errorf("%s has no __SUM/__COUNT beside it", n)
			}
		}
	}
}
