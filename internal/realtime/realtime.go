// Package realtime is the real-time poller (OnboardObservations): it
// snapshots every queue and channel (GetCurrentMetricData) and every
// logged-in agent (GetCurrentUserData) and stores the snapshots, round after
// round, until the invocation's deadline less a margin.
package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/clock"
)

// API is what the poller reads; *connectapi.Client implements it.
type API interface {
	// ListQueues lists the STANDARD queues (the modification times are unused here).
	ListQueues(ctx context.Context) ([]connectreporting.Queue, map[string]time.Time, error)
	// ListRoutingProfiles lists the routing profiles.
	ListRoutingProfiles(ctx context.Context) ([]connectreporting.RoutingProfile, map[string]time.Time, error)
	// CurrentQueueSnapshots snapshots the queues on every channel; SnapshotTime
	// is the API's DataSnapshotTime (zero when absent).
	CurrentQueueSnapshots(ctx context.Context, queueIDs []string) ([]connectreporting.QueueSnapshot, error)
	// CurrentAgentSnapshots snapshots the logged-in agents of the routing profiles.
	CurrentAgentSnapshots(ctx context.Context, routingProfileIDs []string) ([]connectreporting.AgentSnapshot, error)
}

// Defaults.
const (
	DefaultMargin  = 10 * time.Second
	DefaultRefresh = 5 * time.Minute
)

// Poller takes real-time snapshots. Set API and Store; the rest is optional.
// A Poller is not meant for concurrent Poll calls.
type Poller struct {
	API   API
	Store connectreporting.SnapshotStore
	// Delay is the pause between rounds (DELAY).
	Delay time.Duration
	// Margin is kept free before ctx's deadline: no round starts when less
	// than Margin is left (default DefaultMargin; negative means none).
	Margin time.Duration
	// Loop makes Poll repeat until ctx is cancelled when ctx has no deadline
	// (the daemon); without it and without a deadline Poll does one round.
	Loop bool
	// Refresh is how long the lists of queues and routing profiles are
	// reused before they are read again (default DefaultRefresh). Every Poll
	// call reads them again at its first round.
	Refresh time.Duration
	// Now gives the snapshot time when the API gives none (time.Now by
	// default). The deadline arithmetic always uses the wall clock.
	Now    func() time.Time
	Logger *slog.Logger

	mu        sync.Mutex
	queueIDs  []string
	rpIDs     []string
	listedAt  time.Time
	lastRound RoundStats
}

// RoundStats counts one round.
type RoundStats struct {
	SnapshotTime time.Time
	Queues       int // queue snapshots stored (one per queue and channel)
	Agents       int // agent snapshots stored
	Duration     time.Duration
}

// LastRound returns the counts of the last completed round.
func (p *Poller) LastRound() RoundStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastRound
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Poller) log() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

func (p *Poller) margin() time.Duration {
	switch {
	case p.Margin < 0:
		return 0
	case p.Margin == 0:
		return DefaultMargin
	}
	return p.Margin
}

// Poll takes rounds of snapshots. With a deadline on ctx it repeats every
// Delay until the deadline less Margin: a round starts only while the time
// left exceeds Margin, and a round's own calls are bounded by the deadline
// less Margin so the invocation ends on time. Without a deadline it does
// one round, or loops until ctx is cancelled when Loop is set. A failed
// round is logged and the loop goes on; Poll returns the last round's error
// when no round succeeded.
func (p *Poller) Poll(ctx context.Context) error {
	if p.API == nil || p.Store == nil {
		return errors.New("realtime: Poller needs API and Store")
	}
	roundCtx, stop, cancel := clock.WithMargin(ctx, p.margin())
	defer cancel()
	hasDeadline := !stop.IsZero()
	p.mu.Lock()
	p.listedAt = time.Time{} // every invocation re-reads the lists once
	p.mu.Unlock()

	var (
		rounds, failed int
		lastErr        error
	)
	for {
		if hasDeadline && !time.Now().Before(stop) {
			break
		}
		if err := p.round(roundCtx); err != nil {
			if ctx.Err() != nil || (hasDeadline && roundCtx.Err() != nil && rounds+failed > 0) {
				break // the invocation ends; a round cut short is not a failure
			}
			failed++
			lastErr = err
			p.log().Error("realtime round failed", "err", err)
		} else {
			rounds++
		}
		if !hasDeadline && !p.Loop {
			break
		}
		if hasDeadline && !time.Now().Add(p.Delay).Before(stop) {
			break
		}
		if err := clock.Sleep(ctx, p.Delay); err != nil {
			break
		}
	}
	p.log().Info("realtime poll done", "rounds", rounds, "failed", failed)
	if rounds == 0 && lastErr != nil {
		return lastErr
	}
	if rounds == 0 && ctx.Err() != nil {
		return ctx.Err()
	}
	if rounds+failed == 0 {
		// Nothing was polled: the deadline left no time past the margin
		// (e.g. a function timeout shorter than Margin). Say so.
		return fmt.Errorf("realtime: the deadline (%s away) leaves no time for a round past the margin of %s",
			time.Until(stop.Add(p.margin())).Round(time.Millisecond), p.margin())
	}
	return nil
}

