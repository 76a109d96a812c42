package ctr

import (
	"encoding/json"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest/wire"
)

// The wire shapes of the contact records data model. Strings stay empty
// for a JSON null; timestamps and durations are converted afterwards so an
// error can name the field. What ContactRecord does not model (Recording,
// Recordings, MediaStreams, HierarchyGroups, ContactDetails, References,
// VoiceIdResult, ...) is not declared and is kept in Raw whatever its shape.
type record struct {
	AWSAccountId                       string
	AWSContactTraceRecordFormatVersion string
	InstanceARN                        string

	ContactId         string
	InitialContactId  string
	PreviousContactId string
	NextContactId     string
	RelatedContactId  string

	Channel          string
	InitiationMethod string

	InitiationTimestamp        string
	ConnectedToSystemTimestamp string
	DisconnectTimestamp        string
	DisconnectReason           string
	LastUpdateTimestamp        string
	ScheduledTimestamp         string

	Agent                   *agent
	AgentConnectionAttempts json.RawMessage
	Queue                   *queue

	CustomerEndpoint           *endpoint
	SystemEndpoint             *endpoint
	TransferredToEndpoint      *endpoint
	TransferCompletedTimestamp string

	Attributes json.RawMessage

	// Only to recognise an agent event handed to this decoder.
	EventId   any
	EventType any
}

type agent struct {
	ARN                            string
	Username                       string
	RoutingProfile                 *ref
	ConnectedToAgentTimestamp      string
	AgentInteractionDuration       json.RawMessage
	CustomerHoldDuration           json.RawMessage
	LongestHoldDuration            json.RawMessage
	AfterContactWorkDuration       json.RawMessage
	AfterContactWorkStartTimestamp string
	AfterContactWorkEndTimestamp   string
	NumberOfHolds                  json.RawMessage
}

type ref struct {
	ARN  string
	Name string
}

type queue struct {
	ARN              string
	Name             string
	EnqueueTimestamp string
	DequeueTimestamp string
	Duration         json.RawMessage
}

type endpoint struct {
	Address string
	Type    string
}

