package daemon_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/daemon"
)

// fakeClock advances only when told to.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

// Advance moves the clock and fires the timers due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
			continue
		}
		keep = append(keep, w)
	}
	c.waiters = keep
}

// BlockUntil waits until n goroutines wait on the clock.
func (c *fakeClock) BlockUntil(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.mu.Lock()
		k := len(c.waiters)
		c.mu.Unlock()
		if k >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines wait on the clock, want %d", k, n)
		}
		time.Sleep(time.Millisecond)
	}
}

type countingPoller struct {
	name  string
	mu    *sync.Mutex
	order *[]string
	runs  atomic.Int64
	err   func(n int64) error
}

func (p *countingPoller) Poll(ctx context.Context) error {
	n := p.runs.Add(1)
	if p.order != nil {
		p.mu.Lock()
		*p.order = append(*p.order, p.name)
		p.mu.Unlock()
	}
	if p.err != nil {
		return p.err(n)
	}
	return nil
}

func runScheduler(t *testing.T, s *daemon.Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func statsOf(s *daemon.Scheduler, name string) daemon.JobStats {
	for _, st := range s.Stats() {
		if st.Name == name {
			return st
		}
	}
	return daemon.JobStats{}
}

func TestSchedulerIntervals(t *testing.T) {
	clock := newFakeClock(time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	var order []string
	fast := &countingPoller{name: "fast", mu: &mu, order: &order}
	slow := &countingPoller{name: "slow", mu: &mu, order: &order, err: func(n int64) error {
		if n == 2 {
			return errors.New("Connect said no")
		}
		return nil
	}}
	s := &daemon.Scheduler{Clock: clock, Logger: testLogger(), Jobs: []daemon.Job{
		{Name: "fast", Poller: fast, Every: 10 * time.Second},
		{Name: "slow", Poller: slow, Every: 25 * time.Second},
	}}
	stop := runScheduler(t, s)
	clock.BlockUntil(t, 2) // both ran once at start and wait
	for i := 0; i < 10; i++ {
		clock.Advance(10 * time.Second)
		clock.BlockUntil(t, 2)
	}
	stop()
	// 100 s: fast at 0, 10, …, 100; slow at 0, 25, 50, 75, 100.
	if got := fast.runs.Load(); got != 11 {
		t.Errorf("fast ran %d times, want 11", got)
	}
	if got := slow.runs.Load(); got != 5 {
		t.Errorf("slow ran %d times, want 5 (an error does not stop it)", got)
	}
	st := statsOf(s, "slow")
	if st.Runs != 5 || st.Failures != 1 || st.LastError != "" {
		t.Errorf("slow stats %+v", st)
	}
	// Runs fired by one Advance are concurrent; across Advances they are in
	// time order: slow's 2nd run (t=25, fired with fast's t=30 run) comes
	// after fast's 3rd (t=20) and before fast's 5th (t=40).
	idx := func(name string, n int) int {
		k := 0
		for i, o := range order {
			if o == name {
				k++
				if k == n {
					return i
				}
			}
		}
		return -1
	}
	if !(idx("fast", 3) < idx("slow", 2) && idx("slow", 2) < idx("fast", 5)) {
		t.Errorf("runs out of time order: %v", order)
	}
}

// blockPoller blocks every run until released, and counts overlaps.
type blockPoller struct {
	running, maxRunning atomic.Int64
	runs                atomic.Int64
	entered             chan struct{}
	release             chan struct{}
}

func (p *blockPoller) Poll(ctx context.Context) error {
	n := p.running.Add(1)
	defer p.running.Add(-1)
	for {
		m := p.maxRunning.Load()
		if n <= m || p.maxRunning.CompareAndSwap(m, n) {
			break
		}
	}
	p.runs.Add(1)
	p.entered <- struct{}{}
	select {
	case <-p.release:
	case <-ctx.Done():
	}
	return nil
}

func TestSchedulerNeverOverlaps(t *testing.T) {
	clock := newFakeClock(time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC))
	p := &blockPoller{entered: make(chan struct{}, 10), release: make(chan struct{})}
	s := &daemon.Scheduler{Clock: clock, Logger: testLogger(), Jobs: []daemon.Job{{Name: "slow", Poller: p, Every: time.Second}}}
	stop := runScheduler(t, s)
	<-p.entered
	clock.Advance(5500 * time.Millisecond) // five ticks pass while the first run is busy
	p.release <- struct{}{}
	clock.BlockUntil(t, 1) // waits for t=6s
	clock.Advance(500 * time.Millisecond)
	<-p.entered
	p.release <- struct{}{}
	clock.BlockUntil(t, 1)
	stop()
	if p.maxRunning.Load() != 1 {
		t.Errorf("%d runs at once", p.maxRunning.Load())
	}
	if p.runs.Load() != 2 {
		t.Errorf("%d runs, want 2 (the ticks missed are not made up)", p.runs.Load())
	}
	if st := statsOf(s, "slow"); st.Overrun != 5 {
		t.Errorf("overrun %d, want 5", st.Overrun)
	}
}

func TestSchedulerBusinessHours(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip(err)
	}
	// Friday 29 March 2024 17:00 London (UTC); the clocks go forward on
	// Sunday 31 March, so Monday's 08:00 is 07:00 UTC.
	clock := newFakeClock(time.Date(2024, 3, 29, 17, 0, 0, 0, london))
	p := &countingPoller{}
	hours := &daemon.BusinessHours{Location: london, Start: 8 * time.Hour, End: 18 * time.Hour}
	s := &daemon.Scheduler{Clock: clock, Logger: testLogger(), Jobs: []daemon.Job{{Name: "rt", Poller: p, Every: 30 * time.Minute, Hours: hours}}}
	stop := runScheduler(t, s)
	clock.BlockUntil(t, 1)
	// Through to Monday 09:00 London: ticks every 30 min.
	end := time.Date(2024, 4, 1, 9, 0, 0, 0, london)
	for clock.Now().Before(end) {
		clock.Advance(30 * time.Minute)
		clock.BlockUntil(t, 1)
	}
	stop()
	// Friday 17:00 and 17:30; Monday 08:00, 08:30, 09:00.
	if got := p.runs.Load(); got != 5 {
		t.Errorf("%d runs, want 5", got)
	}
	st := statsOf(s, "rt")
	if st.Runs+st.OutOfHours == 0 || st.Runs != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestBusinessHoursContains(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	day := &daemon.BusinessHours{Location: ny, Days: []time.Weekday{time.Monday, time.Saturday}, Start: 9 * time.Hour, End: 17*time.Hour + 30*time.Minute}
	night := &daemon.BusinessHours{Location: ny, Days: []time.Weekday{time.Friday}, Start: 22 * time.Hour, End: 6 * time.Hour}
	for _, c := range []struct {
		b    *daemon.BusinessHours
		t    time.Time
		want bool
	}{
		{day, time.Date(2024, 3, 11, 9, 0, 0, 0, ny), true}, // Monday after the DST change
		{day, time.Date(2024, 3, 11, 8, 59, 59, 0, ny), false},
		{day, time.Date(2024, 3, 11, 17, 29, 0, 0, ny), true},
		{day, time.Date(2024, 3, 11, 17, 30, 0, 0, ny), false},
		{day, time.Date(2024, 3, 12, 10, 0, 0, 0, ny), false}, // Tuesday
		{day, time.Date(2024, 3, 9, 10, 0, 0, 0, ny), true},   // Saturday
		{day, time.Date(2024, 3, 11, 13, 0, 0, 0, time.UTC), true},
		{night, time.Date(2024, 3, 8, 23, 0, 0, 0, ny), true}, // Friday night
		{night, time.Date(2024, 3, 9, 5, 59, 0, 0, ny), true}, // Saturday morning, window began Friday
		{night, time.Date(2024, 3, 9, 6, 0, 0, 0, ny), false},
		{night, time.Date(2024, 3, 8, 5, 0, 0, 0, ny), false}, // Friday morning: Thursday's window, not set
		{night, time.Date(2024, 3, 9, 23, 0, 0, 0, ny), false},
	} {
		if got := c.b.Contains(c.t); got != c.want {
			t.Errorf("%v in %+v: %v, want %v", c.t, c.b, got, c.want)
		}
	}
	def := &daemon.BusinessHours{Start: 0, End: 24 * time.Hour}
	if !def.Contains(time.Date(2024, 3, 11, 23, 59, 0, 0, time.UTC)) || def.Contains(time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)) {
		t.Error("default days are Monday to Friday, all day")
	}
}

func TestSchedulerRejectsBadJobs(t *testing.T) {
	s := &daemon.Scheduler{Jobs: []daemon.Job{{Name: "a", Every: 0}, {Name: "a", Poller: &countingPoller{}, Every: time.Second}}}
	err := s.Run(context.Background())
	if err == nil || !containsAll(err.Error(), "no poller", "not positive", "twice") {
		t.Errorf("Run = %v", err)
	}
}

func TestSchedulerPanicIsAFailure(t *testing.T) {
	clock := newFakeClock(time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC))
	s := &daemon.Scheduler{Clock: clock, Logger: testLogger(), Jobs: []daemon.Job{{Name: "p", Every: time.Minute,
		Poller: daemon.PollerFunc(func(context.Context) error { panic("boom") })}}}
	stop := runScheduler(t, s)
	clock.BlockUntil(t, 1)
	clock.Advance(time.Minute)
	clock.BlockUntil(t, 1)
	stop()
	if st := statsOf(s, "p"); st.Runs != 2 || st.Failures != 2 || !containsAll(st.LastError, "boom") {
		t.Errorf("stats %+v", st)
	}
}
