package ctr

import (
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

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
	AgentConnectionAttempts jsontext.Value
	Queue                   *queue

	CustomerEndpoint           *endpoint
	SystemEndpoint             *endpoint
	TransferredToEndpoint      *endpoint
	TransferCompletedTimestamp string

	Attributes jsontext.Value

	// Only to recognise an agent event handed to this decoder.
	EventId   jsontext.Value
	EventType jsontext.Value
}

type agent struct {
	ARN                            string
	Username                       string
	RoutingProfile                 *ref
	ConnectedToAgentTimestamp      string
	AgentInteractionDuration       jsontext.Value
	CustomerHoldDuration           jsontext.Value
	LongestHoldDuration            jsontext.Value
	AfterContactWorkDuration       jsontext.Value
	AfterContactWorkStartTimestamp string
	AfterContactWorkEndTimestamp   string
	NumberOfHolds                  jsontext.Value
}

// ref is the ARN and name of a routing profile, queue or hierarchy group.
type ref = wire.Ref

type queue struct {
	ARN              string
	Name             string
	EnqueueTimestamp string
	DequeueTimestamp string
	Duration         jsontext.Value
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
	return decode(data, read)
}

// DecodeClean is Decode of a record wire.Clean (or wire.CleanTop) has
// cleaned: the ingest engine cleans a record as it tells its kind.
func DecodeClean(doc wire.Doc) (connectreporting.ContactRecord, error) {
	return decodeDoc(doc, read)
}

// decode is Decode with read, which reads the record into the wire struct
// (the tests also run it with encoding/json, the decoder before read, to
// compare).
func decode(data []byte, read func(wire.Doc, *record) error) (connectreporting.ContactRecord, error) {
	doc, err := wire.Clean(data) // what no dialect can keep, in one pass
	if err != nil {
		return connectreporting.ContactRecord{}, err
	}
	return decodeDoc(doc, read)
}

