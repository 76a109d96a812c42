package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/clock"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// AgentDays reads kpi_agent_day for the local days of the report, in its
// zone, by day and username.
func (s *Store) AgentDays(ctx context.Context, rq connectreporting.ReportQuery) ([]connectreporting.AgentDayRow, error) {
	rq.Period = 0
	loc, err := checkReport(rq)
	if err != nil {
		return nil, err
	}
	first, last := localDates(rq, loc)
	var out []connectreporting.AgentDayRow
	err = s.each(ctx, `SELECT local_date, agent_id, username, contacts_handled, handle_seconds, talk_seconds, hold_seconds,
	acw_seconds, avg_handle_seconds, online_seconds, available_seconds, on_contact_seconds, occupancy_pct
FROM kpi_agent_day WHERE time_zone = ? AND local_date >= ? AND local_date <= ?`, []any{loc.String(), first, last}, func(r *sql.Rows) error {
		var a connectreporting.AgentDayRow
		var user sql.NullString
		var v [10]sql.NullFloat64
		if err := r.Scan(scanDate{&a.LocalDate}, &a.AgentID, &user, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]); err != nil {
			return err
		}
		a.Username, a.ContactsHandled = user.String, int64(v[0].Float64)
		a.HandleSeconds, a.TalkSeconds, a.HoldSeconds, a.ACWSeconds = v[1].Float64, v[2].Float64, v[3].Float64, v[4].Float64
		a.AvgHandleSeconds, a.OnlineSeconds, a.AvailableSeconds = floatPtr(v[5]), v[6].Float64, v[7].Float64
		a.OnContactSeconds, a.OccupancyPct = v[8].Float64, floatPtr(v[9])
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("agent day report (kpi_agent_day): %w", err)
	}
	slices.SortFunc(out, func(a, b connectreporting.AgentDayRow) int {
		return compareStrings(a.LocalDate, b.LocalDate, a.Username, b.Username, a.AgentID, b.AgentID)
	})
	return out, nil
}

