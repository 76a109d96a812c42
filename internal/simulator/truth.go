package simulator

import (
	"sort"
	"time"
)

// TruthInterval is the length of the intervals Truth reports.
const TruthInterval = 15 * time.Minute

const intervalMs = int64(TruthInterval / time.Millisecond)

func intervalOf(ms int64) int64 { return ms - ms%intervalMs }

// Truth is the simulator's own account of what happened, kept from its
// bookkeeping as the model runs (not from ContactFacts or the emitted
// records), to check reporting against.
//
// Queue metrics cover contacts that were queued (inbound, transfers,
// callbacks; outbound calls and IVR-only contacts never queue and are left
// out) and are attributed to the 15-minute interval (UTC-aligned) holding
// the contact's InitiationTimestamp, as the API's ContactFacts are. Counts
// move as the contact progresses: offered when it is queued, answered when it
// connects to an agent, handled when the agent's part ends (ACW starts, as
// Connect counts CONTACTS_HANDLED), completed when ACW ends, abandoned when it
// leaves the queue unanswered. Interaction, hold and the agent part of the
// handle time are added when the contact is handled, ACW time (and its share
// of handle time) when ACW ends. Agent status time is the time logged-in
// agents spent in each status, split at interval boundaries, open spans
// counted up to Now.
type Truth struct {
	From, To      time.Time
	Now           time.Time
	Queues        []QueueIntervalTruth
	AgentStatuses []AgentStatusTruth
}

// QueueIntervalTruth is one interval of one queue and channel.
type QueueIntervalTruth struct {
	IntervalStart, IntervalEnd time.Time
	QueueID, QueueName         string
	Channel                    string

	ContactsOffered        int // queued
	ContactsAnswered       int // connected to an agent
	ContactsHandled        int // answered, and the agent's part ended (in ACW or done)
	ContactsCompleted      int // handled and after-contact work finished
	ContactsAbandoned      int // left the queue without an agent
	ContactsTransferredOut int // handled by transferring to another queue

	// Sums over handled contacts, in seconds (millisecond precision).
	// HandleTime = interaction + hold + ACW (ACW once it has ended).
	HandleTimeSeconds      float64
	InteractionTimeSeconds float64 // talk without hold
	HoldTimeSeconds        float64
	ACWTimeSeconds         float64 // completed contacts only
	// Sum over answered contacts of enqueue .. connected to agent.
	QueueAnswerTimeSeconds float64
	// Sum over abandoned contacts of enqueue .. abandon.
	AbandonTimeSeconds float64
}

// AgentStatusTruth is the time one agent spent in one status in one interval.
type AgentStatusTruth struct {
	IntervalStart, IntervalEnd time.Time
	AgentID, Username          string
	StatusName, StatusType     string
	Seconds                    float64
}

type qKey struct {
	interval int64
	q, ch    int
}

type queueAgg struct {
	offered, answered, handled, abandoned, transferred, completed int
	handleMs, talkMs, holdMs, acwMs, answerMs, abandonMs          int64
}

type aKey struct {
	interval int64
	agent    int
	status   int
}

type truthState struct {
	queues map[qKey]*queueAgg
	agents map[aKey]int64
}

func (t *truthState) init() {
	t.queues = map[qKey]*queueAgg{}
	t.agents = map[aKey]int64{}
}

func (t *truthState) agg(c *contact) *queueAgg {
	k := qKey{intervalOf(c.initiation), c.q.idx, c.ch}
	a := t.queues[k]
	if a == nil {
		a = &queueAgg{}
		t.queues[k] = a
	}
	return a
}

func (t *truthState) offered(_ *Simulator, c *contact) { t.agg(c).offered++ }

func (t *truthState) answered(_ *Simulator, c *contact) {
	a := t.agg(c)
	a.answered++
	a.answerMs += c.dequeue - c.enqueue
}

func (t *truthState) handled(_ *Simulator, c *contact) {
	a := t.agg(c)
	a.handled++
	if c.transferredOut {
		a.transferred++
	}
	a.handleMs += c.acwStart - c.connected
	a.talkMs += c.acwStart - c.connected - c.holdMs
	a.holdMs += c.holdMs
}

func (t *truthState) abandoned(_ *Simulator, c *contact) {
	a := t.agg(c)
	a.abandoned++
	a.abandonMs += c.dequeue - c.enqueue
}

