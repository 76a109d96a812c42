package simulator

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// KinesisPutRecordsAPI is the part of the Kinesis client KinesisSink uses
// (*kinesis.Client satisfies it).
type KinesisPutRecordsAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

// Kinesis PutRecords limits.
const (
	kinesisMaxRecords = 500
	kinesisMaxBytes   = 5 << 20
)

// KinesisSink puts records on two Kinesis data streams with PutRecords, as
// Amazon Connect does: agent events partitioned by agent ARN, contact records
// by contact id. Batches hold at most 500 records and 5 MiB; entries the
// service fails (throttling, internal errors) are retried with backoff.
// Point the client at any endpoint (kinesalite, LocalStack) with the
// client's BaseEndpoint option.
type KinesisSink struct {
	Client            KinesisPutRecordsAPI
	AgentEventsStream string // stream name or ARN; "" drops agent events
	CTRStream         string // stream name or ARN; "" drops CTRs
	// MaxAttempts per entry (default 10); Backoff is the first retry delay
	// (default 100 ms), doubled per attempt up to 5 s.
	MaxAttempts int
	Backoff     time.Duration
}

// NewKinesisSink returns a sink writing to the two streams.
func NewKinesisSink(client KinesisPutRecordsAPI, agentEventsStream, ctrStream string) *KinesisSink {
	return &KinesisSink{Client: client, AgentEventsStream: agentEventsStream, CTRStream: ctrStream}
}

// Write puts the records, per stream in order, in batches.
func (k *KinesisSink) Write(ctx context.Context, recs []Record) error {
	var ae, ctr []Record
	for _, r := range recs {
		if r.Stream == StreamCTR {
			ctr = append(ctr, r)
		} else {
			ae = append(ae, r)
		}
	}
	if err := k.putStream(ctx, k.AgentEventsStream, ae); err != nil {
		return err
	}
	return k.putStream(ctx, k.CTRStream, ctr)
}

func (k *KinesisSink) putStream(ctx context.Context, stream string, recs []Record) error {
	if stream == "" {
		return nil
	}
	for len(recs) > 0 {
		n, size := 0, 0
		for n < len(recs) && n < kinesisMaxRecords {
			sz := len(recs[n].Data) + len(recs[n].PartitionKey)
			if n > 0 && size+sz > kinesisMaxBytes {
				break
			}
			size += sz
			n++
		}
		if err := k.putBatch(ctx, stream, recs[:n]); err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

func (k *KinesisSink) putBatch(ctx context.Context, stream string, recs []Record) error {
	attempts := k.MaxAttempts
	if attempts <= 0 {
		attempts = 10
	}
	backoff := k.Backoff
	if backoff <= 0 {
		backoff = 100 * time.Millisecond
	}
	entries := make([]types.PutRecordsRequestEntry, len(recs))
	for i, r := range recs {
		entries[i] = types.PutRecordsRequestEntry{Data: r.Data, PartitionKey: aws.String(r.PartitionKey)}
	}
	in := &kinesis.PutRecordsInput{Records: entries}
	if len(stream) > 4 && stream[:4] == "arn:" {
		in.StreamARN = aws.String(stream)
	} else {
		in.StreamName = aws.String(stream)
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		out, err := k.Client.PutRecords(ctx, in)
		if err == nil && aws.ToInt32(out.FailedRecordCount) == 0 {
			return nil
		}
		if err != nil {
			lastErr = err
		} else {
			// Keep only the failed entries, in order.
			var retry []types.PutRecordsRequestEntry
			for i, res := range out.Records {
				if res.ErrorCode != nil && i < len(in.Records) {
					retry = append(retry, in.Records[i])
					lastErr = fmt.Errorf("%s: %s", aws.ToString(res.ErrorCode), aws.ToString(res.ErrorMessage))
				}
			}
			if len(retry) == 0 {
				return nil
			}
			in.Records = retry
		}
		if attempt >= attempts {
			return fmt.Errorf("simulator: kinesis PutRecords to %s: %d records still failing after %d attempts: %w", stream, len(in.Records), attempts, lastErr)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if backoff *= 2; backoff > 5*time.Second {
			backoff = 5 * time.Second
		}
	}
}
