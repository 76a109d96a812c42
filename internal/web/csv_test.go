package web_test

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/web"
)

// TestReportCSV: every report downloads as CSV with the JSON's rows and
// figures, as an attachment named after the report, its days and its zone.
func TestReportCSV(t *testing.T) {
	h := newHandler(openStore(t), nil)
	for _, c := range []struct {
		path, file string
		header     string
		want       []string
	}{
		{"/api/reports/queue-intervals?from=2026-03-29&period=15&format=csv", "queue-intervals_2026-03-29_2026-03-29_Europe-London.csv",
			"interval_start,interval_end,local_date,local,queue_id,queue_name,channel,contacts_queued,contacts_answered",
			[]string{"2026-03-29T09:15:00Z", "2026-03-29T10:15:00+01:00", "q1", evilQueue, "VOICE", "1", "360"}},
		{"/api/reports/queue-intervals?from=2026-03-29&period=day&format=csv&sl=46", "queue-intervals_2026-03-29_2026-03-29_Europe-London.csv",
			"interval_start,interval_end,local_date,local,queue_id", []string{"2026-03-29", "3", "2", "1", "46", "66.66666666666667"}},
		{"/api/reports/agent-status?from=2026-03-29&to=2026-03-29&format=csv", "agent-status_2026-03-29_2026-03-29_Europe-London.csv",
			"local_date,agent_id,username,status_name,status_type,seconds", []string{"2026-03-29", "a2", "bob", "Break", "CUSTOM", "600"}},
		{"/api/reports/agent-days?from=2026-03-29&format=csv", "agent-days_2026-03-29_2026-03-29_Europe-London.csv",
			"local_date,agent_id,username,contacts_handled", []string{"2026-03-29", "a1", "2", "600"}},
		{"/api/reports/agent-timeline?from=2026-03-29&format=csv", "agent-timeline_2026-03-29_2026-03-29_Europe-London.csv",
			"agent_id,username,status_name,status_type,start,end,open", []string{"a2", "bob", "Break", "2026-03-29T09:50:00Z", "2026-03-29T10:00:00Z", "true"}},
		{"/api/reports/interval-metrics?from=2026-03-29&format=csv&tz=UTC", "interval-metrics_2026-03-29_2026-03-29_UTC.csv",
			"interval_start,interval_end,local_date,local,queue_id,queue_name,channel", nil},
	} {
		res, body := get(t, h, c.path)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			res.Header.Get("Content-Disposition") != `attachment; filename="`+c.file+`"` {
			t.Errorf("%s: %d %v %s", c.path, res.StatusCode, res.Header, body)
			continue
		}
		recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil || len(recs) == 0 || !strings.HasPrefix(strings.Join(recs[0], ","), c.header) {
			t.Errorf("%s: header %v, err %v", c.path, recs, err)
			continue
		}
		if c.want == nil {
			if len(recs) != 1 {
				t.Errorf("%s: want only a header: %v", c.path, recs)
			}
			continue
		}
		if !hasRow(recs[1:], c.want) {
			t.Errorf("%s: no row holds %q: %v", c.path, c.want, recs)
		}
	}
}

// hasRow tells whether one of rows holds every value of want.
func hasRow(rows [][]string, want []string) bool {
	for _, r := range rows {
		line := "|" + strings.Join(r, "|") + "|"
		n := 0
		for _, v := range want {
			if strings.Contains(line, "|"+v+"|") {
				n++
			}
		}
		if n == len(want) {
			return true
		}
	}
	return false
}

