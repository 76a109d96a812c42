package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/report"
)

// reportCoverage remembers which local days of which zones report_interval
// already holds, so that a store adds a day's rows once per process.
type reportCoverage struct {
	mu   sync.Mutex
	days map[string]map[int64]bool // zone -> day start (Unix) -> present
}

// maxFilledSpan bounds the span of days filled between the oldest and newest
// timestamp of one write; a wider span (a stray timestamp) covers only the
// days that hold a timestamp.
const maxFilledSpan = 400 * 24 * time.Hour

// span is the set of instants a write stores, for report_interval.
type span struct{ times []time.Time }

func (sp *span) add(ts ...time.Time) {
	for _, t := range ts {
		if !t.IsZero() {
			sp.times = append(sp.times, t)
		}
	}
}

func batchSpan(p preparedBatch) span {
	var sp span
	for i := range p.events {
		e := p.events[i].AgentEvent
		sp.add(e.EventTimestamp, e.StatusStartTimestamp)
	}
	for i := range p.contacts {
		c := p.contacts[i].ContactRecord
		sp.add(c.InitiationTimestamp, c.DisconnectTimestamp)
	}
	return sp
}

// zones returns the report zones: Options.TimeZones, or UTC.
func (s *Store) zones() []*time.Location {
	if len(s.opts.TimeZones) == 0 {
		return []*time.Location{time.UTC}
	}
	return s.opts.TimeZones
}

