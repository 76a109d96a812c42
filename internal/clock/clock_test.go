package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		d       time.Duration
		want    error
		minWait time.Duration
	}{
		{"waits", context.Background(), 20 * time.Millisecond, nil, 20 * time.Millisecond},
		{"zero", context.Background(), 0, nil, 0},
		{"negative", context.Background(), -time.Second, nil, 0},
		{"cancelled before", cancelled, time.Hour, context.Canceled, 0},
		{"cancelled zero", cancelled, 0, context.Canceled, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := Sleep(tc.ctx, tc.d)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Sleep = %v, want %v", err, tc.want)
			}
			if el := time.Since(start); el < tc.minWait || el > time.Minute {
				t.Fatalf("waited %v", el)
			}
		})
	}
}

func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Sleep = %v", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("Sleep did not end with its context: %v", el)
	}
}

func TestWithMargin(t *testing.T) {
	t.Run("no deadline", func(t *testing.T) {
		parent := context.Background()
		c, stop, cancel := WithMargin(parent, time.Second)
		defer cancel()
		if c != parent || !stop.IsZero() {
			t.Fatalf("got %v, stop %v", c, stop)
		}
	})
	for _, tc := range []struct {
		name   string
		margin time.Duration
		want   time.Duration // stop before the parent's deadline
	}{
		{"margin", 10 * time.Second, 10 * time.Second},
		{"zero", 0, 0},
		{"negative", -time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dl := time.Now().Add(time.Hour)
			parent, pcancel := context.WithDeadline(context.Background(), dl)
			defer pcancel()
			c, stop, cancel := WithMargin(parent, tc.margin)
			if got := dl.Sub(stop); got != tc.want {
				t.Fatalf("stop %v before the deadline, want %v", got, tc.want)
			}
			if cdl, ok := c.Deadline(); !ok || !cdl.Equal(stop) {
				t.Fatalf("context deadline %v %v, want %v", cdl, ok, stop)
			}
			cancel()
			if c.Err() == nil || parent.Err() != nil {
				t.Fatal("cancel must end the child only")
			}
		})
	}
	t.Run("past", func(t *testing.T) {
		parent, pcancel := context.WithTimeout(context.Background(), time.Second)
		defer pcancel()
		c, _, cancel := WithMargin(parent, time.Minute)
		defer cancel()
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Fatalf("a margin past the deadline: Err = %v", c.Err())
		}
	})
}

func TestLaterEarlier(t *testing.T) {
	t0 := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	tests := []struct {
		a, b, later, earlier time.Time
	}{
		{t0, t1, t1, t0},
		{t1, t0, t1, t0},
		{t0, t0, t0, t0},
	}
	for _, tt := range tests {
		if got := Later(tt.a, tt.b); !got.Equal(tt.later) {
			t.Errorf("Later(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.later)
		}
		if got := Earlier(tt.a, tt.b); !got.Equal(tt.earlier) {
			t.Errorf("Earlier(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.earlier)
		}
	}
}
