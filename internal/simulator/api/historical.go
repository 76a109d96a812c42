package api

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// Dimension keys of GetMetricDataV2 this server filters and groups by.
const (
	dimQueue            = "QUEUE"
	dimChannel          = "CHANNEL"
	dimAgent            = "AGENT"
	dimRoutingProfile   = "ROUTING_PROFILE"
	dimInitiationMethod = "INITIATION_METHOD"
)

var hierarchyDims = []string{
	"AGENT_HIERARCHY_LEVEL_ONE", "AGENT_HIERARCHY_LEVEL_TWO", "AGENT_HIERARCHY_LEVEL_THREE",
	"AGENT_HIERARCHY_LEVEL_FOUR", "AGENT_HIERARCHY_LEVEL_FIVE",
}

var v2Dims = append([]string{dimQueue, dimChannel, dimAgent, dimRoutingProfile, dimInitiationMethod}, hierarchyDims...)

// resourceDims are the filter keys that authorise a GetMetricDataV2 request:
// at least one of them is required.
var resourceDims = append([]string{dimQueue, dimAgent, dimRoutingProfile}, hierarchyDims...)

func isAgentDim(d string) bool { return d == dimAgent || strings.HasPrefix(d, "AGENT_HIERARCHY_") }

// contactView is a contact fact with the dimensions it is reported under.
type contactView struct {
	f    *ContactFact
	dims map[string]string // dimension -> id ("" = the contact has none)
}

// views resolves every dimension of facts: the routing profile and
// hierarchy of a contact are its agent's.
func (s *Server) views(facts []ContactFact) []contactView {
	users := map[string]connectreporting.User{}
	for _, u := range s.src.Users() {
		users[u.ID] = u
	}
	groups := map[string]connectreporting.HierarchyGroup{}
	for _, g := range s.src.HierarchyGroups() {
		groups[g.ID] = g
	}
	out := make([]contactView, len(facts))
	for i := range facts {
		f := &facts[i]
		d := map[string]string{
			dimQueue:            f.QueueID,
			dimChannel:          connectreporting.NormalizeChannel(f.Channel),
			dimAgent:            f.AgentID,
			dimInitiationMethod: f.InitiationMethod,
		}
		if u, ok := users[f.AgentID]; ok && f.AgentID != "" {
			d[dimRoutingProfile] = u.RoutingProfileID
			if g, ok := groups[u.HierarchyGroupID]; ok {
				path := g.Path
				if len(path) == 0 {
					path = []string{g.ID}
				}
				for l, id := range path {
					if l < len(hierarchyDims) {
						d[hierarchyDims[l]] = id
					}
				}
			}
		}
		out[i] = contactView{f: f, dims: d}
	}
	return out
}

// dimARN is the ARN reported beside a resource dimension (<DIM>_ARN).
func (s *Server) dimARN(dim, id string) string {
	switch {
	case dim == dimQueue:
		return s.arn(s.queuesByID()[id].ARN, "queue", id)
	case dim == dimAgent:
		for _, u := range s.src.Users() {
			if u.ID == id {
				return s.arn(u.ARN, "agent", id)
			}
		}
		return s.arn("", "agent", id)
	case dim == dimRoutingProfile:
		return s.arn(s.rpARN(id), "routing-profile", id)
	case strings.HasPrefix(dim, "AGENT_HIERARCHY_"):
		for _, g := range s.src.HierarchyGroups() {
			if g.ID == id {
				return s.arn(g.ARN, "agent-group", id)
			}
		}
		return s.arn("", "agent-group", id)
	}
	return ""
}

// ---- intervals ----

var intervalPeriods = []string{"FIFTEEN_MIN", "THIRTY_MIN", "HOUR", "DAY", "WEEK", "TOTAL"}

// bucketStart returns the start of the interval holding t: sub-day periods
// are floored in t's local wall clock (so +05:30 zones get :30 boundaries
// and a repeated DST hour stays two buckets), days start at local midnight,
// weeks on Monday at local midnight.
func bucketStart(t time.Time, period string, loc *time.Location) time.Time {
	t = t.In(loc)
	floor := func(p int64) time.Time {
		_, off := t.Zone()
		local := t.Unix() + int64(off)
		return time.Unix(t.Unix()-((local%p)+p)%p, 0).In(loc)
	}
	switch period {
	case "FIFTEEN_MIN":
		return floor(15 * 60)
	case "THIRTY_MIN":
		return floor(30 * 60)
	case "HOUR":
		return floor(3600)
	case "DAY":
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	case "WEEK":
		y, m, d := t.Date()
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	}
	return t
}

