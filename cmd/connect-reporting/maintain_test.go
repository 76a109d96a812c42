package main

import (
	"strings"
	"testing"
)

// TestMaintainCommand: maintain clears raw of the (years old) fixture
// records with --raw-days, deletes them with KEEP_DAYS from the
// environment, runs the dialect's index maintenance and refuses a bad
// number of days.
func TestMaintainCommand(t *testing.T) {
	login := fixture(t, "../../internal/agentevents/testdata/login.json")
	change := fixture(t, "../../internal/agentevents/testdata/state_change_status.json")
	voice := fixture(t, "../../internal/ctr/testdata/voice_inbound.json")
	for name, dsn := range dsns(t) {
		t.Run(name, func(t *testing.T) {
			if _, _, err := run(t, nil, login+change, "ingest", "agent-events", "--db", dsn); err != nil {
				t.Fatal(err)
			}
			if _, _, err := run(t, nil, voice, "ingest", "ctr", "--db", dsn); err != nil {
				t.Fatal(err)
			}
			out, _, err := run(t, nil, "", "maintain", "--db", dsn, "--raw-days", "7")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "raw cleared: agent_event 2, contact_record 1\n") || strings.Contains(out, "deleted:") || !strings.Contains(out, "ran: ") {
				t.Errorf("maintain --raw-days 7 said:\n%s", out)
			}
			out, _, err = run(t, map[string]string{"KEEP_DAYS": "30"}, "", "maintain", "--db", dsn)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "deleted: contact_attribute 7, contact_record 1, agent_event 2, ") {
				t.Errorf("KEEP_DAYS=30 maintain said:\n%s", out)
			}
			_, _, err = run(t, map[string]string{"RAW_DAYS": "a week"}, "", "maintain", "--db", dsn)
			if err == nil || !strings.Contains(err.Error(), "RAW_DAYS") {
				t.Errorf("RAW_DAYS=a week: %v", err)
			}
		})
	}
}
