package connectreporting

import (
	"strconv"
	"strings"
	"time"
)

// The one rule for values: what every dialect's column can hold (SQLite
// text timestamps that sort as time, PostgreSQL timestamptz, SQL Server
// datetime2 and nvarchar columns; the id limits are in limits.go). The
// decoders refuse a record holding anything else, so a record gets the same
// outcome on every dialect and never fails a batch. Lengths count UTF-16
// code units (TextLen).
const (
	// MaxTextLen bounds the short text columns that are no ids (SQL
	// Server's nvarchar(450)): event types, status
	// names and types, usernames, queue names, ARNs, endpoints, initiation
	// methods, disconnect reasons.
	MaxTextLen = 450
	// MaxPartitionKeyLen and MaxSequenceNumberLen bound rejected_record's
	// partition_key and sequence_number (Kinesis's own limits are 256 and
	// 128); the engine clips longer ones (a file's long path).
	MaxPartitionKeyLen   = 256
	MaxSequenceNumberLen = 128
	// MaxPayloadLen bounds the payload kept in rejected_record: a larger
	// rejected record keeps its first MaxPayloadLen bytes, and its error
	// says it was truncated.
	MaxPayloadLen = 1 << 20
)

// MinTime and MaxTime bound every stored timestamp: [MinTime, MaxTime).
// Connect wrote no record before 1970; SQL Server's datetime2 and SQLite's
// four-digit text years end with 9999.
var (
	MinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Blank reports whether s is empty or white space only.
func Blank(s string) bool { return strings.TrimSpace(s) == "" }

// TimeInRange reports whether t (not zero) may be stored.
func TimeInRange(t time.Time) bool { return !t.Before(MinTime) && t.Before(MaxTime) }

// valueCheck collects the first violation of the value rules, naming the
// field by its path in the record's JSON.
type valueCheck struct{ err *DecodeError }

func (c *valueCheck) fail(field, reason string) {
	if c.err == nil {
		c.err = &DecodeError{Field: field, Reason: reason}
	}
}

// required: not blank.
func (c *valueCheck) required(field, s string) {
	if Blank(s) {
		c.fail(field, "blank")
	}
}

func (c *valueCheck) text(field, s string, max int) {
	if n := TextLen(s); n > max {
		c.fail(field, "longer than "+strconv.Itoa(max)+" characters ("+strconv.Itoa(n)+")")
	}
}

// time: zero means absent (NULL); anything else must be in range.
func (c *valueCheck) time(field string, t time.Time) {
	if !t.IsZero() && !TimeInRange(t) {
		c.fail(field, "timestamp "+t.UTC().Format(time.RFC3339Nano)+" out of range [1970-01-01, 9999-12-31]")
	}
}

// Validate checks every field of e that the store writes against the value
// rules above; the error is a *DecodeError naming the field
// (errors.Is(err, ErrMalformed)).
func (e *AgentEvent) Validate() error {
	var c valueCheck
	c.required("EventId", e.EventID)
	c.text("EventId", e.EventID, MaxIDLen)
	c.required("EventType", e.EventType)
	c.text("EventType", e.EventType, MaxTextLen)
	if e.EventTimestamp.IsZero() {
		c.fail("EventTimestamp", "missing or zero (it is required)")
	}
	c.time("EventTimestamp", e.EventTimestamp)
	c.text("AgentARN", e.AgentARN, MaxTextLen)
	c.text("AgentARN (agent id)", e.AgentID, MaxIDLen)
	c.text("CurrentAgentSnapshot.Configuration.Username", e.Username, MaxTextLen)
	c.text("CurrentAgentSnapshot.AgentStatus.Name", e.StatusName, MaxTextLen)
	c.text("CurrentAgentSnapshot.AgentStatus.Type", e.StatusType, MaxTextLen)
	c.time("CurrentAgentSnapshot.AgentStatus.StartTimestamp", e.StatusStartTimestamp)
	c.text("CurrentAgentSnapshot.Configuration.RoutingProfile.ARN (routing profile id)", e.RoutingProfileID, MaxIDLen)
	for i := range e.Contacts {
		k := &e.Contacts[i]
		p := "CurrentAgentSnapshot.Contacts[" + strconv.Itoa(i) + "]."
		c.time(p+"StateStartTimestamp", k.StateStartTimestamp)
		c.time(p+"ConnectedToAgentTimestamp", k.ConnectedToAgentTimestamp)
		c.time(p+"QueueTimestamp", k.QueueTimestamp)
	}
	if c.err != nil {
		return c.err
	}
	return nil
}

// Validate checks every field of r that the store writes against the value
// rules above; the error is a *DecodeError naming the field
// (errors.Is(err, ErrMalformed)).
func (r *ContactRecord) Validate() error {
	var c valueCheck
	c.required("ContactId", r.ContactID)
	for _, id := range []struct{ field, v string }{
		{"ContactId", r.ContactID}, {"InitialContactId", r.InitialContactID},
		{"PreviousContactId", r.PreviousContactID}, {"NextContactId", r.NextContactID},
		{"Queue.ARN (queue id)", r.QueueID}, {"Agent.ARN (agent id)", r.AgentID},
	} {
		c.text(id.field, id.v, MaxIDLen)
	}
	c.text("Channel", r.Channel, MaxChannelLen)
	for _, t := range []struct{ field, v string }{
		{"InitiationMethod", r.InitiationMethod}, {"DisconnectReason", r.DisconnectReason},
		{"Queue.Name", r.QueueName}, {"Agent.Username", r.AgentUsername},
		{"CustomerEndpoint.Address", r.CustomerEndpoint}, {"SystemEndpoint.Address", r.SystemEndpoint},
	} {
		c.text(t.field, t.v, MaxTextLen)
	}
	for _, t := range []struct {
		field string
		v     time.Time
	}{
		{"InitiationTimestamp", r.InitiationTimestamp}, {"ConnectedToSystemTimestamp", r.ConnectedToSystemTimestamp},
		{"DisconnectTimestamp", r.DisconnectTimestamp}, {"LastUpdateTimestamp", r.LastUpdateTimestamp},
		{"ScheduledTimestamp", r.ScheduledTimestamp}, {"TransferCompletedTimestamp", r.TransferCompletedTimestamp},
		{"Queue.EnqueueTimestamp", r.EnqueueTimestamp}, {"Queue.DequeueTimestamp", r.DequeueTimestamp},
		{"Agent.ConnectedToAgentTimestamp", r.ConnectedToAgentTimestamp},
		{"Agent.AfterContactWorkStartTimestamp", r.AfterContactWorkStartTimestamp},
		{"Agent.AfterContactWorkEndTimestamp", r.AfterContactWorkEndTimestamp},
	} {
		c.time(t.field, t.v)
	}
	if c.err != nil {
		return c.err
	}
	return nil
}