func bucketEnd(start time.Time, period string, loc *time.Location) time.Time {
	switch period {
	case "FIFTEEN_MIN":
		return start.Add(15 * time.Minute)
	case "THIRTY_MIN":
		return start.Add(30 * time.Minute)
	case "HOUR":
		return start.Add(time.Hour)
	case "DAY":
		y, m, d := start.In(loc).Date()
		return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	case "WEEK":
		y, m, d := start.In(loc).Date()
		return time.Date(y, m, d+7, 0, 0, 0, 0, loc)
	}
	return start
}

// ---- GetMetricDataV2 ----

type v2Metric struct {
	wire    metricV2
	name    string
	thr     thresholdSpec
	methods map[string]bool // INITIATION_METHOD metric filter
	negate  bool
}

func (m v2Metric) keep(f *ContactFact) bool {
	if m.methods == nil {
		return true
	}
	return m.methods[f.InitiationMethod] != m.negate
}

func (s *Server) getMetricDataV2(q *request) (any, *apiError) {
	var req getMetricDataV2Request
	if e := decodeBody(q.body, &req); e != nil {
		return nil, e
	}
	if e := s.checkInstanceARN(req.ResourceArn); e != nil {
		return nil, e
	}
	if req.StartTime == nil || req.EndTime == nil {
		return nil, invalidParam("StartTime and EndTime are required")
	}
	start, end := time.Time(*req.StartTime), time.Time(*req.EndTime)
	period, tz := "TOTAL", "UTC"
	if req.Interval != nil {
		period = cmp.Or(req.Interval.IntervalPeriod, period)
		tz = cmp.Or(req.Interval.TimeZone, tz)
	}
	if !slices.Contains(intervalPeriods, period) {
		return nil, constraintError(period, "interval.intervalPeriod", "Member must satisfy enum value set: "+enumSet(intervalPeriods))
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, invalidParam("TimeZone %q is not a valid time zone", tz)
	}
	now := s.src.Now()
	switch {
	case !start.Before(end):
		return nil, invalidParam("StartTime must be before EndTime")
	case s.opts.EndTimeSkew >= 0 && end.After(now.Add(s.opts.EndTimeSkew)):
		return nil, invalidParam("EndTime cannot be later than the current time")
	case start.Before(now.AddDate(0, -3, 0)):
		return nil, invalidParam("StartTime cannot be earlier than 3 months before the current time")
	}
	limit, limitText := 35*24*time.Hour, "35 days"
	if period == "FIFTEEN_MIN" || period == "THIRTY_MIN" || period == "HOUR" {
		limit, limitText = 3*24*time.Hour, "3 days"
	}
	if end.Sub(start) >= limit {
		return nil, invalidParam("The difference between StartTime and EndTime must be less than %s for IntervalPeriod %s", limitText, period)
	}

	// filters
	if len(req.Filters) < 1 {
		return nil, invalidParam("Filters is required")
	}
	if len(req.Filters) > 5 {
		return nil, constraintError(len(req.Filters), "filters", "Member must have length less than or equal to 5")
	}
	filterSets := map[string]map[string]bool{}
	resourceValues, hasResource := 0, false
	for _, f := range req.Filters {
		if !slices.Contains(v2Dims, f.FilterKey) {
			return nil, invalidParam("FilterKey %s is not supported; supported keys: %s", f.FilterKey, strings.Join(v2Dims, ", "))
		}
		if len(f.FilterValues) < 1 || len(f.FilterValues) > 100 {
			return nil, constraintError(len(f.FilterValues), "filters.member.filterValues", "Member must have length between 1 and 100")
		}
		if _, dup := filterSets[f.FilterKey]; dup {
			return nil, invalidParam("FilterKey %s is given more than once", f.FilterKey)
		}
		set := map[string]bool{}
		for _, v := range f.FilterValues {
			if f.FilterKey == dimChannel {
				if !slices.Contains(channels, v) {
					return nil, invalidParam("%s is not a valid CHANNEL filter value", v)
				}
				set[v] = true
				continue
			}
			set[idOf(v)] = true
		}
		filterSets[f.FilterKey] = set
		if f.FilterKey != dimChannel {
			resourceValues += len(f.FilterValues)
		}
		if slices.Contains(resourceDims, f.FilterKey) {
			hasResource = true
		}
	}
	if !hasResource {
		return nil, invalidParam("At least one of the filter keys %s is required", strings.Join(resourceDims, ", "))
	}
	if resourceValues > 100 {
		return nil, invalidParam("Up to 100 filter values are allowed across all filter keys other than CHANNEL; got %d", resourceValues)
	}
	if len(req.Groupings) > 4 {
		return nil, constraintError(len(req.Groupings), "groupings", "Member must have length less than or equal to 4")
	}
	for i, g := range req.Groupings {
		if !slices.Contains(v2Dims, g) {
			return nil, invalidParam("Grouping %s is not supported; supported groupings: %s", g, strings.Join(v2Dims, ", "))
		}
		if slices.Contains(req.Groupings[:i], g) {
			return nil, invalidParam("Grouping %s is given more than once", g)
		}
	}

	// metrics
	if len(req.Metrics) == 0 {
		return nil, invalidParam("Metrics is required")
	}
	var metrics []v2Metric
	serviceLevels := 0
	for _, m := range req.Metrics {
		if m.Name == "" {
			return nil, invalidParam("MetricId is not supported by this simulated instance; give the metric Name")
		}
		if _, known := metricUnitV2[m.Name]; !known && !nullMetrics[m.Name] {
			return nil, invalidParam("The metric %s is not supported", m.Name)
		}
		vm := v2Metric{wire: metricV2{Name: m.Name, Threshold: m.Threshold, MetricFilters: m.MetricFilters}, name: m.Name}
		if thresholdMetrics[m.Name] {
			if m.Name == "SERVICE_LEVEL" {
				serviceLevels++
			}
			if len(m.Threshold) != 1 || m.Threshold[0].ThresholdValue == nil {
				return nil, invalidParam("Metric %s requires a Threshold", m.Name)
			}
			th := m.Threshold[0]
			v := *th.ThresholdValue
			if th.Comparison != "LT" && th.Comparison != "LTE" {
				return nil, invalidParam("Threshold Comparison for %s must be LT or LTE", m.Name)
			}
			if v < 1 || v > 604800 || v != math.Trunc(v) {
				return nil, invalidParam("ThresholdValue for %s must be a whole number from 1 to 604800", m.Name)
			}
			vm.thr = thresholdSpec{lte: th.Comparison == "LTE", value: v}
		} else if len(m.Threshold) > 0 {
			return nil, invalidParam("Metric %s does not take a Threshold", m.Name)
		}
		for _, mf := range m.MetricFilters {
			if mf.MetricFilterKey != dimInitiationMethod {
				return nil, invalidParam("MetricFilterKey %s is not supported by this simulated instance", mf.MetricFilterKey)
			}
			vm.methods, vm.negate = map[string]bool{}, mf.Negate
			for _, v := range mf.MetricFilterValues {
				vm.methods[v] = true
			}
		}
		for _, d := range append(slices.Clone(req.Groupings), sortedKeys(filterSets)...) {
			if isAgentDim(d) && noAgentMetrics[m.Name] {
				return nil, invalidParam("Metric %s is not valid with filter or grouping %s", m.Name, d)
			}
			if agentOnlyMetrics[m.Name] && (d == dimQueue || d == dimChannel) {
				return nil, invalidParam("Metric %s is not valid with filter or grouping %s", m.Name, d)
			}
		}
		metrics = append(metrics, vm)
	}
	if serviceLevels > 20 {
		return nil, invalidParam("Up to 20 SERVICE_LEVEL metrics are allowed in a request")
	}

	spec := pageSpec{op: OpGetMetricDataV2, hash: bodyHash(q.body), token: req.NextToken, maxResults: req.MaxResults, max: 100, def: 100, member: "maxResults"}
	pg, e := paginate(s, spec, func() ([]metricResultV2, time.Time, *apiError) {
		return s.metricResultsV2(start, end, period, loc, filterSets, req.Groupings, metrics), now, nil
	})
	if e != nil {
		return nil, e
	}
	if pg.items == nil {
		pg.items = []metricResultV2{}
	}
	return getMetricDataV2Response{MetricResults: pg.items, NextToken: pg.next}, nil
}

