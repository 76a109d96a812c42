package api

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
)

var instanceARN = fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s", testRegion, testAccount, testInstance)

// at is a time on the fixture's day (2025-03-10, UTC).
func at(hh, mm, ss int) time.Time { return time.Date(2025, 3, 10, hh, mm, ss, 0, time.UTC) }

// historyFixture adds six contacts between 09:00 and 12:00 UTC (see the
// expected values in TestGetMetricDataV2Total).
func historyFixture() *staticSource {
	s := newFixture(10, 5)
	s.facts = []ContactFact{
		{ContactID: "c1", QueueID: "q-000", Channel: "VOICE", InitiationMethod: "INBOUND", AgentID: "u-000",
			Initiation: at(9, 0, 0), Enqueue: at(9, 0, 10), Dequeue: at(9, 0, 40), ConnectedToAgent: at(9, 0, 40),
			AgentDisconnect: at(9, 5, 40), ACWEnd: at(9, 6, 10), Disconnect: at(9, 5, 40), HoldSeconds: 60, Holds: 1},
		{ContactID: "c2", QueueID: "q-000", Channel: "VOICE", InitiationMethod: "INBOUND",
			Initiation: at(9, 10, 0), Enqueue: at(9, 10, 5), Dequeue: at(9, 10, 25), Disconnect: at(9, 10, 25), Abandoned: true},
		{ContactID: "c3", QueueID: "q-000", Channel: "CHAT", InitiationMethod: "INBOUND", AgentID: "u-003",
			Initiation: at(9, 20, 0), Enqueue: at(9, 20, 0), Dequeue: at(9, 22, 0), ConnectedToAgent: at(9, 22, 0),
			AgentDisconnect: at(9, 32, 0), ACWEnd: at(9, 33, 0), Disconnect: at(9, 32, 0), TransferredOut: true},
		{ContactID: "c4", QueueID: "q-001", Channel: "VOICE", InitiationMethod: "OUTBOUND", AgentID: "u-001",
			Initiation: at(10, 0, 0), ConnectedToAgent: at(10, 0, 5), AgentDisconnect: at(10, 2, 5), ACWEnd: at(10, 2, 35), Disconnect: at(10, 2, 5)},
		{ContactID: "c5", QueueID: "q-001", Channel: "VOICE", InitiationMethod: "INBOUND", AgentID: "u-001",
			Initiation: at(10, 30, 0), Enqueue: at(10, 30, 0), Dequeue: at(10, 30, 8), ConnectedToAgent: at(10, 30, 8),
			AgentDisconnect: at(10, 31, 8), ACWEnd: at(10, 31, 8), Disconnect: at(10, 31, 8), HoldSeconds: 10, Holds: 2},
		{ContactID: "c6", QueueID: "q-001", Channel: "CHAT", InitiationMethod: "INBOUND",
			Initiation: at(11, 50, 0), Enqueue: at(11, 50, 0)},
	}
	return s
}

func v2Metrics(names ...string) []types.MetricV2 {
	var ms []types.MetricV2
	for _, n := range names {
		m := types.MetricV2{Name: aws.String(n)}
		if thresholdMetrics[n] {
			m.Threshold = []types.ThresholdV2{{Comparison: aws.String("LT"), ThresholdValue: aws.Float64(60)}}
		}
		ms = append(ms, m)
	}
	return ms
}

func v2Values(r types.MetricResultV2) map[string]*float64 {
	m := map[string]*float64{}
	for _, c := range r.Collections {
		m[*c.Metric.Name] = c.Value
	}
	return m
}

func near(got *float64, want float64) bool {
	if math.IsNaN(want) {
		return got == nil
	}
	return got != nil && math.Abs(*got-want) < 0.01
}

var none = math.NaN() // "no value"

