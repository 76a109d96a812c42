// Package configsync is the configuration poller (OnboardUserGroups): it
// reads the users, hierarchy, routing profiles, queues and agent statuses of
// a Connect instance with the Search operations and hands them to the
// store, which keeps their history as valid_from / valid_to rows and closes
// the rows of deleted entities.
package configsync

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

// API is what the syncer reads; *connectapi.Client implements it. Search*
// return every resource of a kind with the fields the store keeps and,
// where the API gives it, LastModified. RoutingProfileQueues lists the
// queues of the given routing profiles by profile id, leaves out profiles
// that no longer exist, and on error returns what it got with the error;
// DescribeUsers does the same for users' details (the email SearchUsers
// lacks). ListUsers gives every user's LastModifiedTime, by id.
type API interface {
	SearchUsers(ctx context.Context) ([]connectreporting.User, error)
	ListUsers(ctx context.Context) ([]connectreporting.User, map[string]time.Time, error)
	DescribeUsers(ctx context.Context, userIDs []string) (map[string]connectreporting.UserDetail, error)
	SearchHierarchyGroups(ctx context.Context) ([]connectreporting.HierarchyGroup, error)
	HierarchyLevels(ctx context.Context) ([]connectreporting.HierarchyLevel, error)
	SearchRoutingProfiles(ctx context.Context) ([]connectreporting.RoutingProfile, error)
	RoutingProfileQueues(ctx context.Context, routingProfileIDs []string) (map[string][]connectreporting.RoutingProfileQueue, error)
	SearchQueues(ctx context.Context) ([]connectreporting.Queue, error)
	SearchAgentStatuses(ctx context.Context) ([]connectreporting.AgentStatus, error)
}

// Store is where the syncer writes the configuration and keeps, as poll
// checkpoints, what it needs to skip unchanged routing profiles next time.
type Store interface {
	connectreporting.ConfigStore
	connectreporting.CheckpointStore
}

// Defaults.
const (
	DefaultMargin      = 10 * time.Second
	DefaultFullRefresh = 24 * time.Hour
	// DefaultSkew is how far before the start of the previous sync a
	// routing profile's LastModifiedTime still counts as modified since:
	// room for the difference between our clock and the service's.
	DefaultSkew = 5 * time.Minute
)

// Checkpoints the syncer keeps (poller Poller).
const (
	Poller = "config"
	// ScopeQueuesModified: when (our clock) the last sync whose
	// routing-profile queues were all stored started reading.
	ScopeQueuesModified = "routing_profile_queues"
	// ScopeQueuesFull: when (our clock) the last sync that listed every
	// profile's queues started reading.
	ScopeQueuesFull = "routing_profile_queues_full"
)

// Syncer syncs the configuration. Set API and Store; the rest is optional.
// Poll calls must not overlap.
type Syncer struct {
	API   API
	Store Store
	// Margin is kept free before ctx's deadline for writing to the store:
	// reading stops at the deadline less Margin (default DefaultMargin).
	Margin time.Duration
	// FullRefresh: the queues of every routing profile are listed again
	// when the last full listing is older than this, even when
	// LastModifiedTime says unchanged (default DefaultFullRefresh).
	FullRefresh time.Duration
	// Skew: see DefaultSkew.
	Skew time.Duration
	// DetailBudget: DescribeUser calls are made until the sync has run
	// this long (default DefaultDetailBudget); users left undescribed keep
	// their stored email until a later sync describes them.
	DetailBudget time.Duration
	Now          func() time.Time
	Logger       *slog.Logger

	mu   sync.Mutex
	last Stats
}

// Stats counts one sync.
type Stats struct {
	Changes connectreporting.ConfigChanges
	// QueueLists is the number of routing profiles whose queues were
	// listed (ListRoutingProfileQueues); the others' were kept.
	QueueLists int
	// Described is the number of users described (DescribeUser) for their
	// email; EmailsPending the number that needed it but were left for a
	// later sync (the budget ran out).
	Described, EmailsPending int
	Failed                   []string // kinds left untouched
	Duration                 time.Duration
}

