package lambda

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	// The provided.al2023 image is minimal; embed the zone database so
	// TIME_ZONE works wherever the binary runs.
	_ "time/tzdata"

	"github.com/connect-reporting/connect-reporting/internal/secret"
)

// Config is the function's configuration, read from the environment. The
// names match the earlier deployment's, so an existing function keeps its
// environment.
type Config struct {
	// Handler is the canonical handler name (from _HANDLER).
	Handler string
	// Storage is the SQL dialect: "sqlserver" (STORAGE unset, the earlier
	// deployment's default), "postgres" (pgsql, postgresql, postgres) or "sqlite".
	Storage string
	// SQLParam is the name of the SSM parameter holding the connection string
	// (SQL_PARAM). Read with decryption, once per container.
	SQLParam string
	// DSN is the connection string: DB_DSN when set (local use), otherwise
	// the value of SQLParam once read. Never logged.
	DSN Secret
	// InstanceID is the Amazon Connect instance id or ARN (INSTANCE_ID);
	// required by the pollers.
	InstanceID string
	// Delay is the pause between polls or API calls (DELAY, seconds).
	Delay time.Duration
	// TimeZone is the contact centre's zone (TIME_ZONE, IANA; default UTC).
	TimeZone *time.Location
	// StoreHeartbeats is STORE_HEARTBEATS=true: HEART_BEAT agent events are
	// kept as agent_event rows (by default they only refresh agent_state).
	StoreHeartbeats bool
	// LogLevel is LOG_LEVEL (or Lambda's AWS_LAMBDA_LOG_LEVEL), default info.
	LogLevel slog.Level
	// Logger is the function's JSON logger (set by the Runtime before the
	// Factory runs); it redacts the DSN from every record.
	Logger *slog.Logger
}

// Default delays, when DELAY is unset.
const (
	DefaultRealtimeDelay = 5 * time.Second        // between real-time polls
	DefaultAPIDelay      = 500 * time.Millisecond // between configuration API calls (2/s in all)
)

// DefaultDelay is the delay used by handler when DELAY is unset.
func DefaultDelay(handler string) time.Duration {
	if handler == OnboardObservations {
		return DefaultRealtimeDelay
	}
	return DefaultAPIDelay
}

// LoadConfig reads and validates the configuration from getenv. It reads no
// secret: when the DSN comes from SSM, Config.DSN is empty until Resolve.
func LoadConfig(getenv func(string) string) (Config, error) {
	var cfg Config
	var errs []error

	h, err := NormalizeHandler(getenv("_HANDLER"))
	if err != nil {
		// Without a valid handler nothing else matters.
		return cfg, err
	}
	cfg.Handler = h

	cfg.Storage, err = ParseStorage(getenv("STORAGE"))
	if err != nil {
		errs = append(errs, err)
	}

	cfg.SQLParam = strings.TrimSpace(getenv("SQL_PARAM"))
	cfg.DSN = Secret(strings.TrimSpace(getenv("DB_DSN")))
	if cfg.SQLParam == "" && cfg.DSN == "" {
		errs = append(errs, errors.New("SQL_PARAM (name of the SSM parameter holding the connection string) or DB_DSN must be set"))
	}

	cfg.InstanceID = strings.TrimSpace(getenv("INSTANCE_ID"))
	if cfg.InstanceID == "" && NeedsInstance(h) {
		errs = append(errs, fmt.Errorf("INSTANCE_ID (the Amazon Connect instance id) must be set for %s", h))
	}

	cfg.Delay = DefaultDelay(h)
	if v := strings.TrimSpace(getenv("DELAY")); v != "" {
		d, err := ParseDelay(v)
		if err != nil {
			errs = append(errs, err)
		} else {
			cfg.Delay = d
		}
	}

	cfg.TimeZone, err = ParseTimeZone(getenv("TIME_ZONE"))
	if err != nil {
		errs = append(errs, err)
	}

	if v := strings.TrimSpace(getenv("STORE_HEARTBEATS")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("STORE_HEARTBEATS=%q: want true or false", v))
		}
		cfg.StoreHeartbeats = b
	}

	level := getenv("LOG_LEVEL")
	if level == "" {
		level = getenv("AWS_LAMBDA_LOG_LEVEL")
	}
	cfg.LogLevel, err = ParseLogLevel(level)
	if err != nil {
		errs = append(errs, err)
	}
	return cfg, errors.Join(errs...)
}

