// Package simulator is a deterministic simulated Amazon Connect contact
// centre: a discrete-event model of agents, queues, routing profiles and
// contacts driven by a simulated clock. It emits the agent event stream and
// contact trace records in Amazon Connect's wire formats to Sinks, answers
// the Connect API through api.Source, and keeps its own ground truth
// (Truth) to check reporting against. The same seed and configuration give
// byte-identical output.
package simulator

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/simulator/api"
)

// Streams a Record belongs to (the values of connectreporting.SourceAgentEvents
// and connectreporting.SourceCTR).
const (
	StreamAgentEvents = connectreporting.SourceAgentEvents
	StreamCTR         = connectreporting.SourceCTR
)

// Record is one emitted record: one JSON document of one stream.
type Record struct {
	Stream       string    // StreamAgentEvents or StreamCTR
	PartitionKey string    // agent ARN for agent events, contact id for CTRs
	Time         time.Time // simulated time of emission
	Data         []byte    // the JSON document, exactly as Connect would deliver it
}

// Sink receives emitted records, in emission order. Write is called from the
// goroutine running RunUntil/Run, never concurrently, outside the model's
// lock; a returned error stops the run. Data may be shared between records
// (a duplicate delivery): sinks must not modify it.
type Sink interface {
	Write(ctx context.Context, recs []Record) error
}

// Simulator is the simulated contact centre. Create it with New, drive it with
// RunUntil (stepping, for tests) or Run (real time with a speed factor). All
// api.Source methods are safe for concurrent use while it runs.
type Simulator struct {
	runMu sync.Mutex   // serialises RunUntil/Run
	mu    sync.RWMutex // guards the model state below
	cfg   Config

	instanceARN string
	arnPrefix   string

	// Configuration (immutable after New).
	users       []connectreporting.User
	levels      []connectreporting.HierarchyLevel
	groups      []connectreporting.HierarchyGroup
	rpList      []connectreporting.RoutingProfile
	rpqList     []connectreporting.RoutingProfileQueue
	queueList   []connectreporting.Queue
	statusList  []connectreporting.AgentStatus
	queues      []*queue
	queueByName map[string]*queue
	rps         []*routingProfile
	statuses    []*statusDef
	available   *statusDef
	offline     *statusDef
	custom      map[string]*statusDef
	agents      []*agent

	// Model state.
	rng     *rand.Rand // model decisions
	idRng   *rand.Rand // contact and event ids
	delRng  *rand.Rand // delivery imperfections
	now     int64      // unix ms
	events  eventHeap
	seq     uint64
	started bool

	contacts []*contact // every contact, in initiation order
	arrivals []*arrivalStream

	truth truthState

	pending []Record
	sinks   []Sink
}

// New builds the simulated contact centre. sinks receive every record.
func New(cfg Config, sinks ...Sink) (*Simulator, error) {
	if err := cfg.Normalize(); err != nil {
		return nil, err
	}
	s := &Simulator{
		cfg:         cfg,
		rng:         rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6d6f64656c)),
		idRng:       rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6964)),
		delRng:      rand.New(rand.NewPCG(uint64(cfg.Seed), 0x64656c)),
		now:         cfg.Start.UnixMilli(),
		sinks:       sinks,
		queueByName: map[string]*queue{},
		custom:      map[string]*statusDef{},
	}
	s.instanceARN = fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s", cfg.Region, cfg.AccountID, cfg.InstanceID)
	s.arnPrefix = s.instanceARN + "/"
	s.buildConfiguration()
	// the simulated configuration was last modified a day before the
	// simulation starts, and never changes after
	(&connectreporting.Configuration{Users: s.users, HierarchyGroups: s.groups, RoutingProfiles: s.rpList,
		Queues: s.queueList, AgentStatuses: s.statusList}).SetLastModified(s.cfg.Start.Add(-24 * time.Hour))
	s.truth.init()
	return s, nil
}

// AddSink adds a sink; call it before running.
func (s *Simulator) AddSink(k Sink) {
	s.runMu.Lock()
	s.sinks = append(s.sinks, k)
	s.runMu.Unlock()
}

// Config returns the normalised configuration.
func (s *Simulator) Config() Config { return s.cfg }

func (s *Simulator) stable(parts ...string) string { return stableUUID(s.cfg.Seed, parts...) }