// Decode decodes one contact record (CTR). Every failure is a
// *connectreporting.DecodeError (errors.Is(err, connectreporting.ErrMalformed));
// an agent event handed to Decode also matches connectreporting.ErrWrongKind.
//
// Decode is longer than 80 lines on purpose: it is the ingest hot path
// (BenchmarkDecode*, pinned by the golden and fuzz tests), and its steps
// share the wire struct and the record; a split must not add allocations,
// so it waits for a benchmarked change.
func Decode(data []byte) (connectreporting.ContactRecord, error) {
	doc, err := wire.Clean(data) // what no dialect can keep, in one pass
	if err != nil {
		return connectreporting.ContactRecord{}, err
	}
	var w record
	if err := wire.Unmarshal(doc.Data, &w); err != nil {
		return connectreporting.ContactRecord{}, err
	}
	if connectreporting.Blank(w.ContactId) {
		if w.EventId != nil && w.EventType != nil {
			return connectreporting.ContactRecord{}, wire.WrongKind("an agent event (EventId, EventType), not a contact record")
		}
		return connectreporting.ContactRecord{}, wire.Malformed("ContactId", "missing or blank", nil)
	}
	raw, err := doc.Raw()
	if err != nil {
		return connectreporting.ContactRecord{}, err
	}
	c := connectreporting.ContactRecord{
		ContactID:         w.ContactId,
		InitialContactID:  w.InitialContactId,
		PreviousContactID: w.PreviousContactId,
		NextContactID:     w.NextContactId,
		RelatedContactID:  w.RelatedContactId,
		AWSAccountID:      w.AWSAccountId,
		InstanceARN:       w.InstanceARN,
		Channel:           connectreporting.NormalizeChannel(w.Channel),
		InitiationMethod:  w.InitiationMethod,
		DisconnectReason:  w.DisconnectReason,
		Raw:               raw,
	}
	d := decoder{}
	c.InitiationTimestamp = d.time("InitiationTimestamp", w.InitiationTimestamp)
	c.ConnectedToSystemTimestamp = d.time("ConnectedToSystemTimestamp", w.ConnectedToSystemTimestamp)
	c.DisconnectTimestamp = d.time("DisconnectTimestamp", w.DisconnectTimestamp)
	c.LastUpdateTimestamp = d.time("LastUpdateTimestamp", w.LastUpdateTimestamp)
	c.ScheduledTimestamp = d.time("ScheduledTimestamp", w.ScheduledTimestamp)
	c.TransferCompletedTimestamp = d.time("TransferCompletedTimestamp", w.TransferCompletedTimestamp)
	c.AgentConnectionAttempts = d.seconds("AgentConnectionAttempts", w.AgentConnectionAttempts)

	if q := w.Queue; q != nil {
		c.QueueARN, c.QueueID, c.QueueName = q.ARN, connectreporting.IDFromARN(q.ARN), q.Name
		c.EnqueueTimestamp = d.time("Queue.EnqueueTimestamp", q.EnqueueTimestamp)
		c.DequeueTimestamp = d.time("Queue.DequeueTimestamp", q.DequeueTimestamp)
		c.QueueDurationSeconds = d.seconds("Queue.Duration", q.Duration)
	}
	if a := w.Agent; a != nil {
		c.AgentARN, c.AgentID, c.AgentUsername = a.ARN, connectreporting.IDFromARN(a.ARN), a.Username
		if rp := a.RoutingProfile; rp != nil {
			c.AgentRoutingProfileID, c.AgentRoutingProfileName = connectreporting.IDFromARN(rp.ARN), rp.Name
		}
		c.ConnectedToAgentTimestamp = d.time("Agent.ConnectedToAgentTimestamp", a.ConnectedToAgentTimestamp)
		c.AgentInteractionDurationSeconds = d.seconds("Agent.AgentInteractionDuration", a.AgentInteractionDuration)
		c.CustomerHoldDurationSeconds = d.seconds("Agent.CustomerHoldDuration", a.CustomerHoldDuration)
		c.LongestHoldDurationSeconds = d.seconds("Agent.LongestHoldDuration", a.LongestHoldDuration)
		c.AfterContactWorkDurationSeconds = d.seconds("Agent.AfterContactWorkDuration", a.AfterContactWorkDuration)
		c.AfterContactWorkStartTimestamp = d.time("Agent.AfterContactWorkStartTimestamp", a.AfterContactWorkStartTimestamp)
		c.AfterContactWorkEndTimestamp = d.time("Agent.AfterContactWorkEndTimestamp", a.AfterContactWorkEndTimestamp)
		c.NumberOfHolds = d.seconds("Agent.NumberOfHolds", a.NumberOfHolds)
	}
	if e := w.CustomerEndpoint; e != nil {
		c.CustomerEndpoint, c.CustomerEndpointType = e.Address, e.Type
	}
	if e := w.SystemEndpoint; e != nil {
		c.SystemEndpoint, c.SystemEndpointType = e.Address, e.Type
	}
	if e := w.TransferredToEndpoint; e != nil {
		c.TransferredToEndpoint = e.Address
	}
	if d.err != nil {
		return connectreporting.ContactRecord{}, d.err
	}
	if c.Attributes, err = wire.Attributes("Attributes", w.Attributes); err != nil {
		return connectreporting.ContactRecord{}, err
	}
	if err := c.Validate(); err != nil {
		return connectreporting.ContactRecord{}, err
	}
	return c, nil
}

// decoder keeps the first conversion error, so Decode reads as a list of
// field mappings.
type decoder struct{ err error }

func (d *decoder) time(field, s string) (t time.Time) {
	if d.err != nil {
		return t
	}
	t, d.err = wire.Time(field, s)
	return t
}

func (d *decoder) seconds(field string, n json.RawMessage) *int64 {
	if d.err != nil {
		return nil
	}
	v, err := wire.Seconds(field, n)
	if err != nil {
		d.err = err
	}
	return v
}