func TestGetMetricDataV2Total(t *testing.T) {
	_, c := startServer(t, historyFixture(), Options{})
	want := map[string]map[string]float64{
		"q-000": {
			"CONTACTS_CREATED": 3, "CONTACTS_QUEUED": 3, "CONTACTS_HANDLED": 2, "CONTACTS_ABANDONED": 1, "CONTACTS_TRANSFERRED_OUT": 1,
			"CONTACTS_PUT_ON_HOLD": 1, "ABANDONMENT_RATE": 100.0 / 3, "AVG_HANDLE_TIME": 495, "SUM_HANDLE_TIME": 990, "AVG_HOLD_TIME": 60,
			"AVG_HOLD_TIME_ALL_CONTACTS": 30, "SUM_HOLD_TIME": 60, "AVG_HOLDS": 0.5, "AVG_AFTER_CONTACT_WORK_TIME": 45, "SUM_AFTER_CONTACT_WORK_TIME": 90,
			"AVG_INTERACTION_TIME": 420, "SUM_INTERACTION_TIME": 840, "AVG_INTERACTION_AND_HOLD_TIME": 450, "SUM_INTERACTION_AND_HOLD_TIME": 900,
			"AVG_QUEUE_ANSWER_TIME": 75, "AVG_ABANDON_TIME": 20, "MAX_QUEUED_TIME": 120, "AVG_CONTACT_DURATION": (340 + 25 + 720) / 3.0,
			"SERVICE_LEVEL": 100.0 / 3, "SUM_CONTACTS_ANSWERED_IN_X": 1, "SUM_CONTACTS_ABANDONED_IN_X": 1, "CONTACTS_REMOVED_FROM_QUEUE_IN_X": 2,
		},
		"q-001": {
			"CONTACTS_CREATED": 3, "CONTACTS_QUEUED": 2, "CONTACTS_HANDLED": 2, "CONTACTS_ABANDONED": 0, "CONTACTS_TRANSFERRED_OUT": 0,
			"CONTACTS_PUT_ON_HOLD": 1, "ABANDONMENT_RATE": 0, "AVG_HANDLE_TIME": 105, "SUM_HANDLE_TIME": 210, "AVG_HOLD_TIME": 10,
			"AVG_HOLD_TIME_ALL_CONTACTS": 5, "SUM_HOLD_TIME": 10, "AVG_HOLDS": 1, "AVG_AFTER_CONTACT_WORK_TIME": 15, "SUM_AFTER_CONTACT_WORK_TIME": 30,
			"AVG_INTERACTION_TIME": 85, "SUM_INTERACTION_TIME": 170, "AVG_INTERACTION_AND_HOLD_TIME": 90, "SUM_INTERACTION_AND_HOLD_TIME": 180,
			"AVG_QUEUE_ANSWER_TIME": 8, "AVG_ABANDON_TIME": none, "MAX_QUEUED_TIME": 8, "AVG_CONTACT_DURATION": (125 + 68) / 2.0,
			"SERVICE_LEVEL": 100, "SUM_CONTACTS_ANSWERED_IN_X": 1, "SUM_CONTACTS_ABANDONED_IN_X": 0, "CONTACTS_REMOVED_FROM_QUEUE_IN_X": 1,
		},
	}
	names := sortedKeys(want["q-000"])
	out, err := c.GetMetricDataV2(ctx(t), &connect.GetMetricDataV2Input{
		ResourceArn: aws.String(instanceARN), StartTime: aws.Time(at(9, 0, 0)), EndTime: aws.Time(at(12, 0, 0)),
		Filters:   []types.FilterV2{{FilterKey: aws.String("QUEUE"), FilterValues: []string{"q-000", arnOf("queue", "q-001")}}},
		Groupings: []string{"QUEUE"}, Metrics: v2Metrics(names...),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricResults) != 2 {
		t.Fatalf("%d results", len(out.MetricResults))
	}
	for _, r := range out.MetricResults {
		q := r.Dimensions["QUEUE"]
		if r.Dimensions["QUEUE_ARN"] != arnOf("queue", q) {
			t.Errorf("dimensions %v", r.Dimensions)
		}
		if r.MetricInterval.Interval != types.IntervalPeriodTotal || !r.MetricInterval.StartTime.Equal(at(9, 0, 0)) || !r.MetricInterval.EndTime.Equal(at(12, 0, 0)) {
			t.Errorf("interval %+v", r.MetricInterval)
		}
		vals := v2Values(r)
		if len(vals) != len(names) {
			t.Errorf("%d collections", len(vals))
		}
		for _, n := range names {
			if w := want[q][n]; !near(vals[n], w) {
				t.Errorf("%s %s = %v, want %v", q, n, deref(vals[n]), w)
			}
		}
	}
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

func TestGetMetricDataV2Intervals(t *testing.T) {
	_, c := startServer(t, historyFixture(), Options{})
	cases := []struct {
		name, tz, period string
		start, end       time.Time
		wantStarts       []time.Time
		wantCreated      []float64
	}{
		{"hour UTC", "UTC", "HOUR", at(9, 0, 0), at(12, 0, 0),
			[]time.Time{at(9, 0, 0), at(10, 0, 0), at(11, 0, 0)}, []float64{3, 2, 1}},
		{"hour in India (+05:30), clipped to the request", "Asia/Kolkata", "HOUR", at(9, 0, 0), at(12, 0, 0),
			[]time.Time{at(9, 0, 0), at(9, 30, 0), at(10, 30, 0), at(11, 30, 0)}, []float64{3, 1, 1, 1}},
		{"thirty minutes", "Europe/London", "THIRTY_MIN", at(9, 0, 0), at(12, 0, 0),
			[]time.Time{at(9, 0, 0), at(10, 0, 0), at(10, 30, 0), at(11, 30, 0)}, []float64{3, 1, 1, 1}},
		{"fifteen minutes", "UTC", "FIFTEEN_MIN", at(9, 0, 0), at(12, 0, 0),
			[]time.Time{at(9, 0, 0), at(9, 15, 0), at(10, 0, 0), at(10, 30, 0), at(11, 45, 0)}, []float64{2, 1, 1, 1, 1}},
		{"day in Los Angeles", "America/Los_Angeles", "DAY", at(0, 0, 0), at(12, 0, 0),
			[]time.Time{at(0, 0, 0), at(7, 0, 0)}, []float64{0, 6}}, // local midnight is 07:00 UTC (PDT)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.GetMetricDataV2(ctx(t), &connect.GetMetricDataV2Input{
				ResourceArn: aws.String(instanceARN), StartTime: aws.Time(tc.start), EndTime: aws.Time(tc.end),
				Interval: &types.IntervalDetails{TimeZone: aws.String(tc.tz), IntervalPeriod: types.IntervalPeriod(tc.period)},
				Filters:  []types.FilterV2{{FilterKey: aws.String("QUEUE"), FilterValues: []string{"q-000", "q-001"}}},
				Metrics:  v2Metrics("CONTACTS_CREATED"),
			})
			if err != nil {
				t.Fatal(err)
			}
			var starts []time.Time
			var created []float64
			for _, r := range out.MetricResults {
				starts = append(starts, r.MetricInterval.StartTime.UTC())
				created = append(created, *r.Collections[0].Value)
				if string(r.MetricInterval.Interval) != tc.period || !r.MetricInterval.EndTime.After(*r.MetricInterval.StartTime) {
					t.Errorf("interval %+v", r.MetricInterval)
				}
			}
			wantCreated := tc.wantCreated
			wantStarts := tc.wantStarts
			if wantCreated[0] == 0 { // rows exist only where there is data
				wantCreated, wantStarts = wantCreated[1:], wantStarts[1:]
			}
			if fmt.Sprint(starts) != fmt.Sprint(wantStarts) || fmt.Sprint(created) != fmt.Sprint(wantCreated) {
				t.Errorf("starts %v created %v, want %v %v", starts, created, wantStarts, wantCreated)
			}
		})
	}
}