// missingDays returns, per zone, the local days sp touches that
// report_interval may still lack (not yet written by this process).
func (s *Store) missingDays(sp span) map[*time.Location][]time.Time {
	if len(sp.times) == 0 {
		return nil
	}
	lo, hi := sp.times[0], sp.times[0]
	for _, t := range sp.times {
		if t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	s.coverage.mu.Lock()
	defer s.coverage.mu.Unlock()
	out := map[*time.Location][]time.Time{}
	for _, loc := range s.zones() {
		var days []time.Time
		if hi.Sub(lo) <= maxFilledSpan {
			days = report.Days(lo, hi, loc)
		} else {
			for _, t := range sp.times {
				d, _ := report.Day(t, loc)
				days = append(days, d)
			}
		}
		have := s.coverage.days[loc.String()]
		for _, d := range days {
			if !have[d.Unix()] {
				out[loc] = append(out[loc], d)
			}
		}
	}
	return out
}

// markDays records days as written (after their transaction committed).
func (s *Store) markDays(days map[*time.Location][]time.Time) {
	s.coverage.mu.Lock()
	defer s.coverage.mu.Unlock()
	if s.coverage.days == nil {
		s.coverage.days = map[string]map[int64]bool{}
	}
	for loc, ds := range days {
		m := s.coverage.days[loc.String()]
		if m == nil {
			m = map[int64]bool{}
			s.coverage.days[loc.String()] = m
		}
		for _, d := range ds {
			m[d.Unix()] = true
		}
	}
}

var reportIntervalCols = []string{"time_zone", "interval_start", "interval_end", "local_date", "local_start",
	"local_hour", "iso_weekday", "day_start", "day_end"}

// writeReportDays inserts the report_interval rows of days (existing rows
// stay as they are), computes the agent status days of the days that
// are new (status_day.go) and recomputes agent_day_rollup for them
// (rollup_agentday.go), under the rollups' lock, taken once.
func (s *Store) writeReportDays(ctx context.Context, tx *sql.Tx, days map[*time.Location][]time.Time) error {
	var rows [][]any
	for loc, ds := range days {
		for _, d := range ds {
			for _, r := range report.DayRows(d, loc) {
				rows = append(rows, []any{r.TimeZone, r.IntervalStart, r.IntervalEnd, r.LocalDate, r.LocalStart,
					r.LocalHour, r.ISOWeekday, r.DayStart, r.DayEnd})
			}
		}
	}
	if len(rows) == 0 {
		return nil
	}
	// The rollup lock before the rows: agent_day_rollup's writers see a
	// day's intervals all or none (rollup_agentday.go).
	if err := s.dialect.lockRollups(ctx, tx); err != nil {
		return err
	}
	sd := s.dialect.statusDays()
	var fresh []zoneDay
	if sd != nil {
		var err error
		if fresh, err = sd.absentDays(ctx, tx, days); err != nil {
			return err
		}
	}
	u := upsert{table: "report_interval", cols: reportIntervalCols, keys: reportIntervalCols[:2], ignore: true}
	if err := u.exec(ctx, tx, s.dialect, rows); err != nil {
		return err
	}
	if sd == nil { // no absentDays: every day this process had not written yet
		return rebuildAgentDays(ctx, tx, s.dialect, dayRanges(days))
	}
	if err := sd.fillDays(ctx, tx, fresh); err != nil {
		return err
	}
	// Only the days report_interval lacked: the rollup keeps the others
	// itself (after a restart, every day a process writes is one it had not
	// written yet, but most are stored).
	return rebuildAgentDays(ctx, tx, s.dialect, freshRanges(days, fresh))
}

// freshRanges are the UTC spans of the days of fresh, whose zones are
// among the keys of days.
func freshRanges(days map[*time.Location][]time.Time, fresh []zoneDay) []timeRange {
	locs := map[string]*time.Location{}
	for loc := range days {
		locs[loc.String()] = loc
	}
	out := make([]timeRange, 0, len(fresh))
	for _, d := range fresh {
		_, end := report.Day(d.start, locs[d.zone])
		out = append(out, timeRange{d.start.UTC(), end})
	}
	return out
}

// coverSpan makes report_interval cover sp in its own transaction.
func (s *Store) coverSpan(ctx context.Context, sp span) error {
	days := s.missingDays(sp)
	if len(days) == 0 {
		return nil
	}
	err := s.inTx(ctx, "report intervals", func(tx *sql.Tx) error { return s.writeReportDays(ctx, tx, days) })
	if err == nil {
		s.markDays(days)
	}
	return err
}

// dataSpanQueries select the oldest and newest instant of the stored data,
// each through an index (agent_event has none on its time alone: its span
// is that of the status intervals and agent_state).
var dataSpanQueries = []string{
	"SELECT MIN(start_timestamp), MAX(start_timestamp) FROM agent_status_interval",
	"SELECT MIN(initiation_timestamp), MAX(initiation_timestamp) FROM contact_record",
	"SELECT MIN(interval_start), MAX(interval_start) FROM queue_interval_metric",
	"SELECT MIN(status_start_timestamp), MAX(last_event_timestamp) FROM agent_state",
}

// PrepareReports keeps what the KPI views read from the program: the
// service-level threshold (report_setting), report_interval covering
// the data already stored, for Options.TimeZones, and the rollups built at
// that threshold (rebuilt when it changed, or first filled after migration
// 00010; see rollup.go). Open calls it.
func (s *Store) PrepareReports(ctx context.Context) error {
	sl := s.opts.ServiceLevelSeconds
	if sl == 0 {
		sl = report.DefaultServiceLevelSeconds
	}
	err := s.inTx(ctx, "report settings", func(tx *sql.Tx) error {
		u := upsert{table: "report_setting", cols: []string{"name", "value", "updated_at"}, keys: []string{"name"}}
		return u.exec(ctx, tx, s.dialect, [][]any{{report.SettingServiceLevelSeconds, strconv.Itoa(sl), s.now().UTC()}})
	})
	if err != nil {
		return err
	}
	var sp span
	for _, q := range dataSpanQueries {
		var lo, hi time.Time
		if err := s.db.QueryRowContext(ctx, q).Scan(scanTime{&lo}, scanTime{&hi}); err != nil {
			return fmt.Errorf("report intervals: data span: %w", err)
		}
		sp.add(lo, hi)
	}
	if err := s.coverSpan(ctx, sp); err != nil {
		return err
	}
	return s.keepRollupThreshold(ctx, sl)
}
