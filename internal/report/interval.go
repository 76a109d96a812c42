package report

import "time"

// IntervalLength is the length of the intervals the poller stores: Amazon
// Connect's FIFTEEN_MIN interval period.
const IntervalLength = 15 * time.Minute

const intervalSeconds = int64(IntervalLength / time.Second)

// Floor returns the start (in UTC) of the 15-minute interval of loc that
// holds t. Intervals start at :00, :15, :30 and :45 of loc's wall clock.
//
// Every offset in use today (including Asia/Kolkata's +05:30, Asia/Kathmandu's
// +05:45 and Australia/Lord_Howe's 30-minute daylight saving shift) is a
// multiple of 15 minutes, so the local grid and the UTC grid coincide and a
// daylight saving day simply has 92 or 100 intervals instead of 96. For an
// offset that is no multiple of 15 minutes (historical local mean times), an
// interval never spans an offset change: the first interval after a change
// starts at the change.
func Floor(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	_, off := lt.Zone()
	local := t.Unix() + int64(off) // seconds since the epoch on loc's wall clock
	start := time.Unix(local-mod(local, intervalSeconds)-int64(off), 0).UTC()
	if zs, _ := lt.ZoneBounds(); !zs.IsZero() && start.Before(zs) {
		start = zs.UTC()
	}
	return start
}

// Ceil returns the start of the first interval of loc that starts at or
// after t: t itself when t is an interval boundary.
func Ceil(t time.Time, loc *time.Location) time.Time {
	f := Floor(t, loc)
	if f.Equal(t) {
		return f
	}
	return End(f, loc)
}

// End returns the end of the interval of loc starting at start (a value
// Floor returned): the next :00/:15/:30/:45 of loc's wall clock, normally
// start + 15 minutes, or the next offset change when that comes first.
func End(start time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	lt := start.In(loc)
	_, off := lt.Zone()
	local := start.Unix() + int64(off)
	end := time.Unix(local-mod(local, intervalSeconds)+intervalSeconds-int64(off), 0).UTC()
	if _, ze := lt.ZoneBounds(); !ze.IsZero() && ze.Before(end) {
		end = ze.UTC()
	}
	return end
}

// Intervals returns the starts of the intervals of loc that start in
// [from, to), in order.
func Intervals(from, to time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	for s := Ceil(from, loc); s.Before(to); s = End(s, loc) {
		out = append(out, s)
	}
	return out
}

// LastCompleted returns the end of the last interval of loc that has
// completely passed at now (the start of the interval holding now).
func LastCompleted(now time.Time, loc *time.Location) time.Time { return Floor(now, loc) }

// Day returns the bounds [start, end) of the calendar day of loc holding t,
// in UTC: 23, 24 or 25 hours (or 23.5 / 24.5 on Lord Howe Island).
func Day(t time.Time, loc *time.Location) (start, end time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	y, m, d := lt.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC(), time.Date(y, m, d+1, 0, 0, 0, 0, loc).UTC()
}

func mod(a, b int64) int64 {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}
