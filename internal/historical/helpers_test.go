package historical_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/connectapi/connectapitest"
	"github.com/connect-reporting/connect-reporting/internal/historical"
	"github.com/connect-reporting/connect-reporting/internal/pgtest"
	"github.com/connect-reporting/connect-reporting/internal/polltest"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var _ historical.API = (*connectapi.Client)(nil)
var _ historical.Store = (*sqlstore.Store)(nil)

// dialects the integration tests run on.
var dialects = polltest.Dialects()

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // generous: CI runs -race on 2 cores
	t.Cleanup(cancel)
	return ctx
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// metricRequest is what the recorder saw of one GetMetricDataV2 call.
type metricRequest struct {
	Start, End time.Time
	Queues     int
	Agents     int
	Status     int
}

// recorder records the GetMetricDataV2 calls the simulated API answers.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []metricRequest
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != "/metrics/data" {
		r.next.ServeHTTP(w, req)
		return
	}
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	var in struct {
		StartTime, EndTime float64
		Filters            []struct {
			FilterKey    string
			FilterValues []string
		}
	}
	_ = json.Unmarshal(body, &in)
	mr := metricRequest{
		Start: time.Unix(0, int64(in.StartTime*1e9)).UTC().Round(time.Millisecond),
		End:   time.Unix(0, int64(in.EndTime*1e9)).UTC().Round(time.Millisecond),
	}
	for _, f := range in.Filters {
		switch f.FilterKey {
		case "QUEUE":
			mr.Queues = len(f.FilterValues)
		case "AGENT":
			mr.Agents = len(f.FilterValues)
		}
	}
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	r.next.ServeHTTP(sw, req)
	mr.Status = sw.code
	r.mu.Lock()
	r.reqs = append(r.reqs, mr)
	r.mu.Unlock()
}

// ok returns the requests answered 200, and clears the record.
func (r *recorder) ok() []metricRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []metricRequest
	for _, q := range r.reqs {
		if q.Status == http.StatusOK {
			out = append(out, q)
		}
	}
	r.reqs = nil
	return out
}

// rejected counts requests answered with anything but 200 or 429.
func (r *recorder) rejected() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.reqs {
		if q.Status != http.StatusOK && q.Status != http.StatusTooManyRequests {
			n++
		}
	}
	return n
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) { s.code = code; s.ResponseWriter.WriteHeader(code) }

// newClient serves src (connectapitest) and returns a real
// connectapi.Client on it, fast and quiet, and the GetMetricDataV2 recorder.
func newClient(t *testing.T, src api.Source, opts api.Options) (*connectapi.Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	env := connectapitest.StartWrapped(t, src, opts, func(h http.Handler) http.Handler { rec.next = h; return rec })
	c := env.Client(connectapi.Options{
		Limiter:     connectapi.NewLimiter(map[string]connectapi.Quota{"*": {Rate: 10000, Burst: 1000}, connectapi.OpGetMetricDataV2: {Rate: 10000, Burst: 1000}}),
		MaxAttempts: 15,
		MaxBackoff:  2 * time.Millisecond,
		Logger:      slog.New(slog.DiscardHandler),
	})
	return c, rec
}

// row is one queue_interval_metric row.
type row struct {
	QueueID, Channel           string
	IntervalStart, IntervalEnd time.Time
	Metric                     string
	Value                      float64
	key                        string // String(), computed once
}

func (r row) String() string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%.6f", r.QueueID, r.Channel, r.IntervalStart.Format(time.RFC3339), r.IntervalEnd.Format(time.RFC3339), r.Metric, r.Value)
}

func asTime(t *testing.T, v any) time.Time {
	t.Helper()
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string:
		tm, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	case []byte:
		return asTime(t, string(x))
	}
	t.Fatalf("time of type %T", v)
	return time.Time{}
}

// dumpAgents reads the whole agent_interval_metric table like dump (the
// agent id in QueueID).
func dumpAgents(t *testing.T, s *sqlstore.Store) []row {
	t.Helper()
	return dumpTable(t, s, "SELECT agent_id, channel, interval_start, interval_end, metric_name, value FROM agent_interval_metric")
}

// dump reads the whole queue_interval_metric table (without updated_at,
// which every upsert sets), in key order.
func dump(t *testing.T, s *sqlstore.Store) []row {
	t.Helper()
	return dumpTable(t, s, "SELECT queue_id, channel, interval_start, interval_end, metric_name, value FROM queue_interval_metric")
}

func dumpTable(t *testing.T, s *sqlstore.Store, query string) []row {
	t.Helper()
	rows, err := s.DB().Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		var r row
		var is, ie any
		if err := rows.Scan(&r.QueueID, &r.Channel, &is, &ie, &r.Metric, &r.Value); err != nil {
			t.Fatal(err)
		}
		r.IntervalStart, r.IntervalEnd = asTime(t, is), asTime(t, ie)
		r.key = r.String()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// diff returns the rows of a not in b and of b not in a, as strings.
func diff(a, b []row) (onlyA, onlyB []string) {
	ma := map[string]bool{}
	for _, r := range a {
		ma[r.key] = true
	}
	mb := map[string]bool{}
	for _, r := range b {
		mb[r.key] = true
	}
	for k := range ma {
		if !mb[k] {
			onlyA = append(onlyA, k)
		}
	}
	for k := range mb {
		if !ma[k] {
			onlyB = append(onlyB, k)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	return onlyA, onlyB
}

func checkpoint(t *testing.T, s *sqlstore.Store, p *historical.Poller) (time.Time, bool) {
	t.Helper()
	cp, ok, err := s.Checkpoint(context.Background(), historical.PollerName, p.Scope())
	if err != nil {
		t.Fatal(err)
	}
	return cp.Watermark.UTC(), ok
}
