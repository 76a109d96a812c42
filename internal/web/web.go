// Package web serves the dashboard: a live wallboard, interval reports and
// the health of the pipeline, as JSON endpoints and a small single page
// (HTML, CSS and vanilla JavaScript embedded in the binary; no build step,
// nothing loaded from elsewhere).
//
// It reads through Reader, which package sqlstore implements on every
// dialect; the web package itself knows no database.
package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// Reader is what the dashboard reads. *sqlstore.Store implements it.
type Reader interface {
	Wallboard(ctx context.Context, q connectreporting.WallboardQuery) (connectreporting.Wallboard, error)
	QueueIntervals(ctx context.Context, q connectreporting.ReportQuery) ([]connectreporting.QueueIntervalRow, error)
	IntervalMetrics(ctx context.Context, q connectreporting.ReportQuery) ([]connectreporting.IntervalMetricRow, error)
	AgentDays(ctx context.Context, q connectreporting.ReportQuery) ([]connectreporting.AgentDayRow, error)
	AgentStatusDays(ctx context.Context, q connectreporting.ReportQuery) ([]connectreporting.AgentStatusDay, error)
	AgentTimeline(ctx context.Context, q connectreporting.ReportQuery) ([]connectreporting.AgentStatusSpan, error)
	Health(ctx context.Context, now time.Time) (connectreporting.Health, error)
}

// MaxReportDays bounds the range of one report.
const MaxReportDays = 62

// Options tune the dashboard.
type Options struct {
	// Location is the default time zone of "today" and of the reports
	// (UTC when nil); the page may pick another of Zones (?tz=).
	Location *time.Location
	// Zones are the zones the KPI views hold rows for (TIME_ZONE; the
	// store keeps report_interval for them); Location is added when absent.
	Zones []*time.Location
	// Refresh is how often the page reloads the wallboard (5 s when zero).
	Refresh time.Duration
	// ServiceLevelSeconds is the default service-level threshold (20 when
	// zero): give the views' (SERVICE_LEVEL_SECONDS); the page may pick
	// another (?sl=).
	ServiceLevelSeconds int
	// QueryTimeout bounds each database read (10 s when zero).
	QueryTimeout time.Duration
	Logger       *slog.Logger
	// Now is the clock (time.Now when nil); tests fix it, and the demo
	// passes the simulator's clock.
	Now func() time.Time
	// Simulated says that Now is a simulated clock (the demo): the page
	// says so.
	Simulated bool
	// ClockRate is how many seconds Now advances per wall-clock second (1
	// when zero; the demo's --speed), so the page's clock keeps pace.
	ClockRate float64
}

// MaxServiceLevelSeconds bounds the ?sl= threshold.
const MaxServiceLevelSeconds = 3600

//go:embed assets
var assets embed.FS

// Handler serves the dashboard.
type Handler struct {
	r    Reader
	opts Options
	mux  *http.ServeMux

	zones map[string]*time.Location

	wallboards *wallboardCache
}

