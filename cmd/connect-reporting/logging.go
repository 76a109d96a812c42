package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/logging"
)

// Logs are for people on a terminal (the compact text of humanHandler) and
// JSON where a machine reads them (Lambda, the daemon `run`). --log-format
// (every command has it) beats LOG_FORMAT, which beats the command's
// default; likewise LOG_LEVEL beats a command's default level.

// setLogger makes m.Logger in the format and at the level the command line
// and the environment ask for, else defFormat and defLevel. A Logger the
// caller of Run set is kept.
func (m *Main) setLogger(defFormat, defLevel string) {
	if m.loggerGiven {
		return
	}
	m.flushLogs()
	m.logDefaults = [2]string{defFormat, defLevel}
	m.Logger = newLogger(m.Stderr, firstSet(m.Getenv("LOG_LEVEL"), defLevel), firstSet(m.logFormat, m.Getenv("LOG_FORMAT"), defFormat))
}

// flushLogs writes the human handler's count of the lines it left out.
func (m *Main) flushLogs() {
	if m.Logger == nil {
		return
	}
	if h, ok := m.Logger.Handler().(*humanHandler); ok {
		h.out.flush()
	}
}

// newLogger returns a logger writing to w: JSON when format is "json" or
// empty, the compact text of humanHandler when it is "text".
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		lv = slog.LevelInfo
	}
	if strings.EqualFold(format, "text") {
		return slog.New(&humanHandler{out: &humanOut{w: w, seen: map[string]int{}}, level: lv})
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv}))
}

// humanRepeats is how many lines with the same level and message the human
// handler writes; it counts the rest and says how many it left out.
const humanRepeats = 3

// humanHandler writes one short line per record for a person:
// "15:04:05 WARN  record rejected source=ctr error=…". After humanRepeats
// lines with one message it only counts them (47 rejected records make 3
// lines and a count, not 47 lines).
type humanHandler struct {
	out   *humanOut
	level slog.Leveler
	attrs string // WithAttrs, formatted
	group string // WithGroup prefix, "g."
}

// humanOut is the writer and the repeat counts the handlers derived from
// one humanHandler share.
type humanOut struct {
	mu   sync.Mutex
	w    io.Writer
	seen map[string]int
	keys []string
}

func (h *humanHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *humanHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	if !r.Time.IsZero() {
		b.WriteString(r.Time.Format("15:04:05 "))
	}
	fmt.Fprintf(&b, "%-5s %s%s", r.Level.String(), r.Message, h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendHumanAttr(&b, h.group, a)
		return true
	})
	b.WriteByte('\n')
	key := r.Level.String() + " " + r.Message
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	if h.out.seen[key] == 0 {
		h.out.keys = append(h.out.keys, key)
	}
	h.out.seen[key]++
	if h.out.seen[key] > humanRepeats {
		return nil
	}
	_, err := io.WriteString(h.out.w, b.String())
	return err
}

func (h *humanHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	for _, a := range as {
		appendHumanAttr(&b, h.group, a)
	}
	c := *h
	c.attrs += b.String()
	return &c
}

func (h *humanHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group += name + "."
	return &c
}

// flush says, once, how many lines of each message were left out.
func (o *humanOut) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, k := range o.keys {
		if n := o.seen[k] - humanRepeats; n > 0 {
			fmt.Fprintf(o.w, "%d more %q lines not shown (--log-format json shows every one)\n", n, k)
		}
		o.seen[k] = 0
	}
	o.keys = nil
}

func appendHumanAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			appendHumanAttr(b, p, g)
		}
		return
	}
	var v string
	switch a.Value.Kind() {
	case slog.KindTime:
		v = a.Value.Time().Format(time.RFC3339)
	case slog.KindDuration: // to the millisecond: 31ms, not 31.27508ms
		if d := a.Value.Duration(); d >= time.Millisecond {
			v = d.Round(time.Millisecond).String()
		} else {
			v = d.String()
		}
	default:
		v = a.Value.String()
	}
	if v == "" || strings.ContainsAny(v, " =\"\n\t") || !strconv.CanBackquote(v) {
		v = strconv.Quote(v)
	}
	b.WriteString(" " + prefix + a.Key + "=" + v)
}

// sdkLogger routes the AWS SDK's own log lines (such as "falling back to
// IMDSv1") to slog at debug level: they are for whoever debugs the SDK, not
// for a person running a command.
type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	if l.log == nil {
		return
	}
	l.log.Debug(fmt.Sprintf(format, v...), "source", "aws-sdk", "classification", string(c))
}

var _ logging.Logger = sdkLogger{}

// logFormats are the values --log-format takes.
var logFormats = []string{"text", "json"}

func validLogFormat(f string) bool { return f == "" || slices.Contains(logFormats, f) }
