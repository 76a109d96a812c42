// Package configsync is the configuration poller (OnboardUserGroups): it
// reads the users, hierarchy, routing profiles, queues and agent statuses of
// a Connect instance and hands them to the store, which keeps their history
// as valid_from / valid_to rows and closes the rows of deleted entities.
package configsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// API is what the syncer reads; *connectapi.Client implements it. List*
// return summaries and, where the API gives it, each resource's
// LastModifiedTime by id; Describe* and RoutingProfileQueues return details
// by id, leave out ids that no longer exist, and on error return what they
// got so far together with the error.
type API interface {
	ListUsers(ctx context.Context) ([]connectreporting.User, map[string]time.Time, error)
	DescribeUsers(ctx context.Context, ids []string) (map[string]connectreporting.User, error)
	ListHierarchyGroups(ctx context.Context) ([]connectreporting.HierarchyGroup, map[string]time.Time, error)
	DescribeHierarchyGroups(ctx context.Context, ids []string) (map[string]connectreporting.HierarchyGroup, error)
	HierarchyLevels(ctx context.Context) ([]connectreporting.HierarchyLevel, error)
	ListRoutingProfiles(ctx context.Context) ([]connectreporting.RoutingProfile, map[string]time.Time, error)
	RoutingProfileQueues(ctx context.Context, routingProfileIDs []string) (map[string][]connectreporting.RoutingProfileQueue, error)
	ListQueues(ctx context.Context) ([]connectreporting.Queue, map[string]time.Time, error)
	DescribeQueues(ctx context.Context, ids []string) (map[string]connectreporting.Queue, error)
	ListAgentStatuses(ctx context.Context) ([]connectreporting.AgentStatus, error)
}

// Defaults.
const (
	DefaultMargin      = 10 * time.Second
	DefaultFullRefresh = 24 * time.Hour
	// DefaultSkew is subtracted from the time of the previous describe when
	// it is compared with a LastModifiedTime of the service's clock.
	DefaultSkew = 5 * time.Minute
)

// Syncer syncs the configuration. Set API and Store; the rest is optional.
// It keeps the details it described between Poll calls (a warm Lambda
// container, the daemon) and describes again only what changed; Poll calls
// must not overlap.
type Syncer struct {
	API   API
	Store connectreporting.ConfigStore
	// Margin is kept free before ctx's deadline for writing to the store:
	// describing stops at the deadline less Margin (default DefaultMargin).
	Margin time.Duration
	// FullRefresh: details older than this are described again even when
	// LastModifiedTime says unchanged (default DefaultFullRefresh).
	FullRefresh time.Duration
	// Skew: see DefaultSkew.
	Skew   time.Duration
	Now    func() time.Time
	Logger *slog.Logger

	mu     sync.Mutex
	users  cache[connectreporting.User]
	groups cache[connectreporting.HierarchyGroup]
	queues cache[connectreporting.Queue]
	rpqs   cache[[]connectreporting.RoutingProfileQueue]
	last   Stats
}