// Round takes and stores one snapshot of every queue/channel and agent.
func (p *Poller) Round(ctx context.Context) error { return p.round(ctx) }

func (p *Poller) round(ctx context.Context) error {
	start := time.Now()
	queueIDs, rpIDs, err := p.lists(ctx)
	if err != nil {
		return err
	}
	queues, agents, qErr, aErr := p.fetch(ctx, queueIDs, rpIDs)
	// One time per round, so a round's rows share one snapshot_time: the
	// API's DataSnapshotTime (the earliest, when chunks differ), else now.
	snap := earliest(queues)
	if snap.IsZero() {
		snap = p.now()
	}
	snap = snap.UTC()
	if err := p.store(ctx, snap, queues, agents, qErr, aErr); err != nil {
		return err
	}
	st := RoundStats{SnapshotTime: snap, Queues: len(queues), Agents: len(agents), Duration: time.Since(start)}
	p.mu.Lock()
	p.lastRound = st
	p.mu.Unlock()
	p.log().Info("realtime round", "snapshot_time", snap, "queue_snapshots", st.Queues,
		"agent_snapshots", st.Agents, "queues", len(queueIDs), "routing_profiles", len(rpIDs), "duration", st.Duration)
	return nil
}

// fetch reads the queue and the agent snapshots side by side.
func (p *Poller) fetch(ctx context.Context, queueIDs, rpIDs []string) (queues []connectreporting.QueueSnapshot, agents []connectreporting.AgentSnapshot, qErr, aErr error) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		queues, qErr = p.API.CurrentQueueSnapshots(ctx, queueIDs)
	}()
	go func() {
		defer wg.Done()
		agents, aErr = p.API.CurrentAgentSnapshots(ctx, rpIDs)
	}()
	wg.Wait()
	return queues, agents, qErr, aErr
}

// store stores the snapshots read without error under snap; the error
// joins the read errors and the store's.
func (p *Poller) store(ctx context.Context, snap time.Time, queues []connectreporting.QueueSnapshot, agents []connectreporting.AgentSnapshot, qErr, aErr error) error {
	var errs []error
	if qErr != nil {
		errs = append(errs, fmt.Errorf("queue snapshots: %w", qErr))
	} else {
		for i := range queues {
			queues[i].SnapshotTime = snap
		}
		if err := p.Store.StoreQueueSnapshots(ctx, queues); err != nil {
			errs = append(errs, fmt.Errorf("storing queue snapshots: %w", err))
		}
	}
	if aErr != nil {
		errs = append(errs, fmt.Errorf("agent snapshots: %w", aErr))
	} else {
		for i := range agents {
			agents[i].SnapshotTime = snap
		}
		if err := p.Store.StoreAgentSnapshots(ctx, agents); err != nil {
			errs = append(errs, fmt.Errorf("storing agent snapshots: %w", err))
		}
	}
	return errors.Join(errs...)
}

// lists returns the queue and routing profile ids, read again when older
// than Refresh.
func (p *Poller) lists(ctx context.Context) ([]string, []string, error) {
	refresh := p.Refresh
	if refresh <= 0 {
		refresh = DefaultRefresh
	}
	p.mu.Lock()
	if !p.listedAt.IsZero() && time.Since(p.listedAt) < refresh {
		q, r := p.queueIDs, p.rpIDs
		p.mu.Unlock()
		return q, r, nil
	}
	p.mu.Unlock()
	queues, _, err := p.API.ListQueues(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("listing queues: %w", err)
	}
	rps, _, err := p.API.ListRoutingProfiles(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("listing routing profiles: %w", err)
	}
	qIDs := make([]string, len(queues))
	for i, q := range queues {
		qIDs[i] = q.ID
	}
	rIDs := make([]string, len(rps))
	for i, r := range rps {
		rIDs[i] = r.ID
	}
	p.mu.Lock()
	p.queueIDs, p.rpIDs, p.listedAt = qIDs, rIDs, time.Now()
	p.mu.Unlock()
	return qIDs, rIDs, nil
}

func earliest(snaps []connectreporting.QueueSnapshot) time.Time {
	var t time.Time
	for _, s := range snaps {
		if !s.SnapshotTime.IsZero() && (t.IsZero() || s.SnapshotTime.Before(t)) {
			t = s.SnapshotTime
		}
	}
	return t
}
