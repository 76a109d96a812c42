package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
	"github.com/connect-reporting/connect-reporting/internal/report"
)

// This file reads the dashboard's reports from the KPI views of migration
// 00006 (kpi_queue_interval, kpi_queue_day, kpi_agent_day,
// kpi_agent_status_day, kpi_connect_queue_interval): the dashboard shows
// what a BI tool reading the views sees, with no second implementation of
// the figures. The views hold rows for the TIME_ZONE zones only
// (report_interval); ReportZones lists them.

// MaxReportRange bounds the time range of one report.
const MaxReportRange = 62 * 24 * time.Hour

// ErrBadReport marks a report query the store cannot answer (bad period,
// range or zone).
var ErrBadReport = errors.New("bad report query")

// queueFigureCols are the columns of kpi_queue_interval and kpi_queue_day
// that fill a QueueFigures, in the order figureTargets scans them.
const queueFigureCols = `contacts_queued, contacts_answered, contacts_handled, contacts_abandoned, contacts_left_queue,
	answered_within_sl, sl_threshold_seconds, transferred_out, callbacks, contacts_put_on_hold,
	handle_seconds, talk_seconds, hold_seconds, hold_seconds_on_hold, acw_seconds, acw_contacts,
	answer_seconds, abandon_seconds, max_queue_seconds, service_level_pct, abandonment_rate_pct,
	avg_handle_seconds, avg_answer_seconds, avg_acw_seconds, avg_hold_seconds, avg_abandon_seconds`

// figureScan holds the scan targets of queueFigureCols. Every column is
// read as a float: PostgreSQL sums of bigint are numeric.
type figureScan [26]sql.NullFloat64

func (fs *figureScan) targets() []any {
	out := make([]any, len(fs))
	for i := range fs {
		out[i] = &fs[i]
	}
	return out
}

// figures converts the scanned columns.
func (fs *figureScan) figures() connectreporting.QueueFigures {
	n := func(i int) int64 { return int64(fs[i].Float64) }
	f := fs[10:]
	return connectreporting.QueueFigures{
		ContactsQueued: n(0), ContactsAnswered: n(1), ContactsHandled: n(2), ContactsAbandoned: n(3), ContactsLeftQueue: n(4),
		AnsweredWithinSL: n(5), SLThresholdSeconds: int(n(6)), TransferredOut: n(7), Callbacks: n(8), ContactsPutOnHold: n(9),
		HandleSeconds: f[0].Float64, TalkSeconds: f[1].Float64, HoldSeconds: f[2].Float64, HoldSecondsOnHold: f[3].Float64,
		ACWSeconds: f[4].Float64, ACWContacts: int64(f[5].Float64), AnswerSeconds: f[6].Float64, AbandonSeconds: f[7].Float64,
		MaxQueueSeconds: floatPtr(f[8]), ServiceLevelPct: floatPtr(f[9]), AbandonmentRatePct: floatPtr(f[10]),
		AvgHandleSeconds: floatPtr(f[11]), AvgAnswerSeconds: floatPtr(f[12]), AvgACWSeconds: floatPtr(f[13]),
		AvgHoldSeconds: floatPtr(f[14]), AvgAbandonSeconds: floatPtr(f[15]),
	}
}

// scanDate reads a local_date: a date (PostgreSQL, SQL Server) or text
// YYYY-MM-DD (SQLite).
type scanDate struct{ s *string }

func (d scanDate) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d.s = ""
	case time.Time:
		*d.s = x.Format(time.DateOnly)
	case string:
		*d.s = x[:min(len(x), 10)]
	case []byte:
		*d.s = string(x[:min(len(x), 10)])
	default:
		return fmt.Errorf("date: unexpected %T", v)
	}
	return nil
}

