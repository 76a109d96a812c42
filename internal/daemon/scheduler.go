package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"
)

// Poller is one run of a poller (the realtime, historical and config
// pollers all have this method).
type Poller interface {
	Poll(ctx context.Context) error
}

// PollerFunc adapts a function to Poller.
type PollerFunc func(ctx context.Context) error

// Poll calls f.
func (f PollerFunc) Poll(ctx context.Context) error { return f(ctx) }

// Job is a poller and its schedule.
type Job struct {
	Name   string
	Poller Poller
	// Every is the interval between the starts of two runs. A run that takes
	// longer delays the next one (runs of one job never overlap); the ticks
	// it overran are skipped, not made up.
	Every time.Duration
	// Timeout bounds one run (0: no bound other than shutdown).
	Timeout time.Duration
	// Hours, when set, limits the runs to business hours: a tick outside
	// them is skipped.
	Hours *BusinessHours
}

// BusinessHours is a weekly window in a time zone: the hours between Start
// and End (offsets from local midnight, wall clock, so DST days keep them)
// on the given days. A window with End before Start runs past midnight
// and belongs to the day it starts on.
type BusinessHours struct {
	Location *time.Location // default UTC
	Days     []time.Weekday // default Monday to Friday
	Start    time.Duration  // e.g. 8h
	End      time.Duration  // e.g. 18h; 24h is midnight at the end of the day
}

// Contains reports whether t falls in the window.
func (b *BusinessHours) Contains(t time.Time) bool {
	loc := b.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	tod := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	day := func(d time.Weekday) bool {
		if len(b.Days) == 0 {
			return d >= time.Monday && d <= time.Friday
		}
		return slices.Contains(b.Days, d)
	}
	if b.Start <= b.End {
		return day(lt.Weekday()) && tod >= b.Start && tod < b.End
	}
	// Past midnight: the evening part today, or the morning part of a
	// window that began yesterday.
	return (tod >= b.Start && day(lt.Weekday())) || (tod < b.End && day((lt.Weekday()+6)%7))
}

// Clock is the scheduler's time source (tests use a fake one).
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// JobStats counts a job's runs.
type JobStats struct {
	Name         string
	Runs         int // runs started
	Failures     int // runs that returned an error (or panicked)
	OutOfHours   int // ticks skipped outside business hours
	Overrun      int // ticks skipped because a run took longer than Every
	LastStart    time.Time
	LastDuration time.Duration
	LastError    string
}

// Scheduler runs jobs on their intervals until its context is cancelled.
// Every job runs first when Run starts (inside its hours), then every
// Every. Errors are logged and counted; the job carries on.
type Scheduler struct {
	Jobs   []Job
	Logger *slog.Logger
	Clock  Clock // default the wall clock

	mu    sync.Mutex
	stats map[string]*JobStats
}

func (s *Scheduler) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Scheduler) clock() Clock {
	if s.Clock != nil {
		return s.Clock
	}
	return realClock{}
}

// Stats returns every job's counters, by name.
func (s *Scheduler) Stats() []JobStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]JobStats, 0, len(s.stats))
	for _, st := range s.stats {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *Scheduler) update(name string, f func(*JobStats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats[name]
	if st == nil {
		st = &JobStats{Name: name}
		s.stats[name] = st
	}
	f(st)
}

// Run runs the jobs until ctx is cancelled, waits for the runs in progress
// (they see ctx cancelled) and returns nil; it returns an error at once
// when a job is not valid.
func (s *Scheduler) Run(ctx context.Context) error {
	var errs []error
	names := map[string]bool{}
	for i, j := range s.Jobs {
		switch {
		case j.Name == "":
			errs = append(errs, fmt.Errorf("job %d: no name", i))
		case names[j.Name]:
			errs = append(errs, fmt.Errorf("job %q given twice", j.Name))
		}
		names[j.Name] = true
		if j.Poller == nil {
			errs = append(errs, fmt.Errorf("job %q: no poller", j.Name))
		}
		if j.Every <= 0 {
			errs = append(errs, fmt.Errorf("job %q: interval %v is not positive", j.Name, j.Every))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("daemon: scheduler: %w", err)
	}
	s.mu.Lock()
	if s.stats == nil {
		s.stats = map[string]*JobStats{}
	}
	s.mu.Unlock()
	for _, j := range s.Jobs {
		s.update(j.Name, func(*JobStats) {})
	}
	var wg sync.WaitGroup
	for _, j := range s.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.loop(ctx, j)
		}()
	}
	wg.Wait()
	return nil
}

func (s *Scheduler) loop(ctx context.Context, j Job) {
	clock := s.clock()
	log := s.log().With("poller", j.Name)
	log.Info("poller scheduled", "every", j.Every.String(), "business_hours", j.Hours != nil)
	next := clock.Now()
	for {
		if d := next.Sub(clock.Now()); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-clock.After(d):
			}
		}
		if ctx.Err() != nil {
			return
		}
		if j.Hours != nil && !j.Hours.Contains(clock.Now()) {
			s.update(j.Name, func(st *JobStats) { st.OutOfHours++ })
			log.Debug("outside business hours; run skipped")
		} else {
			s.runOnce(ctx, j, log)
		}
		next = next.Add(j.Every)
		if now := clock.Now(); !next.After(now) {
			missed := int(now.Sub(next)/j.Every) + 1
			next = next.Add(time.Duration(missed) * j.Every)
			s.update(j.Name, func(st *JobStats) { st.Overrun += missed })
			log.Warn("poller run took longer than its interval; ticks skipped", "skipped", missed)
		}
	}
}

func (s *Scheduler) runOnce(ctx context.Context, j Job, log *slog.Logger) {
	start := s.clock().Now()
	wall := time.Now()
	s.update(j.Name, func(st *JobStats) { st.Runs++; st.LastStart = start })
	rctx := ctx
	if j.Timeout > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, j.Timeout)
		defer cancel()
	}
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("poller panicked: %v", p)
			}
		}()
		return j.Poller.Poll(rctx)
	}()
	dur := time.Since(wall)
	if err != nil && ctx.Err() != nil {
		log.Info("poller run stopped by shutdown", "duration_ms", dur.Milliseconds())
		s.update(j.Name, func(st *JobStats) { st.LastDuration = dur })
		return
	}
	s.update(j.Name, func(st *JobStats) {
		st.LastDuration = dur
		st.LastError = ""
		if err != nil {
			st.Failures++
			st.LastError = err.Error()
		}
	})
	if err != nil {
		log.Error("poller run failed; it runs again at its next interval", "error", err, "duration_ms", dur.Milliseconds())
		return
	}
	log.Info("poller run done", "duration_ms", dur.Milliseconds())
}
