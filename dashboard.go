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
	// (the views' own, SERVICE_LEVEL_SECONDS, when zero).
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
	// Now are the live figures: contacts waiting from the latest real-time
	// snapshots, agents from agent_state.
	Now WallboardNow `json:"now"`
	// Queues has one row per queue and channel seen in the latest real-time
	// snapshot or in today's kpi_queue_interval rows, by queue name then
	// channel.
	Queues []WallboardQueue `json:"queues"`
	// Total is today's figures of every queue and channel added up
	// (counts and sums add, maxima take the maximum, averages and
	// percentages are recomputed from the sums; see QueueFigures.Derive).
	Total QueueFigures `json:"total"`
	// Agents are the agents the event stream or the latest snapshot knows,
	// by username.
	Agents []WallboardAgent `json:"agents"`
	Health Health           `json:"health"`
}

// WallboardNow are the live figures of the whole centre. Contacts come from
// the latest real-time queue snapshots (nil when there is none); agents
// from agent_state, the state the event stream moved each agent to: online
// is any status but Offline, available a routable status with no contact,
// on contact any status with a contact, other a custom status (break,
// lunch, ...) with no contact.
type WallboardNow struct {
	SnapshotTime            *time.Time `json:"snapshot_time"`
	ContactsInQueue         *float64   `json:"contacts_in_queue"`
	OldestContactAgeSeconds *float64   `json:"oldest_contact_age_seconds"`
	AgentsOnline            int        `json:"agents_online"`
	AgentsAvailable         int        `json:"agents_available"`
	AgentsOnContact         int        `json:"agents_on_contact"`
	AgentsOther             int        `json:"agents_other"`
}

// WallboardQueue is one queue and channel on the wallboard. Real-time
// figures are nil when the latest snapshot has no value for them (or there
// is no snapshot of the queue and channel); Today is its kpi_queue_day row
// (its kpi_queue_interval rows of the day added up, which is the same).
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

	Today QueueFigures `json:"today"`
}

// QueueFigures are the contact-record figures of one queue and channel
// over an interval or a day: the columns of the kpi_queue_interval and
// kpi_queue_day views, under their names (docs/reports.md defines each).
// They count completed contacts: a contact record arrives when the contact
// ends. Averages and percentages are nil when their denominator is 0.
type QueueFigures struct {
	ContactsQueued     int64    `json:"contacts_queued"`
	ContactsAnswered   int64    `json:"contacts_answered"`
	ContactsHandled    int64    `json:"contacts_handled"`
	ContactsAbandoned  int64    `json:"contacts_abandoned"`
	ContactsLeftQueue  int64    `json:"contacts_left_queue"`
	AnsweredWithinSL   int64    `json:"answered_within_sl"`
	SLThresholdSeconds int      `json:"sl_threshold_seconds"`
	TransferredOut     int64    `json:"transferred_out"`
	Callbacks          int64    `json:"callbacks"`
	ContactsPutOnHold  int64    `json:"contacts_put_on_hold"`
	HandleSeconds      float64  `json:"handle_seconds"`
	TalkSeconds        float64  `json:"talk_seconds"`
	HoldSeconds        float64  `json:"hold_seconds"`
	HoldSecondsOnHold  float64  `json:"hold_seconds_on_hold"`
	ACWSeconds         float64  `json:"acw_seconds"`
	ACWContacts        int64    `json:"acw_contacts"`
	AnswerSeconds      float64  `json:"answer_seconds"`
	AbandonSeconds     float64  `json:"abandon_seconds"`
	MaxQueueSeconds    *float64 `json:"max_queue_seconds"`
	ServiceLevelPct    *float64 `json:"service_level_pct"`
	AbandonmentRatePct *float64 `json:"abandonment_rate_pct"`
	AvgHandleSeconds   *float64 `json:"avg_handle_seconds"`
	AvgAnswerSeconds   *float64 `json:"avg_answer_seconds"`
	AvgACWSeconds      *float64 `json:"avg_acw_seconds"`
	AvgHoldSeconds     *float64 `json:"avg_hold_seconds"`
	AvgAbandonSeconds  *float64 `json:"avg_abandon_seconds"`
}

// Add adds the counts and sums of o to f and keeps the larger maximum
// (call Derive afterwards). The threshold must be the same.
func (f *QueueFigures) Add(o QueueFigures) {
	f.ContactsQueued += o.ContactsQueued
	f.ContactsAnswered += o.ContactsAnswered
	f.ContactsHandled += o.ContactsHandled
	f.ContactsAbandoned += o.ContactsAbandoned
	f.ContactsLeftQueue += o.ContactsLeftQueue
	f.AnsweredWithinSL += o.AnsweredWithinSL
	f.TransferredOut += o.TransferredOut
	f.Callbacks += o.Callbacks
	f.ContactsPutOnHold += o.ContactsPutOnHold
	f.HandleSeconds += o.HandleSeconds
	f.TalkSeconds += o.TalkSeconds
	f.HoldSeconds += o.HoldSeconds
	f.HoldSecondsOnHold += o.HoldSecondsOnHold
	f.ACWSeconds += o.ACWSeconds
	f.ACWContacts += o.ACWContacts
	f.AnswerSeconds += o.AnswerSeconds
	f.AbandonSeconds += o.AbandonSeconds
	if o.MaxQueueSeconds != nil && (f.MaxQueueSeconds == nil || *o.MaxQueueSeconds > *f.MaxQueueSeconds) {
		v := *o.MaxQueueSeconds
		f.MaxQueueSeconds = &v
	}
}

