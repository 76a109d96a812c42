package connectreporting

import (
	"errors"
	"fmt"
	"time"
)

// Sources of ingested records, as stored in rejected_record.source.
const (
	SourceAgentEvents = "agent-events"
	SourceCTR         = "ctr"
)

// RejectedRecord is a record that could not be decoded. It is parked in
// rejected_record where an operator can see it, and never retried.
type RejectedRecord struct {
	Source         string
	PartitionKey   string
	SequenceNumber string
	ReceivedAt     time.Time
	Error          string
	Payload        []byte
}

// ErrMalformed marks input that cannot be decoded; errors.Is(err, ErrMalformed)
// tells a rejected record from a failure that should be retried.
var ErrMalformed = errors.New("malformed record")

// ErrWrongKind marks a record of the other stream's kind (an agent event on
// the CTR stream, or the reverse).
var ErrWrongKind = errors.New("record of another kind")

// DecodeError says why a record could not be decoded.
type DecodeError struct {
	Field  string // JSON path of the offending field, if known
	Reason string
	Err    error
}

func (e *DecodeError) Error() string {
	msg := e.Reason
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		msg = fmt.Sprintf("%s: %v", msg, e.Err)
	}
	return msg
}

// Unwrap lets errors.Is find ErrMalformed (and the cause).
func (e *DecodeError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrMalformed, e.Err}
	}
	return []error{ErrMalformed}
}

// ErrData marks a store error caused by the values of the batch, not by the
// database being unavailable: a constraint, an out-of-range value, text the
// column cannot take. Retrying the same batch fails the same way, so the
// ingest engine isolates the offending records and parks them instead.
// Stores report such failures as a *DataError.
var ErrData = errors.New("data error")

// DataError wraps a driver error the store classified as a data error;
// errors.Is(err, ErrData) holds for it, and errors.As finds the driver's
// own error through it.
type DataError struct{ Err error }

func (e *DataError) Error() string { return "data error: " + e.Err.Error() }

// Unwrap returns ErrData and the driver's error.
func (e *DataError) Unwrap() []error { return []error{ErrData, e.Err} }
