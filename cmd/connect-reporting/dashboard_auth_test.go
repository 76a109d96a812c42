package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDashboardRefusesOpenAddress: serve, demo and run (--check too)
// refuse a dashboard beyond loopback without a login, before opening
// anything, and say how to set one.
func TestDashboardRefusesOpenAddress(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "d.yaml")
	os.WriteFile(cfg, []byte("streams:\n  - {name: a, source: ctr}\ndashboard: {addr: \":8080\"}\n"), 0o600)
	db := "sqlite:" + filepath.Join(t.TempDir(), "never.db")
	for _, args := range [][]string{
		{"serve", "--db", db, "--addr", "0.0.0.0:0"},
		{"serve", "--db", db, "--addr", ":0"},
		{"demo", "--db", db, "--addr", "[::]:0", "--duration", "1s"},
		{"run", "--check", "--config", cfg},
		{"run", "--config", cfg},
	} {
		_, _, err := run(t, map[string]string{"DB_DSN": db}, "", args...)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "DASHBOARD_TOKEN") || !strings.Contains(err.Error(), "DASHBOARD_USER") {
			t.Errorf("%v: %v", args, err)
		}
	}
	if _, err := os.Stat(strings.TrimPrefix(db, "sqlite:")); err == nil {
		t.Error("a refused start created the database")
	}
	_, _, err := run(t, map[string]string{"DASHBOARD_USER": "ops"}, "", "serve", "--db", db)
	if err == nil || !strings.Contains(err.Error(), "DASHBOARD_PASSWORD") {
		t.Errorf("user without password: %v", err)
	}
}

// TestServeWithLogin runs `serve` on every interface with DASHBOARD_TOKEN
// and with basic auth, and reads it over HTTP.
func TestServeWithLogin(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"token": {"DASHBOARD_TOKEN": "t0ken-secret"},
		"basic": {"DASHBOARD_USER": "ops", "DASHBOARD_PASSWORD": "pa55-secret"},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pr, pw := io.Pipe()
			m := NewMain()
			m.Stdout, m.Stderr = pw, io.Discard
			m.Getenv = func(k string) string { return env[k] }
			done := make(chan error, 1)
			go func() {
				done <- m.Run(ctx, []string{"serve", "--db", dsns(t)["sqlite"], "--addr", "0.0.0.0:0"})
				pw.Close()
			}()
			line, _ := bufio.NewReader(pr).ReadString('\n')
			go io.Copy(io.Discard, pr)
			_, port, err := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "dashboard: http://"), "/"))
			if err != nil {
				t.Fatalf("serve printed %q: %v (serve: %v)", line, err, <-done)
			}
			url := "http://127.0.0.1:" + port + "/api/wallboard"
			get := func(login func(*http.Request)) int {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				login(req)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			none := func(*http.Request) {}
			right := func(r *http.Request) { r.Header.Set("Authorization", "Bearer t0ken-secret") }
			wrong := func(r *http.Request) { r.Header.Set("Authorization", "Bearer t0ken-secreX") }
			if name == "basic" {
				right = func(r *http.Request) { r.SetBasicAuth("ops", "pa55-secret") }
				wrong = func(r *http.Request) { r.SetBasicAuth("ops", "pa55-secreX") }
			}
			if c := get(none); c != 401 {
				t.Errorf("no login: %d", c)
			}
			if c := get(wrong); c != 401 {
				t.Errorf("wrong login: %d", c)
			}
			if c := get(right); c != 200 {
				t.Errorf("right login: %d", c)
			}
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
			m.Close()
		})
	}
}
