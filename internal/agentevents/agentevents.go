package agentevents

import (
	"fmt"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest/wire"
)

// The wire shapes of the agent event stream data model. Fields are strings
// (a JSON null leaves a string empty); timestamps are parsed afterwards so
// an error can name the field. Objects the AgentEvent type does not model
// (NextAgentStatus, Concurrency, InboundQueues, Proficiencies, ...) are not
// declared: they are kept in Raw, whatever their shape.
type event struct {
	EventId               string
	EventType             string
	EventTimestamp        string
	Version               string
	AWSAccountId          string
	InstanceARN           string
	AgentARN              string
	CurrentAgentSnapshot  *snapshot
	PreviousAgentSnapshot *snapshot

	// Only to recognise a contact record handed to this decoder.
	ContactId jsontext.Value
}

type snapshot struct {
	AgentStatus   *status
	Configuration *configuration
	Contacts      []*contact
}

type status struct {
	ARN            string
	Name           string
	StartTimestamp string
	Type           string
}

type configuration struct {
	Username             string
	FirstName            string
	LastName             string
	RoutingProfile       *ref
	AgentHierarchyGroups *hierarchyGroups
}

type hierarchyGroups struct {
	Level1, Level2, Level3, Level4, Level5 *ref
}

// ref is the ARN and name of a routing profile, queue or hierarchy group.
type ref = wire.Ref

type contact struct {
	ContactId                 string
	InitialContactId          string
	Channel                   string
	InitiationMethod          string
	State                     string
	StateStartTimestamp       string
	ConnectedToAgentTimestamp string
	QueueTimestamp            string
	Queue                     *ref
}

// Decode decodes one agent event stream record. Every failure is a
// *connectreporting.DecodeError (errors.Is(err, connectreporting.ErrMalformed));
// a contact record handed to Decode also matches connectreporting.ErrWrongKind.
//
// Decode is longer than 80 lines on purpose: it is the ingest hot path
// (BenchmarkDecode*, pinned by the golden and fuzz tests), and its steps
// (check, status, configuration, contacts) share the wire struct and the
// event; a split must not add allocations, so it waits for a benchmarked change.
func Decode(data []byte) (connectreporting.AgentEvent, error) {
	return decode(data, read)
}

// DecodeClean is Decode of a record wire.Clean (or wire.CleanTop) has
// cleaned: the ingest engine cleans a record as it tells its kind.
func DecodeClean(doc wire.Doc) (connectreporting.AgentEvent, error) {
	return decodeDoc(doc, read)
}

// decode is Decode with read, which reads the record into the wire struct
// (the tests also run it with encoding/json, the decoder before read, to
// compare).
func decode(data []byte, read func(wire.Doc, *event) error) (connectreporting.AgentEvent, error) {
	doc, err := wire.Clean(data) // what no dialect can keep, in one pass
	if err != nil {
		return connectreporting.AgentEvent{}, err
	}
	return decodeDoc(doc, read)
}

// decodeDoc decodes the cleaned record doc, which read reads into the
// wire struct, into its AgentEvent.
func decodeDoc(doc wire.Doc, read func(wire.Doc, *event) error) (connectreporting.AgentEvent, error) {
	var w event
	if err := read(doc, &w); err != nil {
		return connectreporting.AgentEvent{}, err
	}
	ts, err := w.required()
	if err != nil {
		return connectreporting.AgentEvent{}, err
	}
	raw, err := doc.Raw()
	if err != nil {
		return connectreporting.AgentEvent{}, err
	}
	ev := connectreporting.AgentEvent{
		EventID:        w.EventId,
		EventType:      w.EventType,
		EventTimestamp: ts,
		Version:        w.Version,
		AWSAccountID:   w.AWSAccountId,
		InstanceARN:    w.InstanceARN,
		AgentARN:       w.AgentARN,
		AgentID:        connectreporting.IDFromARN(w.AgentARN),
		Raw:            raw,
	}
	cur, prev := w.CurrentAgentSnapshot, w.PreviousAgentSnapshot
	if err := setStatus(&ev, cur, prev); err != nil {
		return connectreporting.AgentEvent{}, err
	}
	// Who the agent is and how they are configured: from the current
	// snapshot, or from the previous one when an event (a LOGOUT, a late
	// HEART_BEAT) carries no current configuration.
	conf := configOf(cur)
	if conf == nil {
		conf = configOf(prev)
	}
	setConfig(&ev, conf)
	if ev.Contacts, err = contactsOf(cur); err != nil {
		return connectreporting.AgentEvent{}, err
	}
	ev.ContactCount = len(ev.Contacts)
	if err := ev.Validate(); err != nil {
		return connectreporting.AgentEvent{}, err
	}
	return ev, nil
}