// checkReport validates a report query and returns its zone.
func checkReport(rq connectreporting.ReportQuery) (*time.Location, error) {
	switch rq.Period {
	case 0, 15 * time.Minute:
	default:
		return nil, fmt.Errorf("%w: period %s: the views have 15-minute intervals (15m) and days (0)", ErrBadReport, rq.Period)
	}
	if !rq.From.Before(rq.To) {
		return nil, fmt.Errorf("%w: report range is empty: from is not before to", ErrBadReport)
	}
	if rq.To.Sub(rq.From) > MaxReportRange {
		return nil, fmt.Errorf("%w: report range %s is longer than %s", ErrBadReport, rq.To.Sub(rq.From), MaxReportRange)
	}
	return location(rq.Location), nil
}

// localDates returns the local dates of the report's first and last
// instants.
func localDates(rq connectreporting.ReportQuery, loc *time.Location) (first, last string) {
	return rq.From.In(loc).Format(time.DateOnly), rq.To.Add(-time.Nanosecond).In(loc).Format(time.DateOnly)
}

// dayBounds returns the first instant of local date d in loc and of the
// next day.
func dayBounds(d string, loc *time.Location) (time.Time, time.Time) {
	t, err := time.ParseInLocation(time.DateOnly, d, loc)
	if err != nil {
		return time.Time{}, time.Time{}
	}
	return t.UTC(), t.AddDate(0, 0, 1).UTC()
}

func localLabel(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.RFC3339)
}

// QueueIntervals reads kpi_queue_interval (Period 15 minutes: intervals
// starting in the range) or kpi_queue_day (Period 0: the local days of the
// range) for the report's zone. With a ServiceLevelSeconds other than the
// views' threshold, answered_within_sl and service_level_pct are counted at
// that threshold from kpi_contact (see withThreshold). Rows are ordered by
// interval, queue name and channel.
func (s *Store) QueueIntervals(ctx context.Context, rq connectreporting.ReportQuery) ([]connectreporting.QueueIntervalRow, error) {
	names, err := s.queueNames(ctx)
	if err != nil {
		return nil, err
	}
	return s.queueRows(ctx, rq, names)
}

// queueRows is QueueIntervals with the configured queue names given.
func (s *Store) queueRows(ctx context.Context, rq connectreporting.ReportQuery, names map[string]string) ([]connectreporting.QueueIntervalRow, error) {
	loc, err := checkReport(rq)
	if err != nil {
		return nil, err
	}
	var query string
	var args []any
	if rq.Period == 0 {
		first, last := localDates(rq, loc)
		query = "SELECT local_date, queue_id, queue_name, channel, " + queueFigureCols + `
FROM kpi_queue_day WHERE time_zone = ? AND local_date >= ? AND local_date <= ?`
		args = []any{loc.String(), first, last}
	} else {
		query = "SELECT local_date, queue_id, queue_name, channel, " + queueFigureCols + `, interval_start, interval_end
FROM kpi_queue_interval WHERE time_zone = ? AND interval_start >= ? AND interval_start < ?`
		args = []any{loc.String(), s.dialect.arg(rq.From), s.dialect.arg(rq.To)}
	}
	var out []connectreporting.QueueIntervalRow
	err = s.each(ctx, query, args, func(r *sql.Rows) error {
		var row connectreporting.QueueIntervalRow
		var name, ch sql.NullString
		var fs figureScan
		dest := append([]any{scanDate{&row.LocalDate}, &row.QueueID, &name, &ch}, fs.targets()...)
		if rq.Period != 0 {
			dest = append(dest, scanTime{&row.IntervalStart}, scanTime{&row.IntervalEnd})
		}
		if err := r.Scan(dest...); err != nil {
			return err
		}
		if rq.Period == 0 {
			row.IntervalStart, row.IntervalEnd = dayBounds(row.LocalDate, loc)
		}
		row.Channel, row.QueueFigures = ch.String, fs.figures()
		// The queue's current configured name; the records' (the view's
		// queue_name) when it has none.
		row.QueueName = queueName(row.QueueID, names, map[string]string{row.QueueID: name.String})
		row.Local = localLabel(row.IntervalStart, loc)
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue report (kpi views): %w", err)
	}
	if out, err = s.withThreshold(ctx, rq, loc, out); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b connectreporting.QueueIntervalRow) int {
		return rowCompare(a.IntervalStart, b.IntervalStart, a.QueueName, b.QueueName, a.QueueID, b.QueueID, a.Channel, b.Channel)
	})
	return out, nil
}

