//go:build !lambda

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/connect-reporting/connect-reporting/internal/web"
)

// dashboardAuth reads the dashboard's login from the environment
// (DASHBOARD_TOKEN, or DASHBOARD_USER and DASHBOARD_PASSWORD) and refuses
// an address beyond loopback without one. serve, run and demo call it
// before they open anything.
func (m *Main) dashboardAuth(addr string) (web.Auth, error) {
	a, err := web.AuthFromEnv(m.Getenv)
	if err == nil {
		err = web.CheckExposure(addr, a)
	}
	if err != nil {
		return web.Auth{}, &ExitError{Code: 2, Err: fmt.Errorf("dashboard: %w", err)}
	}
	return a, nil
}

// serveDashboard serves the dashboard h on ln behind the login a.
func (m *Main) serveDashboard(ctx context.Context, ln net.Listener, what string, h http.Handler, a web.Auth) error {
	m.Logger.InfoContext(ctx, "dashboard login", "basic_auth", a.User != "", "bearer_token", a.Token != "")
	return m.serveHTTP(ctx, ln, what, web.RequireAuth(h, a))
}
