package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// browser returns the Chromium binary a browser test runs. It skips the
// test in -short mode, and where Chromium is not installed, except under CI
// (which installs it), where that is a failure.
func browser(t *testing.T) string {
	t.Helper()
	bin := chromium()
	if bin == "" {
		msg := "Chromium not found: install it (Debian: apt-get install -y chromium) or set CHROMIUM=/path/to/chrome to run the browser test"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	return bin
}

// chromium finds a Chromium binary, or "".
func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// dumpDOM loads url in headless Chromium and returns the DOM after the
// page's scripts ran (5 s of virtual time), in a desktop window.
func dumpDOM(t *testing.T, bin, url string) string {
	t.Helper()
	return dumpDOMSize(t, bin, url, "1400,1000")
}

// dumpDOMSize is dumpDOM in a window of size "W,H".
func dumpDOMSize(t *testing.T, bin, url, size string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), "--window-size="+size, "--virtual-time-budget=5000", "--dump-dom", url)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	t.Logf("chromium rendered %s in %s (%d bytes of DOM)", url, time.Since(start).Round(time.Millisecond), len(out))
	return string(out)
}

// TestBrowserRendersWallboard loads the page in headless Chromium against a
// server on loopback and checks that the script ran: the rendered DOM holds
// the figures the JSON API returns, and names arrive as text, not markup.
func TestBrowserRendersWallboard(t *testing.T) {
	bin := browser(t)
	srv := httptest.NewServer(newHandler(openStore(t), nil))
	defer srv.Close()

	res, body := get(t, srv.Config.Handler, "/api/wallboard")
	if res.StatusCode != 200 {
		t.Fatalf("wallboard: %d", res.StatusCode)
	}
	var wb connectreporting.Wallboard
	if err := json.Unmarshal(body, &wb); err != nil {
		t.Fatal(err)
	}

	dom := dumpDOM(t, bin, srv.URL+"/")

	// The queue row, cell by cell, formatted as the page formats the JSON.
	q := wb.Queues[0]
	rowRE := regexp.MustCompile(`(?s)<tr data-queue="q1" data-channel="VOICE">(.*?)</tr>`)
	m := rowRE.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no queue row in the DOM; the script did not render:\n%s", dom)
	}
	cellOf := func(row, col string) string {
		c := regexp.MustCompile(`<t[dh][^>]*data-col="` + col + `"[^>]*>(.*?)</t[dh]>`).FindStringSubmatch(row)
		if c == nil {
			return "<missing>"
		}
		return c[1]
	}
	dur := func(v float64) string { r := int(math.Round(v)); return fmt.Sprintf("%d:%02d", r/60, r%60) }
	td := q.Today
	want := map[string]string{
		"queue":        `&lt;script&gt;alert("q")&lt;/script&gt;`,
		"channel":      q.Channel,
		"in_queue":     fmt.Sprint(*q.ContactsInQueue),
		"oldest":       dur(*q.OldestContactAgeSeconds),
		"online":       fmt.Sprint(*q.AgentsOnline),
		"available":    fmt.Sprint(*q.AgentsAvailable),
		"on_contact":   fmt.Sprint(*q.AgentsOnContact),
		"acw":          fmt.Sprint(*q.AgentsAfterContactWork),
		"offered":      fmt.Sprint(td.ContactsQueued),
		"answered":     fmt.Sprint(td.ContactsAnswered),
		"abandoned":    fmt.Sprint(td.ContactsAbandoned),
		"abandon_rate": fmt.Sprintf("%.1f%%", *td.AbandonmentRatePct),
		"sl":           fmt.Sprintf("%.1f%%", *td.ServiceLevelPct),
		"aht":          dur(*td.AvgHandleSeconds),
		"asa":          dur(*td.AvgAnswerSeconds),
		"max_queue":    dur(*td.MaxQueueSeconds),
		"transfers":    fmt.Sprint(td.TransferredOut),
		"callbacks":    fmt.Sprint(td.Callbacks),
	}
	var got []string
	for _, col := range []string{"queue", "channel", "in_queue", "oldest", "online", "available", "on_contact", "acw", "offered", "answered",
		"abandoned", "abandon_rate", "sl", "aht", "asa", "max_queue", "transfers", "callbacks"} {
		w := want[col]
		if g := cellOf(m[1], col); g != w {
			t.Errorf("queue cell %s = %q, want %q", col, g, w)
		}
		got = append(got, col+"="+cellOf(m[1], col))
	}
	t.Logf("rendered queue row: %s", strings.Join(got, " "))
	// The expected figures themselves (so a wrong fixture cannot pass silently).
	if want["in_queue"] != "4" || want["oldest"] != "1:15" || want["offered"] != "3" || want["aht"] != "5:00" || want["sl"] != "33.3%" || want["asa"] != "0:28" {
		t.Errorf("fixture figures changed: %v", want)
	}
	for id, w := range map[string]string{"t-offered": "3", "t-answered": "2", "t-abandoned": "1", "t-abandon-rate": "33.3%", "t-aht": "5:00",
		"t-sl": "33.3%", "t-asa": "0:28", "t-avg-acw": "0:50", "t-hold": "–", "t-maxq": "0:45", "t-transfers": "0", "t-callbacks": "0",
		"t-inqueue": "4", "t-oldest": "1:15", "t-online": "2", "t-available": "1", "t-oncontact": "0", "t-other": "1", "t-sl-threshold": "(&lt; 20 s)"} {
		if !strings.Contains(dom, `id="`+id+`">`+w+`</`) {
			t.Errorf("tile %s is not %s", id, w)
		}
	}
	// Today's agent figures (kpi_agent_day) in the agents table.
	if !regexp.MustCompile(`<tr data-agent="a1">.*?data-col="handled"[^>]*>2<.*?data-col="agent_aht"[^>]*>5:00<`).MatchString(dom) {
		t.Errorf("agent figures: %s", regexp.MustCompile(`(?s)<tbody id="agents-body">.*?</tbody>`).FindString(dom))
	}
	// The charts: uPlot drew them, and their figures are the report's.
	for _, id := range []string{"chart-intraday", "chart-days"} {
		if !regexp.MustCompile(`(?s)id="` + id + `".*?<div class="uplot.*?<canvas`).MatchString(dom) {
			t.Errorf("%s: no uPlot canvas", id)
		}
	}
	intraday := regexp.MustCompile(`(?s)id="chart-intraday".*?<table class="data chart-data">.*?<tbody>(.*?)</tbody>`).FindStringSubmatch(dom)
	if intraday == nil || !strings.Contains(intraday[1], "<tr><td>2026-03-29 09:45 +01:00</td><td>1</td><td>1</td><td>0</td><td>100.0%</td></tr>") ||
		!strings.Contains(intraday[1], "<tr><td>2026-03-29 10:30 +01:00</td><td>1</td><td>0</td><td>1</td><td>0.0%</td></tr>") {
		t.Errorf("intraday chart figures: %v", intraday)
	}
	if !strings.Contains(dom, "<tr><td>2026-03-29</td><td>33.3%</td><td>5:00</td></tr>") {
		t.Errorf("daily chart figures missing")
	}
	// The timeline: Bob's break from 09:50 to 10:00 UTC is 10/1440 of the
	// London day (which is 23 hours today: 10/1380).
	if !regexp.MustCompile(`<div class="tl-row" data-agent="a2"><span class="tl-name">bob</span><div class="tl-track">.*?<span class="tl-seg custom" title="Break 10:50:00–11:00:00 \(open\)"`).MatchString(dom) {
		t.Errorf("timeline: %s", regexp.MustCompile(`(?s)<div id="timeline".*?</div></div></div>`).FindString(dom))
	}
	// CSV links carry the zone and threshold.
	if !strings.Contains(dom, `id="intraday-csv" href="`+"http") || !strings.Contains(dom, "format=csv") {
		t.Errorf("no CSV links")
	}

	// Agents: the hostile username is text; Bob is on a break.
	if !strings.Contains(dom, `data-col="agent">&lt;img src=x onerror=alert(1)&gt;`) || strings.Contains(dom, "<img") || strings.Contains(dom, `<script>alert`) {
		t.Errorf("names not escaped or agent missing")
	}
	if !regexp.MustCompile(`<tr data-agent="a2">.*?<span class="badge custom">Break</span>.*?data-col="since"[^>]*>\d+:\d\d<`).MatchString(dom) {
		t.Errorf("Bob's row: %s", regexp.MustCompile(`(?s)<tbody id="agents-body">.*?</tbody>`).FindString(dom))
	}
	if !strings.Contains(dom, `data-state="live"`) || !strings.Contains(dom, `Rejected records (24 h)</dt><dd class="bad">1, last`) {
		t.Errorf("status or health not rendered: %s", regexp.MustCompile(`(?s)<dl class="health".*?</dl>`).FindString(dom))
	}
	if !strings.Contains(dom, `id="clock" aria-label="Local time">11:0`) {
		t.Errorf("clock not in London time: %s", regexp.MustCompile(`<div class="clock".*?</div>`).FindString(dom))
	}
}

