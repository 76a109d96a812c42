package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// noChromium skips a browser test where Chromium is not installed, except
// under CI (which installs it), where that is a failure.
func noChromium(t *testing.T) {
	t.Helper()
	msg := "Chromium not found: install it (Debian: apt-get install -y chromium) or set CHROMIUM=/path/to/chrome to run the browser test"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
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
// page's scripts ran (5 s of virtual time).
func dumpDOM(t *testing.T, bin, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", url)
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
	bin := chromium()
	if bin == "" {
		noChromium(t)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
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
	want := map[string]string{
		"queue":      `&lt;script&gt;alert("q")&lt;/script&gt;`,
		"channel":    q.Channel,
		"in_queue":   fmt.Sprint(*q.ContactsInQueue),
		"oldest":     fmt.Sprintf("%d:%02d", int(*q.OldestContactAgeSeconds)/60, int(*q.OldestContactAgeSeconds)%60),
		"online":     fmt.Sprint(*q.AgentsOnline),
		"available":  fmt.Sprint(*q.AgentsAvailable),
		"on_contact": fmt.Sprint(*q.AgentsOnContact),
		"acw":        fmt.Sprint(*q.AgentsAfterContactWork),
		"offered":    fmt.Sprint(q.Today.Offered),
		"handled":    fmt.Sprint(q.Today.Handled),
		"abandoned":  fmt.Sprint(q.Today.Abandoned),
		"aht":        fmt.Sprintf("%d:%02d", int(*q.Today.AverageHandleSeconds)/60, int(*q.Today.AverageHandleSeconds)%60),
		"sl":         fmt.Sprintf("%.1f%%", *q.Today.ServiceLevel),
	}
	var got []string
	for _, col := range []string{"queue", "channel", "in_queue", "oldest", "online", "available", "on_contact", "acw", "offered", "handled", "abandoned", "aht", "sl"} {
		w := want[col]
		if g := cellOf(m[1], col); g != w {
			t.Errorf("queue cell %s = %q, want %q", col, g, w)
		}
		got = append(got, col+"="+cellOf(m[1], col))
	}
	t.Logf("rendered queue row: %s", strings.Join(got, " "))
	// The expected figures themselves (so a wrong fixture cannot pass silently).
	if want["in_queue"] != "4" || want["oldest"] != "1:15" || want["offered"] != "3" || want["aht"] != "5:00" || want["sl"] != "33.3%" {
		t.Errorf("fixture figures changed: %v", want)
	}
	for id, w := range map[string]string{"t-offered": "3", "t-handled": "2", "t-abandoned": "1", "t-aht": "5:00", "t-sl": "33.3%", "t-inqueue": "4", "t-oldest": "1:15"} {
		if !strings.Contains(dom, `id="`+id+`">`+w+`</dd>`) {
			t.Errorf("tile %s is not %s", id, w)
		}
	}

	// Agents: the hostile username is text; Bob is on a break.
	if !strings.Contains(dom, `data-col="agent">&lt;img src=x onerror=alert(1)&gt;`) || strings.Contains(dom, "<img") || strings.Contains(dom, `<script>alert`) {
		t.Errorf("names not escaped or agent missing")
	}
	if !regexp.MustCompile(`<tr data-agent="a2">.*?<span class="badge custom">Break</span>.*?data-col="since"[^>]*>10:0\d<`).MatchString(dom) {
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
	bin := chromium()
	if bin == "" {
		noChromium(t)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv := httptest.NewServer(newHandler(openStore(t), nil))
	defer srv.Close()
	dom := dumpDOM(t, bin, srv.URL+"/?report=queue-intervals&from=2026-03-29&period=30")
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
	// The API's rows (TestReports): 10:00 BST two handled (AHT 5:00, one of
	// two within 20 s), 10:30 BST one abandoned.
	want := []string{
		`2026-03-29 10:00 +01:00 | &lt;script&gt;alert("q")&lt;/script&gt; | VOICE | 2 | 2 | 0 | 0 | 5:00 | 50.0%`,
		`2026-03-29 10:30 +01:00 | &lt;script&gt;alert("q")&lt;/script&gt; | VOICE | 1 | 0 | 1 | 0 | – | 0.0%`,
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("report rows\n got %q\nwant %q", rows, want)
	}
	if !strings.Contains(dom, "Contacts per queue and interval, 2 rows, Europe/London.") {
		t.Errorf("report status missing")
	}
}