// withinSQL counts, per interval (or local day), queue and channel, the
// answered contacts of kpi_contact whose queue time is less than a
// threshold: the views' answered_within_sl at another threshold, joined to
// report_interval exactly as kpi_queue_interval joins it.
const withinSQL = `SELECT %s, k.queue_id, k.channel,
	SUM(CASE WHEN k.answered = 1 AND k.queue_seconds < ? THEN 1 ELSE 0 END)
FROM report_interval r
JOIN kpi_contact k ON k.initiation_timestamp >= r.interval_start AND k.initiation_timestamp < r.interval_end
WHERE r.time_zone = ? AND r.interval_start >= ? AND r.interval_start < ? AND k.queue_id IS NOT NULL
GROUP BY %s, k.queue_id, k.channel`

// withThreshold recounts answered_within_sl and service_level_pct of rows
// at rq.ServiceLevelSeconds when it differs from the views' threshold (the
// threshold chosen in the dashboard). The service level keeps the views'
// rule: answered within / contacts that left the queue.
func (s *Store) withThreshold(ctx context.Context, rq connectreporting.ReportQuery, loc *time.Location, rows []connectreporting.QueueIntervalRow) ([]connectreporting.QueueIntervalRow, error) {
	sl := rq.ServiceLevelSeconds
	if sl <= 0 || !slices.ContainsFunc(rows, func(r connectreporting.QueueIntervalRow) bool { return r.SLThresholdSeconds != sl }) {
		return rows, nil
	}
	key := "r.interval_start"
	if rq.Period == 0 {
		key = "r.local_date"
	}
	type k struct{ at, queue, channel string }
	within := map[k]int64{}
	from, to := rq.From, rq.To
	if rq.Period == 0 && len(rows) > 0 { // whole local days
		first, last := localDates(rq, loc)
		from, _ = dayBounds(first, loc)
		_, to = dayBounds(last, loc)
	}
	err := s.each(ctx, fmt.Sprintf(withinSQL, key, key), []any{int64(sl), loc.String(), s.dialect.arg(from), s.dialect.arg(to)}, func(r *sql.Rows) error {
		var at time.Time
		var day string
		var x k
		var ch sql.NullString
		var n sql.NullInt64
		target := any(scanTime{&at})
		if rq.Period == 0 {
			target = scanDate{&day}
		}
		if err := r.Scan(target, &x.queue, &ch, &n); err != nil {
			return err
		}
		x.channel, x.at = ch.String, day
		if rq.Period != 0 {
			x.at = at.Format(time.RFC3339)
		}
		within[x] = n.Int64
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("service level at %d s: %w", sl, err)
	}
	for i := range rows {
		r := &rows[i]
		at := r.LocalDate
		if rq.Period != 0 {
			at = r.IntervalStart.Format(time.RFC3339)
		}
		r.AnsweredWithinSL, r.SLThresholdSeconds = within[k{at, r.QueueID, r.Channel}], sl
		r.ServiceLevelPct = nil
		if v, ok := report.ServiceLevelPct(int(r.AnsweredWithinSL), int(r.ContactsLeftQueue)); ok {
			r.ServiceLevelPct = &v
		}
	}
	return rows, nil
}

func rowCompare(t1, t2 time.Time, s ...string) int {
	if c := t1.Compare(t2); c != 0 {
		return c
	}
	return compareStrings(s...)
}
