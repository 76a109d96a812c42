package simulator

import (
	"fmt"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// Config describes the simulated contact centre. The zero value of every
// field means "use the default" (see DefaultConfig); Normalize fills them.
type Config struct {
	// Seed drives every random choice and every generated id: the same seed
	// and configuration give byte-identical output.
	Seed int64

	// InstanceID, Region and AccountID make the ARNs
	// (arn:aws:connect:REGION:ACCOUNT:instance/INSTANCE/...). InstanceID
	// defaults to a UUID derived from Seed.
	InstanceID string
	Region     string
	AccountID  string

	// Start is the simulated time the model starts at (default
	// 2024-03-04T00:00:00Z, a Monday). Location is the contact centre's time
	// zone for shifts and the arrival profile (default UTC).
	Start    time.Time
	Location *time.Location

	// Agents is the number of agents (default 20).
	Agents int
	// Queues are the standard queues; when nil, NumQueues queues with
	// default names are made (default 3).
	Queues    []QueueConfig
	NumQueues int
	// RoutingProfiles; when nil, one profile per queue is made, each serving
	// every queue on every channel, its "own" queue at priority 1 and the
	// others at priority 2 after a 20 s delay. Agents are assigned round-robin.
	RoutingProfiles []RoutingProfileConfig
	// Hierarchy is the user hierarchy (2 to 5 levels); agents are spread
	// round-robin over the groups of the last level.
	Hierarchy HierarchyConfig
	// Statuses are the agent statuses. Exactly one ROUTABLE ("Available") and
	// one OFFLINE ("Offline") status are required; custom ones named Break,
	// Lunch and Training are used by the shift plan when present.
	Statuses []StatusConfig

	// Shift is the daily agent schedule.
	Shift ShiftConfig
	// Traffic shapes contact arrivals and handling.
	Traffic TrafficConfig

	// Delivery imperfections: the probability that an agent event or a
	// contact record is delivered twice (same bytes), and that a contact
	// record is re-delivered later as an updated version with a newer
	// LastUpdateTimestamp (an attribute added, as update-contact-attributes
	// does).
	AgentEventDuplicateRate float64
	CTRDuplicateRate        float64
	CTRRedeliveryRate       float64

	// HeartbeatInterval: a logged-in agent with no event for this long gets a
	// HEART_BEAT (default 120 s, as Amazon Connect).
	HeartbeatInterval time.Duration
	// FlushEvery is how many records are buffered before the sinks are
	// called during RunUntil (default 2048).
	FlushEvery int
}

// QueueConfig is one standard queue.
type QueueConfig struct {
	Name string
	// PeakPerHour is the arrival rate per channel (VOICE, CHAT, TASK) at the
	// busiest hour of the day profile. Nil means: derived from the number of
	// agents and Traffic.Load.
	PeakPerHour map[string]float64
}

// RoutingProfileConfig is one routing profile.
type RoutingProfileConfig struct {
	Name string
	// Concurrency per channel, e.g. VOICE 1, CHAT 3, TASK 1.
	Concurrency map[string]int
	// Queues the profile serves.
	Queues []RoutingQueueConfig
	// DefaultOutboundQueue names the queue outbound calls are made from
	// (default: the first queue of the profile).
	DefaultOutboundQueue string
}

// RoutingQueueConfig links a routing profile to a queue for some channels.
type RoutingQueueConfig struct {
	Queue    string   // queue name
	Channels []string // default: every channel with concurrency > 0
	Priority int      // 1 is highest (default 1)
	Delay    int      // seconds a contact waits before agents of this profile get it
}

// HierarchyConfig is the user hierarchy: level names (Level1 first) and how
// many child groups each group has at the next level.
type HierarchyConfig struct {
	LevelNames []string // e.g. Region, Site, Team
	Fanout     []int    // groups per parent at each level, e.g. 2, 2, 3
}

// StatusConfig is one agent status.
type StatusConfig struct {
	Name string
	Type string // ROUTABLE, CUSTOM, OFFLINE
}

// ShiftConfig is the daily plan every agent follows (in Config.Location).
type ShiftConfig struct {
	// Starts are the shift start times of day; agents are spread over them
	// round-robin (default 07:00, 08:00, 08:00, 09:00, 10:00, 12:00, 13:30, 14:00).
	Starts []time.Duration
	// Length of a shift (default 8h30m).
	Length time.Duration
	// Breaks: two breaks of BreakLength (default 15 min), one lunch of
	// LunchLength (default 30 min); TrainingRate of the agents also have an
	// hour of training (default 0.1).
	BreakLength  time.Duration
	LunchLength  time.Duration
	TrainingRate float64
}

// TrafficConfig shapes arrivals and contact handling.
type TrafficConfig struct {
	// Load scales the derived arrival rates: about the share of the staffed
	// capacity the peak hour uses (default 0.85).
	Load float64
	// HourlyProfile: 24 weights (0..1) of the arrival rate per hour of day
	// (default: a business-day curve from 07:00 to 23:00).
	HourlyProfile []float64
	// ChannelShare of the work per channel (default VOICE 0.6, CHAT 0.25, TASK 0.15).
	ChannelShare map[string]float64
	// Mean talk seconds, ACW seconds and customer patience seconds per channel.
	TalkSeconds     map[string]float64
	ACWSeconds      map[string]float64
	PatienceSeconds map[string]float64 // 0 = never abandons (TASK default)
	// Probabilities.
	HoldRate     float64 // a voice contact is put on hold at least once (0.3)
	TransferRate float64 // an answered voice/chat contact is transferred to another queue (0.05)
	CallbackRate float64 // an inbound call asks for a callback in the IVR (0.04)
	MissRate     float64 // an offered contact is missed by the agent (0.01)
	// OutboundPerAgentHour: outbound calls an idle Available agent makes per hour (0.6).
	OutboundPerAgentHour float64
}

// Channels the simulator models, in index order.
var channels = [3]string{connectreporting.ChannelVoice, connectreporting.ChannelChat, connectreporting.ChannelTask}

const (
	chVoice = 0
	chChat  = 1
	chTask  = 2
)

func channelIndex(ch string) (int, bool) {
	switch connectreporting.NormalizeChannel(ch) {
	case connectreporting.ChannelVoice:
		return chVoice, true
	case connectreporting.ChannelChat:
		return chChat, true
	case connectreporting.ChannelTask:
		return chTask, true
	}
	return 0, false
}

var defaultQueueNames = []string{"Sales", "Support", "Billing", "Retention", "Technical", "Claims", "Orders", "Returns", "Accounts", "Priority"}

// DefaultConfig returns a configuration with agents agents and queues queues
// and every other field at its default.
func DefaultConfig(seed int64, agents, queues int) Config {
	c := Config{Seed: seed, Agents: agents, NumQueues: queues}
	if err := c.Normalize(); err != nil {
		panic(err)
	}
	return c
}

// Normalize fills defaults and checks the configuration.
func (c *Config) Normalize() error {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.AccountID == "" {
		c.AccountID = "123456789012"
	}
	if c.InstanceID == "" {
		c.InstanceID = stableUUID(c.Seed, "instance")
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	}
	c.Start = c.Start.UTC().Truncate(time.Millisecond)
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Agents <= 0 {
		c.Agents = 20
	}
	if c.Queues == nil {
		n := c.NumQueues
		if n <= 0 {
			n = 3
		}
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("Queue %d", i+1)
			if i < len(defaultQueueNames) {
				name = defaultQueueNames[i]
			}
			c.Queues = append(c.Queues, QueueConfig{Name: name})
		}
	}
	c.NumQueues = len(c.Queues)
	if c.NumQueues == 0 {
		return fmt.Errorf("simulator: no queues")
	}
	seen := map[string]bool{}
	for _, q := range c.Queues {
		if q.Name == "" || seen[q.Name] {
			return fmt.Errorf("simulator: queue names must be unique and non-empty (%q)", q.Name)
		}
		seen[q.Name] = true
	}
	if c.RoutingProfiles == nil {
		for i, q := range c.Queues {
			rp := RoutingProfileConfig{
				Name:        q.Name + " Agents",
				Concurrency: map[string]int{"VOICE": 1, "CHAT": 3, "TASK": 1},
			}
			if i%3 == 1 {
				rp.Concurrency["CHAT"] = 2
			}
			rp.Queues = append(rp.Queues, RoutingQueueConfig{Queue: q.Name, Priority: 1})
			for j, o := range c.Queues {
				if j != i {
					rp.Queues = append(rp.Queues, RoutingQueueConfig{Queue: o.Name, Priority: 2, Delay: 20})
				}
			}
			c.RoutingProfiles = append(c.RoutingProfiles, rp)
		}
	}
	for i := range c.RoutingProfiles {
		rp := &c.RoutingProfiles[i]
		if rp.Name == "" {
			return fmt.Errorf("simulator: routing profile %d has no name", i)
		}
		if len(rp.Queues) == 0 {
			return fmt.Errorf("simulator: routing profile %q serves no queue", rp.Name)
		}
		for ch := range rp.Concurrency {
			if _, ok := channelIndex(ch); !ok {
				return fmt.Errorf("simulator: routing profile %q: unknown channel %q", rp.Name, ch)
			}
		}
		for j := range rp.Queues {
			rq := &rp.Queues[j]
			if !seen[rq.Queue] {
				return fmt.Errorf("simulator: routing profile %q: unknown queue %q", rp.Name, rq.Queue)
			}
			if rq.Priority <= 0 {
				rq.Priority = 1
			}
		}
		if rp.DefaultOutboundQueue == "" {
			rp.DefaultOutboundQueue = rp.Queues[0].Queue
		}
		if !seen[rp.DefaultOutboundQueue] {
			return fmt.Errorf("simulator: routing profile %q: unknown outbound queue %q", rp.Name, rp.DefaultOutboundQueue)
		}
	}
	if len(c.Hierarchy.LevelNames) == 0 {
		c.Hierarchy = HierarchyConfig{LevelNames: []string{"Region", "Site", "Team"}, Fanout: []int{2, 2, 3}}
	}
	if n := len(c.Hierarchy.LevelNames); n < 1 || n > 5 || len(c.Hierarchy.Fanout) != n {
		return fmt.Errorf("simulator: hierarchy needs 1..5 levels with one fanout each")
	}
	for _, f := range c.Hierarchy.Fanout {
		if f <= 0 {
			return fmt.Errorf("simulator: hierarchy fanout must be positive")
		}
	}
	if c.Statuses == nil {
		c.Statuses = []StatusConfig{
			{"Available", "ROUTABLE"}, {"Offline", "OFFLINE"},
			{"Break", "CUSTOM"}, {"Lunch", "CUSTOM"}, {"Training", "CUSTOM"},
		}
	}
	var routable, offline int
	for _, s := range c.Statuses {
		switch s.Type {
		case "ROUTABLE":
			routable++
		case "OFFLINE":
			offline++
		case "CUSTOM":
		default:
			return fmt.Errorf("simulator: status %q has type %q", s.Name, s.Type)
		}
	}
	if routable != 1 || offline != 1 {
		return fmt.Errorf("simulator: need exactly one ROUTABLE and one OFFLINE status")
	}
	s := &c.Shift
	if len(s.Starts) == 0 {
		h := time.Hour
		s.Starts = []time.Duration{7 * h, 8 * h, 8 * h, 9 * h, 10 * h, 12 * h, 13*h + 30*time.Minute, 14 * h}
	}
	if s.Length <= 0 {
		s.Length = 8*time.Hour + 30*time.Minute
	}
	if s.BreakLength <= 0 {
		s.BreakLength = 15 * time.Minute
	}
	if s.LunchLength <= 0 {
		s.LunchLength = 30 * time.Minute
	}
	if s.TrainingRate == 0 {
		s.TrainingRate = 0.1
	}
	t := &c.Traffic
	if t.Load <= 0 {
		t.Load = 0.85
	}
	if len(t.HourlyProfile) == 0 {
		t.HourlyProfile = []float64{0, 0, 0, 0, 0, 0, 0.02, 0.2, 0.6, 0.9, 1.0, 0.95, 0.8, 0.85, 1.0, 0.9, 0.8, 0.6, 0.45, 0.35, 0.25, 0.15, 0.05, 0}
	}
	if len(t.HourlyProfile) != 24 {
		return fmt.Errorf("simulator: HourlyProfile needs 24 weights")
	}
	fill := func(m *map[string]float64, v, ch, task float64) {
		if *m == nil {
			*m = map[string]float64{"VOICE": v, "CHAT": ch, "TASK": task}
		}
	}
	fill(&t.ChannelShare, 0.6, 0.25, 0.15)
	fill(&t.TalkSeconds, 240, 420, 300)
	fill(&t.ACWSeconds, 60, 30, 20)
	fill(&t.PatienceSeconds, 150, 300, 0)
	if t.HoldRate == 0 {
		t.HoldRate = 0.3
	}
	if t.TransferRate == 0 {
		t.TransferRate = 0.05
	}
	if t.CallbackRate == 0 {
		t.CallbackRate = 0.04
	}
	if t.MissRate == 0 {
		t.MissRate = 0.01
	}
	if t.OutboundPerAgentHour == 0 {
		t.OutboundPerAgentHour = 0.6
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 120 * time.Second
	}
	if c.FlushEvery <= 0 {
		c.FlushEvery = 2048
	}
	for _, r := range []float64{c.AgentEventDuplicateRate, c.CTRDuplicateRate, c.CTRRedeliveryRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("simulator: rates must be within [0, 1]")
		}
	}
	return nil
}
