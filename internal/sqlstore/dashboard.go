package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/report"
)

// This file is the dashboard's wallboard and the health of the pipeline on
// every dialect; dashboard_reports.go and dashboard_agents.go read the
// reports. Live figures come from the current real-time snapshots and
// agent_state; today's contact figures from kpi_queue_day, the view a BI
// tool reads (no second implementation of them here). The SQL is portable:
// ? placeholders rewritten by q, timestamps bound with arg.

// each runs query and calls f for every row.
func (s *Store) each(ctx context.Context, query string, args []any, f func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func floatPtr(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	x := v.Float64
	return &x
}

// idNames runs a query of two text columns, an id and a name, and returns
// the non-empty names by id.
func (s *Store) idNames(ctx context.Context, query string) (map[string]string, error) {
	out := map[string]string{}
	err := s.each(ctx, query, nil, func(r *sql.Rows) error {
		var id string
		var name sql.NullString
		if err := r.Scan(&id, &name); err != nil {
			return err
		}
		if name.String != "" {
			out[id] = name.String
		}
		return nil
	})
	return out, err
}

// queueNames returns the current name of every queue (configuration rows
// with valid_to NULL).
func (s *Store) queueNames(ctx context.Context) (map[string]string, error) {
	out, err := s.idNames(ctx, "SELECT queue_id, name FROM "+s.dialect.quoteIdent("queue")+" WHERE valid_to IS NULL")
	if err != nil {
		return nil, fmt.Errorf("read queue names: %w", err)
	}
	return out, nil
}

type userInfo struct {
	username, first, last, routingProfileID string
}

// users returns the current configuration row of every user.
func (s *Store) users(ctx context.Context) (map[string]userInfo, error) {
	out := map[string]userInfo{}
	err := s.each(ctx, "SELECT user_id, username, first_name, last_name, routing_profile_id FROM connect_user WHERE valid_to IS NULL", nil, func(r *sql.Rows) error {
		var id string
		var u, f, l, rp sql.NullString
		if err := r.Scan(&id, &u, &f, &l, &rp); err != nil {
			return err
		}
		out[id] = userInfo{u.String, f.String, l.String, rp.String}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	return out, nil
}

func (s *Store) routingProfileNames(ctx context.Context) (map[string]string, error) {
	out, err := s.idNames(ctx, "SELECT routing_profile_id, name FROM routing_profile WHERE valid_to IS NULL")
	if err != nil {
		return nil, fmt.Errorf("read routing profiles: %w", err)
	}
	return out, nil
}

func location(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// startOfDay is the first instant of t's calendar day in loc.
func startOfDay(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
}

type queueChannel struct{ queue, channel string }

// todayFigures returns today's figures per queue and channel at the
// threshold sl, with the queue names of the rows: the day's
// kpi_queue_interval rows added up as kpi_queue_day adds them
// (QueueFigures.Add and Derive; a test holds the result equal to
// kpi_queue_day). The interval view is read by its interval_start range,
// which every dialect answers from report_interval's key whatever the
// history; kpi_queue_day's local_date filter SQLite applies only after
// grouping every day stored.
func (s *Store) todayFigures(ctx context.Context, loc *time.Location, day time.Time, sl int, names map[string]string) (map[queueChannel]connectreporting.QueueFigures, map[string]string, error) {
	rq := connectreporting.ReportQuery{From: day.UTC(), To: day.AddDate(0, 0, 1).UTC(), Location: loc, Period: 15 * time.Minute, ServiceLevelSeconds: sl}
	rows, err := s.queueRows(ctx, rq, names)
	if err != nil {
		return nil, nil, fmt.Errorf("today's figures: %w", err)
	}
	out := map[queueChannel]connectreporting.QueueFigures{}
	rowNames := map[string]string{}
	for _, r := range rows {
		k := queueChannel{r.QueueID, r.Channel}
		f := out[k]
		f.SLThresholdSeconds = r.SLThresholdSeconds
		f.Add(r.QueueFigures)
		out[k] = f
		rowNames[r.QueueID] = r.QueueName
	}
	for k, f := range out {
		f.Derive()
		out[k] = f
	}
	return out, rowNames, nil
}

// Wallboard reads the live view: the latest real-time snapshot per queue
// and channel beside today's kpi_queue_day figures (at the query's
// threshold, the views' own when 0), the live totals, the agents, and the
// health of the pipeline.
func (s *Store) Wallboard(ctx context.Context, wq connectreporting.WallboardQuery) (connectreporting.Wallboard, error) {
	loc := location(wq.Location)
	now := wq.Now
	if now.IsZero() {
		now = s.now()
	}
	now = now.UTC()
	day := startOfDay(now, loc)
	sl := wq.ServiceLevelSeconds
	if sl <= 0 {
		var err error
		if sl, err = s.viewThreshold(ctx); err != nil {
			return connectreporting.Wallboard{}, err
		}
	}
	wb := connectreporting.Wallboard{
		GeneratedAt: now, TimeZone: loc.String(), Day: day.Format(time.DateOnly), DayStart: day.UTC(),
		ServiceLevelSeconds: sl, Queues: []connectreporting.WallboardQueue{}, Agents: []connectreporting.WallboardAgent{},
	}
	var err error
	if wb.Queues, err = s.wallboardQueues(ctx, loc, day, sl); err != nil {
		return wb, err
	}
	wb.Total.SLThresholdSeconds = sl
	for _, q := range wb.Queues {
		wb.Total.Add(q.Today)
		if q.SnapshotTime != nil && (wb.Now.SnapshotTime == nil || q.SnapshotTime.After(*wb.Now.SnapshotTime)) {
			wb.Now.SnapshotTime = q.SnapshotTime
		}
		wb.Now.ContactsInQueue = addPtr(wb.Now.ContactsInQueue, q.ContactsInQueue, func(a, b float64) float64 { return a + b })
		wb.Now.OldestContactAgeSeconds = addPtr(wb.Now.OldestContactAgeSeconds, q.OldestContactAgeSeconds, func(a, b float64) float64 { return max(a, b) })
	}
	wb.Total.Derive()
	if wb.Agents, err = s.wallboardAgents(ctx); err != nil {
		return wb, err
	}
	countAgents(&wb.Now, wb.Agents)
	if wb.Health, err = s.Health(ctx, now); err != nil {
		return wb, err
	}
	return wb, nil
}

// addPtr combines b into a with f; nil is no value.
func addPtr(a, b *float64, f func(x, y float64) float64) *float64 {
	if b == nil {
		return a
	}
	v := *b
	if a != nil {
		v = f(*a, v)
	}
	return &v
}

// countAgents counts the agents by the state the event stream moved them to
// (see WallboardNow).
func countAgents(n *connectreporting.WallboardNow, agents []connectreporting.WallboardAgent) {
	for _, a := range agents {
		if a.StatusType == "" || a.StatusType == "OFFLINE" {
			continue
		}
		n.AgentsOnline++
		switch {
		case a.ContactCount > 0:
			n.AgentsOnContact++
		case a.StatusType == "ROUTABLE":
			n.AgentsAvailable++
		default:
			n.AgentsOther++
		}
	}
}

// ReportOptions returns the zones report_interval is kept for and the
// service-level threshold the store gives the views (Options.TimeZones and
// ServiceLevelSeconds, with their defaults): the dashboard offers those.
func (s *Store) ReportOptions() (zones []*time.Location, serviceLevelSeconds int) {
	sl := s.opts.ServiceLevelSeconds
	if sl <= 0 {
		sl = report.DefaultServiceLevelSeconds
	}
	return s.zones(), sl
}

// viewThreshold is the service-level threshold the views use
// (report_setting; the default when unset).
func (s *Store) viewThreshold(ctx context.Context) (int, error) {
	sl := report.DefaultServiceLevelSeconds
	err := s.each(ctx, "SELECT value FROM report_setting WHERE name = ?", []any{report.SettingServiceLevelSeconds}, func(r *sql.Rows) error {
		var v string
		if err := r.Scan(&v); err != nil {
			return err
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err == nil && n > 0 {
			sl = n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("service-level threshold of the views: %w", err)
	}
	return sl, nil
}

// wallboardQueues joins the current real-time snapshot of every queue and
// channel with today's kpi_queue_day row, ordered by queue name and channel.
func (s *Store) wallboardQueues(ctx context.Context, loc *time.Location, day time.Time, sl int) ([]connectreporting.WallboardQueue, error) {
	names, err := s.queueNames(ctx)
	if err != nil {
		return nil, err
	}
	figures, viewNames, err := s.todayFigures(ctx, loc, day, sl, names)
	if err != nil {
		return nil, err
	}
	rows := map[queueChannel]*connectreporting.WallboardQueue{}
	row := func(k queueChannel) *connectreporting.WallboardQueue {
		if r, ok := rows[k]; ok {
			return r
		}
		r := &connectreporting.WallboardQueue{QueueID: k.queue, Channel: k.channel, Today: connectreporting.QueueFigures{SLThresholdSeconds: sl}}
		rows[k] = r
		return r
	}
	err = s.each(ctx, `SELECT queue_id, channel, snapshot_time, contacts_in_queue, oldest_contact_age_seconds,
	agents_online, agents_available, agents_on_contact, agents_after_contact_work, agents_staffed
FROM queue_realtime_current`, nil, func(r *sql.Rows) error {
		var k queueChannel
		var at time.Time
		var inQ, oldest, online, avail, onContact, acw, staffed sql.NullFloat64
		if err := r.Scan(&k.queue, &k.channel, scanTime{&at}, &inQ, &oldest, &online, &avail, &onContact, &acw, &staffed); err != nil {
			return err
		}
		q := row(k)
		q.SnapshotTime = timePtr(at)
		q.ContactsInQueue, q.OldestContactAgeSeconds = floatPtr(inQ), floatPtr(oldest)
		q.AgentsOnline, q.AgentsAvailable, q.AgentsOnContact = floatPtr(online), floatPtr(avail), floatPtr(onContact)
		q.AgentsAfterContactWork, q.AgentsStaffed = floatPtr(acw), floatPtr(staffed)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read queue snapshots: %w", err)
	}
	for k, f := range figures {
		row(k).Today = f
	}
	out := make([]connectreporting.WallboardQueue, 0, len(rows))
	for _, r := range rows {
		r.QueueName = queueName(r.QueueID, names, viewNames)
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b connectreporting.WallboardQueue) int {
		return compareStrings(a.QueueName, b.QueueName, a.QueueID, b.QueueID, a.Channel, b.Channel)
	})
	return out, nil
}

func queueName(id string, names ...map[string]string) string {
	for _, m := range names {
		if n := m[id]; n != "" {
			return n
		}
	}
	return id
}

// wallboardAgents merges agent_state (the event stream) with
// agent_realtime_current (the latest snapshot) and the users' names.
func (s *Store) wallboardAgents(ctx context.Context) ([]connectreporting.WallboardAgent, error) {
	users, err := s.users(ctx)
	if err != nil {
		return nil, err
	}
	profiles, err := s.routingProfileNames(ctx)
	if err != nil {
		return nil, err
	}
	b := agentBoard{agents: map[string]*connectreporting.WallboardAgent{}, rpOf: map[string]string{}}
	if err := s.readAgentState(ctx, &b); err != nil {
		return nil, fmt.Errorf("read agent state: %w", err)
	}
	if err := s.readAgentSnapshots(ctx, &b); err != nil {
		return nil, fmt.Errorf("read agent snapshots: %w", err)
	}
	return b.list(users, profiles), nil
}

// agentBoard is the wallboard's agents while wallboardAgents reads them.
type agentBoard struct {
	agents map[string]*connectreporting.WallboardAgent
	rpOf   map[string]string // agent -> routing profile id
}

// readAgentState adds the agents of agent_state.
func (s *Store) readAgentState(ctx context.Context, b *agentBoard) error {
	return s.each(ctx, `SELECT agent_id, username, status_name, status_type, status_start_timestamp,
	routing_profile_id, contact_count, last_event_timestamp, last_event_type
FROM agent_state`, nil, func(r *sql.Rows) error {
		var a connectreporting.WallboardAgent
		var user, status, stype, rp, evType sql.NullString
		var count sql.NullInt64
		var since, last time.Time
		if err := r.Scan(&a.AgentID, &user, &status, &stype, scanTime{&since}, &rp, &count, scanTime{&last}, &evType); err != nil {
			return err
		}
		a.Username, a.StatusName, a.StatusType, a.LastEventType = user.String, status.String, stype.String, evType.String
		a.StatusSince, a.LastEventTime, a.ContactCount = timePtr(since), timePtr(last), int(count.Int64)
		b.rpOf[a.AgentID] = rp.String
		b.agents[a.AgentID] = &a
		return nil
	})
}

// readAgentSnapshots adds each agent's latest snapshot of
// agent_realtime_current, and the agents only it knows.
func (s *Store) readAgentSnapshots(ctx context.Context, b *agentBoard) error {
	return s.each(ctx, `SELECT agent_id, username, snapshot_time, status_name, status_start_timestamp,
	contact_count, contacts_by_channel, routing_profile_id
FROM agent_realtime_current`, nil, func(r *sql.Rows) error {
		var id string
		var user, status, byChannel, rp sql.NullString
		var count sql.NullInt64
		var at, since time.Time
		if err := r.Scan(&id, &user, scanTime{&at}, &status, scanTime{&since}, &count, &byChannel, &rp); err != nil {
			return err
		}
		a, ok := b.agents[id]
		if !ok {
			a = &connectreporting.WallboardAgent{AgentID: id, Username: user.String}
			b.agents[id] = a
		}
		if a.Username == "" {
			a.Username = user.String
		}
		if b.rpOf[id] == "" {
			b.rpOf[id] = rp.String
		}
		snap := &connectreporting.AgentSnapshotView{SnapshotTime: at, StatusName: status.String, StatusSince: timePtr(since), ContactCount: int(count.Int64)}
		if byChannel.String != "" {
			if err := json.Unmarshal([]byte(byChannel.String), &snap.ContactsByChannel); err != nil {
				return fmt.Errorf("agent %s: contacts_by_channel: %w", id, err)
			}
		}
		a.Snapshot = snap
		return nil
	})
}

// list fills in the names from the users and routing profiles, and sorts
// the agents by username (case-insensitive), then id.
func (b *agentBoard) list(users map[string]userInfo, profiles map[string]string) []connectreporting.WallboardAgent {
	out := make([]connectreporting.WallboardAgent, 0, len(b.agents))
	for id, a := range b.agents {
		u := users[id]
		if a.Username == "" {
			a.Username = u.username
		}
		if a.Username == "" {
			a.Username = id
		}
		a.FirstName, a.LastName = u.first, u.last
		rp := b.rpOf[id]
		if rp == "" {
			rp = u.routingProfileID
		}
		a.RoutingProfile = profiles[rp]
		if a.RoutingProfile == "" {
			a.RoutingProfile = rp
		}
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		if x, y := strings.ToLower(out[i].Username), strings.ToLower(out[j].Username); x != y {
			return x < y
		}
		return out[i].AgentID < out[j].AgentID
	})
	return out
}

// Health reports how fresh the data is: the newest agent event, contact,
// snapshot and interval metric, every poller and stream checkpoint, and the
// records rejected in the 24 hours before now.
func (s *Store) Health(ctx context.Context, now time.Time) (connectreporting.Health, error) {
	if now.IsZero() {
		now = s.now()
	}
	h := connectreporting.Health{CheckedAt: now.UTC(), Dialect: s.dialect.String(),
		PollCheckpoints: []connectreporting.PollCheckpointStatus{}, StreamCheckpoints: []connectreporting.StreamCheckpointStatus{}}
	maxOf := func(query string) (*time.Time, error) {
		var t time.Time
		if err := s.db.QueryRowContext(ctx, query).Scan(scanTime{&t}); err != nil {
			return nil, fmt.Errorf("health: %s: %w", query, err)
		}
		return timePtr(t), nil
	}
	// Each figure is a MAX over a small table or an indexed column, so the
	// wallboard can ask every few seconds. agent_state holds the newest
	// event of every agent (heartbeats included), so its newest
	// last_event_timestamp is the newest agent event.
	var err error
	for _, m := range []struct {
		dst   **time.Time
		query string
	}{
		{&h.LastAgentEvent, "SELECT MAX(last_event_timestamp) FROM agent_state"},
		{&h.LastContact, "SELECT MAX(initiation_timestamp) FROM contact_record"},
		{&h.LastQueueSnapshot, "SELECT MAX(snapshot_time) FROM queue_realtime_current"},
		{&h.LastAgentSnapshot, "SELECT MAX(snapshot_time) FROM agent_realtime_current"},
		{&h.LastIntervalMetric, "SELECT MAX(interval_start) FROM queue_interval_metric"},
	} {
		if *m.dst, err = maxOf(m.query); err != nil {
			return h, err
		}
	}
	err = s.each(ctx, "SELECT poller, scope, watermark, updated_at FROM poll_checkpoint ORDER BY poller, scope", nil, func(r *sql.Rows) error {
		var c connectreporting.PollCheckpointStatus
		if err := r.Scan(&c.Poller, &c.Scope, scanTime{&c.Watermark}, scanTime{&c.UpdatedAt}); err != nil {
			return err
		}
		h.PollCheckpoints = append(h.PollCheckpoints, c)
		return nil
	})
	if err != nil {
		return h, fmt.Errorf("health: poll checkpoints: %w", err)
	}
	err = s.each(ctx, "SELECT stream_name, shard_id, sequence_number, lease_owner, updated_at FROM stream_lease ORDER BY stream_name, shard_id", nil, func(r *sql.Rows) error {
		var c connectreporting.StreamCheckpointStatus
		var owner sql.NullString
		if err := r.Scan(&c.Stream, &c.ShardID, &c.SequenceNumber, &owner, scanTime{&c.UpdatedAt}); err != nil {
			return err
		}
		c.Owner = owner.String
		h.StreamCheckpoints = append(h.StreamCheckpoints, c)
		return nil
	})
	if err != nil {
		return h, fmt.Errorf("health: stream checkpoints: %w", err)
	}
	var last time.Time
	err = s.db.QueryRowContext(ctx, s.q("SELECT COUNT(CASE WHEN received_at >= ? THEN 1 END), MAX(received_at) FROM rejected_record"),
		s.dialect.arg(now.Add(-24*time.Hour))).Scan(&h.RejectedLast24h, scanTime{&last})
	if err != nil {
		return h, fmt.Errorf("health: rejected records: %w", err)
	}
	h.LastRejected = timePtr(last)
	return h, nil
}
