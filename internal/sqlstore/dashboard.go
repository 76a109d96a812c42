package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// This file is the dashboard's read model (the wallboard, the reports and
// the health of the pipeline) on every dialect. The SQL is portable: plain
// aggregates and CASE, ? placeholders rewritten by q, timestamps bound with
// arg. Anything that needs a time zone (days, 15/30/60-minute intervals) is
// bucketed in Go, so no dialect's date functions are involved.

// MaxReportRange bounds the time range of one report (row-level reports
// read every contact of the range).
const MaxReportRange = 62 * 24 * time.Hour

// defaultServiceLevelSeconds is the service-level threshold when none is given.
const defaultServiceLevelSeconds = 20

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
	out, err := s.idNames(ctx, "SELECT queue_id, name FROM "+quoteIdent(s.dialect, "queue")+" WHERE valid_to IS NULL")
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

func serviceLevelSeconds(n int) int {
	if n <= 0 {
		return defaultServiceLevelSeconds
	}
	return n
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

// Bucket returns the interval of period that holds t, aligned to the wall
// clock of loc: period 0 is t's calendar day in loc; 15, 30 or 60 minutes
// are aligned to the local quarter, half or full hour. Buckets are instants,
// so the repeated hour when clocks go back is two buckets (01:00 BST and
// 01:00 GMT) and the skipped hour when they go forward is none.
func Bucket(t time.Time, loc *time.Location, period time.Duration) (start, end time.Time) {
	loc = location(loc)
	if period <= 0 {
		start = startOfDay(t, loc)
		return start.UTC(), start.AddDate(0, 0, 1).UTC()
	}
	_, off := t.In(loc).Zone()
	p := int64(period / time.Second)
	local := t.Unix() + int64(off)
	m := local % p
	if m < 0 {
		m += p
	}
	start = time.Unix(local-m-int64(off), 0).UTC()
	return start, start.Add(period)
}

// contactFacts is what the contact figures need of one contact record.
const contactFactsSQL = `SELECT queue_id, channel, queue_name, enqueue_timestamp,
	connected_to_agent_timestamp, disconnect_timestamp, queue_duration_seconds,
	agent_interaction_duration_seconds, customer_hold_duration_seconds, after_contact_work_duration_seconds
FROM contact_record
WHERE enqueue_timestamp >= ? AND enqueue_timestamp < ? AND queue_id IS NOT NULL`

// statsSQL aggregates the same figures in the database (the wallboard's
// today, read every few seconds); contactStats is the Go twin the interval
// report uses, and the tests hold the two to the same figures.
const statsSQL = `SELECT queue_id, channel, MAX(queue_name),
	COUNT(*),
	SUM(CASE WHEN connected_to_agent_timestamp IS NOT NULL THEN 1 ELSE 0 END),
	SUM(CASE WHEN connected_to_agent_timestamp IS NULL AND disconnect_timestamp IS NOT NULL THEN 1 ELSE 0 END),
	SUM(CASE WHEN connected_to_agent_timestamp IS NULL AND disconnect_timestamp IS NULL THEN 1 ELSE 0 END),
	SUM(CASE WHEN connected_to_agent_timestamp IS NOT NULL THEN
		COALESCE(agent_interaction_duration_seconds, 0) + COALESCE(customer_hold_duration_seconds, 0)
		+ COALESCE(after_contact_work_duration_seconds, 0) ELSE 0 END),
	SUM(CASE WHEN connected_to_agent_timestamp IS NOT NULL AND queue_duration_seconds < ? THEN 1 ELSE 0 END)
FROM contact_record
WHERE enqueue_timestamp >= ? AND enqueue_timestamp < ? AND queue_id IS NOT NULL
GROUP BY queue_id, channel`

type queueChannel struct{ queue, channel string }

// dayStats returns the contact figures per queue and channel of contacts
// queued in [from, to), and the queue names the records carry.
func (s *Store) dayStats(ctx context.Context, from, to time.Time, slSeconds int) (map[queueChannel]connectreporting.DayStats, map[string]string, error) {
	out := map[queueChannel]connectreporting.DayStats{}
	names := map[string]string{}
	args := []any{int64(slSeconds), arg(s.dialect, from), arg(s.dialect, to)}
	err := s.each(ctx, statsSQL, args, func(r *sql.Rows) error {
		var k queueChannel
		var ch, name sql.NullString
		var st connectreporting.DayStats
		var handled, abandoned, inQueue, answered, handle sql.NullFloat64
		if err := r.Scan(&k.queue, &ch, &name, &st.Offered, &handled, &abandoned, &inQueue, &handle, &answered); err != nil {
			return err
		}
		k.channel = ch.String
		st.Handled, st.Abandoned, st.InQueue = int64(handled.Float64), int64(abandoned.Float64), int64(inQueue.Float64)
		st.AnsweredInThreshold, st.HandleSeconds = int64(answered.Float64), handle.Float64
		st.Finish()
		out[k] = st
		if name.String != "" {
			names[k.queue] = name.String
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read contact figures: %w", err)
	}
	return out, names, nil
}

// Wallboard reads the live view: the latest real-time snapshot per queue
// and channel beside today's contact figures, the agents, and the health of
// the pipeline.
func (s *Store) Wallboard(ctx context.Context, wq connectreporting.WallboardQuery) (connectreporting.Wallboard, error) {
	loc := location(wq.Location)
	now := wq.Now
	if now.IsZero() {
		now = s.now()
	}
	now = now.UTC()
	day := startOfDay(now, loc)
	sl := serviceLevelSeconds(wq.ServiceLevelSeconds)
	wb := connectreporting.Wallboard{
		GeneratedAt: now, TimeZone: loc.String(), Day: day.Format(time.DateOnly), DayStart: day.UTC(),
		ServiceLevelSeconds: sl, Queues: []connectreporting.WallboardQueue{}, Agents: []connectreporting.WallboardAgent{},
	}
	names, err := s.queueNames(ctx)
	if err != nil {
		return wb, err
	}
	stats, crNames, err := s.dayStats(ctx, day.UTC(), day.AddDate(0, 0, 1).UTC(), sl)
	if err != nil {
		return wb, err
	}
	rows := map[queueChannel]*connectreporting.WallboardQueue{}
	row := func(k queueChannel) *connectreporting.WallboardQueue {
		if r, ok := rows[k]; ok {
			return r
		}
		r := &connectreporting.WallboardQueue{QueueID: k.queue, Channel: k.channel}
		r.Today.Finish()
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
		return wb, fmt.Errorf("read queue snapshots: %w", err)
	}
	var total connectreporting.DayStats
	for k, st := range stats {
		row(k).Today = st
		total.Add(st)
	}
	total.Finish()
	wb.Total = total
	for _, r := range rows {
		r.QueueName = queueName(r.QueueID, names, crNames)
		wb.Queues = append(wb.Queues, *r)
	}
	sort.Slice(wb.Queues, func(i, j int) bool {
		a, b := wb.Queues[i], wb.Queues[j]
		if x, y := strings.ToLower(a.QueueName), strings.ToLower(b.QueueName); x != y {
			return x < y
		}
		if a.QueueID != b.QueueID {
			return a.QueueID < b.QueueID
		}
		return a.Channel < b.Channel
	})
	if wb.Agents, err = s.wallboardAgents(ctx); err != nil {
		return wb, err
	}
	if wb.Health, err = s.Health(ctx, now); err != nil {
		return wb, err
	}
	return wb, nil
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
	agents := map[string]*connectreporting.WallboardAgent{}
	rpOf := map[string]string{}
	err = s.each(ctx, `SELECT agent_id, username, status_name, status_type, status_start_timestamp,
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
		rpOf[a.AgentID] = rp.String
		agents[a.AgentID] = &a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read agent state: %w", err)
	}
	err = s.each(ctx, `SELECT agent_id, username, snapshot_time, status_name, status_start_timestamp,
	contact_count, contacts_by_channel, routing_profile_id
FROM agent_realtime_current`, nil, func(r *sql.Rows) error {
		var id string
		var user, status, byChannel, rp sql.NullString
		var count sql.NullInt64
		var at, since time.Time
		if err := r.Scan(&id, &user, scanTime{&at}, &status, scanTime{&since}, &count, &byChannel, &rp); err != nil {
			return err
		}
		a, ok := agents[id]
		if !ok {
			a = &connectreporting.WallboardAgent{AgentID: id, Username: user.String}
			agents[id] = a
		}
		if a.Username == "" {
			a.Username = user.String
		}
		if rpOf[id] == "" {
			rpOf[id] = rp.String
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
	if err != nil {
		return nil, fmt.Errorf("read agent snapshots: %w", err)
	}
	out := make([]connectreporting.WallboardAgent, 0, len(agents))
	for id, a := range agents {
		u := users[id]
		if a.Username == "" {
			a.Username = u.username
		}
		if a.Username == "" {
			a.Username = id
		}
		a.FirstName, a.LastName = u.first, u.last
		rp := rpOf[id]
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
	return out, nil
}

// Health reports how fresh the data is: the newest agent event, contact,
// snapshot and interval metric, every poller and stream checkpoint, and the
// records rejected in the 24 hours before now.
func (s *Store) Health(ctx context.Context, now time.Time) (connectreporting.Health, error) {
	if now.IsZero() {
		now = s.now()
	}
	h := connectreporting.Health{CheckedAt: now.UTC(), Dialect: s.dialect,
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
		arg(s.dialect, now.Add(-24*time.Hour))).Scan(&h.RejectedLast24h, scanTime{&last})
	if err != nil {
		return h, fmt.Errorf("health: rejected records: %w", err)
	}
	h.LastRejected = timePtr(last)
	return h, nil
}

// checkReport validates a report query and returns its zone.
func checkReport(rq connectreporting.ReportQuery) (*time.Location, error) {
	switch rq.Period {
	case 0, 15 * time.Minute, 30 * time.Minute, time.Hour:
	default:
		return nil, fmt.Errorf("report period %s: want 15m, 30m, 1h or 0 (days)", rq.Period)
	}
	if !rq.From.Before(rq.To) {
		return nil, errors.New("report range is empty: from is not before to")
	}
	if rq.To.Sub(rq.From) > MaxReportRange {
		return nil, fmt.Errorf("report range %s is longer than %s", rq.To.Sub(rq.From), MaxReportRange)
	}
	return location(rq.Location), nil
}

// ErrBadReport marks a report query the store cannot answer (bad period or range).
var ErrBadReport = errors.New("bad report query")

func localLabel(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.RFC3339)
}

// QueueIntervals counts contacts per queue and channel per interval of the
// report, by the time they were queued (figures as in DayStats). Only
// intervals with contacts have rows; rows are ordered by interval, queue
// name and channel.
func (s *Store) QueueIntervals(ctx context.Context, rq connectreporting.ReportQuery) ([]connectreporting.QueueIntervalRow, error) {
	loc, err := checkReport(rq)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReport, err)
	}
	sl := int64(serviceLevelSeconds(rq.ServiceLevelSeconds))
	names, err := s.queueNames(ctx)
	if err != nil {
		return nil, err
	}
	type key struct {
		start time.Time
		queueChannel
	}
	acc := map[key]*connectreporting.QueueIntervalRow{}
	crNames := map[string]string{}
	err = s.each(ctx, contactFactsSQL, []any{arg(s.dialect, rq.From), arg(s.dialect, rq.To)}, func(r *sql.Rows) error {
		var k key
		var ch, name sql.NullString
		var enq, conn, disc time.Time
		var queueDur, talk, hold, acw sql.NullInt64
		if err := r.Scan(&k.queue, &ch, &name, scanTime{&enq}, scanTime{&conn}, scanTime{&disc}, &queueDur, &talk, &hold, &acw); err != nil {
			return err
		}
		k.channel = ch.String
		if name.String != "" {
			crNames[k.queue] = name.String
		}
		start, end := Bucket(enq, loc, rq.Period)
		k.start = start
		row, ok := acc[k]
		if !ok {
			row = &connectreporting.QueueIntervalRow{IntervalStart: start, IntervalEnd: end, Local: localLabel(start, loc), QueueID: k.queue, Channel: k.channel}
			acc[k] = row
		}
		st := &row.Stats
		st.Offered++
		switch {
		case !conn.IsZero():
			st.Handled++
			st.HandleSeconds += float64(talk.Int64 + hold.Int64 + acw.Int64)
			if queueDur.Valid && queueDur.Int64 < sl {
				st.AnsweredInThreshold++
			}
		case !disc.IsZero():
			st.Abandoned++
		default:
			st.InQueue++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue interval report: %w", err)
	}
	out := make([]connectreporting.QueueIntervalRow, 0, len(acc))
	for _, r := range acc {
		r.QueueName = queueName(r.QueueID, names, crNames)
		r.Stats.Finish()
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return rowLess(a.IntervalStart, b.IntervalStart, a.QueueName, b.QueueName, a.QueueID, b.QueueID, a.Channel, b.Channel)
	})
	return out, nil
}

func rowLess(t1, t2 time.Time, s ...string) bool {
	if !t1.Equal(t2) {
		return t1.Before(t2)
	}
	for i := 0; i+1 < len(s); i += 2 {
		if s[i] != s[i+1] {
			return s[i] < s[i+1]
		}
	}
	return false
}

// Suffixes of the stored sums and counts of averages (see connectapi).
const (
	suffixSum   = "__SUM"
	suffixCount = "__COUNT"
)

// isAverage tells the metrics that cannot be summed: averages and
// percentages, recomputed from their __SUM and __COUNT instead.
func isAverage(name string) bool {
	if strings.HasSuffix(name, suffixSum) || strings.HasSuffix(name, suffixCount) {
		return false
	}
	return strings.HasPrefix(name, "AVG_") || strings.HasPrefix(name, "SERVICE_LEVEL") || strings.HasPrefix(name, "PERCENT_")
}

// IntervalMetrics rolls queue_interval_metric (15-minute intervals as the
// historical poller stores them) up to the report's intervals: counts and
// sums add up, MAX_ metrics take the maximum, and every average X is
// SUM(X__SUM) / SUM(X__COUNT) over the interval (absent when the count is
// 0). Intervals are taken by their start.
func (s *Store) IntervalMetrics(ctx context.Context, rq connectreporting.ReportQuery) ([]connectreporting.IntervalMetricRow, error) {
	loc, err := checkReport(rq)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReport, err)
	}
	names, err := s.queueNames(ctx)
	if err != nil {
		return nil, err
	}
	type key struct {
		start time.Time
		queueChannel
	}
	type acc struct {
		row     *connectreporting.IntervalMetricRow
		sources map[time.Time]bool
	}
	rows := map[key]*acc{}
	err = s.each(ctx, `SELECT queue_id, channel, interval_start, metric_name, value FROM queue_interval_metric
WHERE interval_start >= ? AND interval_start < ?`, []any{arg(s.dialect, rq.From), arg(s.dialect, rq.To)}, func(r *sql.Rows) error {
		var k key
		var src time.Time
		var name string
		var v sql.NullFloat64
		if err := r.Scan(&k.queue, &k.channel, scanTime{&src}, &name, &v); err != nil {
			return err
		}
		start, end := Bucket(src, loc, rq.Period)
		k.start = start
		a, ok := rows[k]
		if !ok {
			a = &acc{row: &connectreporting.IntervalMetricRow{IntervalStart: start, IntervalEnd: end, Local: localLabel(start, loc),
				QueueID: k.queue, Channel: k.channel, Metrics: map[string]float64{}}, sources: map[time.Time]bool{}}
			rows[k] = a
		}
		a.sources[src] = true
		if !v.Valid || isAverage(name) {
			return nil
		}
		m := a.row.Metrics
		if old, seen := m[name]; seen && strings.HasPrefix(name, "MAX_") {
			m[name] = max(old, v.Float64)
		} else {
			m[name] += v.Float64
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("interval metric report: %w", err)
	}
	out := make([]connectreporting.IntervalMetricRow, 0, len(rows))
	for _, a := range rows {
		m := a.row.Metrics
		for name, sum := range m {
			base, ok := strings.CutSuffix(name, suffixSum)
			if !ok {
				continue
			}
			if n := m[base+suffixCount]; n > 0 {
				m[base] = sum / n
			}
		}
		a.row.SourceCount = len(a.sources)
		a.row.QueueName = queueName(a.row.QueueID, names)
		out = append(out, *a.row)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return rowLess(a.IntervalStart, b.IntervalStart, a.QueueName, b.QueueName, a.QueueID, b.QueueID, a.Channel, b.Channel)
	})
	return out, nil
}

// AgentStatusDays sums the time each agent spent in each status per local
// day of the report's zone, from agent_status_interval. Intervals are cut
// at midnight and at the report's range; one still open ends at Now (or at
// To when Now is zero or later).
func (s *Store) AgentStatusDays(ctx context.Context, rq connectreporting.ReportQuery) ([]connectreporting.AgentStatusDay, error) {
	rq.Period = 0
	loc, err := checkReport(rq)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReport, err)
	}
	limit := rq.To
	if !rq.Now.IsZero() && rq.Now.Before(limit) {
		limit = rq.Now
	}
	users, err := s.users(ctx)
	if err != nil {
		return nil, err
	}
	stateNames, err := s.idNames(ctx, "SELECT agent_id, username FROM agent_state")
	if err != nil {
		return nil, fmt.Errorf("agent status report: %w", err)
	}
	type key struct{ day, agent, status, stype string }
	acc := map[key]float64{}
	err = s.each(ctx, `SELECT agent_id, start_timestamp, end_timestamp, status_name, status_type FROM agent_status_interval
WHERE start_timestamp < ? AND (end_timestamp IS NULL OR end_timestamp > ?)`, []any{arg(s.dialect, limit), arg(s.dialect, rq.From)}, func(r *sql.Rows) error {
		var agent string
		var start, end time.Time
		var status, stype sql.NullString
		if err := r.Scan(&agent, scanTime{&start}, scanTime{&end}, &status, &stype); err != nil {
			return err
		}
		if end.IsZero() || end.After(limit) {
			end = limit
		}
		if start.Before(rq.From) {
			start = rq.From
		}
		for t := start; t.Before(end); {
			dayStart, dayEnd := Bucket(t, loc, 0)
			stop := dayEnd
			if end.Before(stop) {
				stop = end
			}
			k := key{dayStart.In(loc).Format(time.DateOnly), agent, status.String, stype.String}
			acc[k] += stop.Sub(t).Seconds()
			t = stop
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("agent status report: %w", err)
	}
	out := make([]connectreporting.AgentStatusDay, 0, len(acc))
	for k, secs := range acc {
		name := stateNames[k.agent]
		if name == "" {
			name = users[k.agent].username
		}
		if name == "" {
			name = k.agent
		}
		out = append(out, connectreporting.AgentStatusDay{Day: k.day, AgentID: k.agent, Username: name, StatusName: k.status, StatusType: k.stype, Seconds: secs})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		for _, p := range [][2]string{{a.Day, b.Day}, {strings.ToLower(a.Username), strings.ToLower(b.Username)}, {a.AgentID, b.AgentID}, {a.StatusName, b.StatusName}} {
			if p[0] != p[1] {
				return p[0] < p[1]
			}
		}
		return false
	})
	return out, nil
}