// decodeDoc decodes the cleaned record doc, which read reads into the
// wire struct, into its ContactRecord.
func decodeDoc(doc wire.Doc, read func(wire.Doc, *record) error) (connectreporting.ContactRecord, error) {
	var w record
	if err := read(doc, &w); err != nil {
		return connectreporting.ContactRecord{}, err
	}
	if connectreporting.Blank(w.ContactId) {
		if wire.Present(w.EventId) && wire.Present(w.EventType) {
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

func (d *decoder) seconds(field string, n jsontext.Value) *int64 {
	if d.err != nil {
		return nil
	}
	v, err := wire.Seconds(field, n)
	if err != nil {
		d.err = err
	}
	return v
}

// read reads the record into w with a wire.Reader: the fields of the wire
// structs, by name, and nothing else.
func read(doc wire.Doc, w *record) error {
	return wire.Read(doc, func(r *wire.Reader) error {
		_, err := r.Object(func(name []byte) error { return w.member(r, name) })
		return err
	})
}

var (
	recordNames = wire.NewNames(
		"AWSAccountId", "AWSContactTraceRecordFormatVersion", "InstanceARN",
		"ContactId", "InitialContactId", "PreviousContactId", "NextContactId", "RelatedContactId",
		"Channel", "InitiationMethod",
		"InitiationTimestamp", "ConnectedToSystemTimestamp", "DisconnectTimestamp", "DisconnectReason", "LastUpdateTimestamp", "ScheduledTimestamp",
		"Agent", "AgentConnectionAttempts", "Queue",
		"CustomerEndpoint", "SystemEndpoint", "TransferredToEndpoint", "TransferCompletedTimestamp",
		"Attributes", "EventId", "EventType",
	)
	agentNames = wire.NewNames(
		"ARN", "Username", "RoutingProfile", "ConnectedToAgentTimestamp",
		"AgentInteractionDuration", "CustomerHoldDuration", "LongestHoldDuration", "AfterContactWorkDuration",
		"AfterContactWorkStartTimestamp", "AfterContactWorkEndTimestamp", "NumberOfHolds",
	)
	queueNames    = wire.NewNames("ARN", "Name", "EnqueueTimestamp", "DequeueTimestamp", "Duration")
	endpointNames = wire.NewNames("Address", "Type")
)

func (w *record) member(r *wire.Reader, name []byte) error {
	n := recordNames.Match(name)
	if p := w.text(n); p != nil {
		if strings.HasSuffix(n, "ContactId") || strings.HasSuffix(n, "Timestamp") {
			return r.String(p) // a value of its own
		}
		return r.Shared(p) // a value other records have too
	}
	switch n {
	case "Agent":
		return wire.Struct(r, &w.Agent, (*agent).member)
	case "AgentConnectionAttempts":
		return r.Value(&w.AgentConnectionAttempts)
	case "Queue":
		return wire.Struct(r, &w.Queue, (*queue).member)
	case "CustomerEndpoint":
		return wire.Struct(r, &w.CustomerEndpoint, (*endpoint).member)
	case "SystemEndpoint":
		return wire.Struct(r, &w.SystemEndpoint, (*endpoint).member)
	case "TransferredToEndpoint":
		return wire.Struct(r, &w.TransferredToEndpoint, (*endpoint).member)
	case "Attributes":
		return r.Value(&w.Attributes)
	case "EventId":
		return r.Value(&w.EventId)
	case "EventType":
		return r.Value(&w.EventType)
	}
	return r.Skip()
}

// text returns the string field of the record named name, or nil.
func (w *record) text(name string) *string {
	switch name {
	case "AWSAccountId":
		return &w.AWSAccountId
	case "AWSContactTraceRecordFormatVersion":
		return &w.AWSContactTraceRecordFormatVersion
	case "InstanceARN":
		return &w.InstanceARN
	case "ContactId":
		return &w.ContactId
	case "InitialContactId":
		return &w.InitialContactId
	case "PreviousContactId":
		return &w.PreviousContactId
	case "NextContactId":
		return &w.NextContactId
	case "RelatedContactId":
		return &w.RelatedContactId
	case "Channel":
		return &w.Channel
	case "InitiationMethod":
		return &w.InitiationMethod
	case "InitiationTimestamp":
		return &w.InitiationTimestamp
	case "ConnectedToSystemTimestamp":
		return &w.ConnectedToSystemTimestamp
	case "DisconnectTimestamp":
		return &w.DisconnectTimestamp
	case "DisconnectReason":
		return &w.DisconnectReason
	case "LastUpdateTimestamp":
		return &w.LastUpdateTimestamp
	case "ScheduledTimestamp":
		return &w.ScheduledTimestamp
	case "TransferCompletedTimestamp":
		return &w.TransferCompletedTimestamp
	}
	return nil
}

func (a *agent) member(r *wire.Reader, name []byte) error {
	switch agentNames.Match(name) {
	case "ARN":
		return r.Shared(&a.ARN)
	case "Username":
		return r.Shared(&a.Username)
	case "RoutingProfile":
		return wire.Struct(r, &a.RoutingProfile, (*ref).Member)
	case "ConnectedToAgentTimestamp":
		return r.String(&a.ConnectedToAgentTimestamp)
	case "AgentInteractionDuration":
		return r.Value(&a.AgentInteractionDuration)
	case "CustomerHoldDuration":
		return r.Value(&a.CustomerHoldDuration)
	case "LongestHoldDuration":
		return r.Value(&a.LongestHoldDuration)
	case "AfterContactWorkDuration":
		return r.Value(&a.AfterContactWorkDuration)
	case "AfterContactWorkStartTimestamp":
		return r.String(&a.AfterContactWorkStartTimestamp)
	case "AfterContactWorkEndTimestamp":
		return r.String(&a.AfterContactWorkEndTimestamp)
	case "NumberOfHolds":
		return r.Value(&a.NumberOfHolds)
	}
	return r.Skip()
}

func (q *queue) member(r *wire.Reader, name []byte) error {
	switch queueNames.Match(name) {
	case "ARN":
		return r.Shared(&q.ARN)
	case "Name":
		return r.Shared(&q.Name)
	case "EnqueueTimestamp":
		return r.String(&q.EnqueueTimestamp)
	case "DequeueTimestamp":
		return r.String(&q.DequeueTimestamp)
	case "Duration":
		return r.Value(&q.Duration)
	}
	return r.Skip()
}

func (e *endpoint) member(r *wire.Reader, name []byte) error {
	switch endpointNames.Match(name) {
	case "Address":
		return r.String(&e.Address)
	case "Type":
		return r.Shared(&e.Type)
	}
	return r.Skip()
}
