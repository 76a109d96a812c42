package api

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/clock"

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

// v2Request is a checked GetMetricDataV2 request.
type v2Request struct {
	start, end time.Time
	period     string
	loc        *time.Location
	filters    dimFilters
	groupings  []string
	metrics    []v2Metric
}

func (s *Server) getMetricDataV2(q *request) (any, *apiError) {
	var req getMetricDataV2Request
	if e := decodeBody(q.body, &req); e != nil {
		return nil, e
	}
	if e := s.checkInstanceARN(req.ResourceArn); e != nil {
		return nil, e
	}
	var r v2Request
	var e *apiError
	if r.start, r.end, r.period, r.loc, e = s.v2Window(&req); e != nil {
		return nil, e
	}
	if r.filters, e = v2Filters(req.Filters); e != nil {
		return nil, e
	}
	if e = v2Groupings(req.Groupings); e != nil {
		return nil, e
	}
	r.groupings = req.Groupings
	if r.metrics, e = checkV2Metrics(req.Metrics, append(slices.Clone(req.Groupings), sortedKeys(r.filters)...)); e != nil {
		return nil, e
	}
	items, next, e := historicalPage(s, q, OpGetMetricDataV2, req.NextToken, req.MaxResults, func() []metricResultV2 { return s.metricResultsV2(r) })
	if e != nil {
		return nil, e
	}
	return getMetricDataV2Response{MetricResults: items, NextToken: next}, nil
}

// historicalPage returns one page (up to 100 results) of what compute
// makes, for GetMetricDataV2 and GetMetricData; no results is an empty list.
func historicalPage[T any](s *Server, q *request, op, token string, maxResults *int, compute func() []T) ([]T, string, *apiError) {
	now := s.src.Now()
	spec := pageSpec{op: op, hash: bodyHash(q.body), token: token, maxResults: maxResults, max: 100, def: 100, member: "maxResults"}
	pg, e := paginate(s, spec, func() ([]T, time.Time, *apiError) { return compute(), now, nil })
	if e != nil {
		return nil, "", e
	}
	if pg.items == nil {
		pg.items = []T{}
	}
	return pg.items, pg.next, nil
}

// v2Window checks StartTime, EndTime and Interval against the API's limits.
func (s *Server) v2Window(req *getMetricDataV2Request) (start, end time.Time, period string, loc *time.Location, e *apiError) {
	if req.StartTime == nil || req.EndTime == nil {
		return start, end, "", nil, invalidParam("StartTime and EndTime are required")
	}
	start, end = time.Time(*req.StartTime), time.Time(*req.EndTime)
	period, tz := "TOTAL", "UTC"
	if req.Interval != nil {
		period = cmp.Or(req.Interval.IntervalPeriod, period)
		tz = cmp.Or(req.Interval.TimeZone, tz)
	}
	if !slices.Contains(intervalPeriods, period) {
		return start, end, "", nil, constraintError(period, "interval.intervalPeriod", "Member must satisfy enum value set: "+enumSet(intervalPeriods))
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return start, end, "", nil, invalidParam("TimeZone %q is not a valid time zone", tz)
	}
	now := s.src.Now()
	limit, limitText := 35*24*time.Hour, "35 days"
	if period == "FIFTEEN_MIN" || period == "THIRTY_MIN" || period == "HOUR" {
		limit, limitText = 3*24*time.Hour, "3 days"
	}
	switch {
	case !start.Before(end):
		e = invalidParam("StartTime must be before EndTime")
	case s.opts.EndTimeSkew >= 0 && end.After(now.Add(s.opts.EndTimeSkew)):
		e = invalidParam("EndTime cannot be later than the current time")
	case start.Before(now.AddDate(0, -3, 0)):
		e = invalidParam("StartTime cannot be earlier than 3 months before the current time")
	case end.Sub(start) >= limit:
		e = invalidParam("The difference between StartTime and EndTime must be less than %s for IntervalPeriod %s", limitText, period)
	}
	return start, end, period, loc, e
}