// Derive recomputes the averages and percentages from the counts and sums,
// with the views' formulas (the service level is report.ServiceLevelPct's) (kpi_queue_day rolls kpi_queue_interval up the
// same way): service level = answered within the threshold / contacts that
// left the queue; abandonment rate = abandoned / queued; average handle =
// handle / handled; answer = answer / answered; after-contact work = ACW /
// contacts with ACW; hold = hold / contacts put on hold; abandon = abandon
// / abandoned.
func (f *QueueFigures) Derive() {
	f.ServiceLevelPct = ratio(100*float64(f.AnsweredWithinSL), f.ContactsLeftQueue)
	f.AbandonmentRatePct = ratio(100*float64(f.ContactsAbandoned), f.ContactsQueued)
	f.AvgHandleSeconds = ratio(f.HandleSeconds, f.ContactsHandled)
	f.AvgAnswerSeconds = ratio(f.AnswerSeconds, f.ContactsAnswered)
	f.AvgACWSeconds = ratio(f.ACWSeconds, f.ACWContacts)
	f.AvgHoldSeconds = ratio(f.HoldSecondsOnHold, f.ContactsPutOnHold)
	f.AvgAbandonSeconds = ratio(f.AbandonSeconds, f.ContactsAbandoned)
}

func ratio(num float64, den int64) *float64 {
	if den == 0 {
		return nil
	}
	v := num / float64(den)
	return &v
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

// ReportQuery selects the time range [From, To) of a report in Location,
// by 15-minute intervals (Period 15 minutes) or local days (Period 0), with
// the service-level threshold ServiceLevelSeconds (the views' own
// threshold when zero). Now is the dashboard's clock.
type ReportQuery struct {
	From     time.Time
	To       time.Time
	Location *time.Location
	Period   time.Duration
	Now      time.Time
	// ServiceLevelSeconds as in WallboardQuery.
	ServiceLevelSeconds int
}

// QueueIntervalRow is one row of kpi_queue_interval (15-minute intervals)
// or kpi_queue_day (days: IntervalStart and IntervalEnd are the local day's
// first instant and the next day's).
type QueueIntervalRow struct {
	QueueInterval
	QueueFigures
}

// QueueInterval says which interval, queue and channel a row of the
// interval reports (QueueIntervalRow, IntervalMetricRow) is about.
type QueueInterval struct {
	IntervalStart time.Time `json:"interval_start"`
	IntervalEnd   time.Time `json:"interval_end"`
	LocalDate     string    `json:"local_date"`
	// Local is IntervalStart in the report's zone, RFC 3339 with offset.
	Local     string `json:"local"`
	QueueID   string `json:"queue_id"`
	QueueName string `json:"queue_name"`
	Channel   string `json:"channel"`
}

// IntervalMetricRow is one row of kpi_connect_queue_interval: Connect's own
// GetMetricDataV2 figures of one queue, channel and 15-minute interval, by
// the view's column names (averages recomputed from their sums and counts).
type IntervalMetricRow struct {
	QueueInterval
	Metrics map[string]*float64 `json:"metrics"`
}

// AgentDayRow is one row of kpi_agent_day: an agent's contacts handled,
// durations, time online and available, and occupancy on one local day.
type AgentDayRow struct {
	LocalDate        string   `json:"local_date"`
	AgentID          string   `json:"agent_id"`
	Username         string   `json:"username"`
	ContactsHandled  int64    `json:"contacts_handled"`
	HandleSeconds    float64  `json:"handle_seconds"`
	TalkSeconds      float64  `json:"talk_seconds"`
	HoldSeconds      float64  `json:"hold_seconds"`
	ACWSeconds       float64  `json:"acw_seconds"`
	AvgHandleSeconds *float64 `json:"avg_handle_seconds"`
	OnlineSeconds    float64  `json:"online_seconds"`
	AvailableSeconds float64  `json:"available_seconds"`
	OnContactSeconds float64  `json:"on_contact_seconds"`
	OccupancyPct     *float64 `json:"occupancy_pct"`
}

// AgentStatusDay is one row of kpi_agent_status_day: the time one agent
// spent in one status on one local day.
type AgentStatusDay struct {
	LocalDate  string  `json:"local_date"`
	AgentID    string  `json:"agent_id"`
	Username   string  `json:"username"`
	StatusName string  `json:"status_name"`
	StatusType string  `json:"status_type"`
	Seconds    float64 `json:"seconds"`
}

// AgentStatusSpan is one status interval of an agent (agent_status_interval)
// cut to a report's range, for the timeline. A status still open (Open)
// ends at the agent's last evidence (its last event or heartbeat), as the
// views end it, never at the wall clock.
type AgentStatusSpan struct {
	AgentID    string    `json:"agent_id"`
	Username   string    `json:"username"`
	StatusName string    `json:"status_name"`
	StatusType string    `json:"status_type"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Open       bool      `json:"open"`
}
