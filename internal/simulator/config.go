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
	c.fillDefaults()
	c.Start = c.Start.UTC().Truncate(time.Millisecond)
	if c.Queues == nil {
		c.Queues = defaultQueues(c.NumQueues)
	}
	c.NumQueues = len(c.Queues)
	queues, err := c.checkQueues()
	if err != nil {
		return err
	}
	if c.RoutingProfiles == nil {
		c.RoutingProfiles = defaultRoutingProfiles(c.Queues)
	}
	for _, check := range []func() error{
		func() error { return c.checkRoutingProfiles(queues) }, c.checkHierarchy, c.checkStatuses, c.checkTraffic, c.checkRates,
	} {
		if err := check(); err != nil {
			return fmt.Errorf("simulator: %w", err)
		}
	}
	return nil
}

// orZero returns a default: it sets *p to v when *p is the zero value.
func orZero[T comparable](p *T, v T) func() {
	return func() {
		var zero T
		if *p == zero {
			*p = v
		}
	}
}

// orPositive sets *p to v when *p is not positive.
func orPositive[T int | float64 | time.Duration](p *T, v T) func() {
	return func() {
		if *p <= 0 {
			*p = v
		}
	}
}

// orNil sets *p to v when *p is nil (a slice or map left out).
func orNil[T any](p *T, isNil func(T) bool, v T) func() {
	return func() {
		if isNil(*p) {
			*p = v
		}
	}
}

func nilSlice[E any](s []E) bool       { return s == nil }
func emptySlice[E any](s []E) bool     { return len(s) == 0 }
func nilMap(m map[string]float64) bool { return m == nil }

func perChannel(voice, chat, task float64) map[string]float64 {
	return map[string]float64{"VOICE": voice, "CHAT": chat, "TASK": task}
}

// fillDefaults is the table of defaults: every field left at its zero
// value (or not positive, for counts and durations) gets its default.
func (c *Config) fillDefaults() {
	h, s, t := time.Hour, &c.Shift, &c.Traffic
	if len(c.Hierarchy.LevelNames) == 0 {
		c.Hierarchy = HierarchyConfig{LevelNames: []string{"Region", "Site", "Team"}, Fanout: []int{2, 2, 3}}
	}
	for _, def := range []func(){
		orZero(&c.Region, "us-east-1"),
		orZero(&c.AccountID, "123456789012"),
		orZero(&c.InstanceID, stableUUID(c.Seed, "instance")),
		orZero(&c.Start, time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)),
		orZero(&c.Location, time.UTC),
		orPositive(&c.Agents, 20),
		orPositive(&c.NumQueues, 3),
		orNil(&c.Statuses, nilSlice, []StatusConfig{
			{"Available", "ROUTABLE"}, {"Offline", "OFFLINE"}, {"Break", "CUSTOM"}, {"Lunch", "CUSTOM"}, {"Training", "CUSTOM"},
		}),
		orNil(&s.Starts, emptySlice, []time.Duration{7 * h, 8 * h, 8 * h, 9 * h, 10 * h, 12 * h, 13*h + 30*time.Minute, 14 * h}),
		orPositive(&s.Length, 8*h+30*time.Minute),
		orPositive(&s.BreakLength, 15*time.Minute),
		orPositive(&s.LunchLength, 30*time.Minute),
		orZero(&s.TrainingRate, 0.1),
		orPositive(&t.Load, 0.85),
		orNil(&t.HourlyProfile, emptySlice, []float64{0, 0, 0, 0, 0, 0, 0.02, 0.2, 0.6, 0.9, 1.0, 0.95, 0.8, 0.85, 1.0, 0.9, 0.8, 0.6, 0.45, 0.35, 0.25, 0.15, 0.05, 0}),
		orNil(&t.ChannelShare, nilMap, perChannel(0.6, 0.25, 0.15)),
		orNil(&t.TalkSeconds, nilMap, perChannel(240, 420, 300)),
		orNil(&t.ACWSeconds, nilMap, perChannel(60, 30, 20)),
		orNil(&t.PatienceSeconds, nilMap, perChannel(150, 300, 0)),
		orZero(&t.HoldRate, 0.3),
		orZero(&t.TransferRate, 0.05),
		orZero(&t.CallbackRate, 0.04),
		orZero(&t.MissRate, 0.01),
		orZero(&t.OutboundPerAgentHour, 0.6),
		orPositive(&c.HeartbeatInterval, 120*time.Second),
		orPositive(&c.FlushEvery, 2048),
	} {
		def()
	}
}

