package connectreporting

import "time"

// This file holds the read model of the dashboard: what the wallboard and
// the reports show, as plain values. The store fills them (package sqlstore),
// the web package serves them as JSON. Times are UTC unless a field says it
// is local; the JSON names are the API of /api/wallboard and /api/reports.

// WallboardQuery asks for the live wallboard at Now. "Today" is the calendar
// day of Now in Location.
type WallboardQuery struct {
	Now      time.Time
	Location *time.Location
	// ServiceLevelSeconds is the answer-time threshold of the service level
	// (20 when zero).
	ServiceLevelSeconds int
}

// Wallboard is the live view of the contact centre.
type Wallboard struct {
	GeneratedAt time.Time `json:"generated_at"`
	TimeZone    string    `json:"time_zone"`
	// Day is today in TimeZone (YYYY-MM-DD); DayStart is its first instant.
	Day                 string    `json:"day"`
	DayStart            time.Time `json:"day_start"`
	ServiceLevelSeconds int       `json:"service_level_seconds"`
	// Queues has one row per queue and channel seen in the latest real-time
	// snapshot or in today's contact records, by queue name then channel.
	Queues []WallboardQueue `json:"queues"`
	// Total sums today's figures over every queue and channel.
	Total DayStats `json:"total"`
	// Agents are the agents the event stream or the latest snapshot knows,
	// by username.
	Agents []WallboardAgent `json:"agents"`
	Health Health           `json:"health"`
}

// WallboardQueue is one queue and channel on the wallboard. Real-time
// figures are nil when the latest snapshot has no value for them (or there
// is no snapshot of the queue and channel).
type WallboardQueue struct {
	QueueID   string `json:"queue_id"`
	QueueName string `json:"queue_name"`
	Channel   string `json:"channel"`

	SnapshotTime            *time.Time `json:"snapshot_time"`
	ContactsInQueue         *float64   `json:"contacts_in_queue"`
	OldestContactAgeSeconds *float64   `json:"oldest_contact_age_seconds"`
	AgentsOnline            *float64   `json:"agents_online"`
	AgentsAvailable         *float64   `json:"agents_available"`
	AgentsOnContact         *float64   `json:"agents_on_contact"`
	AgentsAfterContactWork  *float64   `json:"agents_after_contact_work"`
	AgentsStaffed           *float64   `json:"agents_staffed"`

	Today DayStats `json:"today"`
}

// DayStats are contact-record figures of a set of contacts (counted by the
// time they were queued).
//
//   - Offered: contacts queued.
//   - Handled: queued contacts connected to an agent.
//   - Abandoned: queued contacts that disconnected without reaching an agent.
//   - InQueue: queued contacts neither handled nor disconnected yet.
//   - HandleSeconds: talk + hold + after-contact work of the handled ones;
//     AverageHandleSeconds = HandleSeconds / Handled (nil when none).
//   - AnsweredInThreshold: handled within the service-level threshold of
//     queue time; ServiceLevel = AnsweredInThreshold / (Handled +
//     Abandoned) in percent (nil when none).
type DayStats struct {
	Offered              int64    `json:"offered"`
	Handled              int64    `json:"handled"`
	Abandoned            int64    `json:"abandoned"`
	InQueue              int64    `json:"in_queue"`
	HandleSeconds        float64  `json:"handle_seconds"`
	AverageHandleSeconds *float64 `json:"average_handle_seconds"`
	AnsweredInThreshold  int64    `json:"answered_in_threshold"`
	ServiceLevel         *float64 `json:"service_level"`
}

// Finish computes the averages of s from its sums and counts.
func (s *DayStats) Finish() {
	s.AverageHandleSeconds, s.ServiceLevel = nil, nil
	if s.Handled > 0 {
		v := s.HandleSeconds / float64(s.Handled)
		s.AverageHandleSeconds = &v
	}
	if d := s.Handled + s.Abandoned; d > 0 {
		v := 100 * float64(s.AnsweredInThreshold) / float64(d)
		s.ServiceLevel = &v
	}
}

// Add adds the counts and sums of o to s (call Finish afterwards).
func (s *DayStats) Add(o DayStats) {
	s.Offered += o.Offered
	s.Handled += o.Handled
	s.Abandoned += o.Abandoned
	s.InQueue += o.InQueue
	s.HandleSeconds += o.HandleSeconds
	s.AnsweredInThreshold += o.AnsweredInThreshold
}

// WallboardAgent is one agent on the wallboard: the state the event stream
// moved it to (agent_state) beside the latest GetCurrentUserData snapshot.
type WallboardAgent struct {
	AgentID   string `json:"agent_id"`
	Username  string `json:"username"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`

	// From the event stream; empty when only a snapshot knows the agent.
	StatusName     string     `json:"status_name"`
	StatusType     string     `json:"status_type"`
	StatusSince    *time.Time `json:"status_since"`
	ContactCount   int        `json:"contact_count"`
	LastEventTime  *time.Time `json:"last_event_time"`
	LastEventType  string     `json:"last_event_type"`
	RoutingProfile string     `json:"routing_profile"`

	Snapshot *AgentSnapshotView `json:"snapshot"`
}

