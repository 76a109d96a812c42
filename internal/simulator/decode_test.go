package simulator

import (
	"math"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/agentevents"
	"github.com/connect-reporting/connect-reporting/internal/ctr"
)

// TestRecordsDecode: every emitted record decodes with the project's own
// decoders, and what they read agrees with the model.
func TestRecordsDecode(t *testing.T) {
	d := sharedDay(t)
	s := d.sim
	users := map[string]connectreporting.User{}
	for _, u := range s.Users() {
		users[u.ID] = u
	}
	queues := map[string]bool{}
	for _, q := range s.Queues() {
		queues[q.ID] = true
	}
	facts := map[string]int{}
	all := s.ContactFacts(s.cfg.Start.Add(-24*time.Hour), d.end.Add(time.Hour))
	for i, f := range all {
		facts[f.ContactID] = i
	}
	latest := map[string]connectreporting.ContactRecord{}
	var nAE, nCTR int
	seenEvent := map[string]bool{}
	for _, r := range d.recs {
		switch r.Stream {
		case StreamAgentEvents:
			ev, err := agentevents.Decode(r.Data)
			if err != nil {
				t.Fatalf("agent event does not decode: %v\n%s", err, r.Data)
			}
			nAE++
			u, ok := users[ev.AgentID]
			if !ok || ev.Username != u.Username || ev.RoutingProfileID != u.RoutingProfileID {
				t.Fatalf("agent event for %q (%s, %s)", ev.AgentID, ev.Username, ev.RoutingProfileID)
			}
			if dup := seenEvent[ev.EventID]; !dup && !ev.EventTimestamp.Equal(r.Time) {
				t.Fatalf("EventTimestamp %v, emitted at %v", ev.EventTimestamp, r.Time)
			}
			seenEvent[ev.EventID] = true
			if ev.StatusType == "" || ev.StatusName == "" {
				t.Fatalf("status %q %q", ev.StatusName, ev.StatusType)
			}
			if ev.HierarchyGroups[2].ID != u.HierarchyGroupID {
				t.Fatalf("hierarchy Level3 %q, user group %q", ev.HierarchyGroups[2].ID, u.HierarchyGroupID)
			}
			if ev.ContactCount != len(ev.Contacts) {
				t.Fatal("contact count")
			}
			for _, c := range ev.Contacts {
				if !queues[c.QueueID] || c.State == "" || c.StateStartTimestamp.IsZero() {
					t.Fatalf("contact %s: queue %q state %q", c.ContactID, c.QueueID, c.State)
				}
			}
		case StreamCTR:
			c, err := ctr.Decode(r.Data)
			if err != nil {
				t.Fatalf("CTR does not decode: %v\n%s", err, r.Data)
			}
			nCTR++
			if prev, ok := latest[c.ContactID]; !ok || c.LastUpdateTimestamp.After(prev.LastUpdateTimestamp) {
				latest[c.ContactID] = c
			}
		}
	}
	for id, c := range latest {
		i, ok := facts[id]
		if !ok {
			t.Fatalf("CTR for unknown contact %s", id)
		}
		f := all[i]
		sec := func(t time.Time) time.Time { return t.Truncate(time.Second) }
		if c.Channel != f.Channel || c.InitiationMethod != f.InitiationMethod || !c.InitiationTimestamp.Equal(sec(f.Initiation)) {
			t.Fatalf("CTR %s: %s %s %v, fact %s %s %v", id, c.Channel, c.InitiationMethod, c.InitiationTimestamp, f.Channel, f.InitiationMethod, f.Initiation)
		}
		if f.QueueID != "" && (c.QueueID != f.QueueID || !c.EnqueueTimestamp.Equal(sec(f.Enqueue)) || !c.DequeueTimestamp.Equal(sec(f.Dequeue))) {
			t.Fatalf("queue of %s: CTR %s %v..%v, fact %s %v..%v", id, c.QueueID, c.EnqueueTimestamp, c.DequeueTimestamp, f.QueueID, f.Enqueue, f.Dequeue)
		}
		if c.AgentID != f.AgentID {
			t.Fatalf("agent of %s: CTR %q, fact %q", id, c.AgentID, f.AgentID)
		}
		if f.AgentID != "" {
			if c.CustomerHoldDurationSeconds == nil || math.Abs(float64(*c.CustomerHoldDurationSeconds)-f.HoldSeconds) > 0.5 {
				t.Fatalf("hold of %s: CTR %v, fact %v", id, c.CustomerHoldDurationSeconds, f.HoldSeconds)
			}
			acw := f.ACWEnd.Sub(f.AgentDisconnect).Seconds()
			if c.AfterContactWorkDurationSeconds == nil || math.Abs(float64(*c.AfterContactWorkDurationSeconds)-acw) > 0.5 {
				t.Fatalf("ACW of %s: CTR %v, fact %v", id, c.AfterContactWorkDurationSeconds, acw)
			}
			if c.NumberOfHolds == nil || int(*c.NumberOfHolds) != f.Holds {
				t.Fatal("holds")
			}
		}
		if len(c.Attributes) == 0 {
			t.Fatal("no attributes")
		}
	}
	t.Logf("%d agent events and %d CTRs decoded", nAE, nCTR)
}
