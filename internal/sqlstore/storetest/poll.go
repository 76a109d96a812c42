package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

func f64(v float64) *float64 { return &v }

var p0 = time.Date(2026, 3, 29, 0, 45, 0, 0, time.UTC)

// snapshots: a history row per observation; the current tables keep the latest, never moved back by a late one.
func snapshots(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t, Options{})
	q := func(at time.Time, queue, ch string, online, inQueue float64, oldest *float64) connectreporting.QueueSnapshot {
		return connectreporting.QueueSnapshot{SnapshotTime: at, QueueID: queue, QueueARN: "arn:q/" + queue, Channel: ch,
			AgentsOnline: f64(online), ContactsInQueue: f64(inQueue), OldestContactAgeSeconds: oldest}
	}
	first := []connectreporting.QueueSnapshot{q(p0, "q1", "VOICE", 5, 2, f64(31.5)), q(p0, "q1", "tasks", 1, 0, nil), q(p0, "q2", "CHAT", 3, 1, f64(4))}
	second := []connectreporting.QueueSnapshot{q(p0.Add(time.Minute), "q1", "VOICE", 6, 0, nil)}
	for _, batch := range [][]connectreporting.QueueSnapshot{first, second, first /* re-stored late: history unchanged, current not moved back */} {
		if err := s.StoreQueueSnapshots(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	WantRows(t, s.DB(), "SELECT snapshot_time, queue_id, channel, agents_online, contacts_in_queue, oldest_contact_age_seconds FROM queue_realtime_snapshot ORDER BY snapshot_time, queue_id, channel",
		"2026-03-29T00:45:00.000Z|q1|TASK|1.000|0.000|NULL",
		"2026-03-29T00:45:00.000Z|q1|VOICE|5.000|2.000|31.500",
		"2026-03-29T00:45:00.000Z|q2|CHAT|3.000|1.000|4.000",
		"2026-03-29T00:46:00.000Z|q1|VOICE|6.000|0.000|NULL")
	WantRows(t, s.DB(), "SELECT snapshot_time, queue_id, channel, agents_online FROM queue_realtime_current ORDER BY queue_id, channel",
		"2026-03-29T00:45:00.000Z|q1|TASK|1.000",
		"2026-03-29T00:46:00.000Z|q1|VOICE|6.000",
		"2026-03-29T00:45:00.000Z|q2|CHAT|3.000")

	a := func(at time.Time, id, status string, n int) connectreporting.AgentSnapshot {
		return connectreporting.AgentSnapshot{SnapshotTime: at, AgentID: id, AgentARN: "arn:agent/" + id, StatusName: status,
			StatusStartTimestamp: p0.Add(-time.Hour), ContactCount: n, RoutingProfileID: "rp1", ContactsByChannel: map[string]int{"VOICE": n, "CHAT": 0}}
	}
	for _, batch := range [][]connectreporting.AgentSnapshot{{a(p0, "a1", "Available", 0), a(p0, "a2", "Lunch", 0)}, {a(p0.Add(time.Minute), "a1", "Available", 1)}, {a(p0, "a1", "Available", 0)}} {
		if err := s.StoreAgentSnapshots(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	WantRows(t, s.DB(), "SELECT agent_id, snapshot_time, status_name, contact_count, contacts_by_channel FROM agent_realtime_current ORDER BY agent_id",
		`a1|2026-03-29T00:46:00.000Z|Available|1|{"CHAT":0,"VOICE":1}`,
		`a2|2026-03-29T00:45:00.000Z|Lunch|0|{"CHAT":0,"VOICE":0}`)
	WantRows(t, s.DB(), "SELECT COUNT(*) FROM agent_realtime_snapshot", "3")
}

// snapshotsRepeatedKeys: one call may carry the same history
// key twice (the same queue and channel, "TASKS" and "TASK" folding to one;
// the same agent) without failing (PostgreSQL's ON CONFLICT cannot update a
// row twice in one statement, SQL Server's MERGE fails with Msg 8672); the
// last observation of a key is the one stored.
func snapshotsRepeatedKeys(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t, Options{})
	q := func(ch string, online float64) connectreporting.QueueSnapshot {
		return connectreporting.QueueSnapshot{SnapshotTime: p0, QueueID: "q1", Channel: ch, AgentsOnline: f64(online)}
	}
	if err := s.StoreQueueSnapshots(ctx, []connectreporting.QueueSnapshot{q("VOICE", 1), q("TASKS", 2), q("VOICE", 3), q("TASK", 4)}); err != nil {
		t.Fatal(err)
	}
	WantRows(t, s.DB(), "SELECT channel, agents_online FROM queue_realtime_snapshot ORDER BY channel",
		"TASK|4.000", "VOICE|3.000")
	a := func(status string) connectreporting.AgentSnapshot {
		return connectreporting.AgentSnapshot{SnapshotTime: p0, AgentID: "a1", StatusName: status}
	}
	if err := s.StoreAgentSnapshots(ctx, []connectreporting.AgentSnapshot{a("Available"), a("Lunch")}); err != nil {
		t.Fatal(err)
	}
	WantRows(t, s.DB(), "SELECT agent_id, status_name FROM agent_realtime_snapshot", "a1|Lunch")
}

// intervalMetricsAndCheckpoints: queue metrics upsert on their key, past one statement's parameters; poller checkpoints.
func intervalMetricsAndCheckpoints(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t, Options{})
	m := func(q, name string, slot int, v float64) connectreporting.IntervalMetric {
		start := p0.Add(time.Duration(slot) * 15 * time.Minute)
		return connectreporting.IntervalMetric{QueueID: q, Channel: "VOICE", IntervalStart: start, IntervalEnd: start.Add(15 * time.Minute), MetricName: name, Value: v}
	}
	// 1,200 metrics: more than one SQL Server statement's worth of parameters.
	var many []connectreporting.IntervalMetric
	for i := range 1200 {
		many = append(many, m(fmt.Sprintf("q%04d", i), "CONTACTS_HANDLED", 0, float64(i)))
	}
	if err := s.StoreIntervalMetrics(ctx, many); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreIntervalMetrics(ctx, []connectreporting.IntervalMetric{m("q0001", "CONTACTS_HANDLED", 0, 7), m("q0001", "SUM_HANDLE_TIME", 0, 310.5), m("q0001", "CONTACTS_HANDLED", 1, 2)}); err != nil {
		t.Fatal(err)
	}
	WantRows(t, s.DB(), "SELECT COUNT(*) FROM queue_interval_metric", "1202")
	WantRows(t, s.DB(), "SELECT queue_id, channel, interval_start, interval_end, metric_name, value FROM queue_interval_metric WHERE queue_id = 'q0001' ORDER BY interval_start, metric_name",
		"q0001|VOICE|2026-03-29T00:45:00.000Z|2026-03-29T01:00:00.000Z|CONTACTS_HANDLED|7.000",
		"q0001|VOICE|2026-03-29T00:45:00.000Z|2026-03-29T01:00:00.000Z|SUM_HANDLE_TIME|310.500",
		"q0001|VOICE|2026-03-29T01:00:00.000Z|2026-03-29T01:15:00.000Z|CONTACTS_HANDLED|2.000")

	if _, ok, err := s.Checkpoint(ctx, "historical", "queues"); err != nil || ok {
		t.Fatalf("checkpoint before any: ok=%v err=%v", ok, err)
	}
	for _, w := range []time.Time{p0, p0.Add(15 * time.Minute)} {
		if err := s.SetCheckpoint(ctx, "historical", "queues", w); err != nil {
			t.Fatal(err)
		}
	}
	cp, ok, err := s.Checkpoint(ctx, "historical", "queues")
	if err != nil || !ok || !cp.Watermark.Equal(p0.Add(15*time.Minute)) || cp.UpdatedAt.IsZero() {
		t.Fatalf("checkpoint = %+v, %v, %v", cp, ok, err)
	}
}

// agentIntervalMetrics: agent metrics upsert on (agent_id,
// channel, interval_start, metric_name) like queue metrics; storing the
// same metrics again changes nothing, a re-pulled value replaces the old.
func agentIntervalMetrics(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t, Options{})
	m := func(agent, ch, name string, slot int, v float64) connectreporting.AgentIntervalMetric {
		start := p0.Add(time.Duration(slot) * 15 * time.Minute)
		return connectreporting.AgentIntervalMetric{AgentID: agent, Channel: ch, IntervalStart: start, IntervalEnd: start.Add(15 * time.Minute), MetricName: name, Value: v}
	}
	// 1,200 metrics: more than one SQL Server statement's worth of parameters.
	var many []connectreporting.AgentIntervalMetric
	for i := range 1200 {
		many = append(many, m(fmt.Sprintf("a%04d", i), "VOICE", "CONTACTS_HANDLED", 0, float64(i)))
	}
	batch := []connectreporting.AgentIntervalMetric{
		m("a0001", "voice", "CONTACTS_HANDLED", 0, 5), m("a0001", "VOICE", "CONTACTS_HANDLED", 0, 7), // last of a key wins
		m("a0001", "VOICE", "SUM_HANDLE_TIME", 0, 310.5), m("a0001", "CHAT", "CONTACTS_HANDLED", 0, 3),
		m("a0001", connectreporting.ChannelAll, "SUM_ONLINE_TIME_AGENT", 0, 900), m("a0001", "VOICE", "CONTACTS_HANDLED", 1, 2),
	}
	for _, b := range [][]connectreporting.AgentIntervalMetric{many, batch, batch} {
		if err := s.StoreAgentIntervalMetrics(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"a0001|ALL|2026-03-29T00:45:00.000Z|2026-03-29T01:00:00.000Z|SUM_ONLINE_TIME_AGENT|900.000",
		"a0001|CHAT|2026-03-29T00:45:00.000Z|2026-03-29T01:00:00.000Z|CONTACTS_HANDLED|3.000",
		"a0001|VOICE|2026-03-29T00:45:00.000Z|2026-03-29T01:00:00.000Z|CONTACTS_HANDLED|7.000",
		"a0001|VOICE|2026-03-29T00:45:00.000Z|2026-03-29T01:00:00.000Z|SUM_HANDLE_TIME|310.500",
		"a0001|VOICE|2026-03-29T01:00:00.000Z|2026-03-29T01:15:00.000Z|CONTACTS_HANDLED|2.000",
	}
	const q = "SELECT agent_id, channel, interval_start, interval_end, metric_name, value FROM agent_interval_metric WHERE agent_id = 'a0001' ORDER BY channel, interval_start, metric_name"
	WantRows(t, s.DB(), "SELECT COUNT(*) FROM agent_interval_metric", "1204")
	WantRows(t, s.DB(), q, want...)
	// Late data: a re-pulled interval replaces its value.
	if err := s.StoreAgentIntervalMetrics(ctx, []connectreporting.AgentIntervalMetric{m("a0001", "VOICE", "SUM_HANDLE_TIME", 0, 400)}); err != nil {
		t.Fatal(err)
	}
	want[3] = "a0001|VOICE|2026-03-29T00:45:00.000Z|2026-03-29T01:00:00.000Z|SUM_HANDLE_TIME|400.000"
	WantRows(t, s.DB(), q, want...)
	WantRows(t, s.DB(), "SELECT COUNT(*) FROM queue_interval_metric", "0")
	if err := s.StoreAgentIntervalMetrics(ctx, []connectreporting.AgentIntervalMetric{m("", "VOICE", "X", 0, 1)}); err == nil {
		t.Error("metric without agent id accepted")
	}
}

// syncConfiguration: configuration history as valid_from / valid_to rows; an unchanged sync changes nothing.
func syncConfiguration(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t, Options{})
	ten := 10
	cfg := connectreporting.Configuration{
		ReadAt: p0,
		Users: []connectreporting.User{
			{ID: "u1", ARN: "arn:u1", Username: "ann", FirstName: "Ann", RoutingProfileID: "rp1", HierarchyGroupID: "g2", SecurityProfileIDs: []string{"sp2", "sp1"}, AutoAccept: true},
			{ID: "u2", Username: "bob", RoutingProfileID: "rp1"},
		},
		HierarchyLevels: []connectreporting.HierarchyLevel{{ID: "l1", Name: "Site", Level: 1}, {ID: "l2", Name: "Team", Level: 2}},
		HierarchyGroups: []connectreporting.HierarchyGroup{{ID: "g1", Name: "London", LevelID: "1", Path: []string{"g1"}}, {ID: "g2", Name: "Sales", LevelID: "2", Path: []string{"g1", "g2"}}},
		RoutingProfiles: []connectreporting.RoutingProfile{{ID: "rp1", Name: "Basic", Concurrency: map[string]int{"VOICE": 1, "CHAT": 3}}},
		RoutingProfileQueues: []connectreporting.RoutingProfileQueue{
			{RoutingProfileID: "rp1", QueueID: "q1", Channel: "VOICE", Priority: 1}, {RoutingProfileID: "rp1", QueueID: "q1", Channel: "CHAT", Priority: 2, Delay: 30}},
		Queues:        []connectreporting.Queue{{ID: "q1", Name: "Support", Type: "STANDARD", Status: "ENABLED", MaxContacts: &ten}},
		AgentStatuses: []connectreporting.AgentStatus{{ID: "s1", Name: "Available", Type: "ROUTABLE", State: "ENABLED", DisplayOrder: 1}},
	}
	ch, err := s.SyncConfiguration(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Inserted[connectreporting.ConfigKindUsers] != 2 || ch.Inserted[connectreporting.ConfigKindRoutingProfileQueues] != 2 || ch.Inserted[connectreporting.ConfigKindQueues] != 1 {
		t.Errorf("first sync: %+v", ch)
	}
	// The same configuration again (later): nothing changes.
	cfg.ReadAt = p0.Add(time.Hour)
	if ch, err = s.SyncConfiguration(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if len(ch.Inserted)+len(ch.Updated)+len(ch.Deleted) != 0 || ch.Unchanged[connectreporting.ConfigKindUsers] != 2 {
		t.Errorf("unchanged sync: %+v", ch)
	}
	// Ann moves team, Bob leaves, Cat joins; queues not read this time.
	cfg.ReadAt = p0.Add(2 * time.Hour)
	cfg.Users = []connectreporting.User{
		{ID: "u1", ARN: "arn:u1", Username: "ann", FirstName: "Ann", RoutingProfileID: "rp1", HierarchyGroupID: "g1", SecurityProfileIDs: []string{"sp1", "sp2"}, AutoAccept: true},
		{ID: "u3", Username: "cat", RoutingProfileID: "rp1"},
	}
	cfg.Queues = nil
	cfg.RoutingProfileQueues = []connectreporting.RoutingProfileQueue{{RoutingProfileID: "rp1", QueueID: "q1", Channel: "VOICE", Priority: 1}}
	if ch, err = s.SyncConfiguration(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if ch.Updated[connectreporting.ConfigKindUsers] != 1 || ch.Inserted[connectreporting.ConfigKindUsers] != 1 || ch.Deleted[connectreporting.ConfigKindUsers] != 1 || ch.Deleted[connectreporting.ConfigKindRoutingProfileQueues] != 1 || ch.Unchanged[connectreporting.ConfigKindQueues] != 0 {
		t.Errorf("changing sync: %+v", ch)
	}
	WantRows(t, s.DB(), "SELECT user_id, username, hierarchy_group_id, security_profile_ids, auto_accept, valid_from, valid_to FROM connect_user ORDER BY user_id, valid_from",
		"u1|ann|g2|sp1,sp2|1|2026-03-29T00:45:00.000Z|2026-03-29T02:45:00.000Z",
		"u1|ann|g1|sp1,sp2|1|2026-03-29T02:45:00.000Z|NULL",
		"u2|bob|NULL|NULL|0|2026-03-29T00:45:00.000Z|2026-03-29T02:45:00.000Z",
		"u3|cat|NULL|NULL|0|2026-03-29T02:45:00.000Z|NULL")
	WantRows(t, s.DB(), "SELECT routing_profile_id, queue_id, channel, priority, "+h.Quote("delay")+", valid_to FROM routing_profile_queue ORDER BY channel",
		"rp1|q1|CHAT|2|30|2026-03-29T02:45:00.000Z",
		"rp1|q1|VOICE|1|0|NULL")
	WantRows(t, s.DB(), "SELECT queue_id, name, max_contacts, valid_to FROM "+h.Quote("queue"), "q1|Support|10|NULL")
	WantRows(t, s.DB(), "SELECT hierarchy_group_id, level_id, level1_group_id, level2_group_id, level3_group_id FROM hierarchy_group WHERE valid_to IS NULL ORDER BY hierarchy_group_id",
		"g1|1|g1|NULL|NULL", "g2|2|g1|g2|NULL")
	WantRows(t, s.DB(), "SELECT name, concurrency FROM routing_profile", `Basic|{"CHAT":3,"VOICE":1}`)
	// the current routing-profile queues, as the syncer passes them back
	rpqs, err := s.CurrentRoutingProfileQueues(ctx)
	want := []connectreporting.RoutingProfileQueue{{RoutingProfileID: "rp1", QueueID: "q1", Channel: "VOICE", Priority: 1}}
	if err != nil || fmt.Sprint(rpqs) != fmt.Sprint(want) {
		t.Errorf("CurrentRoutingProfileQueues = %v, %v; want %v", rpqs, err, want)
	}
}

// userDetails: SaveUserDetails upserts (a new read replaces the old) and
// drops; UserDetails reads them back in user order, a missing
// LastModified and email as zero values.
func userDetails(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t, Options{})
	if got, err := s.UserDetails(ctx); err != nil || len(got) != 0 {
		t.Fatalf("UserDetails of a new store = %v, %v", got, err)
	}
	save := []connectreporting.UserDetail{
		{UserID: "u1", Email: "ann@example.com", LastModified: p0.Add(-time.Hour), ReadAt: p0},
		{UserID: "u2", Email: "bob@example.com", LastModified: p0.Add(-2 * time.Hour), ReadAt: p0},
		{UserID: "u3", ReadAt: p0},
	}
	if err := s.SaveUserDetails(ctx, save, nil); err != nil {
		t.Fatal(err)
	}
	save[0].Email, save[0].LastModified, save[0].ReadAt = "ann@example.org", p0, p0.Add(time.Minute)
	if err := s.SaveUserDetails(ctx, save[:1], []string{"u2", "u9"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserDetails(ctx)
	if want := []connectreporting.UserDetail{save[0], save[2]}; err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("UserDetails = %v, %v; want %v", got, err, want)
	}
}

// streamCheckpoints: a shard's checkpoint never moves back.
func streamCheckpoints(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t, Options{})
	if _, ok, err := s.StreamCheckpoint(ctx, "AgentEvents", "shardId-000000000000"); err != nil || ok {
		t.Fatalf("before any: ok=%v err=%v", ok, err)
	}
	for _, seq := range []string{"49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692540925702759324208523137515618", "9"} {
		if err := s.SetStreamCheckpoint(ctx, "AgentEvents", "shardId-000000000000", seq); err != nil {
			t.Fatal(err)
		}
	}
	seq, ok, err := s.StreamCheckpoint(ctx, "AgentEvents", "shardId-000000000000")
	if err != nil || !ok || seq != "49590338271490256608559692540925702759324208523137515618" {
		t.Fatalf("checkpoint = %q, %v, %v (an older sequence number must not move it back)", seq, ok, err)
	}
	if err := s.SetStreamCheckpoint(ctx, "AgentEvents", "x", ""); err == nil {
		t.Error("empty sequence number accepted")
	}
}
