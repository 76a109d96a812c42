//go:build !lambda

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"
	_ "time/tzdata" // time zones for the dashboard's selector on hosts without zoneinfo

	"github.com/connect-reporting/connect-reporting/internal/sqlstore"
	"github.com/connect-reporting/connect-reporting/internal/web"
)

// daemonDashboard serves the dashboard for `run` (dashboard.addr set) on the
// daemon's store, in the daemon's time_zone, until ctx is cancelled.
func daemonDashboard(ctx context.Context, m *Main, addr string, env *daemonEnv) error {
	loc, err := env.cfg.Location()
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	auth, err := m.dashboardAuth(addr)
	if err != nil {
		return err
	}
	ln, err := m.listen(addr, "dashboard", "set another dashboard.addr in the configuration")
	if err != nil {
		return err
	}
	return m.serveDashboard(ctx, ln, "dashboard", newDashboard(env.store, web.Options{Location: loc, Logger: m.Logger}), auth)
}

// newDashboard returns the dashboard on store s with opts ("today" and the
// reports in opts.Location, the wallboard refreshed every opts.Refresh, 5 s
// when zero), offering the zones and the service-level threshold the store
// keeps the KPI views for (TIME_ZONE, SERVICE_LEVEL_SECONDS). serve, demo
// and run serve the same handler.
func newDashboard(s *sqlstore.Store, opts web.Options) http.Handler {
	opts.Zones, opts.ServiceLevelSeconds = s.ReportOptions()
	return web.New(s, opts)
}

// dashboardZone is the --time-zone flag, defaulting to TIME_ZONE, then UTC.
func (m *Main) dashboardZone(name string) (*time.Location, error) {
	if name == "" {
		name = m.Getenv("TIME_ZONE")
	}
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("time zone %q: want an IANA name such as Europe/London", name)
	}
	return loc, nil
}

// listen listens on addr for what; an address in use gets a hint at how to
// choose another.
func (m *Main) listen(addr, what, hint string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%s: %s is in use by another program: %s", what, addr, hint)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", what, addr, err)
	}
	return ln, nil
}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully. It
// prints "<what>: http://ADDR/" on stdout first.
func (m *Main) serveHTTP(ctx context.Context, ln net.Listener, what string, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(m.Stdout, "%s: %s\n", what, url)
	m.Logger.InfoContext(ctx, "serving", "what", what, "url", url)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("%s: %w", what, err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	m.Logger.Info("stopped serving", "what", what)
	return err
}

func runServe(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("serve", "serve --db DSN [--addr 127.0.0.1:8080] [--time-zone ZONE] [--refresh 5s]")
	db := m.dbFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address the dashboard listens on (beyond loopback it needs DASHBOARD_TOKEN or DASHBOARD_USER/DASHBOARD_PASSWORD)")
	tz := fs.String("time-zone", "", "IANA time zone of \"today\" and of the reports (default $TIME_ZONE, else UTC)")
	refresh := fs.Duration("refresh", 5*time.Second, "how often the page reloads the wallboard")
	if pos, err := m.parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError("serve", "unexpected arguments %q", pos)
	}
	loc, err := m.dashboardZone(*tz)
	if err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("--time-zone: %w", err)}
	}
	if *refresh < time.Second {
		return &ExitError{Code: 2, Err: errors.New("--refresh: at least 1s")}
	}
	auth, err := m.dashboardAuth(*addr)
	if err != nil {
		return err
	}
	ln, err := m.listen(*addr, "dashboard", "choose another with --addr, e.g. --addr 127.0.0.1:8081")
	if err != nil {
		return err
	}
	defer ln.Close()
	s, err := m.openStore(ctx, *db, sqlstore.Options{TimeZones: []*time.Location{loc}})
	if err != nil {
		return err
	}
	return m.serveDashboard(ctx, ln, "dashboard", newDashboard(s, web.Options{Location: loc, Logger: m.Logger, Refresh: *refresh}), auth)
}
