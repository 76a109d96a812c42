// Package clock holds the time helpers every poller, the
// Connect client and the simulated API share: Sleep, and WithMargin, the
// deadline of an invocation less the time kept free to finish; and Later and
// Earlier, for clipping spans to a report's bounds.
package clock

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends, and then returns ctx.Err(): nil when the
// whole d passed with ctx still live. d <= 0 does not wait.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return ctx.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WithMargin returns a context that ends margin before ctx's deadline, and
// that time (stop). Without a deadline on ctx it returns ctx itself and a
// zero stop. The cancel function must be called, as for
// context.WithDeadline. A negative margin counts as zero.
func WithMargin(ctx context.Context, margin time.Duration) (c context.Context, stop time.Time, cancel context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx, time.Time{}, func() {}
	}
	stop = dl.Add(-max(margin, 0))
	c, cancel = context.WithDeadline(ctx, stop)
	return c, stop, cancel
}

// Later returns the later of a and b (b when they are equal).
func Later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Earlier returns the earlier of a and b (b when they are equal).
func Earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