// required checks the fields every agent event has and returns its time.
// A document with a ContactId but neither EventId nor EventType is a
// contact record on the wrong stream.
func (w *event) required() (time.Time, error) {
	if w.EventId == "" && w.EventType == "" && wire.Present(w.ContactId) {
		return time.Time{}, wire.WrongKind("a contact record (ContactId), not an agent event")
	}
	switch {
	case connectreporting.Blank(w.EventId):
		return time.Time{}, wire.Malformed("EventId", "missing or blank", nil)
	case connectreporting.Blank(w.EventType):
		return time.Time{}, wire.Malformed("EventType", "missing or blank", nil)
	case connectreporting.Blank(w.EventTimestamp):
		return time.Time{}, wire.Malformed("EventTimestamp", "missing or blank", nil)
	}
	return wire.Time("EventTimestamp", w.EventTimestamp)
}

// setStatus sets ev's current agent status and the previous status's
// name; both start timestamps must be valid times.
func setStatus(ev *connectreporting.AgentEvent, cur, prev *snapshot) error {
	if cur != nil && cur.AgentStatus != nil {
		st := cur.AgentStatus
		ev.StatusARN, ev.StatusName, ev.StatusType = st.ARN, st.Name, st.Type
		var err error
		if ev.StatusStartTimestamp, err = wire.Time("CurrentAgentSnapshot.AgentStatus.StartTimestamp", st.StartTimestamp); err != nil {
			return err
		}
	}
	if prev != nil && prev.AgentStatus != nil {
		ev.PreviousStatusName = prev.AgentStatus.Name
		if _, err := wire.Time("PreviousAgentSnapshot.AgentStatus.StartTimestamp", prev.AgentStatus.StartTimestamp); err != nil {
			return err
		}
	}
	return nil
}

// setConfig sets ev's user, routing profile and hierarchy groups from conf
// (nil: none).
func setConfig(ev *connectreporting.AgentEvent, conf *configuration) {
	if conf == nil {
		return
	}
	ev.Username, ev.FirstName, ev.LastName = conf.Username, conf.FirstName, conf.LastName
	if rp := conf.RoutingProfile; rp != nil {
		ev.RoutingProfileARN = rp.ARN
		ev.RoutingProfileID = connectreporting.IDFromARN(rp.ARN)
		ev.RoutingProfileName = rp.Name
	}
	if hg := conf.AgentHierarchyGroups; hg != nil {
		for i, l := range []*ref{hg.Level1, hg.Level2, hg.Level3, hg.Level4, hg.Level5} {
			if l != nil {
				ev.HierarchyGroups[i] = connectreporting.HierarchyRef{ARN: l.ARN, ID: connectreporting.IDFromARN(l.ARN), Name: l.Name}
			}
		}
	}
}

// contactsOf decodes the current snapshot's contacts (none without one).
func contactsOf(cur *snapshot) ([]connectreporting.AgentContact, error) {
	if cur == nil {
		return nil, nil
	}
	var out []connectreporting.AgentContact
	for i, c := range cur.Contacts {
		if c == nil {
			continue
		}
		ac, err := decodeContact(fmt.Sprintf("CurrentAgentSnapshot.Contacts[%d].", i), c)
		if err != nil {
			return nil, err
		}
		out = append(out, ac)
	}
	return out, nil
}

func configOf(s *snapshot) *configuration {
	if s == nil {
		return nil
	}
	return s.Configuration
}

func decodeContact(path string, c *contact) (connectreporting.AgentContact, error) {
	ac := connectreporting.AgentContact{
		ContactID:        c.ContactId,
		InitialContactID: c.InitialContactId,
		Channel:          connectreporting.NormalizeChannel(c.Channel),
		InitiationMethod: c.InitiationMethod,
		State:            c.State,
	}
	var err error
	if ac.StateStartTimestamp, err = wire.Time(path+"StateStartTimestamp", c.StateStartTimestamp); err != nil {
		return ac, err
	}
	if ac.ConnectedToAgentTimestamp, err = wire.Time(path+"ConnectedToAgentTimestamp", c.ConnectedToAgentTimestamp); err != nil {
		return ac, err
	}
	if ac.QueueTimestamp, err = wire.Time(path+"QueueTimestamp", c.QueueTimestamp); err != nil {
		return ac, err
	}
	if q := c.Queue; q != nil {
		ac.QueueARN, ac.QueueID, ac.QueueName = q.ARN, connectreporting.IDFromARN(q.ARN), q.Name
	}
	return ac, nil
}

// read reads the record into w with a wire.Reader: the fields of the wire
// structs, by name, and nothing else.
func read(doc wire.Doc, w *event) error {
	return wire.Read(doc, func(r *wire.Reader) error {
		_, err := r.Object(func(name []byte) error { return w.member(r, name) })
		return err
	})
}