// New returns the dashboard's handler:
//
//	GET /                                  the page
//	GET /static/…                          its CSS and JavaScript
//	GET /api/config                        default time zone, refresh interval, service-level threshold
//	GET /api/wallboard?tz=                 queues, agents, today's figures, health
//	GET /api/reports/queue-intervals?from=&to=&tz=&sl=&period=15|day   kpi_queue_interval / kpi_queue_day
//	GET /api/reports/interval-metrics?from=&to=&tz=                     kpi_connect_queue_interval
//	GET /api/reports/agent-days?from=&to=&tz=                           kpi_agent_day
//	GET /api/reports/agent-status?from=&to=&tz=                         kpi_agent_status_day
//	GET /api/reports/agent-timeline?from=&to=&tz=                       agent_status_interval, cut to the range
//	(every report: &format=csv for a CSV download)
//	GET /healthz                           200 when the database answers, 503 otherwise
func New(r Reader, opts Options) *Handler {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Refresh <= 0 {
		opts.Refresh = 5 * time.Second
	}
	if opts.ServiceLevelSeconds <= 0 {
		opts.ServiceLevelSeconds = 20
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ClockRate <= 0 {
		opts.ClockRate = 1
	}
	h := &Handler{r: r, opts: opts, mux: http.NewServeMux(), zones: map[string]*time.Location{opts.Location.String(): opts.Location},
		wallboards: newWallboardCache(opts.Refresh)}
	for _, z := range opts.Zones {
		h.zones[z.String()] = z
	}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is part of the binary
	}
	files := http.FileServerFS(static)
	h.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, static, "index.html")
	})
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", noDirs(files)))
	h.mux.HandleFunc("GET /api/config", h.config)
	h.mux.HandleFunc("GET /api/wallboard", h.wallboard)
	h.mux.HandleFunc("GET /api/reports/queue-intervals", h.report("queue-intervals", periodAny, rowsOf(r.QueueIntervals)))
	h.mux.HandleFunc("GET /api/reports/interval-metrics", h.report("interval-metrics", periodIntervals, rowsOf(r.IntervalMetrics)))
	h.mux.HandleFunc("GET /api/reports/agent-days", h.report("agent-days", periodDays, rowsOf(r.AgentDays)))
	h.mux.HandleFunc("GET /api/reports/agent-status", h.report("agent-status", periodDays, rowsOf(r.AgentStatusDays)))
	h.mux.HandleFunc("GET /api/reports/agent-timeline", h.report("agent-timeline", periodDays, rowsOf(r.AgentTimeline)))
	h.mux.HandleFunc("GET /healthz", h.healthz)
	return h
}

// noDirs answers 404 for directory listings of the static files.
func noDirs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") || strings.HasSuffix(r.URL.Path, "index.html") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP sets the security headers, serves the request and logs it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	sw := &statusWriter{ResponseWriter: w}
	h.mux.ServeHTTP(sw, r)
	level := slog.LevelDebug
	switch {
	case sw.status >= 500:
		level = slog.LevelError
	case sw.status >= 400 && sw.status != http.StatusNotFound:
		level = slog.LevelWarn
	}
	h.opts.Logger.Log(r.Context(), level, "http request", "method", r.Method, "path", r.URL.Path,
		"status", sw.status, "duration_ms", time.Since(start).Milliseconds())
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w) // escapes <, > and & as \u003c etc.
	_ = enc.Encode(v)
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	writeJSON(w, http.StatusBadRequest, apiError{Error: fmt.Sprintf(format, args...)})
}

// failed logs err and answers 500 without database details.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, what string, err error) {
	status := http.StatusInternalServerError
	msg := what + " failed"
	if errors.Is(err, context.DeadlineExceeded) {
		status, msg = http.StatusServiceUnavailable, what+" timed out"
	}
	h.opts.Logger.ErrorContext(r.Context(), "dashboard read failed", "what", what, "path", r.URL.Path, "err", err)
	writeJSON(w, status, apiError{Error: msg})
}

// zone returns the ?tz= zone or the default one. Only the zones the views
// hold rows for are accepted.
func (h *Handler) zone(r *http.Request) (*time.Location, error) {
	name := r.URL.Query().Get("tz")
	if name == "" {
		return h.opts.Location, nil
	}
	if loc, ok := h.zones[name]; ok {
		return loc, nil
	}
	if len(name) > 64 {
		name = name[:64]
	}
	return nil, fmt.Errorf("time zone %q: the reports have %s (add a zone to TIME_ZONE to report in it)", name, strings.Join(h.zoneNames(), ", "))
}

// zoneNames lists the zones of the reports, sorted.
func (h *Handler) zoneNames() []string {
	out := make([]string, 0, len(h.zones))
	for n := range h.zones {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func (h *Handler) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), h.opts.QueryTimeout)
}