// AgentSnapshotView is the latest real-time snapshot of an agent.
type AgentSnapshotView struct {
	SnapshotTime      time.Time      `json:"snapshot_time"`
	StatusName        string         `json:"status_name"`
	StatusSince       *time.Time     `json:"status_since"`
	ContactCount      int            `json:"contact_count"`
	ContactsByChannel map[string]int `json:"contacts_by_channel,omitempty"`
}

// Health says how fresh the data is, so that a stuck pipeline shows.
type Health struct {
	CheckedAt time.Time `json:"checked_at"`
	Dialect   string    `json:"dialect"`
	// Newest times seen in the tables (nil when the table is empty):
	// the newest agent event (heartbeats included), the newest contact's
	// initiation, the newest real-time snapshots, and the start of the
	// newest historical interval.
	LastAgentEvent     *time.Time `json:"last_agent_event"`
	LastContact        *time.Time `json:"last_contact"`
	LastQueueSnapshot  *time.Time `json:"last_queue_snapshot"`
	LastAgentSnapshot  *time.Time `json:"last_agent_snapshot"`
	LastIntervalMetric *time.Time `json:"last_interval_metric"`

	PollCheckpoints   []PollCheckpointStatus   `json:"poll_checkpoints"`
	StreamCheckpoints []StreamCheckpointStatus `json:"stream_checkpoints"`

	RejectedLast24h int64      `json:"rejected_last_24h"`
	LastRejected    *time.Time `json:"last_rejected"`
}

// PollCheckpointStatus is the watermark a poller has reached for one scope.
type PollCheckpointStatus struct {
	Poller    string    `json:"poller"`
	Scope     string    `json:"scope"`
	Watermark time.Time `json:"watermark"`
	UpdatedAt time.Time `json:"updated_at"`
}

// StreamCheckpointStatus is where the Kinesis consumers are in one shard
// (its lease): SequenceNumber is the checkpoint (or TRIM_HORIZON, LATEST,
// SHARD_END), Owner the consumer holding the lease ("" when free).
type StreamCheckpointStatus struct {
	Stream         string    `json:"stream"`
	ShardID        string    `json:"shard_id"`
	SequenceNumber string    `json:"sequence_number"`
	Owner          string    `json:"owner,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// ReportQuery selects the time range [From, To) of a report, bucketed into
// intervals of Period (15, 30 or 60 minutes; 0 means calendar days) aligned
// to the wall clock of Location. Buckets are instants, not wall-clock
// labels, so the repeated hour of a DST change is two buckets and the
// skipped hour none. Now ends intervals still open (agent statuses).
type ReportQuery struct {
	From     time.Time
	To       time.Time
	Location *time.Location
	Period   time.Duration
	Now      time.Time
	// ServiceLevelSeconds as in WallboardQuery (20 when zero).
	ServiceLevelSeconds int
}

// QueueIntervalRow counts contacts of one queue and channel queued within
// one interval (see DayStats).
type QueueIntervalRow struct {
	IntervalStart time.Time `json:"interval_start"`
	IntervalEnd   time.Time `json:"interval_end"`
	// Local is IntervalStart in the report's zone, RFC 3339 with offset.
	Local     string   `json:"local"`
	QueueID   string   `json:"queue_id"`
	QueueName string   `json:"queue_name"`
	Channel   string   `json:"channel"`
	Stats     DayStats `json:"stats"`
}

// IntervalMetricRow is queue_interval_metric of one queue and channel rolled
// up to one report interval: counts and sums are summed, MAX_ metrics take
// the maximum, and every average or percentage X is recomputed as
// SUM(X__SUM) / SUM(X__COUNT); an average stored without its __SUM and
// __COUNT is left out, never averaged.
type IntervalMetricRow struct {
	IntervalStart time.Time          `json:"interval_start"`
	IntervalEnd   time.Time          `json:"interval_end"`
	Local         string             `json:"local"`
	QueueID       string             `json:"queue_id"`
	QueueName     string             `json:"queue_name"`
	Channel       string             `json:"channel"`
	SourceCount   int                `json:"source_intervals"`
	Metrics       map[string]float64 `json:"metrics"`
}

// AgentStatusDay is the time one agent spent in one status on one local day.
type AgentStatusDay struct {
	Day        string  `json:"day"` // YYYY-MM-DD in the report's zone
	AgentID    string  `json:"agent_id"`
	Username   string  `json:"username"`
	StatusName string  `json:"status_name"`
	StatusType string  `json:"status_type"`
	Seconds    float64 `json:"seconds"`
}
