package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest/wire"
)

// Kind is the kind of a stream record.
type Kind int

// Kinds of stream records.
const (
	KindUnknown       Kind = iota
	KindAgentEvent         // agent event stream record (EventId, EventType)
	KindContactRecord      // contact trace record (ContactId, ...)
)

func (k Kind) String() string {
	switch k {
	case KindAgentEvent:
		return "agent event"
	case KindContactRecord:
		return "contact record"
	}
	return "unknown"
}

// Source is the stream records of kind k belong to:
// connectreporting.SourceAgentEvents or connectreporting.SourceCTR ("" for
// KindUnknown).
func (k Kind) Source() string {
	switch k {
	case KindAgentEvent:
		return connectreporting.SourceAgentEvents
	case KindContactRecord:
		return connectreporting.SourceCTR
	}
	return ""
}

// KindOf returns the kind of record a source (a stream) carries.
func KindOf(source string) (Kind, error) {
	switch source {
	case connectreporting.SourceAgentEvents:
		return KindAgentEvent, nil
	case connectreporting.SourceCTR:
		return KindContactRecord, nil
	}
	return KindUnknown, fmt.Errorf("unknown source %q (want %q or %q)", source, connectreporting.SourceAgentEvents, connectreporting.SourceCTR)
}

// probe holds the top-level fields that tell the kinds apart; the values
// are kept raw, nothing below the top level is decoded.
type probe struct {
	EventId                            json.RawMessage
	EventType                          json.RawMessage
	ContactId                          json.RawMessage
	AWSContactTraceRecordFormatVersion json.RawMessage
	InitiationMethod                   json.RawMessage
	Channel                            json.RawMessage
}

func present(v json.RawMessage) bool { return len(v) > 0 && !bytes.Equal(v, []byte("null")) }

// DetectKind tells an agent event (EventType and EventId) from a contact
// record (ContactId, with AWSContactTraceRecordFormatVersion,
// InitiationMethod or Channel) by their top-level fields, without decoding
// the record. It returns KindUnknown and a *connectreporting.DecodeError
// when data is not a JSON object or has the marks of neither kind (or of
// both).
func DetectKind(data []byte) (Kind, error) {
	var p probe
	if err := wire.Unmarshal(data, &p); err != nil {
		return KindUnknown, err
	}
	m := marks{eventID: present(p.EventId), eventType: present(p.EventType), contactID: present(p.ContactId),
		version: present(p.AWSContactTraceRecordFormatVersion), method: present(p.InitiationMethod), channel: present(p.Channel)}
	agent, contact := m.agent(), m.contact()
	switch {
	case agent && !contact:
		return KindAgentEvent, nil
	case contact && !agent:
		return KindContactRecord, nil
	case agent && contact:
		return KindUnknown, wire.Malformed("", "has the fields of both an agent event (EventId, EventType) and a contact record (ContactId)", errNoKind)
	}
	return KindUnknown, wire.Malformed("", "neither an agent event (EventId, EventType) nor a contact record (ContactId with AWSContactTraceRecordFormatVersion, InitiationMethod or Channel)", errNoKind)
}

// errNoKind marks DetectKind's answer for a JSON object of no (or both)
// kinds, as opposed to input that is no JSON object at all.
var errNoKind = errors.New("kind not recognised")