// LastSync returns the counts of the last Poll.
func (s *Syncer) LastSync() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Syncer) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Poll reads the whole configuration and syncs it to the store. A kind
// whose read failed (or could not be completed before the deadline) is
// left nil, so the store leaves it untouched; the other kinds are still
// synced, and Poll then returns an error naming the failed kinds.
func (s *Syncer) Poll(ctx context.Context) error {
	if s.API == nil || s.Store == nil {
		return errors.New("configsync: Syncer needs API and Store")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	readCtx, _, cancel := clock.WithMargin(ctx, orDefault(s.Margin, DefaultMargin))
	defer cancel()
	r := s.read(readCtx)
	s.fillEmails(ctx, readCtx, r, start)
	ch, err := s.Store.SyncConfiguration(ctx, r.cfg)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("storing configuration: %w", err))
	} else if err := s.saveMarks(ctx, r); err != nil {
		r.errs = append(r.errs, err)
	}
	s.last = Stats{Changes: ch, QueueLists: r.queueLists, Described: r.described, EmailsPending: r.pending,
		Failed: r.failed, Duration: time.Since(start)}
	s.report(r, ch)
	if len(r.errs) > 0 {
		return fmt.Errorf("configsync: %w", errors.Join(r.errs...))
	}
	return nil
}

// reading is what one sync read, filled by the kinds' steps concurrently.
type reading struct {
	mu         sync.Mutex
	cfg        connectreporting.Configuration
	errs       []error
	failed     []string
	queueLists int
	// modified is every user's LastModifiedTime by id (nil: not read);
	// described and pending count the users described and left for later.
	modified           map[string]time.Time
	described, pending int
	// marks to save once the configuration is stored (zero: none).
	queuesModified, queuesFull time.Time
}

func (r *reading) fail(kind string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, kind)
	r.errs = append(r.errs, fmt.Errorf("%s: %w", kind, err))
}

func (r *reading) set(f func(c *connectreporting.Configuration)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.cfg)
}

// read runs one step per kind, concurrently (they use different
// operations, so different rate-limiter buckets).
func (s *Syncer) read(ctx context.Context) *reading {
	r := &reading{cfg: connectreporting.Configuration{ReadAt: s.now()}}
	c := &r.cfg
	steps := []func(){
		func() { readKind(ctx, r, connectreporting.ConfigKindUsers, s.API.SearchUsers, &c.Users) },
		func() { s.readUserTimes(ctx, r) },
		func() {
			readKind(ctx, r, connectreporting.ConfigKindHierarchyGroups, s.API.SearchHierarchyGroups, &c.HierarchyGroups)
		},
		func() {
			readKind(ctx, r, connectreporting.ConfigKindHierarchyLevels, s.API.HierarchyLevels, &c.HierarchyLevels)
		},
		func() { readKind(ctx, r, connectreporting.ConfigKindQueues, s.API.SearchQueues, &c.Queues) },
		func() {
			readKind(ctx, r, connectreporting.ConfigKindAgentStatuses, s.API.SearchAgentStatuses, &c.AgentStatuses)
		},
		func() { s.readRoutingProfiles(ctx, r) },
	}
	var wg sync.WaitGroup
	for _, step := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			step()
		}()
	}
	wg.Wait()
	for _, kind := range r.failed {
		s.log().Error("config sync: kind left untouched", "kind", kind)
	}
	return r
}

// readKind reads one kind with one call and sets *dst (a member of r.cfg);
// an empty answer becomes an empty, non-nil slice (every current row of
// the kind is deleted).
func readKind[T any](ctx context.Context, r *reading, kind string, read func(context.Context) ([]T, error), dst *[]T) {
	list, err := read(ctx)
	if err != nil {
		r.fail(kind, err)
		return
	}
	if list == nil {
		list = []T{}
	}
	r.set(func(*connectreporting.Configuration) { *dst = list })
}

