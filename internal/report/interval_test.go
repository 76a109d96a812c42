package report

import (
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s not available: %v", name, err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestFloor(t *testing.T) {
	for _, tc := range []struct {
		zone, at, want string
	}{
		{"UTC", "2024-03-04T10:07:59Z", "2024-03-04T10:00:00Z"},
		{"UTC", "2024-03-04T10:15:00Z", "2024-03-04T10:15:00Z"},
		{"UTC", "2024-03-04T10:14:59.999Z", "2024-03-04T10:00:00Z"},
		{"UTC", "1969-12-31T23:59:59Z", "1969-12-31T23:45:00Z"}, // negative Unix time
		{"Europe/London", "2024-07-01T09:20:00+01:00", "2024-07-01T09:15:00+01:00"},
		// London spring forward: 01:00 GMT becomes 02:00 BST.
		{"Europe/London", "2024-03-31T00:59:59Z", "2024-03-31T00:45:00Z"},
		{"Europe/London", "2024-03-31T01:00:00Z", "2024-03-31T01:00:00Z"}, // 02:00 BST
		{"Europe/London", "2024-03-31T01:10:00Z", "2024-03-31T01:00:00Z"},
		// London fall back: 01:00-02:00 local happens twice; each occurrence has its own intervals.
		{"Europe/London", "2024-10-27T00:50:00Z", "2024-10-27T00:45:00Z"}, // 01:50 BST
		{"Europe/London", "2024-10-27T01:05:00Z", "2024-10-27T01:00:00Z"}, // 01:05 GMT
		{"Asia/Kolkata", "2024-03-04T10:44:00+05:30", "2024-03-04T10:30:00+05:30"},
		{"Asia/Kolkata", "2024-03-04T05:20:00Z", "2024-03-04T05:15:00Z"}, // 10:50 IST -> 10:45 IST
		{"Asia/Kathmandu", "2024-03-04T10:59:00+05:45", "2024-03-04T10:45:00+05:45"},
		{"Australia/Adelaide", "2024-01-10T09:29:00+10:30", "2024-01-10T09:15:00+10:30"},
		{"Australia/Adelaide", "2024-06-10T09:29:00+09:30", "2024-06-10T09:15:00+09:30"},
		// Adelaide DST ends 2024-04-07 03:00 ACDT -> 02:00 ACST (16:30Z).
		{"Australia/Adelaide", "2024-04-06T16:29:00Z", "2024-04-06T16:15:00Z"},
		{"Australia/Adelaide", "2024-04-06T16:31:00Z", "2024-04-06T16:30:00Z"},
		// Lord Howe shifts by 30 minutes.
		{"Australia/Lord_Howe", "2024-04-06T15:10:00Z", "2024-04-06T15:00:00Z"},
		{"America/St_Johns", "2024-03-04T12:10:00-03:30", "2024-03-04T12:00:00-03:30"},
		{"Pacific/Chatham", "2024-03-04T12:10:00+13:45", "2024-03-04T12:00:00+13:45"},
	} {
		loc := mustLoad(t, tc.zone)
		got := Floor(utc(tc.at), loc)
		if want := utc(tc.want); !got.Equal(want) {
			t.Errorf("Floor(%s, %s) = %s, want %s", tc.at, tc.zone, got.In(loc).Format(time.RFC3339), want.In(loc).Format(time.RFC3339))
		}
		if got.Location() != time.UTC {
			t.Errorf("Floor returns %v, want UTC", got.Location())
		}
		if m := got.In(loc).Minute(); m%15 != 0 || got.In(loc).Second() != 0 {
			t.Errorf("Floor(%s, %s) = %s: not on the local 15-minute grid", tc.at, tc.zone, got.In(loc).Format(time.RFC3339))
		}
		if e := End(got, loc); e.Sub(got) != IntervalLength {
			t.Errorf("End(%s) - start = %s", got, e.Sub(got))
		}
	}
}

