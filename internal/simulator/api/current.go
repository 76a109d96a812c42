package api

import (
	"cmp"
	"slices"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// currentUnits is every CurrentMetricName of the model with its Unit.
var currentUnits = map[string]string{
	"AGENTS_ONLINE":             "COUNT",
	"AGENTS_AVAILABLE":          "COUNT",
	"AGENTS_ON_CALL":            "COUNT",
	"AGENTS_NON_PRODUCTIVE":     "COUNT",
	"AGENTS_AFTER_CONTACT_WORK": "COUNT",
	"AGENTS_ERROR":              "COUNT",
	"AGENTS_STAFFED":            "COUNT",
	"CONTACTS_IN_QUEUE":         "COUNT",
	"OLDEST_CONTACT_AGE":        "SECONDS",
	"CONTACTS_SCHEDULED":        "COUNT",
	"AGENTS_ON_CONTACT":         "COUNT",
	"SLOTS_ACTIVE":              "COUNT",
	"SLOTS_AVAILABLE":           "COUNT",
	"ESTIMATED_WAIT_TIME":       "SECONDS",
}

// snapshotValue picks one current metric out of a queue snapshot (nil when
// the source has no value; ESTIMATED_WAIT_TIME is never modelled).
func snapshotValue(q connectreporting.QueueSnapshot, name string) *float64 {
	switch name {
	case "AGENTS_ONLINE":
		return q.AgentsOnline
	case "AGENTS_AVAILABLE":
		return q.AgentsAvailable
	case "AGENTS_ON_CALL":
		return q.AgentsOnCall
	case "AGENTS_NON_PRODUCTIVE":
		return q.AgentsNonProductive
	case "AGENTS_AFTER_CONTACT_WORK":
		return q.AgentsAfterContactWork
	case "AGENTS_ERROR":
		return q.AgentsError
	case "AGENTS_STAFFED":
		return q.AgentsStaffed
	case "CONTACTS_IN_QUEUE":
		return q.ContactsInQueue
	case "OLDEST_CONTACT_AGE":
		return q.OldestContactAgeSeconds
	case "CONTACTS_SCHEDULED":
		return q.ContactsScheduled
	case "AGENTS_ON_CONTACT":
		return q.AgentsOnContact
	case "SLOTS_ACTIVE":
		return q.SlotsActive
	case "SLOTS_AVAILABLE":
		return q.SlotsAvailable
	}
	return nil
}

var channels = []string{"VOICE", "CHAT", "TASK", "EMAIL"}

// listFilter checks a filter list's model length constraints; nil means
// "not given".
func listFilter(vals []string, member string, max int) *apiError {
	if vals == nil {
		return nil
	}
	if len(vals) < 1 {
		return constraintError("[]", member, "Member must have length greater than or equal to 1")
	}
	if len(vals) > max {
		return constraintError(len(vals), member, "Member must have length less than or equal to "+itoa(max))
	}
	return nil
}

func idSet(vals []string) map[string]bool {
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[idOf(v)] = true
	}
	return m
}

// currentRequest is a checked GetCurrentMetricData request.
type currentRequest struct {
	f                        *filters
	byQueue, byChannel, byRP bool
	metrics                  []currentMetric
	sort                     []currentMetricSortCriteria
}

func (r *currentRequest) grouped() bool { return r.byQueue || r.byChannel || r.byRP }

