package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/connectapi/connectapitest"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
)

// pollEnv serves a static instance and points the AWS SDK's standard
// configuration chain at it.
func pollEnv(t *testing.T) (*connectapitest.Static, *connectapitest.Env) {
	src := connectapitest.NewStatic(120, 110, 4)
	env := connectapitest.Start(t, src, api.Options{ThrottleRate: 0.2, Seed: 3})
	t.Setenv("AWS_ENDPOINT_URL_CONNECT", env.URL)
	t.Setenv("AWS_REGION", src.RegionName)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	// the quota-sized limiter would make the config sync take a minute
	saved := processLimiter
	processLimiter = connectapitest.FastLimiter()
	t.Cleanup(func() { processLimiter = saved })
	return src, env
}

func countRows(t *testing.T, dsn, q string) int {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.DB().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPollRealtimeAndConfig(t *testing.T) {
	src, _ := pollEnv(t)
	for name, dsn := range dsns(t) {
		t.Run(name, func(t *testing.T) {
			out, errOut, err := run(t, nil, "", "poll", "realtime", "--instance", src.Instance, "--db", dsn)
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			if !strings.Contains(out, "330 queue/channel snapshots, 60 agent snapshots") {
				t.Errorf("stdout %q", out)
			}
			if n := countRows(t, dsn, "SELECT COUNT(*) FROM queue_realtime_current"); n != 330 {
				t.Errorf("%d current queue rows", n)
			}
			out, errOut, err = run(t, map[string]string{"INSTANCE_ID": src.Instance}, "", "poll", "config", "--db", dsn, "--delay", "1ms")
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			if !strings.Contains(out, "inserted 120") {
				t.Errorf("stdout %q", out)
			}
			if n := countRows(t, dsn, "SELECT COUNT(*) FROM connect_user WHERE valid_to IS NULL"); n != 120 {
				t.Errorf("%d users", n)
			}
			if n := countRows(t, dsn, "SELECT COUNT(*) FROM queue WHERE valid_to IS NULL"); n != 110 {
				t.Errorf("%d queues", n)
			}
		})
	}
}

func TestPollRealtimeDuration(t *testing.T) {
	src, env := pollEnv(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "p.db")
	// Migrated first, so the time below is the poller's (--duration), not
	// the schema's: under -race on a busy machine migrating takes seconds.
	if _, errOut, err := run(t, nil, "", "migrate", "--db", dsn); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	start := time.Now()
	_, errOut, err := run(t, nil, "", "poll", "realtime", "--instance", src.Instance, "--db", dsn, "--delay", "300ms", "--duration", "8s")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	// The duration covers opening and migrating the database too (slow under
	// -race on a loaded machine); the poll must still end by it, less its margin.
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("took %v", el)
	}
	if n := env.Server.Requests(api.OpGetCurrentUserData) - env.Server.Throttled(api.OpGetCurrentUserData); n < 2 {
		t.Errorf("%d GetCurrentUserData calls: fewer than 2 rounds", n)
	}
}

func TestPollUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"poll"}, nil, "name a poller"},
		{[]string{"poll", "nope"}, nil, "unknown poller"},
		{[]string{"poll", "realtime", "--db", "sqlite:x.db"}, nil, "no Connect instance"},
		{[]string{"poll", "config", "--instance", "i"}, nil, "no database"},
	} {
		_, _, err := run(t, tc.env, "", tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}