func (t *truthState) completed(_ *Simulator, c *contact) {
	a := t.agg(c)
	a.completed++
	a.handleMs += c.acwEnd - c.acwStart
	a.acwMs += c.acwEnd - c.acwStart
}

func (s *Simulator) statusIndex(st *statusDef) int {
	for i, x := range s.statuses {
		if x == st {
			return i
		}
	}
	return -1
}

// addSpan adds [from, to) of status st of agent a to the truth.
func addSpan(m map[aKey]int64, agentIdx, status int, from, to int64) {
	for from < to {
		iv := intervalOf(from)
		end := iv + intervalMs
		if end > to {
			end = to
		}
		m[aKey{iv, agentIdx, status}] += end - from
		from = end
	}
}

func (s *Simulator) closeSpan(a *agent) {
	if a.spanStatus == nil {
		return
	}
	addSpan(s.truth.agents, a.idx, s.statusIndex(a.spanStatus), a.spanStart, s.now)
	a.spanStatus = nil
}

// Truth reports the ground truth for the intervals starting in [from, to).
func (s *Simulator) Truth(from, to time.Time) Truth {
	s.mu.RLock()
	defer s.mu.RUnlock()
	lo, hi := from.UnixMilli(), to.UnixMilli()
	return Truth{From: from.UTC(), To: to.UTC(), Now: msTime(s.now),
		Queues: s.queueTruth(lo, hi), AgentStatuses: s.agentStatusTruth(lo, hi)}
}

// queueTruth is the queue figures of the intervals starting in [lo, hi)
// (Unix ms), by interval, queue name and channel.
func (s *Simulator) queueTruth(lo, hi int64) []QueueIntervalTruth {
	var out []QueueIntervalTruth
	for k, a := range s.truth.queues {
		if k.interval < lo || k.interval >= hi {
			continue
		}
		q := s.queues[k.q]
		out = append(out, QueueIntervalTruth{
			IntervalStart: msTime(k.interval), IntervalEnd: msTime(k.interval + intervalMs),
			QueueID: q.id, QueueName: q.name, Channel: channels[k.ch],
			ContactsOffered: a.offered, ContactsAnswered: a.answered, ContactsHandled: a.handled, ContactsAbandoned: a.abandoned,
			ContactsTransferredOut: a.transferred, ContactsCompleted: a.completed,
			HandleTimeSeconds: msSec(a.handleMs), InteractionTimeSeconds: msSec(a.talkMs),
			HoldTimeSeconds: msSec(a.holdMs), ACWTimeSeconds: msSec(a.acwMs),
			QueueAnswerTimeSeconds: msSec(a.answerMs), AbandonTimeSeconds: msSec(a.abandonMs),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.IntervalStart.Equal(b.IntervalStart) {
			return a.IntervalStart.Before(b.IntervalStart)
		}
		if a.QueueName != b.QueueName {
			return a.QueueName < b.QueueName
		}
		return a.Channel < b.Channel
	})
	return out
}

// agentStatusTruth is the seconds each agent spent in each status in the
// intervals starting in [lo, hi) (Unix ms), the open spans counted to now,
// by interval, agent and status.
func (s *Simulator) agentStatusTruth(lo, hi int64) []AgentStatusTruth {
	agents := make(map[aKey]int64, len(s.truth.agents))
	for k, v := range s.truth.agents {
		if k.interval >= lo && k.interval < hi {
			agents[k] = v
		}
	}
	open := map[aKey]int64{}
	for _, a := range s.agents {
		if a.spanStatus != nil {
			addSpan(open, a.idx, s.statusIndex(a.spanStatus), a.spanStart, s.now)
		}
	}
	for k, v := range open {
		if k.interval >= lo && k.interval < hi {
			agents[k] += v
		}
	}
	keys := make([]aKey, 0, len(agents))
	for k := range agents {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.interval != b.interval {
			return a.interval < b.interval
		}
		if a.agent != b.agent {
			return a.agent < b.agent
		}
		return a.status < b.status
	})
	var out []AgentStatusTruth
	for _, k := range keys {
		a, st := s.agents[k.agent], s.statuses[k.status]
		out = append(out, AgentStatusTruth{
			IntervalStart: msTime(k.interval), IntervalEnd: msTime(k.interval + intervalMs),
			AgentID: a.id, Username: a.username, StatusName: st.name, StatusType: st.typ,
			Seconds: msSec(agents[k]),
		})
	}
	return out
}

func msSec(ms int64) float64 { return float64(ms) / 1000 }