func (s *Server) getCurrentMetricData(q *request) (any, *apiError) {
	if e := s.checkInstance(q.path("InstanceId")); e != nil {
		return nil, e
	}
	var req getCurrentMetricDataRequest
	if e := decodeBody(q.body, &req); e != nil {
		return nil, e
	}
	r := currentRequest{f: req.Filters, sort: req.SortCriteria}
	if e := currentFilters(req.Filters, len(req.CurrentMetrics)); e != nil {
		return nil, e
	}
	if e := r.setGroupings(req.Groupings); e != nil {
		return nil, e
	}
	if e := r.setMetrics(req.CurrentMetrics); e != nil {
		return nil, e
	}
	if e := checkSortCriteria(req.SortCriteria); e != nil {
		return nil, e
	}
	spec := pageSpec{op: OpGetCurrentMetricData, hash: bodyHash(q.body), token: req.NextToken, maxResults: req.MaxResults, max: 100, def: 100, member: "maxResults"}
	pg, e := paginate(s, spec, func() ([]currentMetricResult, time.Time, *apiError) {
		results, snap := s.currentResults(&r)
		return results, snap, nil
	})
	if e != nil {
		return nil, e
	}
	return getCurrentMetricDataResponse{
		NextToken:             pg.next,
		MetricResults:         pg.items,
		DataSnapshotTime:      ts(pg.snap),
		ApproximateTotalCount: int64(pg.total),
	}, nil
}

// currentFilters checks the filters: Queues or RoutingProfiles (not both),
// Channels; nMetrics is checked here to keep the service's order of errors.
func currentFilters(f *filters, nMetrics int) *apiError {
	if f == nil {
		return invalidParam("Filters is required")
	}
	if nMetrics == 0 {
		return invalidParam("CurrentMetrics is required")
	}
	if e := queueOrProfileFilters(f); e != nil {
		return e
	}
	if f.Queues != nil && f.RoutingProfiles != nil {
		return invalidParam("Queues and RoutingProfiles filters cannot be used together")
	}
	if len(f.RoutingStepExpressions)+len(f.AgentStatuses)+len(f.Subtypes)+len(f.ValidationTestTypes) > 0 {
		return invalidParam("Filters RoutingStepExpressions, AgentStatuses, Subtypes and ValidationTestTypes are not supported by this simulated instance")
	}
	return enumValues(f.Channels, "filters.channels", 4, channels...)
}

// setGroupings checks the groupings: up to two of QUEUE, CHANNEL, ROUTING_PROFILE.
func (r *currentRequest) setGroupings(groupings []string) *apiError {
	if e := enumValues(groupings, "groupings", 2, metricGroupings...); e != nil {
		return e
	}
	for _, g := range groupings {
		switch g {
		case dimQueue:
			r.byQueue = true
		case dimChannel:
			r.byChannel = true
		case dimRoutingProfile:
			r.byRP = true
		default:
			return invalidParam("Grouping %s is not supported by this simulated instance", g)
		}
	}
	if len(groupings) == 2 && groupings[0] == groupings[1] {
		return invalidParam("Groupings must not repeat %s", groupings[0])
	}
	return nil
}

// setMetrics checks every metric's name and unit.
func (r *currentRequest) setMetrics(in []currentMetric) *apiError {
	r.metrics = make([]currentMetric, len(in))
	for i, m := range in {
		if m.MetricId != "" && m.Name == "" {
			return invalidParam("MetricId is not supported by this simulated instance")
		}
		unit, ok := currentUnits[m.Name]
		if !ok {
			return constraintError(m.Name, "currentMetrics."+itoa(i+1)+".member.name", "Member must satisfy enum value set: "+enumSet(sortedKeys(currentUnits)))
		}
		if m.Unit != "" && m.Unit != unit {
			return invalidParam("The unit %s is not valid for metric %s; use %s", m.Unit, m.Name, unit)
		}
		if r.byRP && r.f.RoutingProfiles == nil && (m.Name == "CONTACTS_SCHEDULED" || m.Name == "CONTACTS_IN_QUEUE" || m.Name == "OLDEST_CONTACT_AGE") {
			return invalidParam("Grouping by ROUTING_PROFILE with metric %s requires a RoutingProfiles filter", m.Name)
		}
		r.metrics[i] = currentMetric{Name: m.Name, Unit: unit}
	}
	return nil
}