// threshold returns the ?sl= service-level threshold in seconds or the
// default one.
func (h *Handler) threshold(r *http.Request) (int, error) {
	s := r.URL.Query().Get("sl")
	if s == "" {
		return h.opts.ServiceLevelSeconds, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxServiceLevelSeconds {
		return 0, fmt.Errorf("sl %q: want whole seconds from 1 to %d", s, MaxServiceLevelSeconds)
	}
	return n, nil
}

type configResponse struct {
	TimeZone            string    `json:"time_zone"`
	TimeZones           []string  `json:"time_zones"`
	RefreshSeconds      int       `json:"refresh_seconds"`
	ServiceLevelSeconds int       `json:"service_level_seconds"`
	MaxReportDays       int       `json:"max_report_days"`
	Today               string    `json:"today"`
	Now                 time.Time `json:"now"`
	Simulated           bool      `json:"simulated"`
	ClockRate           float64   `json:"clock_rate"`
}

func (h *Handler) config(w http.ResponseWriter, r *http.Request) {
	loc, err := h.zone(r)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	now := h.opts.Now()
	writeJSON(w, http.StatusOK, configResponse{
		TimeZone:            h.opts.Location.String(),
		TimeZones:           h.zoneNames(),
		RefreshSeconds:      max(1, int(h.opts.Refresh.Round(time.Second)/time.Second)),
		ServiceLevelSeconds: h.opts.ServiceLevelSeconds,
		MaxReportDays:       MaxReportDays,
		Today:               now.In(loc).Format(time.DateOnly),
		Now:                 now.UTC(),
		Simulated:           h.opts.Simulated,
		ClockRate:           h.opts.ClockRate,
	})
}

type healthResponse struct {
	Status string                   `json:"status"`
	Error  string                   `json:"error,omitempty"`
	Health *connectreporting.Health `json:"health,omitempty"`
}

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.ctx(r)
	defer cancel()
	hl, err := h.r.Health(ctx, h.opts.Now())
	if err != nil {
		h.opts.Logger.ErrorContext(r.Context(), "health check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, healthResponse{Status: "unavailable", Error: "database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, healthResponse{Status: "ok", Health: &hl})
}

// reportResponse is the envelope of every report.
type reportResponse struct {
	Report        string    `json:"report"`
	TimeZone      string    `json:"time_zone"`
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	PeriodMinutes int       `json:"period_minutes"` // 0: days
	// ServiceLevelSeconds is the threshold of the service-level figures.
	ServiceLevelSeconds int `json:"service_level_seconds"`
	Rows                any `json:"rows"`
}

// parseBound reads a report bound: a date (YYYY-MM-DD, a local day in loc)
// or an RFC 3339 instant. A date as "to" includes that whole day.
func parseBound(s string, loc *time.Location, isTo bool) (time.Time, error) {
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		if isTo {
			d = d.AddDate(0, 0, 1)
		}
		return d.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("want a date (YYYY-MM-DD) or an RFC 3339 time")
	}
	return t.UTC(), nil
}

// parsePeriod reads ?period=: the views hold 15-minute intervals and days.
func parsePeriod(s string) (time.Duration, error) {
	switch s {
	case "15", "15m":
		return 15 * time.Minute, nil
	case "", "day", "0", "1d":
		return 0, nil
	}
	return 0, fmt.Errorf("period %q: want 15 (minutes) or day", s)
}

// periods says which ?period= a report takes.
type periods int

const (
	periodAny       periods = iota // 15 minutes or days
	periodDays                     // days; ?period= is ignored
	periodIntervals                // 15-minute intervals; ?period= is ignored
)

