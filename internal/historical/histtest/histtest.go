// Package histtest gives the historical poller's tests a static api.Source
// (queues and ContactFacts the test controls, a settable clock), a
// deterministic contact generator, and an independent computation of the
// metrics the poller should store for them.
package histtest

import (
	"fmt"
	"github.com/connect-reporting/connect-reporting/internal/report"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
)

// Test instance identity.
const (
	InstanceID = "11111111-2222-4333-8444-555555555555"
	Region     = "eu-west-2"
	AccountID  = "123456789012"
)

// InstanceARN is the static source's instance ARN.
const InstanceARN = "arn:aws:connect:" + Region + ":" + AccountID + ":instance/" + InstanceID

// Source is a static api.Source: queues and contact facts set by the test.
type Source struct {
	mu     sync.RWMutex
	now    time.Time
	queues []connectreporting.Queue
	users  []connectreporting.User
	facts  []api.ContactFact // sorted by Initiation
}

var _ api.Source = (*Source)(nil)

// NewSource returns a source with n standard queues (ids q-0000, …) and
// agentQueues agent queues, its clock at now.
func NewSource(now time.Time, n, agentQueues int) *Source {
	s := &Source{now: now.UTC()}
	for i := range n {
		id := QueueID(i)
		s.queues = append(s.queues, connectreporting.Queue{
			ID: id, ARN: InstanceARN + "/queue/" + id, Name: fmt.Sprintf("Queue %d", i), Type: "STANDARD", Status: "ENABLED",
		})
	}
	for i := range agentQueues {
		id := fmt.Sprintf("agent-%04d", i)
		s.queues = append(s.queues, connectreporting.Queue{ID: id, ARN: InstanceARN + "/queue/" + id, Type: "AGENT", Status: "ENABLED"})
	}
	return s
}

// QueueID is the id of the i-th standard queue.
func QueueID(i int) string { return fmt.Sprintf("q-%04d", i) }

// SetNow moves the clock.
func (s *Source) SetNow(t time.Time) {
	s.mu.Lock()
	s.now = t.UTC()
	s.mu.Unlock()
}

// AgentID is the id of the i-th agent of the generated contacts.
func AgentID(i int) string { return fmt.Sprintf("agent-%d", i) }

// SetAgents makes the source's users (ListUsers) the agents AgentID(0) …
// AgentID(n-1).
func (s *Source) SetAgents(n int) {
	users := make([]connectreporting.User, n)
	for i := range n {
		id := AgentID(i)
		users[i] = connectreporting.User{ID: id, ARN: InstanceARN + "/agent/" + id, Username: fmt.Sprintf("user%d", i)}
	}
	s.mu.Lock()
	s.users = users
	s.mu.Unlock()
}

// SetFacts replaces the contact facts.
func (s *Source) SetFacts(facts []api.ContactFact) {
	fs := slices.Clone(facts)
	slices.SortStableFunc(fs, func(a, b api.ContactFact) int { return a.Initiation.Compare(b.Initiation) })
	s.mu.Lock()
	s.facts = fs
	s.mu.Unlock()
}

// Update changes the facts in place (a late correction).
func (s *Source) Update(fn func(facts []api.ContactFact)) {
	s.mu.Lock()
	fn(s.facts)
	s.mu.Unlock()
}

// Facts returns a copy of the facts.
func (s *Source) Facts() []api.ContactFact {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.facts)
}

func (s *Source) InstanceID() string { return InstanceID }
func (s *Source) Region() string     { return Region }
func (s *Source) AccountID() string  { return AccountID }
func (s *Source) Now() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.now
}
func (s *Source) Users() []connectreporting.User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.users)
}
func (s *Source) HierarchyLevels() []connectreporting.HierarchyLevel { return nil }
func (s *Source) HierarchyGroups() []connectreporting.HierarchyGroup { return nil }
func (s *Source) RoutingProfiles() []connectreporting.RoutingProfile { return nil }
func (s *Source) RoutingProfileQueues() []connectreporting.RoutingProfileQueue {
	return nil
}
func (s *Source) Queues() []connectreporting.Queue {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.queues)
}
func (s *Source) AgentStatuses() []connectreporting.AgentStatus         { return nil }
func (s *Source) CurrentQueueMetrics() []connectreporting.QueueSnapshot { return nil }
func (s *Source) CurrentUserData() []api.UserData                       { return nil }
func (s *Source) ContactFacts(start, end time.Time) []api.ContactFact {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, _ := slices.BinarySearchFunc(s.facts, start, func(f api.ContactFact, t time.Time) int { return f.Initiation.Compare(t) })
	var out []api.ContactFact
	for ; i < len(s.facts) && s.facts[i].Initiation.Before(end); i++ {
		out = append(out, s.facts[i])
	}
	return out
}

