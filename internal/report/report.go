// Package report holds the report rules every part of connect-reporting
// shares: the one time-zone bucketing (15-minute intervals and local days of
// a zone, DST-safe), the rows of report_interval the KPI views join, and the
// KPI definitions (service-level threshold and comparison, which contacts
// count where). The SQL views (internal/sqlstore migrations 00006), the
// historical poller and the dashboard use these; docs/reports.md states each
// definition with its Amazon Connect source.
package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultServiceLevelSeconds is the service-level threshold when
// SERVICE_LEVEL_SECONDS is unset.
const DefaultServiceLevelSeconds = 20

// SettingServiceLevelSeconds is the report_setting row holding the
// threshold the views use (sl_threshold_seconds).
const SettingServiceLevelSeconds = "service_level_seconds"

// AnsweredWithin reports whether a contact answered after queueSeconds
// counts as answered within the service level: Connect compares "less
// than" the threshold (GetMetricDataV2 Threshold Comparison LT).
func AnsweredWithin(queueSeconds float64, thresholdSeconds int) bool {
	return queueSeconds < float64(thresholdSeconds)
}

// ServiceLevelPct is the service level in percent: contacts answered within
// the threshold over contacts that left the queue (answered, abandoned or
// otherwise removed), as Connect's SERVICE_LEVEL; ok is false when no
// contact left the queue.
func ServiceLevelPct(answeredWithin, leftQueue int) (pct float64, ok bool) {
	if leftQueue == 0 {
		return 0, false
	}
	return 100 * float64(answeredWithin) / float64(leftQueue), true
}

// ParseServiceLevelSeconds reads SERVICE_LEVEL_SECONDS: a whole number of
// seconds from 1 to 604800 (the range GetMetricDataV2 accepts); empty means
// the default.
func ParseServiceLevelSeconds(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultServiceLevelSeconds, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 604800 {
		return 0, fmt.Errorf("service level seconds %q: want a whole number from 1 to 604800", s)
	}
	return n, nil
}

// ParseZones reads TIME_ZONE: one IANA zone or a comma-separated list;
// empty means UTC. Duplicates are dropped, order kept.
func ParseZones(s string) ([]*time.Location, error) {
	var out []*time.Location
	seen := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		loc, err := time.LoadLocation(name)
		if err != nil {
			return nil, fmt.Errorf("time zone %q: %w", name, err)
		}
		seen[name] = true
		out = append(out, loc)
	}
	if len(out) == 0 {
		out = append(out, time.UTC)
	}
	return out, nil
}

// IntervalRow is one row of report_interval: a 15-minute interval of a zone.
type IntervalRow struct {
	TimeZone      string
	IntervalStart time.Time // UTC
	IntervalEnd   time.Time // UTC
	LocalDate     string    // YYYY-MM-DD
	LocalStart    string    // YYYY-MM-DD HH:MM:SS, the zone's wall clock
	LocalHour     int
	ISOWeekday    int       // 1 Monday .. 7 Sunday
	DayStart      time.Time // UTC start of the local day
	DayEnd        time.Time // UTC end of the local day
}

// DayRows returns the rows of report_interval for the local day of loc
// holding t: 92, 96 or 100 intervals (DST days have 23 or 25 hours).
func DayRows(t time.Time, loc *time.Location) []IntervalRow {
	ds, de := Day(t, loc)
	date := ds.In(loc).Format(time.DateOnly)
	var out []IntervalRow
	for s := ds; s.Before(de); s = End(s, loc) {
		l := s.In(loc)
		wd := int(l.Weekday())
		if wd == 0 {
			wd = 7
		}
		out = append(out, IntervalRow{
			TimeZone: loc.String(), IntervalStart: s, IntervalEnd: End(s, loc),
			LocalDate: date, LocalStart: l.Format(time.DateTime), LocalHour: l.Hour(), ISOWeekday: wd,
			DayStart: ds, DayEnd: de,
		})
	}
	return out
}

// Days returns the start (UTC) of every local day of loc that holds an
// instant of [from, to] (both included), in order.
func Days(from, to time.Time, loc *time.Location) []time.Time {
	if to.Before(from) {
		return nil
	}
	var out []time.Time
	for d, _ := Day(from, loc); !d.After(to); {
		out = append(out, d)
		_, d = Day(d, loc)
	}
	return out
}
