// Package ingest is the one engine behind every way stream records arrive:
// the Lambda handlers ProcessAgentEvents and ProcessCTR, the daemon's
// Kinesis consumers, the demo, and `connect-reporting ingest` for files.
// It decodes records (detecting their kind), parks the ones that cannot be
// decoded as rejected records, stores the rest through a
// connectreporting.IngestStore and reports every record's outcome.
package ingest

import (
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// Record is one stream record as it arrived.
type Record struct {
	Data           []byte
	PartitionKey   string
	SequenceNumber string // Kinesis sequence number; for files "path:line" (or "path:#n")
	ArrivalTime    time.Time
	// Size, when more than len(Data), is the size of a record too large
	// to read whole (a file's line over Scanner.MaxRecordSize): Data holds
	// its start, and the engine parks it as rejected without decoding it.
	Size int
}

// Result is the outcome of one Ingest call.
type Result struct {
	connectreporting.BatchResult
	// Failed holds the indexes (into the records passed to Ingest, ascending)
	// of the records that were not stored because the store failed. Lambda
	// reports them as BatchItemFailures; a daemon checkpoints before the first.
	Failed []int
}