// v2Filters checks the filters (1 to 5 keys, one resource key at least,
// 100 values across the keys but CHANNEL) and returns them by dimension.
func v2Filters(in []filterV2) (dimFilters, *apiError) {
	if len(in) < 1 {
		return nil, invalidParam("Filters is required")
	}
	if len(in) > 5 {
		return nil, constraintError(len(in), "filters", "Member must have length less than or equal to 5")
	}
	out := dimFilters{}
	resourceValues, hasResource := 0, false
	for _, f := range in {
		if !slices.Contains(v2Dims, f.FilterKey) {
			return nil, invalidParam("FilterKey %s is not supported; supported keys: %s", f.FilterKey, strings.Join(v2Dims, ", "))
		}
		if len(f.FilterValues) < 1 || len(f.FilterValues) > 100 {
			return nil, constraintError(len(f.FilterValues), "filters.member.filterValues", "Member must have length between 1 and 100")
		}
		if _, dup := out[f.FilterKey]; dup {
			return nil, invalidParam("FilterKey %s is given more than once", f.FilterKey)
		}
		if f.FilterKey == dimChannel {
			for _, v := range f.FilterValues {
				if !slices.Contains(channels, v) {
					return nil, invalidParam("%s is not a valid CHANNEL filter value", v)
				}
			}
		} else {
			resourceValues += len(f.FilterValues)
		}
		out[f.FilterKey] = idSet(f.FilterValues)
		hasResource = hasResource || slices.Contains(resourceDims, f.FilterKey)
	}
	if !hasResource {
		return nil, invalidParam("At least one of the filter keys %s is required", strings.Join(resourceDims, ", "))
	}
	if resourceValues > 100 {
		return nil, invalidParam("Up to 100 filter values are allowed across all filter keys other than CHANNEL; got %d", resourceValues)
	}
	return out, nil
}

// v2Groupings checks the groupings: up to 4 known dimensions, none twice.
func v2Groupings(groupings []string) *apiError {
	if len(groupings) > 4 {
		return constraintError(len(groupings), "groupings", "Member must have length less than or equal to 4")
	}
	for i, g := range groupings {
		if !slices.Contains(v2Dims, g) {
			return invalidParam("Grouping %s is not supported; supported groupings: %s", g, strings.Join(v2Dims, ", "))
		}
		if slices.Contains(groupings[:i], g) {
			return invalidParam("Grouping %s is given more than once", g)
		}
	}
	return nil
}

// checkV2Metrics checks the metrics (known, thresholds where needed, metric
// filters, valid with the request's dimensions dims) and returns them.
func checkV2Metrics(in []metricV2, dims []string) ([]v2Metric, *apiError) {
	if len(in) == 0 {
		return nil, invalidParam("Metrics is required")
	}
	var out []v2Metric
	serviceLevels := 0
	for _, m := range in {
		vm, e := v2MetricOf(m)
		if e != nil {
			return nil, e
		}
		for _, d := range dims {
			if (isAgentDim(d) && noAgentMetrics[m.Name]) || (agentOnlyMetrics[m.Name] && (d == dimQueue || d == dimChannel)) {
				return nil, invalidParam("Metric %s is not valid with filter or grouping %s", m.Name, d)
			}
		}
		if m.Name == "SERVICE_LEVEL" {
			serviceLevels++
		}
		out = append(out, vm)
	}
	if serviceLevels > 20 {
		return nil, invalidParam("Up to 20 SERVICE_LEVEL metrics are allowed in a request")
	}
	return out, nil
}