// Stats counts one sync.
type Stats struct {
	Changes   connectreporting.ConfigChanges
	Described map[string]int // Describe calls per kind
	Failed    []string       // kinds left untouched
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
	readAt := s.now()
	readCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		m := s.Margin
		if m <= 0 {
			m = DefaultMargin
		}
		var cancel context.CancelFunc
		readCtx, cancel = context.WithDeadline(ctx, dl.Add(-m))
		defer cancel()
	}
	cfg := connectreporting.Configuration{ReadAt: readAt}
	st := Stats{Described: map[string]int{}}
	var (
		wg     sync.WaitGroup
		errMu  sync.Mutex
		errs   []error
		failed []string
	)
	fail := func(kind string, err error) {
		errMu.Lock()
		defer errMu.Unlock()
		failed = append(failed, kind)
		errs = append(errs, fmt.Errorf("%s: %w", kind, err))
		s.log().Error("config sync: kind left untouched", "kind", kind, "err", err)
	}
	described := func(kind string, n int) {
		errMu.Lock()
		st.Described[kind] = n
		errMu.Unlock()
	}
	run := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	run(func() {
		list, mod, err := s.API.ListUsers(readCtx)
		if err != nil {
			fail(connectreporting.ConfigKindUsers, err)
			return
		}
		out, n, err := refresh(readCtx, &s.users, ids(list, func(u connectreporting.User) string { return u.ID }), mod, start, s.policy(), s.API.DescribeUsers)
		described(connectreporting.ConfigKindUsers, n)
		if err != nil {
			fail(connectreporting.ConfigKindUsers, err)
			return
		}
		cfg.Users = out
	})
	run(func() {
		list, mod, err := s.API.ListHierarchyGroups(readCtx)
		if err != nil {
			fail(connectreporting.ConfigKindHierarchyGroups, err)
			return
		}
		out, n, err := refresh(readCtx, &s.groups, ids(list, func(g connectreporting.HierarchyGroup) string { return g.ID }), mod, start, s.policy(), s.API.DescribeHierarchyGroups)
		described(connectreporting.ConfigKindHierarchyGroups, n)
		if err != nil {
			fail(connectreporting.ConfigKindHierarchyGroups, err)
			return
		}
		cfg.HierarchyGroups = out
	})
	run(func() {
		levels, err := s.API.HierarchyLevels(readCtx)
		if err != nil {
			fail(connectreporting.ConfigKindHierarchyLevels, err)
			return
		}
		if levels == nil {
			levels = []connectreporting.HierarchyLevel{}
		}
		cfg.HierarchyLevels = levels
	})
	run(func() {
		list, mod, err := s.API.ListRoutingProfiles(readCtx)
		if err != nil {
			fail(connectreporting.ConfigKindRoutingProfiles, err)
			fail(connectreporting.ConfigKindRoutingProfileQueues, errors.New("routing profiles not listed"))
			return
		}
		if list == nil {
			list = []connectreporting.RoutingProfile{}
		}
		cfg.RoutingProfiles = list
		per, n, err := refresh(readCtx, &s.rpqs, ids(list, func(r connectreporting.RoutingProfile) string { return r.ID }), mod, start, s.policy(), s.API.RoutingProfileQueues)
		described(connectreporting.ConfigKindRoutingProfileQueues, n)
		if err != nil {
			fail(connectreporting.ConfigKindRoutingProfileQueues, err)
			return
		}
		rpqs := []connectreporting.RoutingProfileQueue{}
		for _, qs := range per {
			rpqs = append(rpqs, qs...)
		}
		cfg.RoutingProfileQueues = rpqs
	})
	run(func() {
		list, mod, err := s.API.ListQueues(readCtx)
		if err != nil {
			fail(connectreporting.ConfigKindQueues, err)
			return
		}
		out, n, err := refresh(readCtx, &s.queues, ids(list, func(q connectreporting.Queue) string { return q.ID }), mod, start, s.policy(), s.API.DescribeQueues)
		described(connectreporting.ConfigKindQueues, n)
		if err != nil {
			fail(connectreporting.ConfigKindQueues, err)
			return
		}
		cfg.Queues = out
	})
	run(func() {
		list, err := s.API.ListAgentStatuses(readCtx)
		if err != nil {
			fail(connectreporting.ConfigKindAgentStatuses, err)
			return
		}
		if list == nil {
			list = []connectreporting.AgentStatus{}
		}
		cfg.AgentStatuses = list
	})
	wg.Wait()

	ch, err := s.Store.SyncConfiguration(ctx, cfg)
	if err != nil {
		// The details read stay cached; the next Poll writes them again.
		errs = append(errs, fmt.Errorf("storing configuration: %w", err))
	}
	st.Changes, st.Failed = ch, failed
	s.last = st
	s.log().Info("config sync", "users", len(cfg.Users), "hierarchy_groups", len(cfg.HierarchyGroups),
		"hierarchy_levels", len(cfg.HierarchyLevels), "routing_profiles", len(cfg.RoutingProfiles),
		"routing_profile_queues", len(cfg.RoutingProfileQueues), "queues", len(cfg.Queues),
		"agent_statuses", len(cfg.AgentStatuses), "described", st.Described, "failed", failed,
		"inserted", ch.Inserted, "updated", ch.Updated, "deleted", ch.Deleted, "duration", time.Since(start))
	if len(errs) > 0 {
		return fmt.Errorf("configsync: %w", errors.Join(errs...))
	}
	return nil
}

type policy struct {
	full, skew time.Duration
}

func (s *Syncer) policy() policy {
	p := policy{full: s.FullRefresh, skew: s.Skew}
	if p.full <= 0 {
		p.full = DefaultFullRefresh
	}
	if p.skew <= 0 {
		p.skew = DefaultSkew
	}
	return p
}

func ids[T any](list []T, id func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = id(v)
	}
	return out
}

// cache keeps described details between syncs, with the (wall-clock) time
// their describe started.
type cache[T any] struct {
	items map[string]cached[T]
}

type cached[T any] struct {
	v  T
	at time.Time
}

// stale reports whether the cached details of id must be described again:
// never described, described longer ago than the full refresh, the API gave
// no LastModifiedTime, or the resource was modified after (about) the
// previous describe.
func (c *cache[T]) stale(id string, mod map[string]time.Time, now time.Time, p policy) bool {
	e, ok := c.items[id]
	if !ok || now.Sub(e.at) > p.full {
		return true
	}
	m, ok := mod[id]
	if !ok {
		return true
	}
	return !m.Before(e.at.Add(-p.skew))
}

// refresh describes the listed ids whose cached details are stale and
// returns the details of every listed id that still exists, in list order,
// and the number described. Details described before an error are cached,
// so the next sync goes on from there; the result is then nil with the error.
func refresh[T any](ctx context.Context, c *cache[T], listed []string, mod map[string]time.Time, now time.Time, p policy,
	describe func(context.Context, []string) (map[string]T, error)) ([]T, int, error) {
	if c.items == nil {
		c.items = map[string]cached[T]{}
	}
	var need []string
	needSet := map[string]bool{}
	for _, id := range listed {
		if c.stale(id, mod, now, p) {
			need = append(need, id)
			needSet[id] = true
		}
	}
	got, err := describe(ctx, need)
	for id, v := range got {
		c.items[id] = cached[T]{v: v, at: now}
	}
	if err != nil {
		return nil, len(got), fmt.Errorf("%d of %d described: %w", len(got), len(need), err)
	}
	listedSet := make(map[string]bool, len(listed))
	out := make([]T, 0, len(listed))
	for _, id := range listed {
		listedSet[id] = true
		if _, ok := got[id]; !ok && needSet[id] {
			delete(c.items, id) // listed, then gone before it was described
			continue
		}
		if e, ok := c.items[id]; ok {
			out = append(out, e.v)
		}
	}
	for id := range c.items {
		if !listedSet[id] {
			delete(c.items, id)
		}
	}
	return out, len(got), nil
}