// ParseStorage maps STORAGE to a dialect name: "sqlserver", "postgres" or "sqlite".
func ParseStorage(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "sqlserver", "mssql", "sql server":
		return "sqlserver", nil
	case "pgsql", "postgresql", "postgres":
		return "postgres", nil
	case "sqlite", "sqlite3":
		return "sqlite", nil
	}
	return "", fmt.Errorf("STORAGE=%q: want unset (SQL Server), pgsql, postgresql, postgres or sqlite", s)
}

// ParseDelay reads DELAY: a number of seconds ("5", "0.5") or a Go duration ("500ms").
func ParseDelay(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		d = time.Duration(f * float64(time.Second))
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("DELAY=%q: want seconds (e.g. 5 or 0.5) or a duration (e.g. 500ms)", s)
	}
	if d < 0 || d > 15*time.Minute {
		return 0, fmt.Errorf("DELAY=%q: must be between 0 and 900 seconds", s)
	}
	return d, nil
}

// windowsZones maps the Windows zone ids a .NET deployment may have used to
// IANA names.
var windowsZones = map[string]string{
	"utc":                            "UTC",
	"gmt standard time":              "Europe/London",
	"aus eastern standard time":      "Australia/Sydney",
	"e. australia standard time":     "Australia/Brisbane",
	"cen. australia standard time":   "Australia/Adelaide",
	"aus central standard time":      "Australia/Darwin",
	"w. australia standard time":     "Australia/Perth",
	"tasmania standard time":         "Australia/Hobart",
	"new zealand standard time":      "Pacific/Auckland",
	"eastern standard time":          "America/New_York",
	"central standard time":          "America/Chicago",
	"mountain standard time":         "America/Denver",
	"pacific standard time":          "America/Los_Angeles",
	"w. europe standard time":        "Europe/Berlin",
	"romance standard time":          "Europe/Paris",
	"singapore standard time":        "Asia/Singapore",
	"india standard time":            "Asia/Kolkata",
	"tokyo standard time":            "Asia/Tokyo",
	"south africa standard time":     "Africa/Johannesburg",
	"greenwich standard time":        "Atlantic/Reykjavik",
	"central europe standard time":   "Europe/Budapest",
	"e. south america standard time": "America/Sao_Paulo",
}

// ParseTimeZone reads TIME_ZONE: an IANA name ("Australia/Sydney"); empty
// means UTC. The Windows ids of a .NET deployment ("AUS Eastern Standard
// Time") are mapped to their IANA zone.
func ParseTimeZone(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.UTC, nil
	}
	name := s
	if iana, ok := windowsZones[strings.ToLower(s)]; ok {
		name = iana
	}
	if name == "Local" {
		return nil, fmt.Errorf("TIME_ZONE=%q: give an IANA zone such as Australia/Sydney", s)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("TIME_ZONE=%q: not an IANA time zone (e.g. Australia/Sydney, Europe/London): %v", s, err)
	}
	return loc, nil
}

// ParseLogLevel reads LOG_LEVEL: debug, info (default), warn or error
// (Lambda's TRACE and FATAL map to debug and error).
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug", "trace":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error", "fatal":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", s)
}

// Secret is a value that must never be logged or printed: every formatting
// path (String, GoString, LogValue, MarshalJSON) prints a placeholder. Reveal
// returns the value itself.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return s.String() }

// LogValue keeps slog from printing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON keeps encoding/json from printing the value.
func (s Secret) MarshalJSON() ([]byte, error) { return strconv.AppendQuote(nil, s.String()), nil }

// Redact replaces every occurrence in msg of the secret, and of the
// passwords it contains (in their URL-escaped forms too), with a
// placeholder (secret.Hide). Drivers sometimes echo a connection string in
// their errors; this keeps such an error out of the logs.
func (s Secret) Redact(msg string) string {
	return secret.Hide(msg, redacted, append([]string{string(s)}, secret.Passwords(string(s))...)...)
}
