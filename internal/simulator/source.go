package simulator

import (
	"sort"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
)

// InstanceID is the simulated instance's id.
func (s *Simulator) InstanceID() string { return s.cfg.InstanceID }

// Region of the simulated instance.
func (s *Simulator) Region() string { return s.cfg.Region }

// AccountID of the simulated instance.
func (s *Simulator) AccountID() string { return s.cfg.AccountID }

// InstanceARN of the simulated instance.
func (s *Simulator) InstanceARN() string { return s.instanceARN }

// Users lists the agents.
func (s *Simulator) Users() []connectreporting.User {
	out := make([]connectreporting.User, len(s.users))
	for i, u := range s.users {
		u.SecurityProfileIDs = append([]string(nil), u.SecurityProfileIDs...)
		out[i] = u
	}
	return out
}

// HierarchyLevels lists the hierarchy levels, Level1 first.
func (s *Simulator) HierarchyLevels() []connectreporting.HierarchyLevel {
	return append([]connectreporting.HierarchyLevel(nil), s.levels...)
}

// HierarchyGroups lists every hierarchy group.
func (s *Simulator) HierarchyGroups() []connectreporting.HierarchyGroup {
	out := make([]connectreporting.HierarchyGroup, len(s.groups))
	for i, g := range s.groups {
		g.Path = append([]string(nil), g.Path...)
		out[i] = g
	}
	return out
}

// RoutingProfiles lists the routing profiles.
func (s *Simulator) RoutingProfiles() []connectreporting.RoutingProfile {
	out := make([]connectreporting.RoutingProfile, len(s.rpList))
	for i, rp := range s.rpList {
		c := make(map[string]int, len(rp.Concurrency))
		for k, v := range rp.Concurrency {
			c[k] = v
		}
		rp.Concurrency = c
		out[i] = rp
	}
	return out
}

// RoutingProfileQueues lists the routing profiles' queues per channel.
func (s *Simulator) RoutingProfileQueues() []connectreporting.RoutingProfileQueue {
	return append([]connectreporting.RoutingProfileQueue(nil), s.rpqList...)
}

// Queues lists the standard queues.
func (s *Simulator) Queues() []connectreporting.Queue {
	return append([]connectreporting.Queue(nil), s.queueList...)
}

// AgentStatuses lists the agent statuses.
func (s *Simulator) AgentStatuses() []connectreporting.AgentStatus {
	return append([]connectreporting.AgentStatus(nil), s.statusList...)
}

func fptr(v float64) *float64 { return &v }

// CurrentQueueMetrics is one snapshot per queue and served channel at Now().
// An agent counts for a queue and channel when its routing profile serves
// them; agents work one channel at a time.
func (s *Simulator) CurrentQueueMetrics() []connectreporting.QueueSnapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	now := msTime(s.now)
	oldest := s.oldestInQueue()
	var out []connectreporting.QueueSnapshot
	for _, q := range s.queues {
		for ci, ch := range channels {
			if !q.served[ci] {
				continue
			}
			var n queueAgentCounts
			for _, a := range s.agents {
				if !a.loggedIn || !a.rp.serve[q.idx][ci].ok || a.status.typ == "OFFLINE" && len(a.legs) == 0 {
					continue
				}
				n.add(s, a, ci)
			}
			age := 0.0
			if o := oldest[q.idx][ci]; o > 0 {
				age = float64((s.now - o) / 1000)
			}
			out = append(out, connectreporting.QueueSnapshot{
				SnapshotTime: now, QueueID: q.id, QueueARN: q.arn, Channel: ch,
				AgentsOnline: fptr(float64(n.online)), AgentsAvailable: fptr(float64(n.avail)),
				AgentsOnContact: fptr(float64(n.onContact)), AgentsOnCall: fptr(float64(n.onContact)),
				AgentsAfterContactWork: fptr(float64(n.acw)), AgentsNonProductive: fptr(float64(n.npt)),
				AgentsError: fptr(float64(n.errs)), AgentsStaffed: fptr(float64(n.staffed)),
				ContactsInQueue: fptr(float64(q.inQueue[ci])), ContactsScheduled: fptr(float64(q.scheduled[ci])),
				OldestContactAgeSeconds: fptr(age),
				SlotsActive:             fptr(float64(n.slotsActive)), SlotsAvailable: fptr(float64(n.slotsAvail)),
			})
		}
	}
	return out
}

// oldestInQueue is the oldest enqueue time per queue and channel among
// contacts in queue (waiting or ringing at an agent); 0 when none.
func (s *Simulator) oldestInQueue() [][3]int64 {
	oldest := make([][3]int64, len(s.queues))
	for _, q := range s.queues {
		for ci := range channels {
			if len(q.waiting[ci]) > 0 {
				oldest[q.idx][ci] = q.waiting[ci][0].enqueue
			}
		}
	}
	for _, a := range s.agents {
		for _, l := range a.legs {
			c := l.c
			if c.offered && c.enqueue > 0 && c.dequeue == 0 && c.leg == l {
				if o := oldest[c.q.idx][c.ch]; o == 0 || c.enqueue < o {
					oldest[c.q.idx][c.ch] = c.enqueue
				}
			}
		}
	}
	return oldest
}

