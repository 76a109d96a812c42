package api

import (
	"time"
)

// Historical metrics are computed from the contacts the Source reports
// (ContactFacts). A contact counts in the interval holding its initiation
// timestamp (Source.ContactFacts selects by it); see README.

// metricUnitV2 lists the GetMetricDataV2 metrics this server computes, with
// the unit the model documents. nullMetrics are recognised but need data the
// Source does not model (agent status time, ...): they come back without a
// Value, which is how the real service reports "insufficient data".
var metricUnitV2 = map[string]string{
	"CONTACTS_CREATED":                 "COUNT",
	"CONTACTS_QUEUED":                  "COUNT",
	"CONTACTS_HANDLED":                 "COUNT",
	"CONTACTS_ABANDONED":               "COUNT",
	"CONTACTS_TRANSFERRED_OUT":         "COUNT",
	"CONTACTS_PUT_ON_HOLD":             "COUNT",
	"ABANDONMENT_RATE":                 "PERCENT",
	"AVG_HANDLE_TIME":                  "SECONDS",
	"SUM_HANDLE_TIME":                  "SECONDS",
	"AVG_HOLD_TIME":                    "SECONDS",
	"AVG_HOLD_TIME_ALL_CONTACTS":       "SECONDS",
	"SUM_HOLD_TIME":                    "SECONDS",
	"AVG_HOLDS":                        "COUNT",
	"AVG_AFTER_CONTACT_WORK_TIME":      "SECONDS",
	"SUM_AFTER_CONTACT_WORK_TIME":      "SECONDS",
	"AVG_INTERACTION_TIME":             "SECONDS",
	"SUM_INTERACTION_TIME":             "SECONDS",
	"AVG_INTERACTION_AND_HOLD_TIME":    "SECONDS",
	"SUM_INTERACTION_AND_HOLD_TIME":    "SECONDS",
	"AVG_QUEUE_ANSWER_TIME":            "SECONDS",
	"AVG_ABANDON_TIME":                 "SECONDS",
	"MAX_QUEUED_TIME":                  "SECONDS",
	"AVG_CONTACT_DURATION":             "SECONDS",
	"SERVICE_LEVEL":                    "PERCENT",
	"SUM_CONTACTS_ANSWERED_IN_X":       "COUNT",
	"SUM_CONTACTS_ABANDONED_IN_X":      "COUNT",
	"CONTACTS_REMOVED_FROM_QUEUE_IN_X": "COUNT",
}

var nullMetrics = map[string]bool{
	"AGENT_OCCUPANCY": true, "SUM_ONLINE_TIME_AGENT": true, "SUM_IDLE_TIME_AGENT": true,
	"SUM_NON_PRODUCTIVE_TIME_AGENT": true, "SUM_CONTACT_TIME_AGENT": true, "AGENT_ANSWER_RATE": true,
	"AGENT_NON_RESPONSE": true, "AGENT_NON_RESPONSE_WITHOUT_CUSTOMER_ABANDONS": true, "SUM_ERROR_STATUS_TIME_AGENT": true,
	"AVG_CONTACT_FIRST_RESPONSE_TIME_AGENT": true, "CONTACTS_HOLD_ABANDONS": true, "CONTACTS_TRANSFERRED_OUT_FROM_QUEUE": true,
	"CONTACTS_MISSED": true, "CONTACTS_CONSULTED": true, "CONTACTS_AGENT_HUNG_UP_FIRST": true, "OCCUPANCY": true,
	"AVG_AGENT_CONNECTING_TIME": true, "SUM_CONNECTING_TIME_AGENT": true,
}

// thresholdMetrics need one Threshold {Comparison LT|LTE, ThresholdValue 1..604800}.
var thresholdMetrics = map[string]bool{
	"SERVICE_LEVEL": true, "SUM_CONTACTS_ANSWERED_IN_X": true, "SUM_CONTACTS_ABANDONED_IN_X": true, "CONTACTS_REMOVED_FROM_QUEUE_IN_X": true,
}

// noAgentMetrics are not valid with AGENT or AGENT_HIERARCHY_* groupings or filters.
var noAgentMetrics = map[string]bool{
	"CONTACTS_CREATED": true, "SERVICE_LEVEL": true, "SUM_CONTACTS_ANSWERED_IN_X": true, "SUM_CONTACTS_ABANDONED_IN_X": true,
	"CONTACTS_REMOVED_FROM_QUEUE_IN_X": true, "AVG_INTERACTION_TIME": true,
}

// agentOnlyMetrics are valid only with ROUTING_PROFILE, AGENT and AGENT_HIERARCHY_* groupings and filters.
var agentOnlyMetrics = map[string]bool{
	"AGENT_OCCUPANCY": true, "SUM_ONLINE_TIME_AGENT": true, "SUM_IDLE_TIME_AGENT": true,
	"SUM_NON_PRODUCTIVE_TIME_AGENT": true, "SUM_CONTACT_TIME_AGENT": true,
}