// reportQuery reads the common parameters of a report: ?from=&to= (local
// dates or RFC 3339 instants, default today), ?tz=, ?period= and ?sl=.
func (h *Handler) reportQuery(r *http.Request, p periods) (connectreporting.ReportQuery, error) {
	loc, err := h.zone(r)
	if err != nil {
		return connectreporting.ReportQuery{}, err
	}
	q := r.URL.Query()
	now := h.opts.Now()
	fromS, toS := q.Get("from"), q.Get("to")
	if fromS == "" {
		fromS = now.In(loc).Format(time.DateOnly)
	}
	if toS == "" {
		toS = fromS
	}
	from, err := parseBound(fromS, loc, false)
	if err != nil {
		return connectreporting.ReportQuery{}, fmt.Errorf("from: %w", err)
	}
	to, err := parseBound(toS, loc, true)
	if err != nil {
		return connectreporting.ReportQuery{}, fmt.Errorf("to: %w", err)
	}
	if !from.Before(to) {
		return connectreporting.ReportQuery{}, errors.New("from must be before to")
	}
	if to.Sub(from) > MaxReportDays*25*time.Hour {
		return connectreporting.ReportQuery{}, fmt.Errorf("range longer than %d days", MaxReportDays)
	}
	var period time.Duration
	switch p {
	case periodAny:
		if period, err = parsePeriod(q.Get("period")); err != nil {
			return connectreporting.ReportQuery{}, err
		}
	case periodIntervals:
		period = 15 * time.Minute
	}
	sl, err := h.threshold(r)
	if err != nil {
		return connectreporting.ReportQuery{}, err
	}
	return connectreporting.ReportQuery{From: from, To: to, Location: loc, Period: period, Now: now, ServiceLevelSeconds: sl}, nil
}

// report parses the common parameters and runs one report; ?format=csv
// answers its rows as a CSV download.
func (h *Handler) report(name string, p periods, run func(ctx context.Context, rq connectreporting.ReportQuery) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		format := r.URL.Query().Get("format")
		if format != "" && format != "json" && format != "csv" {
			badRequest(w, "format %q: want json or csv", format)
			return
		}
		rq, err := h.reportQuery(r, p)
		if err != nil {
			badRequest(w, "%v", err)
			return
		}
		ctx, cancel := h.ctx(r)
		defer cancel()
		rows, err := run(ctx, rq)
		if err != nil {
			h.failed(w, r, name+" report", err)
			return
		}
		if format == "csv" {
			h.writeReportCSV(w, r, name, rq, rows)
			return
		}
		writeJSON(w, http.StatusOK, reportResponse{Report: name, TimeZone: rq.Location.String(), From: rq.From, To: rq.To,
			PeriodMinutes: int(rq.Period / time.Minute), ServiceLevelSeconds: rq.ServiceLevelSeconds, Rows: rows})
	}
}

// writeReportCSV answers rows as an attachment named after the report, its
// local dates and its zone.
func (h *Handler) writeReportCSV(w http.ResponseWriter, r *http.Request, name string, rq connectreporting.ReportQuery, rows any) {
	last := rq.To.Add(-time.Nanosecond).In(rq.Location).Format(time.DateOnly)
	file := name + "_" + rq.From.In(rq.Location).Format(time.DateOnly) + "_" + last + "_" +
		strings.NewReplacer("/", "-", "+", "plus").Replace(rq.Location.String()) + ".csv"
	var buf bytes.Buffer
	if err := writeCSV(&buf, rows); err != nil {
		h.failed(w, r, name+" CSV", err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// rowsOf adapts a Reader method to a report: no rows are an empty list.
func rowsOf[T any](read func(context.Context, connectreporting.ReportQuery) ([]T, error)) func(context.Context, connectreporting.ReportQuery) (any, error) {
	return func(ctx context.Context, rq connectreporting.ReportQuery) (any, error) {
		rows, err := read(ctx, rq)
		if rows == nil {
			rows = []T{}
		}
		return rows, err
	}
}

// String describes the handler's settings for the start-up log.
func (h *Handler) String() string {
	return "dashboard (time zone " + h.opts.Location.String() + ", refresh " + strconv.Itoa(int(h.opts.Refresh/time.Second)) + "s)"
}