// queueAgentCounts counts the online agents of one queue and channel by state.
type queueAgentCounts struct {
	online, avail, onContact, acw, npt, errs, staffed, slotsActive, slotsAvail int
}

// add counts online agent a on channel ci.
func (n *queueAgentCounts) add(s *Simulator, a *agent, ci int) {
	n.online++
	active, free := a.slots()
	n.slotsActive += active[ci]
	routable := a.status.typ == "ROUTABLE" && a.next == nil && !a.missed
	if routable {
		n.slotsAvail += free[ci]
	}
	switch {
	case a.missed:
		n.errs++
	case len(a.legs) == 0 && a.status.typ == "CUSTOM":
		n.npt++
	}
	if a.status.typ != "CUSTOM" || len(a.legs) > 0 {
		n.staffed++
	}
	var live, ended int
	for _, l := range a.legs {
		if l.c.ch != ci || l.state == stateMissed {
			continue
		}
		if l.state == stateEnded {
			ended++
		} else {
			live++
		}
	}
	switch {
	case live > 0:
		n.onContact++
	case ended > 0:
		n.acw++
	}
	if routable && s.canTake(a, ci) && live+ended == 0 {
		n.avail++
	}
}

// CurrentUserData is one entry per logged-in agent.
func (s *Simulator) CurrentUserData() []api.UserData {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []api.UserData
	for _, a := range s.agents {
		if !a.loggedIn {
			continue
		}
		d := api.UserData{
			UserID: a.id, RoutingProfileID: a.rp.id, HierarchyGroupID: a.group.id,
			StatusName: a.status.name, StatusARN: a.status.arn, StatusStart: msTime(a.statusStart),
			MaxSlots: map[string]int{}, ActiveSlots: map[string]int{}, AvailableSlots: map[string]int{},
		}
		if a.next != nil {
			d.NextStatus = a.next.st.name
		}
		active, free := a.slots()
		routable := a.status.typ == "ROUTABLE" && a.next == nil && !a.missed
		for ci, ch := range channels {
			if a.rp.conc[ci] == 0 {
				continue
			}
			d.MaxSlots[ch] = a.rp.conc[ci]
			d.ActiveSlots[ch] = active[ci]
			if routable {
				d.AvailableSlots[ch] = free[ci]
			} else {
				d.AvailableSlots[ch] = 0
			}
		}
		for _, l := range a.legs {
			c := l.c
			ac := connectreporting.AgentContact{
				ContactID: c.id, InitialContactID: c.initialID, Channel: channels[c.ch],
				InitiationMethod: c.method, State: l.state, StateStartTimestamp: msTime(l.stateStart),
				QueueTimestamp: optTime(c.enqueue), QueueARN: c.q.arn, QueueID: c.q.id, QueueName: c.q.name,
			}
			if l.state == stateConnected || l.state == stateOnHold || l.state == stateEnded {
				ac.ConnectedToAgentTimestamp = optTime(c.connected)
			}
			if l.state == stateOnHold {
				// GetCurrentUserData keeps the CONNECTED start while on hold.
				ac.StateStartTimestamp = msTime(c.connected)
			}
			d.Contacts = append(d.Contacts, ac)
		}
		out = append(out, d)
	}
	return out
}

func optTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return msTime(ms)
}

// ContactFacts returns every contact initiated in [start, end), as far as it
// has got at Now(), in initiation order.
func (s *Simulator) ContactFacts(start, end time.Time) []api.ContactFact {
	s.mu.RLock()
	defer s.mu.RUnlock()
	lo, hi := start.UnixMilli(), end.UnixMilli()
	i := sort.Search(len(s.contacts), func(i int) bool { return s.contacts[i].initiation >= lo })
	var out []api.ContactFact
	for ; i < len(s.contacts) && s.contacts[i].initiation < hi; i++ {
		c := s.contacts[i]
		f := api.ContactFact{
			ContactID: c.id, InitialContactID: c.initialID, Channel: channels[c.ch],
			InitiationMethod: c.method,
			Initiation:       msTime(c.initiation),
			Enqueue:          optTime(c.enqueue), Dequeue: optTime(c.dequeue),
			ConnectedToAgent: optTime(c.connected), AgentDisconnect: optTime(c.acwStart),
			ACWEnd: optTime(c.acwEnd), Disconnect: optTime(c.disconnect),
			Abandoned: c.abandoned, HoldSeconds: msSec(c.holdMs), Holds: c.holds,
			TransferredOut: c.transferredOut,
		}
		if c.enqueue > 0 {
			f.QueueID = c.q.id
		}
		if c.connected > 0 {
			f.AgentID = c.agent.id
		}
		out = append(out, f)
	}
	return out
}
