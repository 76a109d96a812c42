package api

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
)

func allCurrentMetrics() []types.CurrentMetric {
	var ms []types.CurrentMetric
	for _, n := range sortedKeys(currentUnits) {
		ms = append(ms, types.CurrentMetric{Name: types.CurrentMetricName(n), Unit: types.Unit(currentUnits[n])})
	}
	return ms
}

func metricValue(cs []types.CurrentMetricData, name string) *float64 {
	for _, c := range cs {
		if string(c.Metric.Name) == name {
			return c.Value
		}
	}
	return nil
}

func TestGetCurrentMetricDataByQueueAndChannel(t *testing.T) {
	src := newFixture(10, 150)
	srv, c := startServer(t, src, Options{})
	var queues []string
	for i := 0; i < 100; i++ {
		queues = append(queues, queueID(i))
	}
	in := &connect.GetCurrentMetricDataInput{
		InstanceId:     aws.String(testInstance),
		Filters:        &types.Filters{Queues: queues, Channels: []types.Channel{types.ChannelVoice, types.ChannelChat}},
		Groupings:      []types.Grouping{types.GroupingQueue, types.GroupingChannel},
		CurrentMetrics: allCurrentMetrics(),
	}
	p := connect.NewGetCurrentMetricDataPaginator(c, in)
	var results []types.CurrentMetricResult
	var snaps []time.Time
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if *out.ApproximateTotalCount != 200 {
			t.Errorf("ApproximateTotalCount %d", *out.ApproximateTotalCount)
		}
		snaps = append(snaps, *out.DataSnapshotTime)
		results = append(results, out.MetricResults...)
	}
	if len(results) != 200 || len(snaps) != 2 || srv.Requests(OpGetCurrentMetricData) != 2 {
		t.Fatalf("%d results in %d pages (%d requests)", len(results), len(snaps), srv.Requests(OpGetCurrentMetricData))
	}
	if !snaps[0].Equal(src.now) || !snaps[1].Equal(src.now) {
		t.Errorf("DataSnapshotTime %v", snaps)
	}
	seen := map[string]bool{}
	for _, r := range results {
		d := r.Dimensions
		if d == nil || d.Queue == nil || d.Channel == "" {
			t.Fatalf("dimensions %+v", d)
		}
		key := *d.Queue.Id + "/" + string(d.Channel)
		if seen[key] {
			t.Fatalf("duplicate %s", key)
		}
		seen[key] = true
		var i int
		fmt.Sscanf(*d.Queue.Id, "q-%d", &i)
		if *d.Queue.Arn != arnOf("queue", *d.Queue.Id) {
			t.Errorf("queue arn %s", *d.Queue.Arn)
		}
		if len(r.Collections) != len(currentUnits) {
			t.Fatalf("%d collections", len(r.Collections))
		}
		for _, col := range r.Collections {
			if string(col.Metric.Unit) != currentUnits[string(col.Metric.Name)] {
				t.Errorf("%s unit %s", col.Metric.Name, col.Metric.Unit)
			}
		}
		if v := metricValue(r.Collections, "AGENTS_ONLINE"); v == nil || *v != float64(i%4+1) {
			t.Errorf("%s AGENTS_ONLINE %v", key, v)
		}
		// grouped: OLDEST_CONTACT_AGE in seconds
		if v := metricValue(r.Collections, "OLDEST_CONTACT_AGE"); v == nil || *v != float64(i%5)*10 {
			t.Errorf("%s OLDEST_CONTACT_AGE %v", key, v)
		}
		if v := metricValue(r.Collections, "ESTIMATED_WAIT_TIME"); v != nil {
			t.Errorf("ESTIMATED_WAIT_TIME %v", *v)
		}
	}
}