var firstNames = []string{"Ava", "Ben", "Chloe", "Daniel", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jack", "Kara", "Liam", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Ravi", "Sofia", "Tom", "Uma", "Victor", "Wen", "Yusuf", "Zoe"}
var lastNames = []string{"Adams", "Brown", "Chen", "Davies", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones", "Khan", "Lopez", "Murphy", "Nguyen", "Okafor", "Patel", "Rossi", "Smith", "Taylor", "Walker"}

// buildConfiguration makes the instance's queues, agent statuses, routing
// profiles, hierarchy and agents from the configuration.
func (s *Simulator) buildConfiguration() {
	hoo := s.stable("hours-of-operation", "Basic Hours")
	for i, qc := range s.cfg.Queues {
		s.addQueue(i, qc.Name, hoo)
	}
	for i, sc := range s.cfg.Statuses {
		s.addStatus(i, sc)
	}
	for i, rc := range s.cfg.RoutingProfiles {
		s.addRoutingProfile(i, rc)
	}
	s.indexServedQueues()
	leaves := s.buildHierarchy()
	s.buildAgents(leaves)
}

func (s *Simulator) addQueue(i int, name, hoursOfOperation string) {
	q := &queue{idx: i, name: name, id: s.stable("queue", name)}
	q.arn = s.arnPrefix + "queue/" + q.id
	s.queues = append(s.queues, q)
	s.queueByName[q.name] = q
	s.queueList = append(s.queueList, connectreporting.Queue{
		ID: q.id, ARN: q.arn, Name: q.name, Type: "STANDARD",
		Description: q.name + " queue", Status: "ENABLED", HoursOfOperationID: hoursOfOperation,
	})
}

func (s *Simulator) addStatus(i int, sc StatusConfig) {
	st := &statusDef{name: sc.Name, typ: sc.Type, id: s.stable("agent-status", sc.Name)}
	st.arn = s.arnPrefix + "agent-state/" + st.id
	s.statuses = append(s.statuses, st)
	switch sc.Type {
	case "ROUTABLE":
		s.available = st
	case "OFFLINE":
		s.offline = st
	default:
		s.custom[sc.Name] = st
	}
	s.statusList = append(s.statusList, connectreporting.AgentStatus{
		ID: st.id, ARN: st.arn, Name: st.name, Type: st.typ, State: "ENABLED", DisplayOrder: i + 1,
	})
}

func (s *Simulator) addRoutingProfile(i int, rc RoutingProfileConfig) {
	rp := &routingProfile{idx: i, name: rc.Name, id: s.stable("routing-profile", rc.Name)}
	rp.arn = s.arnPrefix + "routing-profile/" + rp.id
	conc := map[string]int{}
	for ch, n := range rc.Concurrency {
		ci, _ := channelIndex(ch)
		rp.conc[ci] = n
		conc[channels[ci]] = n
	}
	rp.serve = make([][3]rpQueue, len(s.queues))
	rp.outbound = s.queueByName[rc.DefaultOutboundQueue]
	for _, rq := range rc.Queues {
		s.serveQueue(rp, rq)
	}
	s.rps = append(s.rps, rp)
	s.rpList = append(s.rpList, connectreporting.RoutingProfile{
		ID: rp.id, ARN: rp.arn, Name: rp.name, Description: rp.name,
		DefaultOutboundQueueID: rp.outbound.id, Concurrency: conc,
	})
}

// serveQueue records that rp serves rq's queue on rq's channels (all the
// profile's channels when rq names none).
func (s *Simulator) serveQueue(rp *routingProfile, rq RoutingQueueConfig) {
	q := s.queueByName[rq.Queue]
	chs := rq.Channels
	if len(chs) == 0 {
		for ci, n := range rp.conc {
			if n > 0 {
				chs = append(chs, channels[ci])
			}
		}
	}
	for _, ch := range chs {
		ci, ok := channelIndex(ch)
		if !ok || rp.conc[ci] == 0 {
			continue
		}
		rp.serve[q.idx][ci] = rpQueue{ok: true, priority: rq.Priority, delay: int64(rq.Delay) * 1000}
		s.rpqList = append(s.rpqList, connectreporting.RoutingProfileQueue{
			RoutingProfileID: rp.id, QueueID: q.id, Channel: channels[ci], Priority: rq.Priority, Delay: rq.Delay,
		})
	}
}

// indexServedQueues notes which (queue, channel) pairs are served, and the
// distinct routing delays.
func (s *Simulator) indexServedQueues() {
	for _, q := range s.queues {
		for ci := range channels {
			seen := map[int64]bool{}
			for _, rp := range s.rps {
				sv := rp.serve[q.idx][ci]
				if !sv.ok {
					continue
				}
				q.served[ci] = true
				if sv.delay > 0 && !seen[sv.delay] {
					seen[sv.delay] = true
					q.delays[ci] = append(q.delays[ci], sv.delay)
				}
			}
			sort.Slice(q.delays[ci], func(a, b int) bool { return q.delays[ci][a] < q.delays[ci][b] })
		}
	}
}

// buildHierarchy makes the hierarchy levels and groups, and returns the
// groups of the last level, which the agents belong to.
func (s *Simulator) buildHierarchy() []*group {
	for l, name := range s.cfg.Hierarchy.LevelNames {
		lid := strconv.Itoa(l + 1)
		s.levels = append(s.levels, connectreporting.HierarchyLevel{
			ID: lid, ARN: s.arnPrefix + "agent-group-level/" + lid, Name: name, Level: l + 1,
		})
	}
	var leaves []*group
	s.buildGroups(nil, 0, "", &leaves)
	return leaves
}

// buildGroups makes parent's child groups at level, depth first, and appends
// the groups of the last level to leaves.
func (s *Simulator) buildGroups(parent *group, level int, label string, leaves *[]*group) {
	h := s.cfg.Hierarchy
	for k := 0; k < h.Fanout[level]; k++ {
		name := fmt.Sprintf("%s %s%d", h.LevelNames[level], label, k+1)
		g := &group{level: level + 1, name: name, id: s.stable("agent-group", strconv.Itoa(level), label, strconv.Itoa(k))}
		g.arn = s.arnPrefix + "agent-group/" + g.id
		if parent != nil {
			g.path = append(append([]*group(nil), parent.path...), g)
		} else {
			g.path = []*group{g}
		}
		ids := make([]string, len(g.path))
		for i, p := range g.path {
			ids[i] = p.id
		}
		s.groups = append(s.groups, connectreporting.HierarchyGroup{
			ID: g.id, ARN: g.arn, Name: g.name, LevelID: strconv.Itoa(level + 1), Path: ids,
		})
		if level+1 == len(h.Fanout) {
			*leaves = append(*leaves, g)
		} else {
			s.buildGroups(g, level+1, fmt.Sprintf("%s%d.", label, k+1), leaves)
		}
	}
}

// buildAgents makes the agents, spread round-robin over the routing
// profiles, the leaf groups and the shift starts.
func (s *Simulator) buildAgents(leaves []*group) {
	cfg := &s.cfg
	secProfile := s.stable("security-profile", "Agent")
	for i := 0; i < cfg.Agents; i++ {
		first := firstNames[i%len(firstNames)]
		last := lastNames[(i/len(firstNames)+i*7)%len(lastNames)]
		a := &agent{
			idx:      i,
			id:       s.stable("agent", strconv.Itoa(i)),
			first:    first,
			last:     last,
			username: fmt.Sprintf("%s.%s%d", lower(first), lower(last), i+1),
			rp:       s.rps[i%len(s.rps)],
			group:    leaves[i%len(leaves)],
			status:   s.offline,
		}
		a.arn = s.arnPrefix + "agent/" + a.id
		a.shiftStart = cfg.Shift.Starts[i%len(cfg.Shift.Starts)]
		s.agents = append(s.agents, a)
		s.users = append(s.users, connectreporting.User{
			ID: a.id, ARN: a.arn, Username: a.username, FirstName: first, LastName: last,
			Email: a.username + "@example.com", RoutingProfileID: a.rp.id, HierarchyGroupID: a.group.id,
			SecurityProfileIDs: []string{secProfile}, PhoneType: "SOFT_PHONE",
		})
		s.prepareAgentJSON(a)
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Now is the simulated clock.
func (s *Simulator) Now() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return msTime(s.now)
}

// RunUntil advances the model deterministically to t (no wall clock),
// delivering every record emitted up to t to the sinks before it returns.
func (s *Simulator) RunUntil(t time.Time) error {
	return s.RunUntilContext(context.Background(), t)
}

// RunUntilContext is RunUntil with a context for the sinks.
func (s *Simulator) RunUntilContext(ctx context.Context, t time.Time) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	target := t.UnixMilli()
	for {
		s.mu.Lock()
		if !s.started {
			s.started = true
			s.startModel()
		}
		for len(s.events) > 0 && s.events[0].at <= target && len(s.pending) < s.cfg.FlushEvery {
			ev := s.events.pop()
			if ev.at > s.now {
				s.now = ev.at
			}
			ev.fn()
		}
		done := len(s.events) == 0 || s.events[0].at > target
		if done && target > s.now {
			s.now = target
		}
		recs := s.pending
		s.pending = nil
		s.mu.Unlock()
		if len(recs) > 0 {
			for _, k := range s.sinks {
				if err := k.Write(ctx, recs); err != nil {
					return err
				}
			}
		}
		if done {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// Run advances the model in real time: speed simulated seconds per wall-clock
// second (60 = an hour per minute), in steps of tick (100 ms when 0), until
// ctx is done; then it returns nil. A sink error stops it.
func (s *Simulator) Run(ctx context.Context, speed float64, tick time.Duration) error {
	if speed <= 0 {
		speed = 1
	}
	if tick <= 0 {
		tick = 100 * time.Millisecond
	}
	wall0 := time.Now()
	sim0 := s.Now()
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for {
		target := sim0.Add(time.Duration(float64(time.Since(wall0)) * speed))
		if err := s.RunUntilContext(ctx, target); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
		}
	}
}

// --- event queue -----------------------------------------------------------

type event struct {
	at  int64
	seq uint64
	fn  func()
}

type eventHeap []event

func (h eventHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *eventHeap) pop() event {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a[n] = event{}
	a = a[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && a.less(r, l) {
			m = r
		}
		if !a.less(m, i) {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}

// at schedules fn at simulated time t (unix ms); events at the same time run
// in scheduling order.
func (s *Simulator) at(t int64, fn func()) {
	if t < s.now {
		t = s.now
	}
	s.seq++
	s.events.push(event{at: t, seq: s.seq, fn: fn})
}

func (s *Simulator) after(d int64, fn func()) { s.at(s.now+d, fn) }

// Source is satisfied by *Simulator.
var _ api.Source = (*Simulator)(nil)
