package ingest

import (
	"bytes"

	"github.com/connect-reporting/connect-reporting/internal/ingest/wire"
)

// sniffKind tells the kind of a record by its top-level fields as
// DetectKind does (a field counts when present and not null; names match
// case-insensitively, the last of a repeated name wins, as encoding/json
// reads them), from what wire.CleanTop sees of them on its way through the
// record, and returns the record so cleaned for its decoder: the kind
// costs no pass of its own. ok is false when it cannot tell (not an
// object, an escaped field name, a record Clean refuses): the caller then
// asks DetectKind, which also explains what is wrong.
func sniffKind(data []byte) (kind Kind, doc wire.Doc, ok bool) {
	i := wire.SkipSpace(data, 0)
	if i == len(data) || data[i] != '{' {
		return KindUnknown, doc, false
	}
	var m marks
	escaped := false
	doc, err := wire.CleanTop(data, func(name []byte, null bool) {
		if bytes.IndexByte(name, '\\') >= 0 {
			escaped = true
		}
		m.set(name, !null)
	})
	if err != nil || escaped {
		return KindUnknown, doc, false
	}
	kind, ok = m.kind()
	return kind, doc, ok
}

// marks are the top-level fields that tell the kinds apart.
type marks struct {
	eventID, eventType, contactID, version, method, channel bool
}

// markNames are the names of the marks, matched as encoding/json matches
// DetectKind's fields (exactly, else by Unicode case folding: ſ is s, K
// is k, so a name's length may differ from the mark's).
var markNames = wire.NewNames("EventId", "EventType", "ContactId", "AWSContactTraceRecordFormatVersion", "InitiationMethod", "Channel")

func (m *marks) set(name []byte, present bool) {
	switch markNames.Match(name) {
	case "EventId":
		m.eventID = present
	case "EventType":
		m.eventType = present
	case "ContactId":
		m.contactID = present
	case "AWSContactTraceRecordFormatVersion":
		m.version = present
	case "InitiationMethod":
		m.method = present
	case "Channel":
		m.channel = present
	}
}

// agent and contact are the rule of both DetectKind and sniffKind: an
// agent event has EventType and EventId, a contact record ContactId with
// AWSContactTraceRecordFormatVersion, InitiationMethod or Channel.
func (m marks) agent() bool   { return m.eventType && m.eventID }
func (m marks) contact() bool { return m.contactID && (m.version || m.method || m.channel) }

// kind is DetectKind's rule; a record of both or neither kind is left to
// DetectKind, which explains it.
func (m marks) kind() (Kind, bool) {
	agent, contact := m.agent(), m.contact()
	switch {
	case agent && !contact:
		return KindAgentEvent, true
	case contact && !agent:
		return KindContactRecord, true
	}
	return KindUnknown, false
}
