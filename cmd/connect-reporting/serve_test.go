package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/daemon"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// TestServeDashboard runs `serve` whole on each database, reads the address
// it prints, and reads the page, the wallboard and /healthz over HTTP.
func TestServeDashboard(t *testing.T) {
	for name, dsn := range dsns(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			enq := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
			qd, talk := int64(12), int64(95)
			_, err = s.StoreBatch(ctx, connectreporting.Batch{ContactRecords: []connectreporting.ContactRecord{{
				ContactID: "c1", Channel: "VOICE", InitiationMethod: "INBOUND", InitiationTimestamp: enq, EnqueueTimestamp: enq,
				QueueID: "q1", QueueName: "Support", QueueDurationSeconds: &qd, ConnectedToAgentTimestamp: enq.Add(12 * time.Second),
				AgentInteractionDurationSeconds: &talk, DisconnectTimestamp: enq.Add(107 * time.Second), LastUpdateTimestamp: enq.Add(2 * time.Minute),
				Raw: json.RawMessage(`{"ContactId":"c1"}`)}}})
			s.Close()
			if err != nil {
				t.Fatal(err)
			}

			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			pr, pw := io.Pipe()
			m := NewMain()
			m.Stdout, m.Stderr = pw, io.Discard
			m.Getenv = func(k string) string { return map[string]string{"TIME_ZONE": "UTC", "SERVICE_LEVEL_SECONDS": "30"}[k] }
			done := make(chan error, 1)
			go func() {
				done <- m.Run(runCtx, []string{"serve", "--db", dsn, "--addr", "127.0.0.1:0", "--refresh", "3s"})
				pw.Close()
			}()
			sc := bufio.NewScanner(pr)
			var url string
			for sc.Scan() {
				if u, ok := strings.CutPrefix(sc.Text(), "dashboard: "); ok {
					url = u
					break
				}
			}
			go io.Copy(io.Discard, pr)
			if url == "" {
				t.Fatalf("serve printed no address (err %v)", <-done)
			}
			fetch := func(path string) (int, string) {
				res, err := http.Get(url + path)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}
			if code, body := fetch("healthz"); code != 200 || !strings.Contains(body, `"status":"ok"`) || !strings.Contains(body, `"dialect":"`+name) {
				t.Errorf("healthz: %d %s", code, body)
			}
			code, body := fetch("api/wallboard")
			var wb connectreporting.Wallboard
			if err := json.Unmarshal([]byte(body), &wb); code != 200 || err != nil {
				t.Fatalf("wallboard: %d %v %s", code, err, body)
			}
			// Just after midnight UTC the contact may fall on yesterday.
			if wb.TimeZone != "UTC" || wb.ServiceLevelSeconds != 30 || (wb.Total.ContactsAnswered != 1 && enq.Format(time.DateOnly) == wb.Day) {
				t.Errorf("wallboard: %+v", wb)
			}
			if code, body := fetch("api/config"); code != 200 || !strings.Contains(body, `"refresh_seconds":3`) || !strings.Contains(body, `"service_level_seconds":30`) {
				t.Errorf("config: %d %s", code, body)
			}
			if code, body := fetch(""); code != 200 || !strings.Contains(body, "static/app.js") {
				t.Errorf("page: %d", code)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve: %v", err)
			}
			if err := m.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestDaemonDashboardHook serves the dashboard the way run does.
func TestDaemonDashboardHook(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := sqlstore.Open(ctx, dsns(t)["sqlite"], sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pr, pw := io.Pipe()
	m := NewMain()
	m.Stdout, m.Logger = pw, slog.New(slog.NewTextHandler(io.Discard, nil))
	done := make(chan error, 1)
	go func() {
		done <- daemonDashboard(ctx, m, "127.0.0.1:0", &daemonEnv{cfg: &daemon.Config{TimeZone: "Europe/London"}, store: s})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "dashboard: ")
	if err != nil || !ok {
		t.Fatalf("hook printed %q (%v); returned %v", line, err, <-done)
	}
	res, err := http.Get(url + "api/config")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `"time_zone":"Europe/London"`) {
		t.Errorf("config: %s", b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("hook: %v", err)
	}
}

func TestServeFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"serve"}, nil, "DB_DSN"},
		{[]string{"serve", "--db", "x.db", "--time-zone", "Mars/Base"}, nil, "time zone"},
		{[]string{"serve", "--db", "x.db"}, map[string]string{"TIME_ZONE": "Nowhere"}, "time zone"},
		{[]string{"serve", "--db", "x.db", "--refresh", "10ms"}, nil, "--refresh"},
		{[]string{"serve", "--db", "x.db", "extra"}, nil, "unexpected argument"},
	} {
		_, _, err := run(t, c.env, "", c.args...)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v (exit %d)", c.args, err, exitCode(err))
		}
	}
	out, _, err := run(t, nil, "", "help")
	if err != nil || !strings.Contains(out, "serve      dashboard only: live wallboard") {
		t.Errorf("help: %v %s", err, out)
	}
}