type thresholdSpec struct {
	lte   bool
	value float64
}

func (t thresholdSpec) within(d float64) bool {
	if t.lte {
		return d <= t.value
	}
	return d < t.value
}

func secs(a, b time.Time) float64 { return b.Sub(a).Seconds() }

func queued(f *ContactFact) bool   { return !f.Enqueue.IsZero() }
func answered(f *ContactFact) bool { return !f.ConnectedToAgent.IsZero() }
func handled(f *ContactFact) bool  { return answered(f) && !f.AgentDisconnect.IsZero() }
func abandoned(f *ContactFact) bool {
	return f.Abandoned && queued(f) && !answered(f)
}

// queueTime is the time the contact spent in queue, once it has left it.
func queueTime(f *ContactFact) (float64, bool) {
	if !queued(f) {
		return 0, false
	}
	switch {
	case !f.Dequeue.IsZero():
		return secs(f.Enqueue, f.Dequeue), true
	case answered(f):
		return secs(f.Enqueue, f.ConnectedToAgent), true
	case f.Abandoned && !f.Disconnect.IsZero():
		return secs(f.Enqueue, f.Disconnect), true
	}
	return 0, false
}

// agentSpan is connected-to-agent until the agent's part ended: interaction
// plus customer hold.
func agentSpan(f *ContactFact) float64 { return secs(f.ConnectedToAgent, f.AgentDisconnect) }

func acwTime(f *ContactFact) (float64, bool) {
	if f.ACWEnd.IsZero() || f.AgentDisconnect.IsZero() {
		return 0, false
	}
	return secs(f.AgentDisconnect, f.ACWEnd), true
}

func interaction(f *ContactFact) float64 { return max(agentSpan(f)-f.HoldSeconds, 0) }

func handleTime(f *ContactFact) float64 {
	acw, _ := acwTime(f)
	return agentSpan(f) + acw
}

type stat struct {
	sum float64
	n   int
	max float64
}

func (s *stat) add(v float64) {
	if s.n == 0 || v > s.max {
		s.max = v
	}
	s.sum += v
	s.n++
}

func (s stat) avg() *float64 {
	if s.n == 0 {
		return nil
	}
	return ptr(s.sum / float64(s.n))
}

func count(facts []*ContactFact, pred func(*ContactFact) bool) *float64 {
	n := 0
	for _, f := range facts {
		if pred(f) {
			n++
		}
	}
	return ptr(float64(n))
}

func collect(facts []*ContactFact, pred func(*ContactFact) bool, val func(*ContactFact) float64) stat {
	var s stat
	for _, f := range facts {
		if pred(f) {
			s.add(val(f))
		}
	}
	return s
}

func ratio(num, den *float64) *float64 {
	if *den == 0 {
		return nil
	}
	return ptr(*num / *den * 100)
}

// computeMetric computes one V2 metric (or v1 metric under its V2 name)
// over facts; nil means no value (divide by zero or not modelled).
func computeMetric(name string, thr thresholdSpec, facts []*ContactFact) *float64 {
	if nullMetrics[name] {
		return nil
	}
	if v, ok := countMetric(name, facts); ok {
		return v
	}
	if v, ok := timeMetric(name, facts); ok {
		return v
	}
	return queueMetric(name, thr, facts)
}

// countMetric computes the metrics that count contacts; ok is false for
// another metric.
func countMetric(name string, facts []*ContactFact) (v *float64, ok bool) {
	method := func(m string) func(*ContactFact) bool {
		return func(f *ContactFact) bool { return handled(f) && f.InitiationMethod == m }
	}
	switch name {
	case "CONTACTS_CREATED":
		return ptr(float64(len(facts))), true
	case "CONTACTS_QUEUED":
		return count(facts, queued), true
	case "CONTACTS_HANDLED":
		return count(facts, handled), true
	case "CONTACTS_ABANDONED":
		return count(facts, abandoned), true
	case "CONTACTS_TRANSFERRED_OUT":
		return count(facts, func(f *ContactFact) bool { return f.TransferredOut }), true
	case "CONTACTS_PUT_ON_HOLD":
		return count(facts, func(f *ContactFact) bool { return answered(f) && f.Holds > 0 }), true
	case "CONTACTS_HANDLED_INCOMING":
		return count(facts, method("INBOUND")), true
	case "CONTACTS_HANDLED_OUTBOUND":
		return count(facts, method("OUTBOUND")), true
	case "CALLBACK_CONTACTS_HANDLED":
		return count(facts, method("CALLBACK")), true
	case "API_CONTACTS_HANDLED":
		return count(facts, method("API")), true
	case "CONTACTS_TRANSFERRED_IN":
		return count(facts, func(f *ContactFact) bool {
			return f.InitiationMethod == "TRANSFER" || f.InitiationMethod == "QUEUE_TRANSFER"
		}), true
	case "CONTACTS_TRANSFERRED_IN_FROM_QUEUE":
		return count(facts, func(f *ContactFact) bool { return f.InitiationMethod == "QUEUE_TRANSFER" }), true
	case "ABANDONMENT_RATE":
		return ratio(count(facts, abandoned), count(facts, queued)), true
	}
	return nil, false
}