// v2MetricOf checks one metric: its name, threshold and metric filters.
func v2MetricOf(m metricV2) (v2Metric, *apiError) {
	if m.Name == "" {
		return v2Metric{}, invalidParam("MetricId is not supported by this simulated instance; give the metric Name")
	}
	if _, known := metricUnitV2[m.Name]; !known && !nullMetrics[m.Name] {
		return v2Metric{}, invalidParam("The metric %s is not supported", m.Name)
	}
	vm := v2Metric{wire: metricV2{Name: m.Name, Threshold: m.Threshold, MetricFilters: m.MetricFilters}, name: m.Name}
	switch {
	case thresholdMetrics[m.Name]:
		if len(m.Threshold) != 1 || m.Threshold[0].ThresholdValue == nil {
			return vm, invalidParam("Metric %s requires a Threshold", m.Name)
		}
		th := m.Threshold[0]
		if th.Comparison != "LT" && th.Comparison != "LTE" {
			return vm, invalidParam("Threshold Comparison for %s must be LT or LTE", m.Name)
		}
		if v := *th.ThresholdValue; v < 1 || v > 604800 || v != math.Trunc(v) {
			return vm, invalidParam("ThresholdValue for %s must be a whole number from 1 to 604800", m.Name)
		}
		vm.thr = thresholdSpec{lte: th.Comparison == "LTE", value: *th.ThresholdValue}
	case len(m.Threshold) > 0:
		return vm, invalidParam("Metric %s does not take a Threshold", m.Name)
	}
	for _, mf := range m.MetricFilters {
		if mf.MetricFilterKey != dimInitiationMethod {
			return vm, invalidParam("MetricFilterKey %s is not supported by this simulated instance", mf.MetricFilterKey)
		}
		vm.methods, vm.negate = map[string]bool{}, mf.Negate
		for _, v := range mf.MetricFilterValues {
			vm.methods[v] = true
		}
	}
	return vm, nil
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

// metricResultsV2 computes the request's metrics per interval and group.
func (s *Server) metricResultsV2(r v2Request) []metricResultV2 {
	var interval func(time.Time) (time.Time, time.Time)
	if r.period != "TOTAL" {
		interval = func(t time.Time) (time.Time, time.Time) {
			is := bucketStart(t, r.period, r.loc)
			return clock.Later(is, r.start), clock.Earlier(bucketEnd(is, r.period, r.loc), r.end)
		}
	}
	groups := s.contactGroups(r.start, r.end, r.filters, r.groupings, interval)
	out := make([]metricResultV2, 0, len(groups))
	for _, g := range groups {
		res := metricResultV2{
			MetricInterval: &metricInterval{Interval: r.period, StartTime: ts(g.start), EndTime: ts(g.end)},
			Collections:    make([]metricDataV2, 0, len(r.metrics)),
		}
		if len(r.groupings) > 0 {
			res.Dimensions = map[string]string{}
			for i, d := range r.groupings {
				res.Dimensions[d] = g.dims[i]
				if arn := s.dimARN(d, g.dims[i]); arn != "" {
					res.Dimensions[d+"_ARN"] = arn
				}
			}
		}
		for _, m := range r.metrics {
			facts := g.facts
			if m.methods != nil {
				facts = slices.DeleteFunc(slices.Clone(facts), func(f *ContactFact) bool { return !m.keep(f) })
			}
			res.Collections = append(res.Collections, metricDataV2{Metric: m.wire, Value: computeMetric(m.name, m.thr, facts)})
		}
		out = append(out, res)
	}
	return out
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

// v1Request is a checked GetMetricData request.
type v1Request struct {
	start, end time.Time
	filters    dimFilters
	groupings  []string
	metrics    []v1m
}

// v1m is one requested metric: its wire echo, what is computed, threshold.
type v1m struct {
	wire    historicalMetric
	compute string
	thr     thresholdSpec
}

func (s *Server) getMetricData(q *request) (any, *apiError) {
	if e := s.checkInstance(q.path("InstanceId")); e != nil {
		return nil, e
	}
	var req getMetricDataRequest
	if e := decodeBody(q.body, &req); e != nil {
		return nil, e
	}
	var r v1Request
	var e *apiError
	if r.start, r.end, e = s.v1Window(&req); e != nil {
		return nil, e
	}
	if r.filters, e = v1Filters(req.Filters); e != nil {
		return nil, e
	}
	if r.groupings, e = v1Groupings(req.Groupings); e != nil {
		return nil, e
	}
	if r.metrics, e = checkV1Metrics(req.HistoricalMetrics); e != nil {
		return nil, e
	}
	items, next, e := historicalPage(s, q, OpGetMetricData, req.NextToken, req.MaxResults, func() []historicalMetricResult { return s.metricResultsV1(r) })
	if e != nil {
		return nil, e
	}
	return getMetricDataResponse{MetricResults: items, NextToken: next}, nil
}

// v1Window checks StartTime and EndTime: 5-minute boundaries, within the
// last 24 hours, less than 24 hours apart.
func (s *Server) v1Window(req *getMetricDataRequest) (start, end time.Time, e *apiError) {
	if req.StartTime == nil || req.EndTime == nil {
		return start, end, invalidParam("StartTime and EndTime are required")
	}
	start, end = time.Time(*req.StartTime), time.Time(*req.EndTime)
	now := s.src.Now()
	skew := max(s.opts.EndTimeSkew, 0)
	switch {
	case start.UnixMilli()%300000 != 0 || end.UnixMilli()%300000 != 0:
		e = invalidParam("StartTime and EndTime must be multiples of 5 minutes")
	case !start.Before(end):
		e = invalidParam("EndTime must be later than StartTime")
	case start.Before(now.Add(-24*time.Hour - skew)):
		e = invalidParam("StartTime cannot be earlier than 24 hours before the time of the request")
	case end.Sub(start) >= 24*time.Hour:
		e = invalidParam("The time range between StartTime and EndTime must be less than 24 hours")
	}
	return start, end, e
}

// v1Filters checks the Queues, RoutingProfiles and Channels filters and
// returns the ones given by dimension.
func v1Filters(f *filters) (dimFilters, *apiError) {
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
	out := dimFilters{}
	for d, vals := range map[string][]string{dimQueue: f.Queues, dimRoutingProfile: f.RoutingProfiles, dimChannel: f.Channels} {
		if len(vals) > 0 {
			out[d] = idSet(vals)
		}
	}
	return out, nil
}

// metricGroupings are the Grouping enum of GetMetricData and GetCurrentMetricData.
var metricGroupings = []string{"QUEUE", "CHANNEL", "ROUTING_PROFILE", "ROUTING_STEP_EXPRESSION", "AGENT_STATUS", "SUBTYPE", "VALIDATION_TEST_TYPE"}

// v1Groupings checks the groupings: QUEUE, CHANNEL, ROUTING_PROFILE, none twice.
func v1Groupings(in []string) ([]string, *apiError) {
	if e := enumValues(in, "groupings", 2, metricGroupings...); e != nil {
		return nil, e
	}
	var out []string
	for _, g := range in {
		switch {
		case g != dimQueue && g != dimChannel && g != dimRoutingProfile:
			return nil, invalidParam("Grouping %s is not supported for GetMetricData", g)
		case slices.Contains(out, g):
			return nil, invalidParam("Grouping %s is given more than once", g)
		}
		out = append(out, g)
	}
	return out, nil
}

// checkV1Metrics checks every HistoricalMetric: its only Statistic and Unit, and
// SERVICE_LEVEL's threshold.
func checkV1Metrics(in []historicalMetric) ([]v1m, *apiError) {
	if len(in) == 0 {
		return nil, invalidParam("HistoricalMetrics is required")
	}
	var out []v1m
	serviceLevels := 0
	for _, m := range in {
		def, ok := v1Metrics[m.Name]
		switch {
		case !ok:
			return nil, constraintError(m.Name, "historicalMetrics.member.name", "Member must satisfy enum value set: "+enumSet(sortedKeys(v1Metrics)))
		case m.Statistic != def.stat:
			return nil, invalidParam("The Statistic for metric %s must be %s", m.Name, def.stat)
		case m.Unit != def.unit:
			return nil, invalidParam("The Unit for metric %s must be %s", m.Name, def.unit)
		}
		vm := v1m{wire: historicalMetric{Name: m.Name, Statistic: def.stat, Unit: def.unit, Threshold: m.Threshold}, compute: def.compute}
		if m.Name == "SERVICE_LEVEL" {
			serviceLevels++
			th := m.Threshold
			if th == nil || th.ThresholdValue == nil || th.Comparison != "LT" {
				return nil, invalidParam("SERVICE_LEVEL requires a Threshold with Comparison LT and a ThresholdValue")
			}
			if v := *th.ThresholdValue; v < 1 || v > 604800 || v != math.Trunc(v) {
				return nil, invalidParam("ThresholdValue must be a whole number from 1 to 604800")
			}
			vm.thr = thresholdSpec{value: *th.ThresholdValue}
		}
		out = append(out, vm)
	}
	if serviceLevels > 20 {
		return nil, invalidParam("Up to 20 SERVICE_LEVEL metrics are allowed in a request")
	}
	return out, nil
}

// metricResultsV1 computes the request's metrics per group.
func (s *Server) metricResultsV1(r v1Request) []historicalMetricResult {
	groups := s.contactGroups(r.start, r.end, r.filters, r.groupings, nil)
	out := make([]historicalMetricResult, 0, len(groups))
	for _, g := range groups {
		res := historicalMetricResult{Dimensions: &dimensions{}, Collections: make([]historicalMetricData, 0, len(r.metrics))}
		for i, d := range r.groupings {
			switch d {
			case dimQueue:
				res.Dimensions.Queue = &reference{Id: g.dims[i], Arn: s.dimARN(dimQueue, g.dims[i])}
			case dimChannel:
				res.Dimensions.Channel = g.dims[i]
			case dimRoutingProfile:
				res.Dimensions.RoutingProfile = &reference{Id: g.dims[i], Arn: s.dimARN(dimRoutingProfile, g.dims[i])}
			}
		}
		for _, m := range r.metrics {
			res.Collections = append(res.Collections, historicalMetricData{Metric: m.wire, Value: computeMetric(m.compute, m.thr, g.facts)})
		}
		out = append(out, res)
	}
	return out
}
