package connectapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/connectapi"
	"github.com/connect-reporting/connect-reporting/internal/historical/histtest"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
)

// TestAgentIntervalMetrics: 150 agents (chunks of 100 and 50) through the
// real SDK with 30% of the calls throttled; every stored value equals the
// independent computation from the contact facts, each average has its
// __SUM and __COUNT beside it, and the metrics the simulator returns as
// null (agent-time metrics) are not stored.
func TestAgentIntervalMetrics(t *testing.T) {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Skip(err)
	}
	start := time.Date(2024, 3, 4, 0, 0, 0, 0, loc).UTC()
	end := start.Add(12 * time.Hour)
	src := histtest.NewSource(end.Add(2*time.Hour), 20, 0)
	src.SetAgents(150)
	var queues []string
	for i := range 20 {
		queues = append(queues, histtest.QueueID(i))
	}
	facts := histtest.GenerateAgents(2, queues, 150, 150, start.Add(-time.Hour), end.Add(time.Hour))
	src.SetFacts(facts)
	c, rec := mv2Client(t, src, api.Options{ThrottleRate: 0.3, Seed: 9})

	agents, err := c.AgentIDs(mv2Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(agents) != 150 || agents[0] != histtest.AgentID(0) {
		t.Fatalf("AgentIDs: %d ids, first %v", len(agents), agents[:1])
	}
	got, err := c.AgentIntervalMetrics(mv2Ctx(t), agents, start, end, loc)
	if err != nil {
		t.Fatal(err)
	}
	if c.Throttled() == 0 {
		t.Error("no request was throttled")
	}
	shapes := map[string]int{}
	for _, r := range rec.requests() {
		if r.Status != http.StatusOK {
			continue
		}
		if r.Queues != 0 || r.Agents > 100 || !r.Start.Equal(start) || !r.End.Equal(end) || r.TimeZone != "America/Chicago" || r.Period != "FIFTEEN_MIN" {
			t.Errorf("request %+v", r)
		}
		shapes[strings.Join(r.Groupings, "+")+"/"+strings.Join(r.Channels, ",")+"/"+string(rune('0'+r.Agents/50))]++
	}
	for _, want := range []string{"AGENT+CHANNEL/VOICE,CHAT,TASK/2", "AGENT+CHANNEL/VOICE,CHAT,TASK/1", "AGENT//2", "AGENT//1"} {
		if shapes[want] == 0 {
			t.Errorf("no request %s (grouping/channels/agents÷50); got %v", want, shapes)
		}
	}

	want := histtest.ExpectedAgents(facts, start, end, loc)
	gotByKey := map[histtest.AgentKey]float64{}
	groups := map[histtest.AgentKey]bool{}
	for _, m := range got {
		if m.IntervalStart.Before(start) || !m.IntervalStart.Before(end) || m.IntervalEnd.Sub(m.IntervalStart) != 15*time.Minute {
			t.Fatalf("metric outside the range or not 15 minutes: %+v", m)
		}
		if m.Channel == connectreporting.ChannelAll || slices.Contains(connectapi.AgentTimeMetricNames(), m.MetricName) {
			t.Fatalf("a null agent-time metric was returned: %+v", m)
		}
		k := histtest.AgentKey{AgentID: m.AgentID, Channel: m.Channel, IntervalStart: m.IntervalStart, Metric: m.MetricName}
		if _, dup := gotByKey[k]; dup {
			t.Fatalf("duplicate %+v", k)
		}
		gotByKey[k] = m.Value
		groups[histtest.AgentKey{AgentID: m.AgentID, Channel: m.Channel, IntervalStart: m.IntervalStart}] = true
	}
	for k, w := range want {
		if g, ok := gotByKey[k]; !ok || !near(g, w) {
			t.Errorf("%s %s %s %s = %v (returned %v), want %v", k.AgentID, k.Channel, k.IntervalStart.Format(time.RFC3339), k.Metric, g, ok, w)
		}
	}
	wantGroups := map[histtest.AgentKey]bool{}
	agentsSeen := map[string]bool{}
	for k := range want {
		wantGroups[histtest.AgentKey{AgentID: k.AgentID, Channel: k.Channel, IntervalStart: k.IntervalStart}] = true
		agentsSeen[k.AgentID] = true
	}
	if len(groups) != len(wantGroups) || len(agentsSeen) <= 100 {
		t.Errorf("%d agent/channel/interval groups, want %d (%d agents)", len(groups), len(wantGroups), len(agentsSeen))
	}
	t.Logf("%d values, %d agent/channel/interval groups of %d agents, %d throttled", len(got), len(groups), len(agentsSeen), c.Throttled())
	for g := range groups {
		for _, n := range connectapi.AgentMetricNames() {
			k := g
			k.Metric = n
			v, ok := gotByKey[k]
			if !ok {
				if strings.HasPrefix(n, "AVG_") && !strings.Contains(n, "__") || n == "SUM_CONNECTING_TIME_AGENT" {
					continue // null: nothing to average / not modelled by the simulator
				}
				t.Fatalf("%v: %s missing", g, n)
			}
			if base, isSum := strings.CutSuffix(n, connectapi.SuffixSum); isSum {
				k.Metric = base + connectapi.SuffixCount
				cnt := gotByKey[k]
				k.Metric = base
				avg, has := gotByKey[k]
				if has != (cnt > 0) || has && !near(v/cnt, avg) {
					t.Errorf("%v %s: sum %v / count %v vs average %v (present %v)", g, base, v, cnt, avg, has)
				}
			}
		}
	}
	if got, err := c.AgentIntervalMetrics(mv2Ctx(t), nil, start, end, loc); err != nil || got != nil {
		t.Errorf("no agents: %v, %v", got, err)
	}
	if _, err := c.AgentIntervalMetrics(mv2Ctx(t), agents, end, end, loc); err == nil {
		t.Error("an empty range was accepted")
	}
}

func TestAgentMetricNames(t *testing.T) {
	names := connectapi.AgentMetricNames()
	for _, n := range []string{"CONTACTS_HANDLED", "CONTACTS_TRANSFERRED_OUT", "CONTACTS_PUT_ON_HOLD", "SUM_HANDLE_TIME", "SUM_HOLD_TIME",
		"SUM_AFTER_CONTACT_WORK_TIME", "SUM_INTERACTION_TIME", "SUM_CONNECTING_TIME_AGENT",
		"AVG_HANDLE_TIME", "AVG_HANDLE_TIME__SUM", "AVG_HANDLE_TIME__COUNT", "AVG_HOLD_TIME__SUM", "AVG_HOLD_TIME__COUNT",
		"AVG_AFTER_CONTACT_WORK_TIME__SUM", "AVG_AFTER_CONTACT_WORK_TIME__COUNT"} {
		if !slices.Contains(names, n) {
			t.Errorf("%s is not stored", n)
		}
	}
	if slices.Contains(names, "AVG_INTERACTION_TIME") {
		t.Error("AVG_INTERACTION_TIME is not valid with the AGENT grouping")
	}
	time := connectapi.AgentTimeMetricNames()
	for _, n := range []string{"AGENT_OCCUPANCY", "SUM_ONLINE_TIME_AGENT", "SUM_IDLE_TIME_AGENT", "SUM_NON_PRODUCTIVE_TIME_AGENT", "SUM_CONTACT_TIME_AGENT"} {
		if !slices.Contains(time, n) {
			t.Errorf("%s is not stored per agent", n)
		}
	}
}