// TestBrowserRendersReport opens a bookmarked report address and checks the
// table the script builds from /api/reports/queue-intervals.
func TestBrowserRendersReport(t *testing.T) {
	bin := browser(t)
	srv := httptest.NewServer(newHandler(openStore(t), nil))
	defer srv.Close()
	dom := dumpDOM(t, bin, srv.URL+"/?report=queue-intervals&from=2026-03-29&period=15&sl=46")
	body := regexp.MustCompile(`(?s)<tbody id="report-body">(.*?)</tbody>`).FindStringSubmatch(dom)
	if body == nil {
		t.Fatalf("no report table:\n%s", dom)
	}
	var rows []string
	for _, tr := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(body[1], -1) {
		var cells []string
		for _, td := range regexp.MustCompile(`<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(tr[1], -1) {
			cells = append(cells, td[1])
		}
		rows = append(rows, strings.Join(cells, " | "))
	}
	// The API's rows (TestReports) at a 46 s threshold: 09:45 BST one
	// answered after 10 s, 10:15 one after 45 s (both within 46 s), 10:30
	// one abandoned after 30 s.
	q := `&lt;script&gt;alert("q")&lt;/script&gt;`
	want := []string{
		`2026-03-29 09:45 +01:00 | ` + q + ` | VOICE | 1 | 1 | 0 | 0.0% | 100.0% | 4:00 | 0:10 | 0:40 | – | 0:10 | 0 | 0`,
		`2026-03-29 10:15 +01:00 | ` + q + ` | VOICE | 1 | 1 | 0 | 0.0% | 100.0% | 6:00 | 0:45 | 1:00 | – | 0:45 | 0 | 0`,
		`2026-03-29 10:30 +01:00 | ` + q + ` | VOICE | 1 | 0 | 1 | 100.0% | 0.0% | – | – | – | – | 0:30 | 0 | 0`,
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("report rows\n got %q\nwant %q", rows, want)
	}
	if !strings.Contains(dom, "Queues per interval (completed contacts), 3 rows, Europe/London, service level &lt; 46 s.") {
		t.Errorf("report status missing")
	}
	if !strings.Contains(dom, `id="sl" min="1" max="3600" step="1" inputmode="numeric"`) {
		t.Errorf("no threshold input")
	}
	csv := regexp.MustCompile(`id="report-csv" class="button" href="([^"]*)"`).FindStringSubmatch(dom)
	if csv == nil || !strings.Contains(csv[1], "sl=46") || !strings.Contains(csv[1], "format=csv") || !strings.Contains(csv[1], "period=15") {
		t.Errorf("report CSV link: %v", csv)
	}
}

// TestBrowserNarrowScreen renders the page 390 px wide (a phone): nothing
// is wider than the window, the queue table is one card per queue with
// labelled figures, and the tiles are two a row.
func TestBrowserNarrowScreen(t *testing.T) {
	bin := browser(t)
	srv := httptest.NewServer(newHandler(openStore(t), nil))
	defer srv.Close()
	dom := dumpDOMSize(t, bin, srv.URL+"/", "390,844")
	// Headless Chromium may lay out a little wider than the window asked
	// for; what counts is the narrow layout (under 600 px) with nothing
	// wider than the viewport.
	m := regexp.MustCompile(`<body data-page-width="(\d+)" data-queues-width="(\d+)" data-viewport-width="(\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("widths not recorded: %.300s", dom)
	}
	page, queues, viewport := atoi(m[1]), atoi(m[2]), atoi(m[3])
	t.Logf("viewport %d px: page %d px, queue table %d px", viewport, page, queues)
	if viewport > 600 || page > viewport || queues > viewport {
		t.Errorf("at a %d px viewport the page is %d px wide and the queue table %d px", viewport, page, queues)
	}
	if !strings.Contains(dom, `data-col="sl" data-label="SL"`) {
		t.Errorf("queue cells carry no labels for the narrow layout")
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
