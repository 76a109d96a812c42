package daemon

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// DefaultLeaseDuration is how long a shard lease lives without renewal
// before another consumer takes it over (the Kinesis Client Library's
// failover time).
const DefaultLeaseDuration = 10 * time.Second

// NewWorkerID returns a consumer identity unique to this process run:
// host name, process id and a random suffix. A lease names its holder by
// it, so a restarted process never mistakes an old lease for its own.
func NewWorkerID() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "worker"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// observed is what a consumer last saw of a lease, and since when: a lease
// whose counter has not moved for the lease duration is expired. Expiry is
// measured on the observer's own clock, so clocks of different hosts need
// not agree.
type observed struct {
	owner   string
	counter int64
	since   time.Time
}

// leaseView is one round's view of a stream's leases.
type leaseView struct {
	me       string
	duration time.Duration
	now      time.Time
	seen     map[string]observed // by shard id, kept across rounds
}

// observe records the leases' owners and counters; it returns the leases
// by shard id.
func (v leaseView) observe(leases []connectreporting.ShardLease) map[string]connectreporting.ShardLease {
	out := make(map[string]connectreporting.ShardLease, len(leases))
	for _, l := range leases {
		out[l.ShardID] = l
		o, ok := v.seen[l.ShardID]
		if !ok || o.counter != l.Counter || o.owner != l.Owner {
			v.seen[l.ShardID] = observed{owner: l.Owner, counter: l.Counter, since: v.now}
		}
	}
	return out
}

// expired says a lease may be taken: it is free, or another holder has not
// renewed it for the lease duration.
func (v leaseView) expired(l connectreporting.ShardLease) bool {
	if l.Owner == "" {
		return true
	}
	return l.Owner != v.me && v.now.Sub(v.seen[l.ShardID].since) > v.duration
}

// plan chooses the leases to take this round from available (the leases
// that may be read now: not finished, parents finished), as the Kinesis
// Client Library's lease taker does: each worker aims at
// ceil(available / workers) leases; it takes expired leases first and,
// when there are none, steals one lease from the most loaded worker if that
// one holds more than the target (or as many, while this worker is two or
// more below it). busy names shards this worker must not take yet (a
// reader of it is still stopping).
func (v leaseView) plan(available []connectreporting.ShardLease, busy map[string]bool) []connectreporting.ShardLease {
	count := map[string]int{v.me: 0}
	for _, l := range available {
		if !v.expired(l) {
			count[l.Owner]++
		}
	}
	target := int(math.Ceil(float64(len(available)) / float64(len(count))))
	need := target - count[v.me]
	if need <= 0 {
		return nil
	}
	var take []connectreporting.ShardLease
	for _, l := range available {
		if len(take) < need && l.Owner != v.me && v.expired(l) && !busy[l.ShardID] {
			take = append(take, l)
		}
	}
	if len(take) > 0 {
		return take
	}
	most, mostN := "", 0
	for w, n := range count {
		if w != v.me && (n > mostN || n == mostN && w < most) {
			most, mostN = w, n
		}
	}
	if most == "" || !(mostN > target || mostN == target && need > 1) {
		return nil
	}
	for _, l := range available {
		if l.Owner == most && !busy[l.ShardID] {
			return []connectreporting.ShardLease{l}
		}
	}
	return nil
}

// newLeases returns the leases to create for listed shards that have none,
// with their initial checkpoints. On a stream without any lease yet (the
// first consumer ever), shards start at the stream's starting position,
// except that with LATEST a closed shard is finished at once (nothing of it
// is wanted). Shards found later were created by resharding while
// consumers ran: they start at TRIM_HORIZON so nothing between parent and
// child is skipped.
func newLeases(st Stream, name string, shards map[string]types.Shard, have map[string]connectreporting.ShardLease) []connectreporting.ShardLease {
	first := len(have) == 0
	var out []connectreporting.ShardLease
	for id, sh := range shards {
		if _, ok := have[id]; ok {
			continue
		}
		cp := connectreporting.CheckpointTrimHorizon
		if first && st.StartingPosition == StartLatest {
			cp = connectreporting.CheckpointLatest
			if sh.SequenceNumberRange != nil && sh.SequenceNumberRange.EndingSequenceNumber != nil {
				cp = connectreporting.CheckpointShardEnd
			}
		}
		out = append(out, connectreporting.ShardLease{Stream: name, ShardID: id, Checkpoint: cp})
	}
	slices.SortFunc(out, func(a, b connectreporting.ShardLease) int { return cmp.Compare(a.ShardID, b.ShardID) })
	return out
}

// available returns the leases that may be read now, by shard id: listed,
// not finished, and whose listed parents are finished (parents before
// children, whichever consumer reads them).
func available(shards map[string]types.Shard, leases map[string]connectreporting.ShardLease) []connectreporting.ShardLease {
	var out []connectreporting.ShardLease
	for id, sh := range shards {
		l, ok := leases[id]
		if !ok || l.Checkpoint == connectreporting.CheckpointShardEnd {
			continue
		}
		ready := true
		for _, p := range []*string{sh.ParentShardId, sh.AdjacentParentShardId} {
			if p == nil {
				continue
			}
			if _, listed := shards[aws.ToString(p)]; !listed {
				continue // past the retention period
			}
			if pl, ok := leases[aws.ToString(p)]; !ok || pl.Checkpoint != connectreporting.CheckpointShardEnd {
				ready = false
			}
		}
		if ready {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b connectreporting.ShardLease) int { return cmp.Compare(a.ShardID, b.ShardID) })
	return out
}

// startPosition is where a reader starts from a lease's checkpoint.
func startPosition(cp string) position {
	switch cp {
	case connectreporting.CheckpointTrimHorizon:
		return position{typ: types.ShardIteratorTypeTrimHorizon}
	case connectreporting.CheckpointLatest:
		return position{typ: types.ShardIteratorTypeLatest}
	}
	return position{types.ShardIteratorTypeAfterSequenceNumber, cp}
}

// retry runs f until it succeeds or ctx is done, backing off between
// attempts; it returns f's last error when ctx ends first.
func (c *Consumer) retry(ctx context.Context, f func() error, onErr func(error)) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || ctx.Err() != nil {
			return err
		}
		onErr(err)
		if !sleep(ctx, backoff(c.RetryBackoff, c.MaxBackoff, attempt)) {
			return err
		}
	}
}
