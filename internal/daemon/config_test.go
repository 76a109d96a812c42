package daemon_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/daemon"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExampleConfigLoads(t *testing.T) {
	c, err := daemon.LoadConfig(filepath.Join(repoRoot(), "deploy", "daemon.example.yaml"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Streams) != 2 || c.Streams[1].Source != "ctr" || daemon.StreamName(c.Streams[1].Name) != "connect-ctr" {
		t.Errorf("streams %+v", c.Streams)
	}
	sch := c.Schedules()
	if len(sch) != 4 || sch[0].Name != "realtime" || sch[0].Every != 15*time.Second || sch[0].Hours == nil ||
		sch[1].Every != 5*time.Minute || sch[1].Hours != nil || sch[2].Every != time.Hour ||
		sch[3].Name != daemon.JobMaintain || sch[3].Every != 24*time.Hour || c.Maintenance.RawDays != 90 {
		t.Errorf("schedules %+v", sch)
	}
	if h := sch[0].Hours; h.Location.String() != "Europe/London" || h.Start != 8*time.Hour || h.End != 18*time.Hour || len(h.Days) != 5 {
		t.Errorf("hours %+v", h)
	}
}

func TestConfigJSONAndEnv(t *testing.T) {
	p := writeFile(t, "d.json", `{
	"database": {"dsn_env": "MY_DSN"},
	"streams": [{"name": "ae", "source": "agent-events", "starting_position": "latest"}],
	"consumer": {"idle_wait": 0.25, "shard_refresh": "2m"},
	"pollers": {"historical": {"timeout": "4m"}, "config": {"disabled": true}},
	"instance_id": "abc"
}`)
	env := map[string]string{"MY_DSN": "sqlite:x.db", "STORAGE": "pgsql"}
	c, err := daemon.LoadConfig(p, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Database.DSN != "sqlite:x.db" || c.Database.Storage != "pgsql" {
		t.Errorf("database %+v", c.Database)
	}
	if c.Consumer.IdleWait.D() != 250*time.Millisecond || c.Consumer.ShardRefresh.D() != 2*time.Minute {
		t.Errorf("consumer %+v", c.Consumer)
	}
	if s := c.ConsumerStreams(); s[0].StartingPosition != daemon.StartLatest {
		t.Errorf("streams %+v", s)
	}
	if sch := c.Schedules(); len(sch) != 1 || sch[0].Name != "historical" || sch[0].Every != 5*time.Minute || sch[0].Timeout != 4*time.Minute {
		t.Errorf("schedules %+v", sch)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       []string
	}{
		{"unknown field", "databse:\n  dsn: x\n", []string{"databse", "not found"}},
		{"bad duration", "consumer:\n  idle_wait: soon\n", []string{"line 2", `"soon" is not a duration`}},
		{"nothing", "database:\n  dsn: sqlite:x.db\n", []string{"nothing to run"}},
		{"no db", "streams:\n  - {name: a, source: ctr}\n", []string{"database.dsn", "DB_DSN"}},
		{"streams", "database: {dsn: 'sqlite:x.db'}\nstreams:\n  - {name: a, source: ctrs, starting_position: NOW}\n  - {source: ctr}\n  - {name: 'arn:aws:kinesis:r:1:stream/a', source: ctr}\n",
			[]string{`streams[0].source: "ctrs" is not agent-events or ctr`, `streams[0].starting_position: "NOW"`, "streams[1].name: missing", "streams[2].name: stream", "listed twice"}},
		{"pollers", "database: {dsn: 'sqlite:x.db'}\ntime_zone: Mars/Olympus\npollers:\n  realtime: {business_hours: true, every: -1s}\n  weekly: {}\n",
			[]string{"pollers.weekly: unknown poller", "pollers.realtime.every", "no business_hours section", "instance_id: missing", `time_zone: "Mars/Olympus"`}},
		{"hours", "database: {dsn: 'sqlite:x.db'}\ninstance_id: i\npollers: {config: {business_hours: true}}\nbusiness_hours: {days: [mon, funday], start: '8', end: '25:00'}\n",
			[]string{`"funday" is not a weekday`, "business_hours.start", "business_hours.end"}},
		{"maintenance", "database: {dsn: 'sqlite:x.db'}\nmaintenance: {raw_days: -1}\nconsumer: {lease_duration: -1s}\n",
			[]string{"maintenance: every, raw_days and keep_days are 0 or more", "consumer.lease_duration"}},
		{"endpoint", "database: {dsn: 'sqlite:x.db'}\nstreams: [{name: a, source: ctr}]\nendpoints: {kinesis: 'localhost:4567'}\nlog_level: loud\n",
			[]string{"endpoints.kinesis", "log_level"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := daemon.LoadConfig(writeFile(t, "d.yaml", c.body), func(string) string { return "" })
			if err == nil {
				t.Fatal("no error")
			}
			if !containsAll(err.Error(), c.want...) {
				t.Errorf("error %q, want it to say %q", err, c.want)
			}
		})
	}
	if _, err := daemon.LoadConfig(filepath.Join(t.TempDir(), "missing.yaml"), nil); err == nil {
		t.Error("a missing file loads")
	}
}