// timeMetric computes the metrics of the handled contacts' times; ok is
// false for another metric.
func timeMetric(name string, facts []*ContactFact) (v *float64, ok bool) {
	switch name {
	case "AVG_HANDLE_TIME":
		return collect(facts, handled, handleTime).avg(), true
	case "SUM_HANDLE_TIME":
		return ptr(collect(facts, handled, handleTime).sum), true
	case "AVG_HOLD_TIME":
		return collect(facts, func(f *ContactFact) bool { return handled(f) && f.Holds > 0 },
			func(f *ContactFact) float64 { return f.HoldSeconds }).avg(), true
	case "AVG_HOLD_TIME_ALL_CONTACTS":
		return collect(facts, handled, func(f *ContactFact) float64 { return f.HoldSeconds }).avg(), true
	case "SUM_HOLD_TIME":
		return ptr(collect(facts, handled, func(f *ContactFact) float64 { return f.HoldSeconds }).sum), true
	case "AVG_HOLDS":
		return collect(facts, handled, func(f *ContactFact) float64 { return float64(f.Holds) }).avg(), true
	case "AVG_AFTER_CONTACT_WORK_TIME", "SUM_AFTER_CONTACT_WORK_TIME":
		s := collect(facts, func(f *ContactFact) bool { _, ok := acwTime(f); return handled(f) && ok },
			func(f *ContactFact) float64 { v, _ := acwTime(f); return v })
		if name == "SUM_AFTER_CONTACT_WORK_TIME" {
			return ptr(s.sum), true
		}
		return s.avg(), true
	case "AVG_INTERACTION_TIME":
		return collect(facts, handled, interaction).avg(), true
	case "SUM_INTERACTION_TIME":
		return ptr(collect(facts, handled, interaction).sum), true
	case "AVG_INTERACTION_AND_HOLD_TIME":
		return collect(facts, handled, agentSpan).avg(), true
	case "SUM_INTERACTION_AND_HOLD_TIME":
		return ptr(collect(facts, handled, agentSpan).sum), true
	}
	return nil, false
}

// queueMetric computes the metrics of the time in queue and of the whole
// contact; nil for an unknown metric.
func queueMetric(name string, thr thresholdSpec, facts []*ContactFact) *float64 {
	switch name {
	case "AVG_QUEUE_ANSWER_TIME":
		return collect(facts, func(f *ContactFact) bool { _, ok := queueTime(f); return ok && answered(f) }, qt).avg()
	case "AVG_ABANDON_TIME":
		return collect(facts, func(f *ContactFact) bool { _, ok := queueTime(f); return ok && abandoned(f) }, qt).avg()
	case "MAX_QUEUED_TIME":
		s := collect(facts, func(f *ContactFact) bool { _, ok := queueTime(f); return ok }, qt)
		if s.n == 0 {
			return nil
		}
		return ptr(s.max)
	case "AVG_CONTACT_DURATION":
		return collect(facts, func(f *ContactFact) bool { return !f.Disconnect.IsZero() },
			func(f *ContactFact) float64 { return secs(f.Initiation, f.Disconnect) }).avg()
	case "SUM_CONTACTS_ANSWERED_IN_X":
		return count(facts, func(f *ContactFact) bool { d, ok := queueTime(f); return ok && answered(f) && thr.within(d) })
	case "SUM_CONTACTS_ABANDONED_IN_X":
		return count(facts, func(f *ContactFact) bool { d, ok := queueTime(f); return ok && abandoned(f) && thr.within(d) })
	case "CONTACTS_REMOVED_FROM_QUEUE_IN_X":
		return count(facts, func(f *ContactFact) bool { d, ok := queueTime(f); return ok && thr.within(d) })
	case "SERVICE_LEVEL":
		in := count(facts, func(f *ContactFact) bool { d, ok := queueTime(f); return ok && answered(f) && thr.within(d) })
		left := count(facts, func(f *ContactFact) bool { _, ok := queueTime(f); return ok })
		return ratio(in, left)
	}
	return nil
}

func qt(f *ContactFact) float64 { v, _ := queueTime(f); return v }
