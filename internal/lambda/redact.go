package lambda

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// redactor holds the secret the logs must never show; it is set once the
// DSN is known (at start for DB_DSN, after the SSM read otherwise).
type redactor struct{ v atomic.Pointer[Secret] }

func (r *redactor) set(s Secret) { r.v.Store(&s) }

func (r *redactor) redact(msg string) string {
	if p := r.v.Load(); p != nil {
		return p.Redact(msg)
	}
	return msg
}

// redactingHandler rewrites every string in a record (message, attributes,
// errors) with the secret removed before passing it on.
type redactingHandler struct {
	next slog.Handler
	r    *redactor
}

func (h *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return &redactingHandler{next: h.next.WithAttrs(red), r: h.r}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{next: h.next.WithGroup(name), r: h.r}
}

func (h *redactingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, ga := range g {
			out[i] = h.attr(ga)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case Secret:
			return slog.String(a.Key, x.String())
		case error:
			return slog.String(a.Key, h.r.redact(x.Error()))
		case interface{ String() string }:
			return slog.String(a.Key, h.r.redact(x.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