// defaultQueues names n queues.
func defaultQueues(n int) []QueueConfig {
	out := make([]QueueConfig, 0, n)
	for i := range n {
		name := fmt.Sprintf("Queue %d", i+1)
		if i < len(defaultQueueNames) {
			name = defaultQueueNames[i]
		}
		out = append(out, QueueConfig{Name: name})
	}
	return out
}

// checkQueues requires unique, non-empty queue names and returns them.
func (c *Config) checkQueues() (map[string]bool, error) {
	if len(c.Queues) == 0 {
		return nil, fmt.Errorf("simulator: no queues")
	}
	seen := map[string]bool{}
	for _, q := range c.Queues {
		if q.Name == "" || seen[q.Name] {
			return nil, fmt.Errorf("simulator: queue names must be unique and non-empty (%q)", q.Name)
		}
		seen[q.Name] = true
	}
	return seen, nil
}

// defaultRoutingProfiles makes one profile per queue, serving its own queue
// at priority 1 and the others at priority 2 after 20 s.
func defaultRoutingProfiles(queues []QueueConfig) []RoutingProfileConfig {
	var out []RoutingProfileConfig
	for i, q := range queues {
		rp := RoutingProfileConfig{Name: q.Name + " Agents", Concurrency: map[string]int{"VOICE": 1, "CHAT": 3, "TASK": 1}}
		if i%3 == 1 {
			rp.Concurrency["CHAT"] = 2
		}
		rp.Queues = append(rp.Queues, RoutingQueueConfig{Queue: q.Name, Priority: 1})
		for j, o := range queues {
			if j != i {
				rp.Queues = append(rp.Queues, RoutingQueueConfig{Queue: o.Name, Priority: 2, Delay: 20})
			}
		}
		out = append(out, rp)
	}
	return out
}

// checkRoutingProfiles checks every profile against the queues and fills
// each one's priorities and default outbound queue.
func (c *Config) checkRoutingProfiles(queues map[string]bool) error {
	for i := range c.RoutingProfiles {
		rp := &c.RoutingProfiles[i]
		if rp.Name == "" {
			return fmt.Errorf("routing profile %d has no name", i)
		}
		if len(rp.Queues) == 0 {
			return fmt.Errorf("routing profile %q serves no queue", rp.Name)
		}
		for ch := range rp.Concurrency {
			if _, ok := channelIndex(ch); !ok {
				return fmt.Errorf("routing profile %q: unknown channel %q", rp.Name, ch)
			}
		}
		for j := range rp.Queues {
			rq := &rp.Queues[j]
			if !queues[rq.Queue] {
				return fmt.Errorf("routing profile %q: unknown queue %q", rp.Name, rq.Queue)
			}
			if rq.Priority <= 0 {
				rq.Priority = 1
			}
		}
		if rp.DefaultOutboundQueue == "" {
			rp.DefaultOutboundQueue = rp.Queues[0].Queue
		}
		if !queues[rp.DefaultOutboundQueue] {
			return fmt.Errorf("routing profile %q: unknown outbound queue %q", rp.Name, rp.DefaultOutboundQueue)
		}
	}
	return nil
}

func (c *Config) checkHierarchy() error {
	if n := len(c.Hierarchy.LevelNames); n < 1 || n > 5 || len(c.Hierarchy.Fanout) != n {
		return fmt.Errorf("hierarchy needs 1..5 levels with one fanout each")
	}
	for _, f := range c.Hierarchy.Fanout {
		if f <= 0 {
			return fmt.Errorf("hierarchy fanout must be positive")
		}
	}
	return nil
}

func (c *Config) checkStatuses() error {
	var routable, offline int
	for _, s := range c.Statuses {
		switch s.Type {
		case "ROUTABLE":
			routable++
		case "OFFLINE":
			offline++
		case "CUSTOM":
		default:
			return fmt.Errorf("status %q has type %q", s.Name, s.Type)
		}
	}
	if routable != 1 || offline != 1 {
		return fmt.Errorf("need exactly one ROUTABLE and one OFFLINE status")
	}
	return nil
}

func (c *Config) checkTraffic() error {
	if len(c.Traffic.HourlyProfile) != 24 {
		return fmt.Errorf("HourlyProfile needs 24 weights")
	}
	return nil
}

func (c *Config) checkRates() error {
	for _, r := range []float64{c.AgentEventDuplicateRate, c.CTRDuplicateRate, c.CTRRedeliveryRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("rates must be within [0, 1]")
		}
	}
	return nil
}