func checkSortCriteria(sc []currentMetricSortCriteria) *apiError {
	if len(sc) > 1 {
		return constraintError(len(sc), "sortCriteria", "Member must have length less than or equal to 1")
	}
	for _, c := range sc {
		if _, ok := currentUnits[c.SortByMetric]; !ok {
			return invalidParam("SortByMetric %q is not a current metric", c.SortByMetric)
		}
		if c.SortOrder != "ASCENDING" && c.SortOrder != "DESCENDING" {
			return invalidParam("SortOrder must be ASCENDING or DESCENDING")
		}
	}
	return nil
}

// currentResults computes the request's metrics per group, sorted as asked.
func (s *Server) currentResults(r *currentRequest) ([]currentMetricResult, time.Time) {
	groups, snap := s.currentGroups(r)
	results := make([]currentMetricResult, 0, len(groups))
	for _, g := range groups {
		res := currentMetricResult{Dimensions: &dimensions{}, Collections: make([]currentMetricData, 0, len(r.metrics))}
		if q := g.key[0]; r.byQueue {
			res.Dimensions.Queue = &reference{Id: q, Arn: s.queueARN(q, g.items)}
		}
		if r.byChannel {
			res.Dimensions.Channel = g.key[1]
		}
		if rp := g.key[2]; r.byRP {
			res.Dimensions.RoutingProfile = &reference{Id: rp, Arn: s.arn(s.rpARN(rp), "routing-profile", rp)}
		}
		for _, m := range r.metrics {
			v := aggregateCurrent(g.items, m.Name)
			if v != nil && m.Name == "OLDEST_CONTACT_AGE" && !r.grouped() {
				// The real service's quirk: Unit says SECONDS, but
				// without groupings the value is in milliseconds.
				v = ptr(*v * 1000)
			}
			res.Collections = append(res.Collections, currentMetricData{Metric: m, Value: v})
		}
		results = append(results, res)
	}
	for _, sc := range r.sort {
		sortCurrent(results, slices.IndexFunc(r.metrics, func(m currentMetric) bool { return m.Name == sc.SortByMetric }), sc.SortOrder == "DESCENDING")
	}
	return results, snap
}

// sortCurrent orders results by the value of metric idx; no value sorts last.
func sortCurrent(results []currentMetricResult, idx int, desc bool) {
	slices.SortStableFunc(results, func(a, b currentMetricResult) int {
		var va, vb *float64
		if idx >= 0 {
			va, vb = a.Collections[idx].Value, b.Collections[idx].Value
		}
		switch {
		case va == nil && vb == nil:
			return 0
		case va == nil:
			return 1
		case vb == nil:
			return -1
		}
		if desc {
			return cmp.Compare(*vb, *va)
		}
		return cmp.Compare(*va, *vb)
	})
}

func (s *Server) queueARN(id string, snaps []connectreporting.QueueSnapshot) string {
	for _, sn := range snaps {
		if sn.QueueID == id && sn.QueueARN != "" {
			return sn.QueueARN
		}
	}
	return s.arn(s.queuesByID()[id].ARN, "queue", id)
}

func (s *Server) rpARN(id string) string {
	for _, r := range s.src.RoutingProfiles() {
		if r.ID == id {
			return r.ARN
		}
	}
	return ""
}