func TestBucketsAreDSTSafe(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	kol, _ := time.LoadLocation("Asia/Kolkata")
	u := func(m, d, hh, mm int) time.Time { return time.Date(2024, time.Month(m), d, hh, mm, 0, 0, time.UTC) }
	cases := []struct {
		t          time.Time
		period     string
		loc        *time.Location
		start, end time.Time
	}{
		// 2024-11-03: 01:00-02:00 New York happens twice (EDT then EST)
		{u(11, 3, 5, 30), "HOUR", ny, u(11, 3, 5, 0), u(11, 3, 6, 0)},
		{u(11, 3, 6, 30), "HOUR", ny, u(11, 3, 6, 0), u(11, 3, 7, 0)},
		{u(11, 3, 12, 0), "DAY", ny, u(11, 3, 4, 0), u(11, 4, 5, 0)},  // a 25-hour day
		{u(3, 10, 12, 0), "DAY", ny, u(3, 10, 5, 0), u(3, 11, 4, 0)},  // a 23-hour day
		{u(3, 10, 6, 59), "HOUR", ny, u(3, 10, 6, 0), u(3, 10, 7, 0)}, // 01:59 EST; 02:00 does not exist
		{u(3, 10, 7, 0), "HOUR", ny, u(3, 10, 7, 0), u(3, 10, 8, 0)},  // 03:00 EDT
		{u(6, 5, 10, 40), "HOUR", kol, u(6, 5, 10, 30), u(6, 5, 11, 30)},
		{u(6, 5, 10, 40), "FIFTEEN_MIN", kol, u(6, 5, 10, 30), u(6, 5, 10, 45)},
		{u(6, 5, 12, 0), "WEEK", ny, u(6, 3, 4, 0), u(6, 10, 4, 0)}, // Wednesday -> Monday 00:00 EDT
	}
	for _, tc := range cases {
		s := bucketStart(tc.t, tc.period, tc.loc)
		e := bucketEnd(s, tc.period, tc.loc)
		if !s.Equal(tc.start) || !e.Equal(tc.end) {
			t.Errorf("%s %v in %v: [%v, %v), want [%v, %v)", tc.period, tc.t, tc.loc, s.UTC(), e.UTC(), tc.start, tc.end)
		}
	}
}