func TestGetCurrentMetricDataGroupings(t *testing.T) {
	src := newFixture(10, 10)
	_, c := startServer(t, src, Options{})
	queues := []string{queueID(1), arnOf("queue", queueID(4))} // ids and ARNs mix
	metrics := []types.CurrentMetric{
		{Name: types.CurrentMetricNameContactsInQueue, Unit: types.UnitCount},
		{Name: types.CurrentMetricNameOldestContactAge, Unit: types.UnitSeconds},
	}
	cases := []struct {
		name      string
		filters   types.Filters
		groupings []types.Grouping
		want      map[string][2]float64 // dims -> in queue, oldest
	}{
		// q-001: in queue 1, oldest 10 s; q-004: in queue 4, oldest 40 s; per channel
		{"none", types.Filters{Queues: queues}, nil, map[string][2]float64{"": {10, 40000}}}, // ms quirk
		{"channel", types.Filters{Queues: queues}, []types.Grouping{types.GroupingChannel},
			map[string][2]float64{"VOICE": {5, 40}, "CHAT": {5, 40}}},
		{"queue", types.Filters{Queues: queues, Channels: []types.Channel{types.ChannelVoice}}, []types.Grouping{types.GroupingQueue},
			map[string][2]float64{"q-001": {1, 10}, "q-004": {4, 40}}},
		{"routing profile", types.Filters{RoutingProfiles: []string{"rp-1"}}, []types.Grouping{types.GroupingRoutingProfile},
			// rp-1 serves q-001, q-004, q-007: in queue 1+4+2 per channel, oldest 40
			map[string][2]float64{"rp-1": {14, 40}}},
		{"routing profile filter, queue grouping", types.Filters{RoutingProfiles: []string{"rp-1"}, Channels: []types.Channel{types.ChannelChat}},
			[]types.Grouping{types.GroupingQueue}, map[string][2]float64{"q-001": {1, 10}, "q-004": {4, 40}, "q-007": {2, 20}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.filters
			out, err := c.GetCurrentMetricData(ctx(t), &connect.GetCurrentMetricDataInput{InstanceId: aws.String(testInstance),
				Filters: &f, Groupings: tc.groupings, CurrentMetrics: metrics})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][2]float64{}
			for _, r := range out.MetricResults {
				key := ""
				if r.Dimensions != nil {
					switch {
					case r.Dimensions.Queue != nil:
						key = *r.Dimensions.Queue.Id
					case r.Dimensions.RoutingProfile != nil:
						key = *r.Dimensions.RoutingProfile.Id
					default:
						key = string(r.Dimensions.Channel)
					}
				}
				got[key] = [2]float64{*metricValue(r.Collections, "CONTACTS_IN_QUEUE"), *metricValue(r.Collections, "OLDEST_CONTACT_AGE")}
				for _, col := range r.Collections {
					if col.Metric.Name == types.CurrentMetricNameOldestContactAge && col.Metric.Unit != types.UnitSeconds {
						t.Errorf("OLDEST_CONTACT_AGE unit %s", col.Metric.Unit)
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGetCurrentMetricDataSort(t *testing.T) {
	_, c := startServer(t, newFixture(1, 10), Options{})
	var qs []string
	for i := 0; i < 10; i++ {
		qs = append(qs, queueID(i))
	}
	out, err := c.GetCurrentMetricData(ctx(t), &connect.GetCurrentMetricDataInput{InstanceId: aws.String(testInstance),
		Filters: &types.Filters{Queues: qs, Channels: []types.Channel{types.ChannelVoice}}, Groupings: []types.Grouping{types.GroupingQueue},
		CurrentMetrics: []types.CurrentMetric{{Name: types.CurrentMetricNameContactsInQueue, Unit: types.UnitCount}},
		SortCriteria:   []types.CurrentMetricSortCriteria{{SortByMetric: types.CurrentMetricNameContactsInQueue, SortOrder: types.SortOrderDescending}}})
	if err != nil {
		t.Fatal(err)
	}
	prev := 1e9
	for _, r := range out.MetricResults {
		v := *r.Collections[0].Value
		if v > prev {
			t.Fatalf("not descending: %v after %v", v, prev)
		}
		prev = v
	}
}

func TestGetCurrentMetricDataValidation(t *testing.T) {
	_, c := startServer(t, newFixture(1, 120), Options{})
	var q101 []string
	for i := 0; i < 101; i++ {
		q101 = append(q101, queueID(i))
	}
	metric := []types.CurrentMetric{{Name: types.CurrentMetricNameAgentsOnline, Unit: types.UnitCount}}
	cases := []struct {
		name string
		in   connect.GetCurrentMetricDataInput
		want any
		msg  string
	}{
		{"no queue or routing profile filter", connect.GetCurrentMetricDataInput{Filters: &types.Filters{Channels: []types.Channel{types.ChannelVoice}}, CurrentMetrics: metric},
			new(*types.InvalidParameterException), "Queues or RoutingProfiles"},
		{"101 queues", connect.GetCurrentMetricDataInput{Filters: &types.Filters{Queues: q101}, CurrentMetrics: metric},
			new(*types.InvalidParameterException), "less than or equal to 100"},
		{"queues and routing profiles", connect.GetCurrentMetricDataInput{Filters: &types.Filters{Queues: q101[:1], RoutingProfiles: []string{"rp-0"}}, CurrentMetrics: metric},
			new(*types.InvalidParameterException), "together"},
		{"wrong unit", connect.GetCurrentMetricDataInput{Filters: &types.Filters{Queues: q101[:1]},
			CurrentMetrics: []types.CurrentMetric{{Name: types.CurrentMetricNameOldestContactAge, Unit: types.UnitCount}}},
			new(*types.InvalidParameterException), "unit"},
		{"unknown metric", connect.GetCurrentMetricDataInput{Filters: &types.Filters{Queues: q101[:1]},
			CurrentMetrics: []types.CurrentMetric{{Name: "AGENTS_DANCING", Unit: types.UnitCount}}},
			new(*types.InvalidParameterException), "enum"},
		{"three groupings", connect.GetCurrentMetricDataInput{Filters: &types.Filters{Queues: q101[:1]}, CurrentMetrics: metric,
			Groupings: []types.Grouping{types.GroupingQueue, types.GroupingChannel, types.GroupingRoutingProfile}},
			new(*types.InvalidParameterException), "groupings"},
		{"routing profile grouping of queue metric without routing profile filter", connect.GetCurrentMetricDataInput{Filters: &types.Filters{Queues: q101[:1]},
			CurrentMetrics: []types.CurrentMetric{{Name: types.CurrentMetricNameContactsInQueue, Unit: types.UnitCount}},
			Groupings:      []types.Grouping{types.GroupingRoutingProfile}},
			new(*types.InvalidParameterException), "RoutingProfiles filter"},
		{"max results 101", connect.GetCurrentMetricDataInput{Filters: &types.Filters{Queues: q101[:1]}, CurrentMetrics: metric, MaxResults: aws.Int32(101)},
			new(*types.InvalidParameterException), "maxResults"},
		{"unknown instance", connect.GetCurrentMetricDataInput{InstanceId: aws.String("nope"), Filters: &types.Filters{Queues: q101[:1]}, CurrentMetrics: metric},
			new(*types.ResourceNotFoundException), "nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.InstanceId == nil {
				in.InstanceId = aws.String(testInstance)
			}
			_, err := c.GetCurrentMetricData(ctx(t), &in)
			if err == nil || !errors.As(err, tc.want) {
				t.Fatalf("error %T %v, want %T", err, err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q lacks %q", err.Error(), tc.msg)
			}
		})
	}
}

func TestGetCurrentUserData(t *testing.T) {
	src := newFixture(20, 10)
	_, c := startServer(t, src, Options{})
	cases := []struct {
		name    string
		filters types.UserDataFilters
		want    []string
	}{
		{"agents by id and ARN", types.UserDataFilters{Agents: []string{"u-001", arnOf("agent", "u-002"), "u-015"}}, []string{"u-001", "u-002"}},
		{"routing profile", types.UserDataFilters{RoutingProfiles: []string{"rp-1"}}, []string{"u-001", "u-004", "u-007"}},
		{"queue", types.UserDataFilters{Queues: []string{queueID(2)}}, []string{"u-002", "u-005", "u-008"}}, // rp-2 serves q-002
		{"hierarchy level one", types.UserDataFilters{UserHierarchyGroups: []string{"g-eu"}}, []string{"u-000", "u-001", "u-002", "u-003", "u-004", "u-005", "u-006", "u-007", "u-008", "u-009"}},
		{"hierarchy level two", types.UserDataFilters{UserHierarchyGroups: []string{"g-eu-b"}}, []string{"u-001", "u-003", "u-005", "u-007", "u-009"}},
		{"connected contacts", types.UserDataFilters{RoutingProfiles: []string{"rp-0"}, ContactFilter: &types.ContactFilter{ContactStates: []types.ContactState{types.ContactStateConnected}}},
			[]string{"u-000", "u-006"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.filters
			out, err := c.GetCurrentUserData(ctx(t), &connect.GetCurrentUserDataInput{InstanceId: aws.String(testInstance), Filters: &f})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range out.UserDataList {
				got = append(got, *u.User.Id)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || *out.ApproximateTotalCount != int64(len(tc.want)) {
				t.Errorf("got %v (total %d), want %v", got, *out.ApproximateTotalCount, tc.want)
			}
		})
	}

	out, err := c.GetCurrentUserData(ctx(t), &connect.GetCurrentUserDataInput{InstanceId: aws.String(testInstance),
		Filters: &types.UserDataFilters{Agents: []string{"u-002"}}})
	if err != nil {
		t.Fatal(err)
	}
	u := out.UserDataList[0]
	if *u.User.Arn != arnOf("agent", "u-002") || *u.RoutingProfile.Id != "rp-2" || *u.RoutingProfile.Arn != arnOf("routing-profile", "rp-2") ||
		*u.Status.StatusName != "Available" || *u.Status.StatusArn != arnOf("agent-state", "st-avail") ||
		!u.Status.StatusStartTimestamp.Equal(src.now.Add(-2*time.Minute)) || *u.NextStatus != "Lunch" ||
		u.MaxSlotsByChannel["CHAT"] != 2 || u.ActiveSlotsByChannel["VOICE"] != 1 || u.AvailableSlotsByChannel["VOICE"] != 0 {
		t.Errorf("user data %+v", u)
	}
	if u.HierarchyPath == nil || *u.HierarchyPath.LevelOne.Id != "g-eu" || *u.HierarchyPath.LevelTwo.Id != "g-eu-a" || u.HierarchyPath.LevelThree != nil {
		t.Errorf("hierarchy path %+v", u.HierarchyPath)
	}
	if len(u.Contacts) != 1 {
		t.Fatalf("contacts %+v", u.Contacts)
	}
	ct := u.Contacts[0]
	if *ct.ContactId != "c-2" || ct.Channel != types.ChannelVoice || ct.InitiationMethod != types.ContactInitiationMethodInbound ||
		ct.AgentContactState != types.ContactStateConnected || *ct.Queue.Id != "q-002" || !ct.ConnectedToAgentTimestamp.Equal(src.now.Add(-30*time.Second)) {
		t.Errorf("contact %+v", ct)
	}
}

func TestGetCurrentUserDataPaginatesAndValidates(t *testing.T) {
	src := newFixture(250, 3)
	src.userData = nil
	for i := 0; i < 250; i++ {
		src.userData = append(src.userData, UserData{UserID: userID(i), RoutingProfileID: fmt.Sprintf("rp-%d", i%3), StatusName: "Available", StatusStart: src.now})
	}
	srv, c := startServer(t, src, Options{})
	p := connect.NewGetCurrentUserDataPaginator(c, &connect.GetCurrentUserDataInput{InstanceId: aws.String(testInstance),
		Filters: &types.UserDataFilters{RoutingProfiles: []string{"rp-0", "rp-1", "rp-2"}}, MaxResults: aws.Int32(60)})
	n, pages := 0, 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.UserDataList)
		pages++
	}
	if n != 250 || pages != 5 || srv.Requests(OpGetCurrentUserData) != 5 {
		t.Fatalf("%d users in %d requests: %+v", n, srv.Requests(OpGetCurrentUserData), srv.Stats()[OpGetCurrentUserData])
	}

	var a101 []string
	for i := 0; i < 101; i++ {
		a101 = append(a101, userID(i))
	}
	for _, f := range []types.UserDataFilters{
		{Agents: a101},
		{},
		{Agents: []string{"u-001"}, Queues: []string{queueID(1)}},
		{UserHierarchyGroups: []string{"g-eu", "g-eu-a"}},
	} {
		_, err := c.GetCurrentUserData(ctx(t), &connect.GetCurrentUserDataInput{InstanceId: aws.String(testInstance), Filters: &f})
		var ipe *types.InvalidParameterException
		if !errors.As(err, &ipe) {
			t.Errorf("filters %+v: %v", f, err)
		}
	}
}
