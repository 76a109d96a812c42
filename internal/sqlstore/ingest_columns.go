package sqlstore

import (
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// colKind is how an ingest column is carried to each dialect.
type colKind uint8

const (
	kText    colKind = iota // string; "" is NULL
	kTime                   // time.Time; zero is NULL
	kInt                    // int64, never NULL
	kNullInt                // *int64; nil is NULL
	kRaw                    // json.RawMessage, stored as JSON text
	kBytes                  // []byte, bytea; nil is NULL (PostgreSQL only)
)

// colArg converts a column value to what a dialect's batch writer sends:
// NULL for an empty text, a nil pointer or empty JSON; a timestamp as
// formatTime gives it (which makes a zero time NULL).
func colArg(k colKind, v any, formatTime func(time.Time) any) any {
	switch k {
	case kText:
		if v.(string) == "" {
			return nil
		}
	case kTime:
		return formatTime(v.(time.Time))
	case kNullInt:
		if p := v.(*int64); p != nil {
			return *p
		}
		return nil
	case kRaw:
		if b := v.([]byte); len(b) > 0 {
			return string(b)
		}
		return nil
	case kBytes:
		if b := v.([]byte); len(b) > 0 {
			return b
		}
		return nil
	}
	return v
}

// ingestCol is one column written by StoreBatch, with how to read it from a
// prepared row. The same lists generate the SQL of every dialect.
type ingestCol[T any] struct {
	name string
	kind colKind
	get  func(*T) any
}

func textCol[T any](name string, f func(*T) string) ingestCol[T] {
	return ingestCol[T]{name, kText, func(r *T) any { return f(r) }}
}

func timeCol[T any](name string, f func(*T) time.Time) ingestCol[T] {
	return ingestCol[T]{name, kTime, func(r *T) any { return f(r) }}
}

func intCol[T any](name string, f func(*T) int64) ingestCol[T] {
	return ingestCol[T]{name, kInt, func(r *T) any { return f(r) }}
}

func nullIntCol[T any](name string, f func(*T) *int64) ingestCol[T] {
	return ingestCol[T]{name, kNullInt, func(r *T) any { return f(r) }}
}

func rawCol[T any](name string, f func(*T) []byte) ingestCol[T] {
	return ingestCol[T]{name, kRaw, func(r *T) any { return f(r) }}
}

// agentEventCols are the columns of agent_event, event_id first.
var agentEventCols = []ingestCol[eventRow]{
	textCol("event_id", func(e *eventRow) string { return e.EventID }),
	textCol("event_type", func(e *eventRow) string { return e.EventType }),
	timeCol("event_timestamp", func(e *eventRow) time.Time { return e.EventTimestamp }),
	textCol("agent_id", func(e *eventRow) string { return e.AgentID }),
	textCol("agent_arn", func(e *eventRow) string { return e.AgentARN }),
	textCol("username", func(e *eventRow) string { return e.Username }),
	textCol("status_name", func(e *eventRow) string { return e.StatusName }),
	textCol("status_type", func(e *eventRow) string { return e.StatusType }),
	timeCol("status_start_timestamp", func(e *eventRow) time.Time { return e.StatusStartTimestamp }),
	textCol("routing_profile_id", func(e *eventRow) string { return e.RoutingProfileID }),
	intCol("contact_count", func(e *eventRow) int64 { return int64(e.ContactCount) }),
	rawCol("raw", func(e *eventRow) []byte { return e.Raw }),
}

// agentStateCols are the columns of agent_state, agent_id first, each with
// the agent_event column (of agentEventCols) its value comes from. The
// last_event_* columns drive the forward-only rule.
var agentStateCols = []struct{ name, from string }{
	{"agent_id", "agent_id"},
	{"agent_arn", "agent_arn"},
	{"username", "username"},
	{"status_name", "status_name"},
	{"status_type", "status_type"},
	{"status_start_timestamp", "status_start_timestamp"},
	{"routing_profile_id", "routing_profile_id"},
	{"contact_count", "contact_count"},
	{"last_event_timestamp", "event_timestamp"},
	{"last_event_type", "event_type"},
	{"last_event_id", "event_id"},
}

// contactRecordCols are the columns of contact_record, contact_id first.
var contactRecordCols = []ingestCol[contactRow]{
	textCol("contact_id", func(c *contactRow) string { return c.ContactID }),
	textCol("initial_contact_id", func(c *contactRow) string { return c.InitialContactID }),
	textCol("previous_contact_id", func(c *contactRow) string { return c.PreviousContactID }),
	textCol("next_contact_id", func(c *contactRow) string { return c.NextContactID }),
	textCol("channel", func(c *contactRow) string { return c.Channel }),
	textCol("initiation_method", func(c *contactRow) string { return c.InitiationMethod }),
	timeCol("initiation_timestamp", func(c *contactRow) time.Time { return c.InitiationTimestamp }),
	timeCol("connected_to_system_timestamp", func(c *contactRow) time.Time { return c.ConnectedToSystemTimestamp }),
	timeCol("disconnect_timestamp", func(c *contactRow) time.Time { return c.DisconnectTimestamp }),
	textCol("disconnect_reason", func(c *contactRow) string { return c.DisconnectReason }),
	timeCol("last_update_timestamp", func(c *contactRow) time.Time { return c.LastUpdateTimestamp }),
	textCol("queue_id", func(c *contactRow) string { return c.QueueID }),
	textCol("queue_name", func(c *contactRow) string { return c.QueueName }),
	timeCol("enqueue_timestamp", func(c *contactRow) time.Time { return c.EnqueueTimestamp }),
	timeCol("dequeue_timestamp", func(c *contactRow) time.Time { return c.DequeueTimestamp }),
	nullIntCol("queue_duration_seconds", func(c *contactRow) *int64 { return c.QueueDurationSeconds }),
	textCol("agent_id", func(c *contactRow) string { return c.AgentID }),
	textCol("agent_username", func(c *contactRow) string { return c.AgentUsername }),
	timeCol("connected_to_agent_timestamp", func(c *contactRow) time.Time { return c.ConnectedToAgentTimestamp }),
	nullIntCol("agent_interaction_duration_seconds", func(c *contactRow) *int64 { return c.AgentInteractionDurationSeconds }),
	nullIntCol("customer_hold_duration_seconds", func(c *contactRow) *int64 { return c.CustomerHoldDurationSeconds }),
	nullIntCol("after_contact_work_duration_seconds", func(c *contactRow) *int64 { return c.AfterContactWorkDurationSeconds }),
	nullIntCol("number_of_holds", func(c *contactRow) *int64 { return c.NumberOfHolds }),
	textCol("customer_endpoint", func(c *contactRow) string { return c.CustomerEndpoint }),
	textCol("system_endpoint", func(c *contactRow) string { return c.SystemEndpoint }),
	rawCol("raw", func(c *contactRow) []byte { return c.Raw }),
	textCol("raw_sha256", func(c *contactRow) string { return c.rawHash }),
}

// rejectedCols are the columns of rejected_record written by StoreBatch (id is generated).
var rejectedCols = []ingestCol[connectreporting.RejectedRecord]{
	textCol("source", func(r *connectreporting.RejectedRecord) string { return r.Source }),
	textCol("partition_key", func(r *connectreporting.RejectedRecord) string { return r.PartitionKey }),
	textCol("sequence_number", func(r *connectreporting.RejectedRecord) string { return r.SequenceNumber }),
	timeCol("received_at", func(r *connectreporting.RejectedRecord) time.Time { return r.ReceivedAt }),
	textCol("error", func(r *connectreporting.RejectedRecord) string { return r.Error }),
	ingestCol[connectreporting.RejectedRecord]{"payload", kRaw, func(r *connectreporting.RejectedRecord) any { return r.Payload }},
}

func colNames[T any](cols []ingestCol[T]) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return names
}