// Generate makes perQueue finished contacts per queue, spread at random
// over [from, to) and over VOICE, CHAT and TASK: about 65% answered (a
// third of the voice ones held once or twice), 20% abandoned, 10% answered
// and transferred out, 5% never queued (IVR only, not counted). Times have
// millisecond precision. The same seed gives the same contacts. Answered
// contacts go to agents AgentID(0) … AgentID(39).
func Generate(seed uint64, queues []string, perQueue int, from, to time.Time) []api.ContactFact {
	return GenerateAgents(seed, queues, perQueue, 40, from, to)
}

// GenerateAgents is Generate with answered contacts spread over agents
// AgentID(0) … AgentID(agents-1).
func GenerateAgents(seed uint64, queues []string, perQueue, agents int, from, to time.Time) []api.ContactFact {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	span := to.Sub(from).Milliseconds()
	ms := func(lo, hi int64) time.Duration { return time.Duration(lo+r.Int64N(hi-lo+1)) * time.Millisecond }
	chans := []string{connectreporting.ChannelVoice, connectreporting.ChannelChat, connectreporting.ChannelTask}
	var out []api.ContactFact
	n := 0
	for _, q := range queues {
		for range perQueue {
			n++
			f := api.ContactFact{
				ContactID:        fmt.Sprintf("c-%s-%06d", q, n),
				Channel:          chans[r.IntN(len(chans))],
				InitiationMethod: "INBOUND",
				Initiation:       from.Add(time.Duration(r.Int64N(span)) * time.Millisecond).UTC(),
			}
			f.InitialContactID = f.ContactID
			p := r.Float64()
			if p < 0.05 { // IVR only
				f.Disconnect = f.Initiation.Add(ms(5000, 60000))
				out = append(out, f)
				continue
			}
			f.QueueID = q
			f.Enqueue = f.Initiation.Add(ms(1000, 30000))
			if p < 0.25 { // abandoned
				f.Dequeue = f.Enqueue.Add(ms(1000, 240000))
				f.Disconnect = f.Dequeue
				f.Abandoned = true
				out = append(out, f)
				continue
			}
			f.AgentID = AgentID(r.IntN(agents))
			f.Dequeue = f.Enqueue.Add(ms(0, 150000))
			f.ConnectedToAgent = f.Dequeue
			talk := ms(20000, 900000)
			if f.Channel == connectreporting.ChannelVoice && r.IntN(3) == 0 {
				f.Holds = 1 + r.IntN(2)
				hold := ms(5000, 120000)
				f.HoldSeconds = hold.Seconds()
				talk += hold
			}
			f.AgentDisconnect = f.ConnectedToAgent.Add(talk)
			f.Disconnect = f.AgentDisconnect
			f.ACWEnd = f.AgentDisconnect.Add(ms(2000, 180000))
			f.TransferredOut = p >= 0.90
			out = append(out, f)
		}
	}
	return out
}

// Key identifies one stored row.
type Key struct {
	QueueID, Channel string
	IntervalStart    time.Time
	Metric           string
}

