package api

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The three metric operations are parse -> filter -> group -> compute:
// each parses and checks its request, then groupBy filters and groups the
// source's items (contacts for GetMetricDataV2 and GetMetricData, queue
// snapshots for GetCurrentMetricData), and each computes its metrics per
// group.

// group is the items of one result: key holds the group's value of each
// grouping (after the interval, for contacts).
type group[T any] struct {
	key   []string
	items []T
}

// groupBy puts every item into the group of each key keys gives it (no key:
// a filter leaves it out) and returns the groups ordered by cmpKey.
func groupBy[T any](items []T, keys func(T) [][]string, cmpKey func(a, b []string) int) []*group[T] {
	byKey := map[string]*group[T]{}
	var out []*group[T]
	for _, it := range items {
		for _, k := range keys(it) {
			id := strings.Join(k, "\x00")
			g := byKey[id]
			if g == nil {
				g = &group[T]{key: k}
				byKey[id] = g
				out = append(out, g)
			}
			g.items = append(g.items, it)
		}
	}
	slices.SortStableFunc(out, func(a, b *group[T]) int { return cmpKey(a.key, b.key) })
	return out
}

// dimFilters are the filters of a contact request: per dimension, the
// values a contact may have.
type dimFilters map[string]map[string]bool

// key returns v's value of each grouping; false when v fails a filter or
// has no value for a grouping ("each dimension in the metric response must
// contain a value").
func (fs dimFilters) key(v contactView, groupings []string) ([]string, bool) {
	for d, set := range fs {
		if !set[v.dims[d]] {
			return nil, false
		}
	}
	key := make([]string, len(groupings))
	for i, g := range groupings {
		if key[i] = v.dims[g]; key[i] == "" {
			return nil, false
		}
	}
	return key, true
}

// contactGroup is the contacts of one result of a historical request.
type contactGroup struct {
	start, end time.Time // the interval
	dims       []string  // one value per grouping
	facts      []*ContactFact
}

// contactGroups returns the contacts initiated in [start, end) that pass
// fs, grouped by interval and groupings, in interval then dimension order.
// interval gives the interval holding a time; nil means the one interval
// [start, end).
func (s *Server) contactGroups(start, end time.Time, fs dimFilters, groupings []string, interval func(time.Time) (time.Time, time.Time)) []contactGroup {
	if interval == nil {
		interval = func(time.Time) (time.Time, time.Time) { return start, end }
	}
	var in []contactView
	for _, v := range s.views(s.src.ContactFacts(start, end)) {
		if !v.f.Initiation.Before(start) && v.f.Initiation.Before(end) {
			in = append(in, v)
		}
	}
	keys := func(v contactView) [][]string {
		dims, ok := fs.key(v, groupings)
		if !ok {
			return nil
		}
		is, _ := interval(v.f.Initiation)
		return [][]string{append([]string{fmt.Sprintf("%020d", is.UnixNano())}, dims...)}
	}
	groups := groupBy(in, keys, slices.Compare[[]string])
	out := make([]contactGroup, len(groups))
	for i, g := range groups {
		is, ie := interval(g.items[0].f.Initiation)
		facts := make([]*ContactFact, len(g.items))
		for j, v := range g.items {
			facts[j] = v.f
		}
		out[i] = contactGroup{start: is, end: ie, dims: g.key[1:], facts: facts}
	}
	return out
}
