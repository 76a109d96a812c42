package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// shardLeases walks one lease through its life: created free, taken
// (compare and set on the counter), renewed, stolen, fenced (a batch of the
// old owner stores nothing), finished; then another is released.
func shardLeases(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t, Options{})
	mustLease := func(want string) connectreporting.ShardLease { return leaseOf(t, s, "shard-0", want) }
	created := []connectreporting.ShardLease{{Stream: "ae", ShardID: "shard-0", Checkpoint: "TRIM_HORIZON"}, {Stream: "ae", ShardID: "shard-1", Checkpoint: "LATEST"}}
	for range 2 { // twice: the second call changes nothing
		if err := s.CreateLeases(ctx, created); err != nil {
			t.Fatal(err)
		}
	}
	l := mustLease("|TRIM_HORIZON")
	if ok, err := s.TakeLease(ctx, l, "A"); err != nil || !ok {
		t.Fatalf("take = %v, %v", ok, err)
	}
	if ok, err := s.TakeLease(ctx, l, "B"); err != nil || ok { // l.Counter is stale now
		t.Fatalf("take with a stale counter = %v, %v", ok, err)
	}
	if err := s.CreateLeases(ctx, created); err != nil {
		t.Fatal(err)
	}
	l = mustLease("A|TRIM_HORIZON")
	if ok, err := s.RenewLease(ctx, "ae", "shard-0", "A"); err != nil || !ok {
		t.Fatalf("renew = %v, %v", ok, err)
	}
	if l2 := mustLease("A|TRIM_HORIZON"); l2.Counter != l.Counter+1 {
		t.Fatalf("counter %d after a renewal of %d", l2.Counter, l.Counter)
	}

	t0 := T0
	batch := func(id, owner, seq string) connectreporting.Batch {
		return connectreporting.Batch{
			AgentEvents: []connectreporting.AgentEvent{AgentEvent(id, "STATE_CHANGE", t0, "agent-1", "Available", t0)},
			Checkpoint:  &connectreporting.ShardCheckpoint{Stream: "ae", ShardID: "shard-0", SequenceNumber: seq, Owner: owner},
		}
	}
	if res, err := s.StoreBatch(ctx, batch("e1", "A", "100")); err != nil || res.Stored != 1 {
		t.Fatalf("owner's batch = %+v, %v", res, err)
	}
	if seq, ok, err := s.StreamCheckpoint(ctx, "ae", "shard-0"); err != nil || !ok || seq != "100" {
		t.Fatalf("checkpoint = %q %v %v, want 100", seq, ok, err)
	}
	if _, err := s.StoreBatch(ctx, batch("e2", "B", "200")); !errors.Is(err, connectreporting.ErrLeaseLost) {
		t.Fatalf("non-owner's batch: %v, want ErrLeaseLost", err)
	}

	// B steals the lease: A's next batch is refused whole.
	if ok, err := s.TakeLease(ctx, mustLease("A|100"), "B"); err != nil || !ok {
		t.Fatalf("steal = %v, %v", ok, err)
	}
	if ok, err := s.RenewLease(ctx, "ae", "shard-0", "A"); err != nil || ok {
		t.Fatalf("renewal by the old owner = %v, %v", ok, err)
	}
	if _, err := s.StoreBatch(ctx, batch("e3", "A", "300")); !errors.Is(err, connectreporting.ErrLeaseLost) {
		t.Fatalf("old owner's batch: %v, want ErrLeaseLost", err)
	}
	WantRows(t, s.DB(), "SELECT event_id FROM agent_event ORDER BY event_id", "e1")
	if err := s.FinishShard(ctx, "ae", "shard-0", "A"); !errors.Is(err, connectreporting.ErrLeaseLost) {
		t.Fatalf("finish by the old owner: %v", err)
	}
	if err := s.FinishShard(ctx, "ae", "shard-0", "B"); err != nil {
		t.Fatal(err)
	}
	l = mustLease("|SHARD_END")
	if ok, err := s.TakeLease(ctx, l, "C"); err != nil || ok {
		t.Fatalf("a finished shard was taken: %v, %v", ok, err)
	}
	if _, ok, err := s.StreamCheckpoint(ctx, "ae", "shard-0"); err != nil || ok {
		t.Fatalf("a finished shard has a sequence-number checkpoint: %v %v", ok, err)
	}

	leaseRelease(t, s)
}

// leaseRelease: a release frees a lease for the next taker at once; the
// health report shows every shard's checkpoint and owner.
func leaseRelease(t *testing.T, s Store) {
	ctx := context.Background()
	if ok, err := s.TakeLease(ctx, leaseOf(t, s, "shard-1", "|LATEST"), "A"); err != nil || !ok {
		t.Fatalf("take shard-1 = %v, %v", ok, err)
	}
	if err := s.ReleaseLease(ctx, "ae", "shard-1", "A"); err != nil {
		t.Fatal(err)
	}
	health, err := s.Health(ctx, T0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range health.StreamCheckpoints {
		got = append(got, c.ShardID+"="+c.SequenceNumber+"@"+c.Owner)
	}
	if want := "shard-0=SHARD_END@ shard-1=LATEST@"; strings.Join(got, " ") != want {
		t.Errorf("health checkpoints %v, want %s", got, want)
	}
}

// leaseOf returns the lease of shard of the stream "ae", failing t unless
// its owner and checkpoint are want ("owner|checkpoint").
func leaseOf(t *testing.T, s Store, shard, want string) connectreporting.ShardLease {
	t.Helper()
	ls, err := s.Leases(context.Background(), "ae")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.ShardID == shard {
			if got := l.Owner + "|" + l.Checkpoint; got != want {
				t.Fatalf("lease %s, want %s", got, want)
			}
			return l
		}
	}
	t.Fatalf("no lease %s in %+v", shard, ls)
	return connectreporting.ShardLease{}
}
