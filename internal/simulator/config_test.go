package simulator

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestNormalizeDefaults: every field left out gets its default; a field
// set is kept.
func TestNormalizeDefaults(t *testing.T) {
	var c Config
	if err := c.Normalize(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ got, want any }{
		"Region":            {c.Region, "us-east-1"},
		"Start":             {c.Start, time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)},
		"Location":          {c.Location, time.UTC},
		"Agents":            {c.Agents, 20},
		"NumQueues":         {c.NumQueues, 3},
		"Queues":            {c.Queues[2].Name, "Billing"},
		"Statuses":          {len(c.Statuses), 5},
		"Hierarchy":         {c.Hierarchy.Fanout, []int{2, 2, 3}},
		"Shift.Length":      {c.Shift.Length, 8*time.Hour + 30*time.Minute},
		"Shift.Starts":      {len(c.Shift.Starts), 8},
		"Traffic.Load":      {c.Traffic.Load, 0.85},
		"Traffic.TalkSecs":  {c.Traffic.TalkSeconds["CHAT"], 420.0},
		"Traffic.HoldRate":  {c.Traffic.HoldRate, 0.3},
		"HeartbeatInterval": {c.HeartbeatInterval, 120 * time.Second},
		"FlushEvery":        {c.FlushEvery, 2048},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", name, tc.got, tc.want)
		}
	}
	set := Config{Region: "eu-west-2", Agents: 7, NumQueues: 2, Shift: ShiftConfig{Length: time.Hour},
		Traffic: TrafficConfig{Load: 0.5, TalkSeconds: map[string]float64{"VOICE": 1}}, FlushEvery: 3}
	if err := set.Normalize(); err != nil {
		t.Fatal(err)
	}
	if set.Region != "eu-west-2" || set.Agents != 7 || set.NumQueues != 2 || set.Shift.Length != time.Hour ||
		set.Traffic.Load != 0.5 || len(set.Traffic.TalkSeconds) != 1 || set.FlushEvery != 3 {
		t.Fatalf("set fields changed: %+v", set)
	}
}

func TestNormalizeErrors(t *testing.T) {
	for want, c := range map[string]Config{
		"queue names must be unique":     {Queues: []QueueConfig{{Name: "A"}, {Name: "A"}}},
		"unknown queue":                  {RoutingProfiles: []RoutingProfileConfig{{Name: "P", Queues: []RoutingQueueConfig{{Queue: "nope"}}}}},
		"serves no queue":                {RoutingProfiles: []RoutingProfileConfig{{Name: "P"}}},
		"unknown channel":                {RoutingProfiles: []RoutingProfileConfig{{Name: "P", Concurrency: map[string]int{"FAX": 1}, Queues: []RoutingQueueConfig{{Queue: "Sales"}}}}},
		"exactly one ROUTABLE":           {Statuses: []StatusConfig{{"Available", "ROUTABLE"}}},
		`has type "BUSY"`:                {Statuses: []StatusConfig{{"Busy", "BUSY"}}},
		"one fanout each":                {Hierarchy: HierarchyConfig{LevelNames: []string{"A", "B"}, Fanout: []int{2}}},
		"fanout must be positive":        {Hierarchy: HierarchyConfig{LevelNames: []string{"A"}, Fanout: []int{0}}},
		"HourlyProfile needs 24 weights": {Traffic: TrafficConfig{HourlyProfile: []float64{1}}},
		"rates must be within [0, 1]":    {CTRDuplicateRate: 2},
		"simulator: no queues":           {Queues: []QueueConfig{}},
	} {
		if err := c.Normalize(); err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "simulator: ") {
			t.Errorf("%q: got %v", want, err)
		}
	}
}