var (
	eventNames         = wire.NewNames("EventId", "EventType", "EventTimestamp", "Version", "AWSAccountId", "InstanceARN", "AgentARN", "CurrentAgentSnapshot", "PreviousAgentSnapshot", "ContactId")
	snapshotNames      = wire.NewNames("AgentStatus", "Configuration", "Contacts")
	statusNames        = wire.NewNames("ARN", "Name", "StartTimestamp", "Type")
	configurationNames = wire.NewNames("Username", "FirstName", "LastName", "RoutingProfile", "AgentHierarchyGroups")
	levelNames         = wire.NewNames("Level1", "Level2", "Level3", "Level4", "Level5")
	contactNames       = wire.NewNames("ContactId", "InitialContactId", "Channel", "InitiationMethod", "State", "StateStartTimestamp", "ConnectedToAgentTimestamp", "QueueTimestamp", "Queue")
)

func (w *event) member(r *wire.Reader, name []byte) error {
	switch eventNames.Match(name) {
	case "EventId":
		return r.String(&w.EventId)
	case "EventType":
		return r.Shared(&w.EventType)
	case "EventTimestamp":
		return r.String(&w.EventTimestamp)
	case "Version":
		return r.Shared(&w.Version)
	case "AWSAccountId":
		return r.Shared(&w.AWSAccountId)
	case "InstanceARN":
		return r.Shared(&w.InstanceARN)
	case "AgentARN":
		return r.Shared(&w.AgentARN)
	case "CurrentAgentSnapshot":
		return wire.Struct(r, &w.CurrentAgentSnapshot, (*snapshot).member)
	case "PreviousAgentSnapshot":
		return wire.Struct(r, &w.PreviousAgentSnapshot, (*snapshot).member)
	case "ContactId":
		return r.Value(&w.ContactId)
	}
	return r.Skip()
}

func (s *snapshot) member(r *wire.Reader, name []byte) error {
	switch snapshotNames.Match(name) {
	case "AgentStatus":
		return wire.Struct(r, &s.AgentStatus, (*status).member)
	case "Configuration":
		return wire.Struct(r, &s.Configuration, (*configuration).member)
	case "Contacts":
		return wire.Slice(r, &s.Contacts, func(c **contact) error { return wire.Struct(r, c, (*contact).member) })
	}
	return r.Skip()
}

func (s *status) member(r *wire.Reader, name []byte) error {
	switch statusNames.Match(name) {
	case "ARN":
		return r.Shared(&s.ARN)
	case "Name":
		return r.Shared(&s.Name)
	case "StartTimestamp":
		return r.String(&s.StartTimestamp)
	case "Type":
		return r.Shared(&s.Type)
	}
	return r.Skip()
}

func (c *configuration) member(r *wire.Reader, name []byte) error {
	switch configurationNames.Match(name) {
	case "Username":
		return r.Shared(&c.Username)
	case "FirstName":
		return r.Shared(&c.FirstName)
	case "LastName":
		return r.Shared(&c.LastName)
	case "RoutingProfile":
		return wire.Struct(r, &c.RoutingProfile, (*ref).Member)
	case "AgentHierarchyGroups":
		return wire.Struct(r, &c.AgentHierarchyGroups, (*hierarchyGroups).member)
	}
	return r.Skip()
}

func (h *hierarchyGroups) member(r *wire.Reader, name []byte) error {
	switch levelNames.Match(name) {
	case "Level1":
		return wire.Struct(r, &h.Level1, (*ref).Member)
	case "Level2":
		return wire.Struct(r, &h.Level2, (*ref).Member)
	case "Level3":
		return wire.Struct(r, &h.Level3, (*ref).Member)
	case "Level4":
		return wire.Struct(r, &h.Level4, (*ref).Member)
	case "Level5":
		return wire.Struct(r, &h.Level5, (*ref).Member)
	}
	return r.Skip()
}

func (c *contact) member(r *wire.Reader, name []byte) error {
	switch contactNames.Match(name) {
	case "ContactId":
		return r.String(&c.ContactId)
	case "InitialContactId":
		return r.String(&c.InitialContactId)
	case "Channel":
		return r.Shared(&c.Channel)
	case "InitiationMethod":
		return r.Shared(&c.InitiationMethod)
	case "State":
		return r.Shared(&c.State)
	case "StateStartTimestamp":
		return r.String(&c.StateStartTimestamp)
	case "ConnectedToAgentTimestamp":
		return r.String(&c.ConnectedToAgentTimestamp)
	case "QueueTimestamp":
		return r.String(&c.QueueTimestamp)
	case "Queue":
		return wire.Struct(r, &c.Queue, (*ref).Member)
	}
	return r.Skip()
}