func TestCeil(t *testing.T) {
	loc := mustLoad(t, "Asia/Kolkata")
	for _, tc := range []struct{ at, want string }{
		{"2024-03-04T10:30:00+05:30", "2024-03-04T10:30:00+05:30"},
		{"2024-03-04T10:30:01+05:30", "2024-03-04T10:45:00+05:30"},
		{"2024-03-04T10:44:59+05:30", "2024-03-04T10:45:00+05:30"},
	} {
		if got := Ceil(utc(tc.at), loc); !got.Equal(utc(tc.want)) {
			t.Errorf("Ceil(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
}

// TestDayIntervals: a calendar day of the zone has as many 15-minute
// intervals as it has quarter hours: 96, or 92 / 100 on daylight saving
// days (23- and 25-hour days), 94 / 98 where the shift is 30 minutes.
func TestDayIntervals(t *testing.T) {
	for _, tc := range []struct {
		zone, day string
		hours     float64
	}{
		{"UTC", "2024-03-31", 24},
		{"Europe/London", "2024-03-04", 24},
		{"Europe/London", "2024-03-31", 23},
		{"Europe/London", "2024-10-27", 25},
		{"America/New_York", "2024-03-10", 23},
		{"America/New_York", "2024-11-03", 25},
		{"Australia/Adelaide", "2024-04-07", 25},
		{"Australia/Adelaide", "2024-10-06", 23},
		{"Australia/Lord_Howe", "2024-04-07", 24.5},
		{"Australia/Lord_Howe", "2024-10-06", 23.5},
		{"Asia/Kolkata", "2024-03-31", 24},
		{"Asia/Kathmandu", "2024-10-27", 24},
		{"America/St_Johns", "2024-03-10", 23},
		{"Pacific/Chatham", "2024-04-07", 25},
	} {
		loc := mustLoad(t, tc.zone)
		d, err := time.ParseInLocation("2006-01-02", tc.day, loc)
		if err != nil {
			t.Fatal(err)
		}
		start, end := Day(d.Add(12*time.Hour), loc)
		if got := end.Sub(start).Hours(); got != tc.hours {
			t.Errorf("%s %s: day of %v hours, want %v", tc.zone, tc.day, got, tc.hours)
		}
		ivs := Intervals(start, end, loc)
		if want := int(tc.hours * 4); len(ivs) != want {
			t.Errorf("%s %s: %d intervals, want %d", tc.zone, tc.day, len(ivs), want)
			continue
		}
		if !ivs[0].Equal(start) {
			t.Errorf("%s %s: first interval %s, want local midnight %s", tc.zone, tc.day, ivs[0], start)
		}
		seen := map[string]int{}
		for i, s := range ivs {
			lt := s.In(loc)
			if lt.Minute()%15 != 0 || lt.Second() != 0 {
				t.Errorf("%s: interval %s not on the local grid", tc.zone, lt)
			}
			if i > 0 && s.Sub(ivs[i-1]) != IntervalLength {
				t.Errorf("%s: gap before %s", tc.zone, lt)
			}
			if !Floor(s.Add(7*time.Minute), loc).Equal(s) {
				t.Errorf("%s: Floor inside %s", tc.zone, lt)
			}
			seen[lt.Format("15:04")]++
		}
		// On a 25-hour day the repeated local hour gives two intervals per
		// wall-clock label; on a 23-hour day the skipped hour has none.
		twice, missing := 0, 0
		for h := range 24 {
			for m := 0; m < 60; m += 15 {
				switch seen[time.Date(2000, 1, 1, h, m, 0, 0, time.UTC).Format("15:04")] {
				case 0:
					missing++
				case 2:
					twice++
				}
			}
		}
		if diff := twice - missing; diff != len(ivs)-96 {
			t.Errorf("%s %s: %d labels twice, %d missing for %d intervals", tc.zone, tc.day, twice, missing, len(ivs))
		}
	}
}

// TestOddOffset: before 1972 Liberia kept an offset of -0:44:30; an
// interval never spans an offset change, the first after it starts at it.
func TestOddOffset(t *testing.T) {
	loc := mustLoad(t, "Africa/Monrovia")
	change := utc("1972-01-07T00:44:30Z")
	if _, off := change.Add(-time.Second).In(loc).Zone(); off != -(44*60 + 30) {
		t.Skipf("zone data has offset %d before 1972-01-07", off)
	}
	before := Floor(change.Add(-time.Second), loc)
	if e := End(before, loc); !e.Equal(change) {
		t.Errorf("interval before the change ends at %s, want %s", e, change)
	}
	// After it the grid is GMT's: a short interval [00:44:30, 00:45:00) first.
	if got := Floor(change.Add(10*time.Second), loc); !got.Equal(change) {
		t.Errorf("Floor just after the change = %s, want %s", got, change)
	}
	if e := End(change, loc); !e.Equal(utc("1972-01-07T00:45:00Z")) {
		t.Errorf("End of the first interval after the change = %s", e)
	}
	if got := Floor(change.Add(16*time.Minute), loc); !got.Equal(utc("1972-01-07T01:00:00Z")) {
		t.Errorf("Floor after the change = %s", got)
	}
	ivs := Intervals(change.Add(-time.Hour), change.Add(time.Hour), loc)
	for i := 1; i < len(ivs); i++ {
		if !ivs[i].After(ivs[i-1]) || ivs[i].Sub(ivs[i-1]) > IntervalLength {
			t.Errorf("intervals out of order: %v", ivs)
		}
	}
}

func TestLastCompleted(t *testing.T) {
	loc := mustLoad(t, "Asia/Kolkata")
	now := utc("2024-03-04T05:44:10Z") // 11:14:10 IST
	if got := LastCompleted(now, loc); !got.Equal(utc("2024-03-04T05:30:00Z")) {
		t.Errorf("LastCompleted = %s", got)
	}
}