// AgentStatusDays reads kpi_agent_status_day for the local days of the
// report, in its zone, by day, username and status.
func (s *Store) AgentStatusDays(ctx context.Context, rq connectreporting.ReportQuery) ([]connectreporting.AgentStatusDay, error) {
	rq.Period = 0
	loc, err := checkReport(rq)
	if err != nil {
		return nil, err
	}
	first, last := localDates(rq, loc)
	var out []connectreporting.AgentStatusDay
	err = s.each(ctx, `SELECT local_date, agent_id, username, status_name, status_type, seconds
FROM kpi_agent_status_day WHERE time_zone = ? AND local_date >= ? AND local_date <= ?`, []any{loc.String(), first, last}, func(r *sql.Rows) error {
		var a connectreporting.AgentStatusDay
		var user, name, typ sql.NullString
		var secs sql.NullFloat64
		if err := r.Scan(scanDate{&a.LocalDate}, &a.AgentID, &user, &name, &typ, &secs); err != nil {
			return err
		}
		a.Username, a.StatusName, a.StatusType, a.Seconds = user.String, name.String, typ.String, secs.Float64
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("agent status report (kpi_agent_status_day): %w", err)
	}
	slices.SortFunc(out, func(a, b connectreporting.AgentStatusDay) int {
		return compareStrings(a.LocalDate, b.LocalDate, a.Username, b.Username, a.AgentID, b.AgentID, a.StatusName, b.StatusName)
	})
	return out, nil
}

// AgentTimeline reads the status intervals of agent_status_interval that
// overlap the report's range, cut to it. A status still open ends at the
// agent's last evidence (agent_state.last_event_timestamp, heartbeats
// included), as kpi_agent_status_day ends it. Spans are ordered by
// username, then start.
func (s *Store) AgentTimeline(ctx context.Context, rq connectreporting.ReportQuery) ([]connectreporting.AgentStatusSpan, error) {
	rq.Period = 0
	if _, err := checkReport(rq); err != nil {
		return nil, err
	}
	users, err := s.users(ctx)
	if err != nil {
		return nil, err
	}
	var out []connectreporting.AgentStatusSpan
	err = s.each(ctx, `SELECT i.agent_id, a.username, i.status_name, i.status_type, i.start_timestamp, i.end_timestamp, a.last_event_timestamp
FROM agent_status_interval i LEFT JOIN agent_state a ON a.agent_id = i.agent_id
WHERE i.start_timestamp < ? AND (i.end_timestamp > ? OR (i.end_timestamp IS NULL AND a.last_event_timestamp > ?))`,
		[]any{s.dialect.arg(rq.To), s.dialect.arg(rq.From), s.dialect.arg(rq.From)}, func(r *sql.Rows) error {
			var sp connectreporting.AgentStatusSpan
			var user, name, typ sql.NullString
			var end, last time.Time
			if err := r.Scan(&sp.AgentID, &user, &name, &typ, scanTime{&sp.Start}, scanTime{&end}, scanTime{&last}); err != nil {
				return err
			}
			sp.Username, sp.StatusName, sp.StatusType = user.String, name.String, typ.String
			if sp.Username == "" {
				sp.Username = cmp(users[sp.AgentID].username, sp.AgentID)
			}
			if end.IsZero() {
				end, sp.Open = last, true
			}
			sp.Start, sp.End = clock.Later(sp.Start, rq.From), clock.Earlier(end, rq.To)
			if sp.End.After(sp.Start) {
				out = append(out, sp)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("agent timeline: %w", err)
	}
	slices.SortFunc(out, func(a, b connectreporting.AgentStatusSpan) int {
		if c := compareStrings(a.Username, b.Username, a.AgentID, b.AgentID); c != 0 {
			return c
		}
		return a.Start.Compare(b.Start)
	})
	return out, nil
}

// connectFixedCols are the columns of kpi_connect_queue_interval that are
// not metrics.
var connectFixedCols = map[string]bool{"time_zone": true, "interval_start": true, "interval_end": true, "local_date": true,
	"local_start": true, "local_hour": true, "iso_weekday": true, "queue_id": true, "channel": true}

// IntervalMetrics reads kpi_connect_queue_interval (Connect's own
// GetMetricDataV2 figures) for the 15-minute intervals starting in the
// report's range, in its zone; every metric column of the view is in
// Metrics under its name.
func (s *Store) IntervalMetrics(ctx context.Context, rq connectreporting.ReportQuery) ([]connectreporting.IntervalMetricRow, error) {
	loc, err := checkReport(rq)
	if err != nil {
		return nil, err
	}
	if rq.Period == 0 {
		return nil, fmt.Errorf("%w: Connect's metrics are kept per 15-minute interval (period 15)", ErrBadReport)
	}
	names, err := s.queueNames(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT * FROM kpi_connect_queue_interval WHERE time_zone = ? AND interval_start >= ? AND interval_start < ?"),
		loc.String(), s.dialect.arg(rq.From), s.dialect.arg(rq.To))
	if err != nil {
		return nil, fmt.Errorf("interval metric report (kpi_connect_queue_interval): %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []connectreporting.IntervalMetricRow
	for rows.Next() {
		row, err := scanConnectRow(rows, cols)
		if err != nil {
			return nil, fmt.Errorf("interval metric report: %w", err)
		}
		row.QueueName, row.Local = queueName(row.QueueID, names), localLabel(row.IntervalStart, loc)
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("interval metric report: %w", err)
	}
	slices.SortFunc(out, func(a, b connectreporting.IntervalMetricRow) int {
		return rowCompare(a.IntervalStart, b.IntervalStart, a.QueueName, b.QueueName, a.QueueID, b.QueueID, a.Channel, b.Channel)
	})
	return out, nil
}

// scanConnectRow reads one row of kpi_connect_queue_interval by its column
// names.
func scanConnectRow(rows *sql.Rows, cols []string) (connectreporting.IntervalMetricRow, error) {
	row := connectreporting.IntervalMetricRow{Metrics: map[string]*float64{}}
	var ignore any
	vals := make([]sql.NullFloat64, len(cols))
	dest := make([]any, len(cols))
	for i, c := range cols {
		switch strings.ToLower(c) {
		case "interval_start":
			dest[i] = scanTime{&row.IntervalStart}
		case "interval_end":
			dest[i] = scanTime{&row.IntervalEnd}
		case "local_date":
			dest[i] = scanDate{&row.LocalDate}
		case "queue_id":
			dest[i] = &row.QueueID
		case "channel":
			dest[i] = &row.Channel
		default:
			if connectFixedCols[strings.ToLower(c)] {
				dest[i] = &ignore
			} else {
				dest[i] = &vals[i]
			}
		}
	}
	if err := rows.Scan(dest...); err != nil {
		return row, err
	}
	for i, c := range cols {
		if _, ok := dest[i].(*sql.NullFloat64); ok {
			row.Metrics[strings.ToLower(c)] = floatPtr(vals[i])
		}
	}
	return row, nil
}

func compareStrings(s ...string) int {
	for i := 0; i+1 < len(s); i += 2 {
		if c := strings.Compare(strings.ToLower(s[i]), strings.ToLower(s[i+1])); c != 0 {
			return c
		}
		if c := strings.Compare(s[i], s[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

// cmp returns the first non-empty string.
func cmp(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