// Expected computes, independently of the API server, the counts and sums
// the poller must store for facts (all finished) in the intervals of loc
// starting in [from, to).
func Expected(facts []api.ContactFact, from, to time.Time, loc *time.Location) map[Key]float64 {
	out := map[Key]float64{}
	for _, f := range facts {
		if f.QueueID == "" || f.Initiation.Before(from) || !f.Initiation.Before(to) {
			continue
		}
		is := report.Floor(f.Initiation, loc)
		add := func(name string, v float64) { out[Key{f.QueueID, f.Channel, is, name}] += v }
		add("CONTACTS_CREATED", 1)
		add("CONTACTS_QUEUED", 1)
		add("CONTACTS_HANDLED", 0)
		add("CONTACTS_ABANDONED", 0)
		add("CONTACTS_TRANSFERRED_OUT", 0)
		add("SUM_HANDLE_TIME", 0)
		add("SUM_HOLD_TIME", 0)
		add("SUM_AFTER_CONTACT_WORK_TIME", 0)
		add("AVG_QUEUE_ANSWER_TIME__SUM", 0)
		add("AVG_QUEUE_ANSWER_TIME__COUNT", 0)
		add("AVG_ABANDON_TIME__SUM", 0)
		add("AVG_ABANDON_TIME__COUNT", 0)
		wait := f.Dequeue.Sub(f.Enqueue).Seconds()
		if f.Abandoned {
			add("CONTACTS_ABANDONED", 1)
			add("AVG_ABANDON_TIME__SUM", wait)
			add("AVG_ABANDON_TIME__COUNT", 1)
			continue
		}
		add("CONTACTS_HANDLED", 1)
		add("AVG_QUEUE_ANSWER_TIME__SUM", wait)
		add("AVG_QUEUE_ANSWER_TIME__COUNT", 1)
		add("SUM_HANDLE_TIME", f.ACWEnd.Sub(f.ConnectedToAgent).Seconds())
		add("SUM_HOLD_TIME", f.HoldSeconds)
		add("SUM_AFTER_CONTACT_WORK_TIME", f.ACWEnd.Sub(f.AgentDisconnect).Seconds())
		if f.TransferredOut {
			add("CONTACTS_TRANSFERRED_OUT", 1)
		}
	}
	return out
}

// AgentKey identifies one stored agent row.
type AgentKey struct {
	AgentID, Channel string
	IntervalStart    time.Time
	Metric           string
}

// ExpectedAgents computes, independently of the API server, the counts and
// sums the poller must store per agent, channel and interval of loc for
// facts (all finished) initiated in [from, to): handled, transferred-out and
// held counts, handle, hold, after-contact-work and interaction time, and
// the __SUM/__COUNT beside AVG_HANDLE_TIME, AVG_HOLD_TIME and
// AVG_AFTER_CONTACT_WORK_TIME.
func ExpectedAgents(facts []api.ContactFact, from, to time.Time, loc *time.Location) map[AgentKey]float64 {
	out := map[AgentKey]float64{}
	for _, f := range facts {
		if f.AgentID == "" || f.ConnectedToAgent.IsZero() || f.AgentDisconnect.IsZero() || f.Initiation.Before(from) || !f.Initiation.Before(to) {
			continue
		}
		is := report.Floor(f.Initiation, loc)
		add := func(name string, v float64) { out[AgentKey{f.AgentID, f.Channel, is, name}] += v }
		handle := f.ACWEnd.Sub(f.ConnectedToAgent).Seconds()
		acw := f.ACWEnd.Sub(f.AgentDisconnect).Seconds()
		held := 0.0
		if f.Holds > 0 {
			held = 1
		}
		transferred := 0.0
		if f.TransferredOut {
			transferred = 1
		}
		add("CONTACTS_HANDLED", 1)
		add("CONTACTS_TRANSFERRED_OUT", transferred)
		add("CONTACTS_PUT_ON_HOLD", held)
		add("SUM_HANDLE_TIME", handle)
		add("SUM_HOLD_TIME", f.HoldSeconds)
		add("SUM_AFTER_CONTACT_WORK_TIME", acw)
		add("SUM_INTERACTION_TIME", f.AgentDisconnect.Sub(f.ConnectedToAgent).Seconds()-f.HoldSeconds)
		add("AVG_HANDLE_TIME__SUM", handle)
		add("AVG_HANDLE_TIME__COUNT", 1)
		add("AVG_HOLD_TIME__SUM", f.HoldSeconds)
		add("AVG_HOLD_TIME__COUNT", held)
		add("AVG_AFTER_CONTACT_WORK_TIME__SUM", acw)
		add("AVG_AFTER_CONTACT_WORK_TIME__COUNT", 1)
	}
	return out
}

// Ranges is where a slice of the poller would start and end for from, to
// and size: a helper for tests that check the requests made.
func Ranges(from, to time.Time, size time.Duration, loc *time.Location) [][2]time.Time {
	var out [][2]time.Time
	for s := from; s.Before(to); {
		e := report.Floor(s.Add(size), loc)
		if e.After(to) {
			e = to
		}
		out = append(out, [2]time.Time{s, e})
		s = e
	}
	return out
}