// checkInstanceARN accepts the ARN of the simulated instance only.
func (s *Server) checkInstanceARN(arn string) *apiError {
	if arn == "" {
		return invalidParam("ResourceArn is required")
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "connect" || !strings.HasPrefix(parts[5], "instance/") {
		return invalidParam("ResourceArn %s is not the ARN of an Amazon Connect instance", arn)
	}
	if arn != s.instanceARN() {
		return notFound("Instance not found: %s", arn)
	}
	return nil
}

func (s *Server) metricResultsV2(start, end time.Time, period string, loc *time.Location,
	filterSets map[string]map[string]bool, groupings []string, metrics []v2Metric) []metricResultV2 {

	type group struct {
		istart, iend time.Time
		dims         []string
		facts        []*ContactFact
	}
	groups := map[string]*group{}
	var order []*group
	for _, v := range s.views(s.src.ContactFacts(start, end)) {
		if v.f.Initiation.Before(start) || !v.f.Initiation.Before(end) {
			continue
		}
		ok := true
		for key, set := range filterSets {
			if !set[v.dims[key]] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		dims := make([]string, len(groupings))
		for i, g := range groupings {
			dims[i] = v.dims[g]
			if dims[i] == "" {
				ok = false // "each dimension in the metric response must contain a value"
			}
		}
		if !ok {
			continue
		}
		is, ie := start, end
		if period != "TOTAL" {
			is = bucketStart(v.f.Initiation, period, loc)
			ie = bucketEnd(is, period, loc)
			is, ie = maxTime(is, start), minTime(ie, end)
		}
		key := is.String() + "\x00" + strings.Join(dims, "\x00")
		g := groups[key]
		if g == nil {
			g = &group{istart: is, iend: ie, dims: dims}
			groups[key] = g
			order = append(order, g)
		}
		g.facts = append(g.facts, v.f)
	}
	slices.SortFunc(order, func(a, b *group) int {
		if c := a.istart.Compare(b.istart); c != 0 {
			return c
		}
		return slices.Compare(a.dims, b.dims)
	})
	out := make([]metricResultV2, 0, len(order))
	for _, g := range order {
		r := metricResultV2{
			MetricInterval: &metricInterval{Interval: period, StartTime: ts(g.istart), EndTime: ts(g.iend)},
			Collections:    make([]metricDataV2, 0, len(metrics)),
		}
		if len(groupings) > 0 {
			r.Dimensions = map[string]string{}
			for i, d := range groupings {
				r.Dimensions[d] = g.dims[i]
				if arn := s.dimARN(d, g.dims[i]); arn != "" {
					r.Dimensions[d+"_ARN"] = arn
				}
			}
		}
		for _, m := range metrics {
			facts := g.facts
			if m.methods != nil {
				facts = slices.DeleteFunc(slices.Clone(facts), func(f *ContactFact) bool { return !m.keep(f) })
			}
			r.Collections = append(r.Collections, metricDataV2{Metric: m.wire, Value: computeMetric(m.name, m.thr, facts)})
		}
		out = append(out, r)
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ---- GetMetricData (v1) ----

// v1Metric is one HistoricalMetricName with the only Statistic and Unit the
// service accepts for it and the metric computed for it.
type v1Metric struct {
	stat, unit, compute string
}

var v1Metrics = map[string]v1Metric{
	"CONTACTS_QUEUED":                     {"SUM", "COUNT", "CONTACTS_QUEUED"},
	"CONTACTS_HANDLED":                    {"SUM", "COUNT", "CONTACTS_HANDLED"},
	"CONTACTS_ABANDONED":                  {"SUM", "COUNT", "CONTACTS_ABANDONED"},
	"CONTACTS_CONSULTED":                  {"SUM", "COUNT", "CONTACTS_CONSULTED"},
	"CONTACTS_AGENT_HUNG_UP_FIRST":        {"SUM", "COUNT", "CONTACTS_AGENT_HUNG_UP_FIRST"},
	"CONTACTS_HANDLED_INCOMING":           {"SUM", "COUNT", "CONTACTS_HANDLED_INCOMING"},
	"CONTACTS_HANDLED_OUTBOUND":           {"SUM", "COUNT", "CONTACTS_HANDLED_OUTBOUND"},
	"CONTACTS_HOLD_ABANDONS":              {"SUM", "COUNT", "CONTACTS_HOLD_ABANDONS"},
	"CONTACTS_TRANSFERRED_IN":             {"SUM", "COUNT", "CONTACTS_TRANSFERRED_IN"},
	"CONTACTS_TRANSFERRED_OUT":            {"SUM", "COUNT", "CONTACTS_TRANSFERRED_OUT"},
	"CONTACTS_TRANSFERRED_IN_FROM_QUEUE":  {"SUM", "COUNT", "CONTACTS_TRANSFERRED_IN_FROM_QUEUE"},
	"CONTACTS_TRANSFERRED_OUT_FROM_QUEUE": {"SUM", "COUNT", "CONTACTS_TRANSFERRED_OUT_FROM_QUEUE"},
	"CONTACTS_MISSED":                     {"SUM", "COUNT", "CONTACTS_MISSED"},
	"CALLBACK_CONTACTS_HANDLED":           {"SUM", "COUNT", "CALLBACK_CONTACTS_HANDLED"},
	"API_CONTACTS_HANDLED":                {"SUM", "COUNT", "API_CONTACTS_HANDLED"},
	"OCCUPANCY":                           {"AVG", "PERCENT", "OCCUPANCY"},
	"HANDLE_TIME":                         {"AVG", "SECONDS", "AVG_HANDLE_TIME"},
	"AFTER_CONTACT_WORK_TIME":             {"AVG", "SECONDS", "AVG_AFTER_CONTACT_WORK_TIME"},
	"QUEUED_TIME":                         {"MAX", "SECONDS", "MAX_QUEUED_TIME"},
	"ABANDON_TIME":                        {"AVG", "SECONDS", "AVG_ABANDON_TIME"},
	"QUEUE_ANSWER_TIME":                   {"AVG", "SECONDS", "AVG_QUEUE_ANSWER_TIME"},
	"HOLD_TIME":                           {"AVG", "SECONDS", "AVG_HOLD_TIME"},
	"INTERACTION_TIME":                    {"AVG", "SECONDS", "AVG_INTERACTION_TIME"},
	"INTERACTION_AND_HOLD_TIME":           {"AVG", "SECONDS", "AVG_INTERACTION_AND_HOLD_TIME"},
	"SERVICE_LEVEL":                       {"AVG", "PERCENT", "SERVICE_LEVEL"},
}

func (s *Server) getMetricData(q *request) (any, *apiError) {
	if e := s.checkInstance(q.path("InstanceId")); e != nil {
		return nil, e
	}
	var req getMetricDataRequest
	if e := decodeBody(q.body, &req); e != nil {
		return nil, e
	}
	if req.StartTime == nil || req.EndTime == nil {
		return nil, invalidParam("StartTime and EndTime are required")
	}
	start, end := time.Time(*req.StartTime), time.Time(*req.EndTime)
	now := s.src.Now()
	skew := max(s.opts.EndTimeSkew, 0)
	switch {
	case start.UnixMilli()%300000 != 0 || end.UnixMilli()%300000 != 0:
		return nil, invalidParam("StartTime and EndTime must be multiples of 5 minutes")
	case !start.Before(end):
		return nil, invalidParam("EndTime must be later than StartTime")
	case start.Before(now.Add(-24*time.Hour - skew)):
		return nil, invalidParam("StartTime cannot be earlier than 24 hours before the time of the request")
	case end.Sub(start) >= 24*time.Hour:
		return nil, invalidParam("The time range between StartTime and EndTime must be less than 24 hours")
	}
	f := req.Filters
	if f == nil {
		return nil, invalidParam("Filters is required")
	}
	if e := queueOrProfileFilters(f); e != nil {
		return nil, e
	}
	if len(f.RoutingStepExpressions)+len(f.AgentStatuses)+len(f.Subtypes)+len(f.ValidationTestTypes) > 0 {
		return nil, invalidParam("RoutingStepExpression is not a valid filter for GetMetricData")
	}
	if e := enumValues(f.Channels, "filters.channels", 4, channels...); e != nil {
		return nil, e
	}
	if e := enumValues(req.Groupings, "groupings", 2, "QUEUE", "CHANNEL", "ROUTING_PROFILE", "ROUTING_STEP_EXPRESSION", "AGENT_STATUS", "SUBTYPE", "VALIDATION_TEST_TYPE"); e != nil {
		return nil, e
	}
	var groupings []string
	for _, g := range req.Groupings {
		switch g {
		case "QUEUE", "CHANNEL", "ROUTING_PROFILE":
			if slices.Contains(groupings, g) {
				return nil, invalidParam("Grouping %s is given more than once", g)
			}
			groupings = append(groupings, g)
		default:
			return nil, invalidParam("Grouping %s is not supported for GetMetricData", g)
		}
	}
	if len(req.HistoricalMetrics) == 0 {
		return nil, invalidParam("HistoricalMetrics is required")
	}
	type v1m struct {
		wire    historicalMetric
		compute string
		thr     thresholdSpec
	}
	var metrics []v1m
	serviceLevels := 0
	for _, m := range req.HistoricalMetrics {
		def, ok := v1Metrics[m.Name]
		if !ok {
			return nil, constraintError(m.Name, "historicalMetrics.member.name", "Member must satisfy enum value set: "+enumSet(sortedKeys(v1Metrics)))
		}
		if m.Statistic != def.stat {
			return nil, invalidParam("The Statistic for metric %s must be %s", m.Name, def.stat)
		}
		if m.Unit != def.unit {
			return nil, invalidParam("The Unit for metric %s must be %s", m.Name, def.unit)
		}
		vm := v1m{wire: historicalMetric{Name: m.Name, Statistic: def.stat, Unit: def.unit, Threshold: m.Threshold}, compute: def.compute}
		if m.Name == "SERVICE_LEVEL" {
			serviceLevels++
			th := m.Threshold
			if th == nil || th.ThresholdValue == nil || th.Comparison != "LT" {
				return nil, invalidParam("SERVICE_LEVEL requires a Threshold with Comparison LT and a ThresholdValue")
			}
			v := *th.ThresholdValue
			if v < 1 || v > 604800 || v != math.Trunc(v) {
				return nil, invalidParam("ThresholdValue must be a whole number from 1 to 604800")
			}
			vm.thr = thresholdSpec{value: v}
		}
		metrics = append(metrics, vm)
	}
	if serviceLevels > 20 {
		return nil, invalidParam("Up to 20 SERVICE_LEVEL metrics are allowed in a request")
	}

	spec := pageSpec{op: OpGetMetricData, hash: bodyHash(q.body), token: req.NextToken, maxResults: req.MaxResults, max: 100, def: 100, member: "maxResults"}
	pg, e := paginate(s, spec, func() ([]historicalMetricResult, time.Time, *apiError) {
		queues, rps, chans := idSet(f.Queues), idSet(f.RoutingProfiles), map[string]bool{}
		for _, c := range f.Channels {
			chans[c] = true
		}
		type group struct {
			dims  []string
			facts []*ContactFact
		}
		groups := map[string]*group{}
		var order []*group
		for _, v := range s.views(s.src.ContactFacts(start, end)) {
			if v.f.Initiation.Before(start) || !v.f.Initiation.Before(end) {
				continue
			}
			if (len(queues) > 0 && !queues[v.dims[dimQueue]]) || (len(rps) > 0 && !rps[v.dims[dimRoutingProfile]]) ||
				(len(chans) > 0 && !chans[v.dims[dimChannel]]) {
				continue
			}
			dims := make([]string, len(groupings))
			skip := false
			for i, g := range groupings {
				dims[i] = v.dims[g]
				skip = skip || dims[i] == ""
			}
			if skip {
				continue
			}
			key := strings.Join(dims, "\x00")
			g := groups[key]
			if g == nil {
				g = &group{dims: dims}
				groups[key] = g
				order = append(order, g)
			}
			g.facts = append(g.facts, v.f)
		}
		slices.SortFunc(order, func(a, b *group) int { return slices.Compare(a.dims, b.dims) })
		out := make([]historicalMetricResult, 0, len(order))
		for _, g := range order {
			r := historicalMetricResult{Dimensions: &dimensions{}, Collections: make([]historicalMetricData, 0, len(metrics))}
			for i, d := range groupings {
				switch d {
				case "QUEUE":
					r.Dimensions.Queue = &reference{Id: g.dims[i], Arn: s.dimARN(dimQueue, g.dims[i])}
				case "CHANNEL":
					r.Dimensions.Channel = g.dims[i]
				case "ROUTING_PROFILE":
					r.Dimensions.RoutingProfile = &reference{Id: g.dims[i], Arn: s.dimARN(dimRoutingProfile, g.dims[i])}
				}
			}
			for _, m := range metrics {
				r.Collections = append(r.Collections, historicalMetricData{Metric: m.wire, Value: computeMetric(m.compute, m.thr, g.facts)})
			}
			out = append(out, r)
		}
		return out, now, nil
	})
	if e != nil {
		return nil, e
	}
	if pg.items == nil {
		pg.items = []historicalMetricResult{}
	}
	return getMetricDataResponse{MetricResults: pg.items, NextToken: pg.next}, nil
}