// readRoutingProfiles reads the routing profiles, then the queues of those
// that changed (see queuePlan), keeping the stored queues of the others.
func (s *Syncer) readRoutingProfiles(ctx context.Context, r *reading) {
	rps, err := s.API.SearchRoutingProfiles(ctx)
	if err != nil {
		r.fail(connectreporting.ConfigKindRoutingProfiles, err)
		r.fail(connectreporting.ConfigKindRoutingProfileQueues, errors.New("routing profiles not read"))
		return
	}
	if rps == nil {
		rps = []connectreporting.RoutingProfile{}
	}
	r.set(func(c *connectreporting.Configuration) { c.RoutingProfiles = rps })
	plan, err := s.queuePlan(ctx, rps)
	if err != nil {
		r.fail(connectreporting.ConfigKindRoutingProfileQueues, err)
		return
	}
	got, err := s.API.RoutingProfileQueues(ctx, plan.list)
	r.mu.Lock()
	r.queueLists = len(got)
	r.mu.Unlock()
	if err != nil {
		r.fail(connectreporting.ConfigKindRoutingProfileQueues, fmt.Errorf("%d of %d routing profiles' queues listed: %w", len(got), len(plan.list), err))
		return
	}
	rpqs := plan.kept
	for _, id := range plan.list {
		rpqs = append(rpqs, got[id]...)
	}
	r.set(func(c *connectreporting.Configuration) { c.RoutingProfileQueues = rpqs })
	r.mu.Lock()
	r.queuesModified = r.cfg.ReadAt
	if plan.full {
		r.queuesFull = r.cfg.ReadAt
	}
	r.mu.Unlock()
}

// plan says which routing profiles' queues to list and which stored queue
// rows to keep.
type plan struct {
	list []string
	kept []connectreporting.RoutingProfileQueue
	full bool
}

// queuePlan lists the queues of every routing profile when there is no
// mark of a previous complete sync or the last full listing is older than
// FullRefresh. Otherwise it lists only the profiles without a
// LastModifiedTime or modified since (Skew before) the start of the
// previous complete sync, and keeps the stored queue rows of the others:
// a change to a profile after that sync read it moves its LastModifiedTime
// past that mark.
func (s *Syncer) queuePlan(ctx context.Context, rps []connectreporting.RoutingProfile) (plan, error) {
	all := plan{full: true, kept: []connectreporting.RoutingProfileQueue{}}
	for _, rp := range rps {
		all.list = append(all.list, rp.ID)
	}
	mod, okMod, err := s.Store.Checkpoint(ctx, Poller, ScopeQueuesModified)
	if err != nil {
		return plan{}, err
	}
	full, okFull, err := s.Store.Checkpoint(ctx, Poller, ScopeQueuesFull)
	if err != nil {
		return plan{}, err
	}
	if !okMod || !okFull || s.now().Sub(full.Watermark) > orDefault(s.FullRefresh, DefaultFullRefresh) {
		return all, nil
	}
	stored, err := s.Store.CurrentRoutingProfileQueues(ctx)
	if err != nil {
		return plan{}, err
	}
	byProfile := map[string][]connectreporting.RoutingProfileQueue{}
	for _, q := range stored {
		byProfile[q.RoutingProfileID] = append(byProfile[q.RoutingProfileID], q)
	}
	since := mod.Watermark.Add(-orDefault(s.Skew, DefaultSkew))
	p := plan{kept: []connectreporting.RoutingProfileQueue{}}
	for _, rp := range rps {
		if rp.LastModified.IsZero() || !rp.LastModified.Before(since) {
			p.list = append(p.list, rp.ID)
			continue
		}
		p.kept = append(p.kept, byProfile[rp.ID]...)
	}
	return p, nil
}

// saveMarks keeps, after the configuration is stored, the marks the next
// sync's queuePlan reads.
func (s *Syncer) saveMarks(ctx context.Context, r *reading) error {
	for _, m := range []struct {
		scope string
		at    time.Time
	}{{ScopeQueuesModified, r.queuesModified}, {ScopeQueuesFull, r.queuesFull}} {
		if m.at.IsZero() {
			continue
		}
		if err := s.Store.SetCheckpoint(ctx, Poller, m.scope, m.at); err != nil {
			return fmt.Errorf("saving the %s mark: %w", m.scope, err)
		}
	}
	return nil
}

func (s *Syncer) report(r *reading, ch connectreporting.ConfigChanges) {
	c := &r.cfg
	s.log().Info("config sync", "users", len(c.Users), "hierarchy_groups", len(c.HierarchyGroups),
		"hierarchy_levels", len(c.HierarchyLevels), "routing_profiles", len(c.RoutingProfiles),
		"routing_profile_queues", len(c.RoutingProfileQueues), "queues", len(c.Queues),
		"agent_statuses", len(c.AgentStatuses), "queue_lists", r.queueLists, "described", r.described,
		"emails_pending", r.pending, "failed", r.failed,
		"inserted", ch.Inserted, "updated", ch.Updated, "deleted", ch.Deleted, "duration", s.last.Duration)
}