// currentGroups selects the snapshots the filters ask for and groups them
// by [queue, channel, routing profile] (each "" when not grouped by it); a
// snapshot counts for every routing profile serving its queue and channel.
func (s *Server) currentGroups(r *currentRequest) ([]*group[connectreporting.QueueSnapshot], time.Time) {
	snaps := s.src.CurrentQueueMetrics()
	snap := s.src.Now()
	if len(snaps) > 0 && !snaps[0].SnapshotTime.IsZero() {
		snap = snaps[0].SnapshotTime
	}
	chans, queues, rpFilter := idSet(r.f.Channels), idSet(r.f.Queues), idSet(r.f.RoutingProfiles)
	type qc struct{ q, c string }
	rpsOf := map[qc][]string{} // routing profiles serving each queue and channel
	for _, rq := range s.src.RoutingProfileQueues() {
		k := qc{rq.QueueID, connectreporting.NormalizeChannel(rq.Channel)}
		if !slices.Contains(rpsOf[k], rq.RoutingProfileID) {
			rpsOf[k] = append(rpsOf[k], rq.RoutingProfileID)
		}
	}
	keys := func(sn connectreporting.QueueSnapshot) [][]string {
		ch := connectreporting.NormalizeChannel(sn.Channel)
		if (len(chans) > 0 && !chans[ch]) || (len(queues) > 0 && !queues[sn.QueueID]) {
			return nil
		}
		rps := rpsOf[qc{sn.QueueID, ch}]
		if len(rpFilter) > 0 {
			rps = slices.DeleteFunc(slices.Clone(rps), func(rp string) bool { return !rpFilter[rp] })
			if len(rps) == 0 {
				return nil
			}
		}
		k := []string{"", "", ""}
		if r.byQueue {
			k[0] = sn.QueueID
		}
		if r.byChannel {
			k[1] = ch
		}
		if !r.byRP {
			return [][]string{k}
		}
		out := make([][]string, len(rps))
		for i, rp := range rps {
			out[i] = []string{k[0], k[1], rp}
		}
		return out
	}
	groups := groupBy(snaps, keys, func(a, b []string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(channelRank(a[1]), channelRank(b[1])), cmp.Compare(a[2], b[2]))
	})
	if len(groups) == 0 && !r.grouped() {
		// An ungrouped request always answers with one (empty) result.
		groups = append(groups, &group[connectreporting.QueueSnapshot]{key: []string{"", "", ""}})
	}
	return groups, snap
}