// TestCSVFormulaCells: a text cell that a spreadsheet would run as a
// formula is written with a leading apostrophe; numbers keep their sign.
func TestCSVFormulaCells(t *testing.T) {
	var b strings.Builder
	rows := []struct {
		Name  string  `json:"name"`
		Value float64 `json:"value"`
	}{{"=HYPERLINK(\"x\")", -1.5}, {"@SUM(A1)", 2}, {"plain", 0}}
	if err := web.WriteCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	want := "name,value\n\"'=HYPERLINK(\"\"x\"\")\",-1.5\n'@SUM(A1),2\nplain,0\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// TestServiceLevelThreshold: ?sl= sets the threshold of the wallboard and
// the reports; a contact answered after exactly the threshold is not
// within it (Connect compares "less than").
func TestServiceLevelThreshold(t *testing.T) {
	h := newHandler(openStore(t), nil)
	// c1 waited 10 s, c2 45 s, c3 abandoned after 30 s.
	for sl, want := range map[string]string{"": `"answered_within_sl":1`, "10": `"answered_within_sl":0`,
		"11": `"answered_within_sl":1`, "46": `"answered_within_sl":2`} {
		_, body := get(t, h, "/api/wallboard?sl="+sl)
		if !strings.Contains(string(body), want) {
			t.Errorf("wallboard sl=%s: want %s in %s", sl, want, body)
		}
		_, body = get(t, h, "/api/reports/queue-intervals?period=day&sl="+sl)
		if !strings.Contains(string(body), want) {
			t.Errorf("report sl=%s: want %s in %s", sl, want, body)
		}
	}
}

// counting is a Reader that counts wallboard queries.
type counting struct {
	web.Reader
	n    atomic.Int64
	gate chan struct{}
}

func (c *counting) Wallboard(ctx context.Context, q connectreporting.WallboardQuery) (connectreporting.Wallboard, error) {
	c.n.Add(1)
	<-c.gate
	return c.Reader.Wallboard(ctx, q)
}

// TestWallboardSharedQuery: 200 viewers asking at once within one refresh
// interval cause one query; another zone or threshold is its own query.
func TestWallboardSharedQuery(t *testing.T) {
	r := &counting{Reader: openStore(t), gate: make(chan struct{})}
	h := newHandler(r, nil)
	var wg sync.WaitGroup
	bodies := make([]string, 200)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, body := get(t, h, "/api/wallboard")
			if res.StatusCode != http.StatusOK {
				t.Errorf("viewer %d: %d %s", i, res.StatusCode, body)
			}
			bodies[i] = string(body)
		}()
	}
	for r.n.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(r.gate) // the one query finishes while the viewers wait
	wg.Wait()
	for _, b := range bodies {
		if b != bodies[0] || !strings.Contains(b, `"contacts_queued":3`) {
			t.Fatalf("viewers got different answers: %s / %s", b, bodies[0])
		}
	}
	get(t, h, "/api/wallboard")
	get(t, h, "/api/wallboard?tz=Europe/London&sl=20") // the same key as the default
	if n := r.n.Load(); n != 1 {
		t.Errorf("%d wallboard queries for one refresh interval, want 1", n)
	}
	get(t, h, "/api/wallboard?sl=30")
	get(t, h, "/api/wallboard?tz=UTC")
	if n := r.n.Load(); n != 3 {
		t.Errorf("%d wallboard queries, want 3 (default, sl=30, UTC)", n)
	}
}

// TestWallboardStaleWhileRenewing: when the refresh interval has passed,
// viewers get the previous answer at once while one query renews it, and
// the next viewers get the renewed one.
func TestWallboardStaleWhileRenewing(t *testing.T) {
	r := &counting{Reader: openStore(t), gate: make(chan struct{}, 10)}
	clock := now
	var mu sync.Mutex
	h := web.New(r, web.Options{Location: london, Refresh: 300 * time.Millisecond, Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Minute)
		return clock
	}})
	r.gate <- struct{}{}
	_, first := get(t, h, "/api/wallboard")
	time.Sleep(350 * time.Millisecond) // the refresh interval passes
	for range 5 {
		_, body := get(t, h, "/api/wallboard") // the renewal waits at the gate
		if string(body) != string(first) {
			t.Fatalf("a viewer waited for the renewal: %s", body)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); r.n.Load() != 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d queries, want the first and one renewal", r.n.Load())
		}
	}
	r.gate <- struct{}{}
	for deadline := time.Now().Add(5 * time.Second); ; {
		_, body := get(t, h, "/api/wallboard")
		if string(body) != string(first) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the renewed wallboard never arrived")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := r.n.Load(); n != 2 {
		t.Errorf("%d queries, want 2", n)
	}
}

// TestWallboardGzip: a client that takes gzip gets the shared answer
// gzipped, the same JSON as the plain one.
func TestWallboardGzip(t *testing.T) {
	h := newHandler(openStore(t), nil)
	_, plain := get(t, h, "/api/wallboard")
	req := httptest.NewRequest(http.MethodGet, "/api/wallboard", nil)
	req.Header.Set("Accept-Encoding", "br, gzip;q=0.8")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("headers %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || string(unzipped) != string(plain) || len(plain) < 1000 {
		t.Errorf("gzipped body differs (%v): %d vs %d bytes", err, len(unzipped), len(plain))
	}
}
