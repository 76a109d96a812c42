// Package simingest hands the simulator's records to the ingest engine the
// way the two Kinesis streams hand them to the Lambda handlers: one Ingest
// call per stream, agent events first. The demo and the tests that load a
// simulated centre share it.
package simingest

import (
	"context"
	"fmt"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/ingest"
	"github.com/connect-reporting/connect-reporting/internal/simulator"
)

// Split sorts records by stream into the engine's records.
func Split(recs []simulator.Record) (agentEvents, ctrs []ingest.Record) {
	for _, r := range recs {
		rec := ingest.Record{Data: r.Data, PartitionKey: r.PartitionKey, ArrivalTime: r.Time}
		if r.Stream == simulator.StreamCTR {
			ctrs = append(ctrs, rec)
		} else {
			agentEvents = append(agentEvents, rec)
		}
	}
	return agentEvents, ctrs
}

// Ingest stores one flush of the simulator, a stream at a time, skipping a
// stream with no records. done, when not nil, gets each stream's result,
// a failed one included, before Ingest returns.
func Ingest(ctx context.Context, e *ingest.Engine, recs []simulator.Record, done func(source string, res ingest.Result)) error {
	ae, ctr := Split(recs)
	for _, part := range []struct {
		source string
		recs   []ingest.Record
	}{{connectreporting.SourceAgentEvents, ae}, {connectreporting.SourceCTR, ctr}} {
		if len(part.recs) == 0 {
			continue
		}
		res, err := e.Ingest(ctx, part.source, part.recs)
		if done != nil {
			done(part.source, res)
		}
		if err != nil {
			return fmt.Errorf("ingest %s: %w", part.source, err)
		}
	}
	return nil
}

// Sink is a simulator sink that stores every flush through e.
func Sink(e *ingest.Engine) simulator.Sink {
	return simulator.SinkFunc(func(ctx context.Context, recs []simulator.Record) error {
		return Ingest(ctx, e, recs, nil)
	})
}