// aggregateCurrent sums counts over the group's snapshots and takes the
// maximum of OLDEST_CONTACT_AGE. Agent counts of several queues are summed,
// so an agent serving two queues counts twice in an aggregate (the real
// service counts distinct agents): see README.
func aggregateCurrent(snaps []connectreporting.QueueSnapshot, name string) *float64 {
	if name == "ESTIMATED_WAIT_TIME" {
		return nil
	}
	var out *float64
	for _, sn := range snaps {
		v := snapshotValue(sn, name)
		if v == nil {
			continue
		}
		switch {
		case out == nil:
			out = ptr(*v)
		case name == "OLDEST_CONTACT_AGE":
			*out = max(*out, *v)
		default:
			*out += *v
		}
	}
	if out == nil && len(snaps) == 0 {
		out = ptr(0.0)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ---- GetCurrentUserData ----

var contactStates = []string{"INCOMING", "PENDING", "CONNECTING", "CONNECTED", "CONNECTED_ONHOLD", "MISSED", "ERROR", "ENDED", "REJECTED"}

func (s *Server) getCurrentUserData(q *request) (any, *apiError) {
	if e := s.checkInstance(q.path("InstanceId")); e != nil {
		return nil, e
	}
	var req getCurrentUserDataRequest
	if e := decodeBody(q.body, &req); e != nil {
		return nil, e
	}
	f := req.Filters
	states, e := f.check()
	if e != nil {
		return nil, e
	}
	spec := pageSpec{op: OpGetCurrentUserData, hash: bodyHash(q.body), token: req.NextToken, maxResults: req.MaxResults, max: 100, def: 100, member: "maxResults"}
	pg, e := paginate(s, spec, func() ([]userDataWire, time.Time, *apiError) {
		return s.userData(f, states), s.src.Now(), nil
	})
	if e != nil {
		return nil, e
	}
	if pg.items == nil {
		pg.items = []userDataWire{}
	}
	return getCurrentUserDataResponse{NextToken: pg.next, UserDataList: pg.items, ApproximateTotalCount: int64(pg.total)}, nil
}

// check validates GetCurrentUserData's filters: the list sizes, exactly one
// of Queues, RoutingProfiles, Agents and UserHierarchyGroups, and the
// contact states, which it returns as a set (nil = every state).
func (f *userDataFilters) check() (map[string]bool, *apiError) {
	if f == nil {
		return nil, invalidParam("Filters is required")
	}
	for _, c := range []struct {
		vals   []string
		member string
		max    int
	}{
		{f.Queues, "filters.queues", 100},
		{f.RoutingProfiles, "filters.routingProfiles", 100},
		{f.Agents, "filters.agents", 100},
		{f.UserHierarchyGroups, "filters.userHierarchyGroups", 1},
	} {
		if e := listFilter(c.vals, c.member, c.max); e != nil {
			return nil, e
		}
	}
	n := 0
	for _, v := range [][]string{f.Queues, f.RoutingProfiles, f.Agents, f.UserHierarchyGroups} {
		if v != nil {
			n++
		}
	}
	if n == 0 {
		return nil, invalidParam("One of the filters Queues, RoutingProfiles, Agents or UserHierarchyGroups is required")
	}
	if n > 1 {
		return nil, invalidParam("Only one of the filters Queues, RoutingProfiles, Agents and UserHierarchyGroups may be given")
	}
	var states map[string]bool
	if f.ContactFilter != nil {
		if e := enumValues(f.ContactFilter.ContactStates, "filters.contactFilter.contactStates", 9, contactStates...); e != nil {
			return nil, e
		}
		if len(f.ContactFilter.ContactStates) > 0 {
			states = map[string]bool{}
			for _, st := range f.ContactFilter.ContactStates {
				states[st] = true
			}
		}
	}
	return states, nil
}

func (s *Server) userData(f *userDataFilters, states map[string]bool) []userDataWire {
	ix := s.newUserIndex()
	m := newUserMatch(f)
	data := sortedBy(s.src.CurrentUserData(), func(u UserData) string { return u.UserID })
	out := []userDataWire{}
	for _, d := range data {
		if !m.matches(ix, d) {
			continue
		}
		contacts := s.contactRefs(d, states)
		if states != nil && len(contacts) == 0 {
			continue
		}
		if contacts == nil {
			contacts = []agentContactReference{}
		}
		out = append(out, s.userDataWire(ix, d, contacts))
	}
	return out
}

// userIndex is the configuration GetCurrentUserData looks up, by id.
type userIndex struct {
	users    map[string]connectreporting.User
	groups   map[string]connectreporting.HierarchyGroup
	rpQueues map[string]map[string]bool // routing profile -> queues
}

func (s *Server) newUserIndex() userIndex {
	ix := userIndex{
		users:    map[string]connectreporting.User{},
		groups:   map[string]connectreporting.HierarchyGroup{},
		rpQueues: map[string]map[string]bool{},
	}
	for _, u := range s.src.Users() {
		ix.users[u.ID] = u
	}
	for _, g := range s.src.HierarchyGroups() {
		ix.groups[g.ID] = g
	}
	for _, rq := range s.src.RoutingProfileQueues() {
		if ix.rpQueues[rq.RoutingProfileID] == nil {
			ix.rpQueues[rq.RoutingProfileID] = map[string]bool{}
		}
		ix.rpQueues[rq.RoutingProfileID][rq.QueueID] = true
	}
	return ix
}

// userMatch is GetCurrentUserData's filter: the first of queues, routing
// profiles, agents and hierarchy groups that is set.
type userMatch struct {
	f                            *userDataFilters
	queues, rps, agents, groupsF map[string]bool
}

func newUserMatch(f *userDataFilters) userMatch {
	return userMatch{f: f, queues: idSet(f.Queues), rps: idSet(f.RoutingProfiles), agents: idSet(f.Agents), groupsF: idSet(f.UserHierarchyGroups)}
}

func (m userMatch) matches(ix userIndex, d UserData) bool {
	switch {
	case m.f.Queues != nil:
		for qid := range m.queues {
			if ix.rpQueues[d.RoutingProfileID][qid] {
				return true
			}
		}
		return false
	case m.f.RoutingProfiles != nil:
		return m.rps[d.RoutingProfileID]
	case m.f.Agents != nil:
		return m.agents[d.UserID]
	case m.f.UserHierarchyGroups != nil:
		g := ix.groups[d.HierarchyGroupID]
		return m.groupsF[d.HierarchyGroupID] || slices.ContainsFunc(g.Path, func(id string) bool { return m.groupsF[id] })
	}
	return true
}

// contactRefs is the agent's contacts in the given states (all when states is nil).
func (s *Server) contactRefs(d UserData, states map[string]bool) []agentContactReference {
	var contacts []agentContactReference
	for _, c := range d.Contacts {
		if states != nil && !states[c.State] {
			continue
		}
		ref := agentContactReference{
			ContactId:                 c.ContactID,
			Channel:                   connectreporting.NormalizeChannel(c.Channel),
			InitiationMethod:          c.InitiationMethod,
			AgentContactState:         c.State,
			StateStartTimestamp:       ts(c.StateStartTimestamp),
			ConnectedToAgentTimestamp: ts(c.ConnectedToAgentTimestamp),
		}
		if qid := cmp.Or(c.QueueID, connectreporting.IDFromARN(c.QueueARN)); qid != "" {
			ref.Queue = &reference{Id: qid, Arn: s.arn(c.QueueARN, "queue", qid)}
		}
		contacts = append(contacts, ref)
	}
	return contacts
}

func (s *Server) userDataWire(ix userIndex, d UserData, contacts []agentContactReference) userDataWire {
	u := ix.users[d.UserID]
	w := userDataWire{
		User:     &reference{Id: d.UserID, Arn: s.arn(u.ARN, "agent", d.UserID)},
		Status:   &agentStatusReference{StatusStartTimestamp: ts(d.StatusStart), StatusArn: d.StatusARN, StatusName: d.StatusName},
		Contacts: contacts,

		AvailableSlotsByChannel: d.AvailableSlots,
		MaxSlotsByChannel:       d.MaxSlots,
		ActiveSlotsByChannel:    d.ActiveSlots,
		NextStatus:              d.NextStatus,
	}
	if d.RoutingProfileID != "" {
		w.RoutingProfile = &reference{Id: d.RoutingProfileID, Arn: s.arn(s.rpARN(d.RoutingProfileID), "routing-profile", d.RoutingProfileID)}
	}
	if g, ok := ix.groups[d.HierarchyGroupID]; ok {
		w.HierarchyPath = s.hierarchyPath(ix, g)
	}
	return w
}

// hierarchyPath is the group's path from the top level, one reference a level.
func (s *Server) hierarchyPath(ix userIndex, g connectreporting.HierarchyGroup) *hierarchyPathReference {
	path := &hierarchyPathReference{}
	ids := g.Path
	if len(ids) == 0 {
		ids = []string{g.ID}
	}
	for i, id := range ids {
		path.set(i, &reference{Id: id, Arn: s.arn(ix.groups[id].ARN, "agent-group", id)})
	}
	return path
}

// queueOrProfileFilters checks the Queues and RoutingProfiles filters that
// GetCurrentMetricData and GetMetricData share: at most 100 of each, and at
// least one of the two.
func queueOrProfileFilters(f *filters) *apiError {
	if e := listFilter(f.Queues, "filters.queues", 100); e != nil {
		return e
	}
	if e := listFilter(f.RoutingProfiles, "filters.routingProfiles", 100); e != nil {
		return e
	}
	if f.Queues == nil && f.RoutingProfiles == nil {
		return invalidParam("At least one of the filters Queues or RoutingProfiles is required")
	}
	return nil
}