func TestGetMetricDataV2GroupingsAndFilters(t *testing.T) {
	_, c := startServer(t, historyFixture(), Options{})
	run := func(filters []types.FilterV2, groupings []string, metrics ...types.MetricV2) []types.MetricResultV2 {
		t.Helper()
		out, err := c.GetMetricDataV2(ctx(t), &connect.GetMetricDataV2Input{
			ResourceArn: aws.String(instanceARN), StartTime: aws.Time(at(9, 0, 0)), EndTime: aws.Time(at(12, 0, 0)),
			Filters: filters, Groupings: groupings, Metrics: metrics,
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.MetricResults
	}
	queues := types.FilterV2{FilterKey: aws.String("QUEUE"), FilterValues: []string{"q-000", "q-001"}}

	// by agent: only contacts an agent handled
	rs := run([]types.FilterV2{queues}, []string{"AGENT"}, v2Metrics("CONTACTS_HANDLED")...)
	got := map[string]float64{}
	for _, r := range rs {
		got[r.Dimensions["AGENT"]] = *r.Collections[0].Value
		if r.Dimensions["AGENT_ARN"] != arnOf("agent", r.Dimensions["AGENT"]) {
			t.Errorf("dims %v", r.Dimensions)
		}
	}
	if fmt.Sprint(got) != "map[u-000:1 u-001:2 u-003:1]" {
		t.Errorf("by agent %v", got)
	}

	// by routing profile and channel, filtered by routing profile
	rs = run([]types.FilterV2{{FilterKey: aws.String("ROUTING_PROFILE"), FilterValues: []string{"rp-0", "rp-1"}},
		{FilterKey: aws.String("CHANNEL"), FilterValues: []string{"VOICE"}}},
		[]string{"ROUTING_PROFILE", "CHANNEL"}, v2Metrics("CONTACTS_HANDLED")...)
	got = map[string]float64{}
	for _, r := range rs {
		got[r.Dimensions["ROUTING_PROFILE"]+"/"+r.Dimensions["CHANNEL"]] = *r.Collections[0].Value
	}
	if fmt.Sprint(got) != "map[rp-0/VOICE:1 rp-1/VOICE:2]" {
		t.Errorf("by routing profile %v", got)
	}

	// hierarchy: u-000 is in g-eu-a, u-001 and u-003 in g-eu-b
	rs = run([]types.FilterV2{{FilterKey: aws.String("AGENT_HIERARCHY_LEVEL_ONE"), FilterValues: []string{"g-eu"}}},
		[]string{"AGENT_HIERARCHY_LEVEL_TWO"}, v2Metrics("CONTACTS_HANDLED")...)
	got = map[string]float64{}
	for _, r := range rs {
		got[r.Dimensions["AGENT_HIERARCHY_LEVEL_TWO"]] = *r.Collections[0].Value
	}
	if fmt.Sprint(got) != "map[g-eu-a:1 g-eu-b:3]" {
		t.Errorf("by hierarchy %v", got)
	}

	// metric-level INITIATION_METHOD filter, and its negation
	m := types.MetricV2{Name: aws.String("CONTACTS_HANDLED"), MetricFilters: []types.MetricFilterV2{{MetricFilterKey: aws.String("INITIATION_METHOD"), MetricFilterValues: []string{"OUTBOUND"}}}}
	neg := types.MetricV2{Name: aws.String("CONTACTS_HANDLED"), MetricFilters: []types.MetricFilterV2{{MetricFilterKey: aws.String("INITIATION_METHOD"), MetricFilterValues: []string{"OUTBOUND"}, Negate: true}}}
	rs = run([]types.FilterV2{queues}, nil, m, neg)
	if len(rs) != 1 || *rs[0].Collections[0].Value != 1 || *rs[0].Collections[1].Value != 3 || len(rs[0].Dimensions) != 0 {
		t.Errorf("metric filters: %+v", rs)
	}

	// AGENT_OCCUPANCY is recognised but not modelled: no value
	rs = run([]types.FilterV2{{FilterKey: aws.String("AGENT"), FilterValues: []string{"u-001"}}}, []string{"AGENT"}, v2Metrics("AGENT_OCCUPANCY", "CONTACTS_HANDLED")...)
	if len(rs) != 1 || rs[0].Collections[0].Value != nil || *rs[0].Collections[1].Value != 2 {
		t.Errorf("occupancy: %+v", rs)
	}
}

func TestGetMetricDataV2Paginates(t *testing.T) {
	src := newFixture(3, 100)
	for i := 0; i < 100; i++ {
		for j, ch := range []string{"VOICE", "CHAT"} {
			src.facts = append(src.facts, ContactFact{ContactID: fmt.Sprintf("c-%d-%d", i, j), QueueID: queueID(i), Channel: ch,
				InitiationMethod: "INBOUND", Initiation: at(10, i%60, 0), Enqueue: at(10, i%60, 0)})
		}
	}
	srv, c := startServer(t, src, Options{})
	var qs []string
	for i := 0; i < 100; i++ {
		qs = append(qs, queueID(i))
	}
	p := connect.NewGetMetricDataV2Paginator(c, &connect.GetMetricDataV2Input{
		ResourceArn: aws.String(instanceARN), StartTime: aws.Time(at(9, 0, 0)), EndTime: aws.Time(at(12, 0, 0)),
		Filters:   []types.FilterV2{{FilterKey: aws.String("QUEUE"), FilterValues: qs}, {FilterKey: aws.String("CHANNEL"), FilterValues: []string{"VOICE", "CHAT"}}},
		Groupings: []string{"QUEUE", "CHANNEL"}, Metrics: v2Metrics("CONTACTS_QUEUED"), MaxResults: aws.Int32(80),
	})
	seen, pages := map[string]bool{}, 0
	for p.HasMorePages() {
		pages++
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.MetricResults {
			k := r.Dimensions["QUEUE"] + "/" + r.Dimensions["CHANNEL"]
			if seen[k] || *r.Collections[0].Value != 1 {
				t.Fatalf("%s twice or wrong value", k)
			}
			seen[k] = true
		}
	}
	if len(seen) != 200 || pages != 3 || srv.Requests(OpGetMetricDataV2) != 3 {
		t.Fatalf("%d results in %d requests", len(seen), srv.Requests(OpGetMetricDataV2))
	}
}

func TestGetMetricDataV2Validation(t *testing.T) {
	src := historyFixture()
	_, c := startServer(t, src, Options{})
	queues := []types.FilterV2{{FilterKey: aws.String("QUEUE"), FilterValues: []string{"q-000"}}}
	var v101 []string
	for i := 0; i < 101; i++ {
		v101 = append(v101, queueID(i))
	}
	base := func() connect.GetMetricDataV2Input {
		return connect.GetMetricDataV2Input{ResourceArn: aws.String(instanceARN), StartTime: aws.Time(at(9, 0, 0)), EndTime: aws.Time(at(12, 0, 0)),
			Filters: queues, Metrics: v2Metrics("CONTACTS_HANDLED")}
	}
	cases := []struct {
		name   string
		modify func(*connect.GetMetricDataV2Input)
		want   any
		msg    string
	}{
		{"end before start", func(in *connect.GetMetricDataV2Input) { in.EndTime = aws.Time(at(8, 0, 0)) }, new(*types.InvalidParameterException), "before"},
		{"end in the future", func(in *connect.GetMetricDataV2Input) { in.EndTime = aws.Time(src.now.Add(time.Hour)) }, new(*types.InvalidParameterException), "current time"},
		{"older than 3 months", func(in *connect.GetMetricDataV2Input) {
			in.StartTime = aws.Time(src.now.AddDate(0, -3, -1))
			in.EndTime = aws.Time(src.now.AddDate(0, -3, 1))
		}, new(*types.InvalidParameterException), "3 months"},
		{"hour interval over 3 days", func(in *connect.GetMetricDataV2Input) {
			in.StartTime = aws.Time(src.now.Add(-72 * time.Hour))
			in.EndTime = aws.Time(src.now)
			in.Interval = &types.IntervalDetails{IntervalPeriod: types.IntervalPeriodHour}
		}, new(*types.InvalidParameterException), "3 days"},
		{"total over 35 days", func(in *connect.GetMetricDataV2Input) {
			in.StartTime = aws.Time(src.now.Add(-36 * 24 * time.Hour))
			in.EndTime = aws.Time(src.now)
		}, new(*types.InvalidParameterException), "35 days"},
		{"bad time zone", func(in *connect.GetMetricDataV2Input) {
			in.Interval = &types.IntervalDetails{IntervalPeriod: types.IntervalPeriodHour, TimeZone: aws.String("Mars/Olympus")}
		}, new(*types.InvalidParameterException), "time zone"},
		{"channel filter alone", func(in *connect.GetMetricDataV2Input) {
			in.Filters = []types.FilterV2{{FilterKey: aws.String("CHANNEL"), FilterValues: []string{"VOICE"}}}
		}, new(*types.InvalidParameterException), "required"},
		{"101 filter values", func(in *connect.GetMetricDataV2Input) {
			in.Filters = []types.FilterV2{{FilterKey: aws.String("QUEUE"), FilterValues: v101}}
		}, new(*types.InvalidParameterException), "filterValues"},
		{"other instance", func(in *connect.GetMetricDataV2Input) {
			in.ResourceArn = aws.String(strings.Replace(instanceARN, "1111", "9999", 1))
		}, new(*types.ResourceNotFoundException), "not found"},
		{"not an instance ARN", func(in *connect.GetMetricDataV2Input) { in.ResourceArn = aws.String(testInstance) }, new(*types.InvalidParameterException), "ARN"},
		{"service level without threshold", func(in *connect.GetMetricDataV2Input) {
			in.Metrics = []types.MetricV2{{Name: aws.String("SERVICE_LEVEL")}}
		}, new(*types.InvalidParameterException), "Threshold"},
		{"service level threshold out of range", func(in *connect.GetMetricDataV2Input) {
			in.Metrics = []types.MetricV2{{Name: aws.String("SERVICE_LEVEL"), Threshold: []types.ThresholdV2{{Comparison: aws.String("LT"), ThresholdValue: aws.Float64(604801)}}}}
		}, new(*types.InvalidParameterException), "604800"},
		{"service level by agent", func(in *connect.GetMetricDataV2Input) {
			in.Metrics = v2Metrics("SERVICE_LEVEL")
			in.Groupings = []string{"AGENT"}
		}, new(*types.InvalidParameterException), "AGENT"},
		{"unknown metric", func(in *connect.GetMetricDataV2Input) { in.Metrics = v2Metrics("HAPPINESS") }, new(*types.InvalidParameterException), "HAPPINESS"},
		{"five groupings", func(in *connect.GetMetricDataV2Input) {
			in.Groupings = []string{"QUEUE", "CHANNEL", "AGENT", "ROUTING_PROFILE", "INITIATION_METHOD"}
		}, new(*types.InvalidParameterException), "groupings"},
		{"max results 101", func(in *connect.GetMetricDataV2Input) { in.MaxResults = aws.Int32(101) }, new(*types.InvalidParameterException), "maxResults"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := base()
			tc.modify(&in)
			_, err := c.GetMetricDataV2(ctx(t), &in)
			if err == nil || !errors.As(err, tc.want) {
				t.Fatalf("error %T %v, want %T", err, err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q lacks %q", err.Error(), tc.msg)
			}
		})
	}
}

func hm(name string, stat types.Statistic, unit types.Unit) types.HistoricalMetric {
	m := types.HistoricalMetric{Name: types.HistoricalMetricName(name), Statistic: stat, Unit: unit}
	if name == "SERVICE_LEVEL" {
		m.Threshold = &types.Threshold{Comparison: types.ComparisonLt, ThresholdValue: aws.Float64(60)}
	}
	return m
}

func TestGetMetricData(t *testing.T) {
	_, c := startServer(t, historyFixture(), Options{})
	metrics := []types.HistoricalMetric{
		hm("CONTACTS_QUEUED", types.StatisticSum, types.UnitCount),
		hm("CONTACTS_HANDLED", types.StatisticSum, types.UnitCount),
		hm("CONTACTS_ABANDONED", types.StatisticSum, types.UnitCount),
		hm("CONTACTS_HANDLED_OUTBOUND", types.StatisticSum, types.UnitCount),
		hm("CONTACTS_TRANSFERRED_OUT", types.StatisticSum, types.UnitCount),
		hm("HANDLE_TIME", types.StatisticAvg, types.UnitSeconds),
		hm("HOLD_TIME", types.StatisticAvg, types.UnitSeconds),
		hm("AFTER_CONTACT_WORK_TIME", types.StatisticAvg, types.UnitSeconds),
		hm("QUEUE_ANSWER_TIME", types.StatisticAvg, types.UnitSeconds),
		hm("ABANDON_TIME", types.StatisticAvg, types.UnitSeconds),
		hm("QUEUED_TIME", types.StatisticMax, types.UnitSeconds),
		hm("INTERACTION_TIME", types.StatisticAvg, types.UnitSeconds),
		hm("SERVICE_LEVEL", types.StatisticAvg, types.UnitPercent),
		hm("OCCUPANCY", types.StatisticAvg, types.UnitPercent),
	}
	p := connect.NewGetMetricDataPaginator(c, &connect.GetMetricDataInput{
		InstanceId: aws.String(testInstance), StartTime: aws.Time(at(9, 0, 0)), EndTime: aws.Time(at(12, 0, 0)),
		Filters:   &types.Filters{Queues: []string{"q-000", "q-001"}, Channels: []types.Channel{types.ChannelVoice, types.ChannelChat}},
		Groupings: []types.Grouping{types.GroupingQueue, types.GroupingChannel}, HistoricalMetrics: metrics, MaxResults: aws.Int32(2),
	})
	got := map[string]map[string]*float64{}
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.MetricResults {
			k := *r.Dimensions.Queue.Id + "/" + string(r.Dimensions.Channel)
			if *r.Dimensions.Queue.Arn != arnOf("queue", *r.Dimensions.Queue.Id) {
				t.Errorf("arn %s", *r.Dimensions.Queue.Arn)
			}
			got[k] = map[string]*float64{}
			for _, col := range r.Collections {
				got[k][string(col.Metric.Name)] = col.Value
			}
		}
	}
	want := map[string]map[string]float64{
		"q-000/VOICE": {"CONTACTS_QUEUED": 2, "CONTACTS_HANDLED": 1, "CONTACTS_ABANDONED": 1, "HANDLE_TIME": 330, "HOLD_TIME": 60,
			"AFTER_CONTACT_WORK_TIME": 30, "QUEUE_ANSWER_TIME": 30, "ABANDON_TIME": 20, "QUEUED_TIME": 30, "INTERACTION_TIME": 240,
			"SERVICE_LEVEL": 50, "OCCUPANCY": none, "CONTACTS_HANDLED_OUTBOUND": 0, "CONTACTS_TRANSFERRED_OUT": 0},
		"q-000/CHAT":  {"CONTACTS_QUEUED": 1, "CONTACTS_HANDLED": 1, "CONTACTS_TRANSFERRED_OUT": 1, "HANDLE_TIME": 660, "QUEUED_TIME": 120, "SERVICE_LEVEL": 0},
		"q-001/VOICE": {"CONTACTS_QUEUED": 1, "CONTACTS_HANDLED": 2, "CONTACTS_HANDLED_OUTBOUND": 1, "HANDLE_TIME": 105, "ABANDON_TIME": none},
		"q-001/CHAT":  {"CONTACTS_QUEUED": 1, "CONTACTS_HANDLED": 0, "HANDLE_TIME": none, "QUEUED_TIME": none, "SERVICE_LEVEL": none},
	}
	if len(got) != len(want) {
		t.Fatalf("groups %v", got)
	}
	for k, ms := range want {
		for n, w := range ms {
			if !near(got[k][n], w) {
				t.Errorf("%s %s = %v, want %v", k, n, deref(got[k][n]), w)
			}
		}
	}

	// validation
	bad := []struct {
		name string
		in   connect.GetMetricDataInput
		msg  string
	}{
		{"not on 5 minutes", connect.GetMetricDataInput{StartTime: aws.Time(at(9, 1, 0)), EndTime: aws.Time(at(10, 0, 0))}, "5 minutes"},
		{"more than 24 hours back", connect.GetMetricDataInput{StartTime: aws.Time(at(9, 0, 0).Add(-25 * time.Hour)), EndTime: aws.Time(at(10, 0, 0))}, "24 hours"},
		{"wrong statistic", connect.GetMetricDataInput{StartTime: aws.Time(at(9, 0, 0)), EndTime: aws.Time(at(10, 0, 0)),
			HistoricalMetrics: []types.HistoricalMetric{hm("HANDLE_TIME", types.StatisticSum, types.UnitSeconds)}}, "Statistic"},
		{"no queues", connect.GetMetricDataInput{StartTime: aws.Time(at(9, 0, 0)), EndTime: aws.Time(at(10, 0, 0)), Filters: &types.Filters{}}, "Queues"},
	}
	for _, tc := range bad {
		in := tc.in
		in.InstanceId = aws.String(testInstance)
		if in.Filters == nil {
			in.Filters = &types.Filters{Queues: []string{"q-000"}}
		}
		if in.HistoricalMetrics == nil {
			in.HistoricalMetrics = metrics[:1]
		}
		_, err := c.GetMetricData(ctx(t), &in)
		var ipe *types.InvalidParameterException
		if !errors.As(err, &ipe) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
