package connectreporting

import "time"

// QueueSnapshot is one GetCurrentMetricData observation of one queue and
// channel. Nil means the API returned no value for the metric.
type QueueSnapshot struct {
	SnapshotTime time.Time
	QueueID      string
	QueueARN     string
	Channel      string

	AgentsOnline            *float64
	AgentsAvailable         *float64
	AgentsOnContact         *float64
	AgentsOnCall            *float64
	AgentsAfterContactWork  *float64
	AgentsNonProductive     *float64
	AgentsError             *float64
	AgentsStaffed           *float64
	ContactsInQueue         *float64
	ContactsScheduled       *float64
	OldestContactAgeSeconds *float64
	SlotsActive             *float64
	SlotsAvailable          *float64
}

// AgentSnapshot is one GetCurrentUserData observation of one agent.
type AgentSnapshot struct {
	SnapshotTime         time.Time
	AgentID              string
	AgentARN             string
	Username             string
	StatusName           string
	StatusARN            string
	StatusStartTimestamp time.Time
	RoutingProfileID     string
	ContactCount         int
	// Contacts per channel currently held (VOICE, CHAT, TASK, ...).
	ContactsByChannel map[string]int
}

// IntervalMetric is one historical metric value for one queue, channel and
// interval. Averages are stored beside the sums and counts they are made of
// (as separate metric names) so that roll-ups over longer periods stay
// correct.
type IntervalMetric struct {
	QueueID       string
	Channel       string
	IntervalStart time.Time
	IntervalEnd   time.Time
	MetricName    string
	Value         float64
}

// AgentIntervalMetric is one historical metric value for one agent, channel
// and interval, stored like IntervalMetric (averages beside their sums and
// counts). Metrics the API only reports per agent, not per channel, carry
// the channel ChannelAll.
type AgentIntervalMetric struct {
	AgentID       string
	Channel       string
	IntervalStart time.Time
	IntervalEnd   time.Time
	MetricName    string
	Value         float64
}

// ChannelAll is the channel of an agent metric the API reports over all
// channels only (agent occupancy, online, idle and non-productive time).
const ChannelAll = "ALL"

// Checkpoint is the watermark a poller has reached for one scope.
type Checkpoint struct {
	Poller    string
	Scope     string
	Watermark time.Time
	UpdatedAt time.Time
}
