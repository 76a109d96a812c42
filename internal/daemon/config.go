package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// Config is the daemon's configuration file (YAML, or JSON when the file
// ends in .json or starts with "{"). deploy/daemon.example.yaml documents
// every field. Unknown fields are errors.
type Config struct {
	LogLevel  string `yaml:"log_level" json:"log_level"`   // debug, info (default), warn, error; LOG_LEVEL wins
	LogFormat string `yaml:"log_format" json:"log_format"` // json (default) or text; LOG_FORMAT wins

	Database DatabaseConfig `yaml:"database" json:"database"`

	InstanceID string    `yaml:"instance_id" json:"instance_id"` // Connect instance id (or ARN); needed by the pollers
	Region     string    `yaml:"region" json:"region"`           // AWS region (default: the SDK's, e.g. AWS_REGION)
	TimeZone   string    `yaml:"time_zone" json:"time_zone"`     // IANA zone of the contact centre (default UTC)
	Delay      Duration  `yaml:"delay" json:"delay"`             // DELAY: pause between Connect API rounds (default 15s)
	Endpoints  Endpoints `yaml:"endpoints" json:"endpoints"`

	Streams  []StreamConfig `yaml:"streams" json:"streams"`
	Consumer ConsumerConfig `yaml:"consumer" json:"consumer"`

	Pollers       map[string]PollerConfig `yaml:"pollers" json:"pollers"`
	BusinessHours *BusinessHoursConfig    `yaml:"business_hours" json:"business_hours"`

	Dashboard DashboardConfig `yaml:"dashboard" json:"dashboard"`

	// Maintenance, when present, runs retention and index maintenance
	// (connect-reporting maintain) on a schedule.
	Maintenance *MaintenanceConfig `yaml:"maintenance" json:"maintenance"`
}

// DatabaseConfig names the database.
type DatabaseConfig struct {
	// DSN: sqlite:PATH, postgres://…, sqlserver://… or an ADO.NET/Npgsql
	// string. Default: the variable DSNEnv names, else DB_DSN.
	DSN             string `yaml:"dsn" json:"dsn"`
	DSNEnv          string `yaml:"dsn_env" json:"dsn_env"`
	Storage         string `yaml:"storage" json:"storage"`                   // STORAGE, for keyword strings (default $STORAGE)
	StoreHeartbeats bool   `yaml:"store_heartbeats" json:"store_heartbeats"` // keep HEART_BEAT agent events as rows
	BatchSize       int    `yaml:"batch_size" json:"batch_size"`             // records per transaction (default 500)
}

// Endpoints override the AWS endpoints (kinesalite, LocalStack, the
// simulator). Empty means the SDK's default, which honours
// AWS_ENDPOINT_URL_KINESIS and AWS_ENDPOINT_URL_CONNECT.
type Endpoints struct {
	Kinesis string `yaml:"kinesis" json:"kinesis"`
	Connect string `yaml:"connect" json:"connect"`
}

// StreamConfig is one stream to consume.
type StreamConfig struct {
	Name             string `yaml:"name" json:"name"`                           // name or ARN
	Source           string `yaml:"source" json:"source"`                       // agent-events or ctr
	StartingPosition string `yaml:"starting_position" json:"starting_position"` // TRIM_HORIZON (default) or LATEST
}

// ConsumerConfig tunes the Kinesis consumer (every field has a default).
type ConsumerConfig struct {
	Limit         int      `yaml:"limit" json:"limit"`                   // records per GetRecords (default 10000)
	IdleWait      Duration `yaml:"idle_wait" json:"idle_wait"`           // after an empty read (default 1s)
	ShardRefresh  Duration `yaml:"shard_refresh" json:"shard_refresh"`   // shard discovery (default 1m)
	RetryBackoff  Duration `yaml:"retry_backoff" json:"retry_backoff"`   // first retry delay (default 1s)
	MaxBackoff    Duration `yaml:"max_backoff" json:"max_backoff"`       // (default 30s)
	ShutdownGrace Duration `yaml:"shutdown_grace" json:"shutdown_grace"` // (default 30s)
	StatsInterval Duration `yaml:"stats_interval" json:"stats_interval"` // progress lines (default 1m)
	LeaseDuration Duration `yaml:"lease_duration" json:"lease_duration"` // shard lease lifetime unrenewed (default 10s)
	WorkerID      string   `yaml:"worker_id" json:"worker_id"`           // this daemon's name in the leases (default host-pid-random)
}

// PollerConfig schedules one poller. A poller runs only when listed.
type PollerConfig struct {
	Every         Duration `yaml:"every" json:"every"`                   // default: realtime = delay, historical 5m, config 1h
	Timeout       Duration `yaml:"timeout" json:"timeout"`               // bound of one run (default none)
	BusinessHours bool     `yaml:"business_hours" json:"business_hours"` // run only inside business_hours
	Disabled      bool     `yaml:"disabled" json:"disabled"`
}

// BusinessHoursConfig is the window pollers marked business_hours run in.
type BusinessHoursConfig struct {
	Days     []string `yaml:"days" json:"days"`           // mon…sun or full names (default mon-fri)
	Start    string   `yaml:"start" json:"start"`         // "08:00"
	End      string   `yaml:"end" json:"end"`             // "18:00"; "24:00" is midnight; before start = overnight
	TimeZone string   `yaml:"time_zone" json:"time_zone"` // default the top-level time_zone
}

// MaintenanceConfig schedules `connect-reporting maintain`.
type MaintenanceConfig struct {
	Every    Duration `yaml:"every" json:"every"`         // default 24h
	RawDays  int      `yaml:"raw_days" json:"raw_days"`   // set raw to NULL after this many days (0: keep)
	KeepDays int      `yaml:"keep_days" json:"keep_days"` // delete stream rows and snapshots after this many days (0: keep)
	Disabled bool     `yaml:"disabled" json:"disabled"`
}

// JobMaintain is the scheduler's name of the maintenance job.
const JobMaintain = "maintain"

// DefaultMaintenanceInterval is how often maintenance runs by default.
const DefaultMaintenanceInterval = 24 * time.Hour

// DashboardConfig serves the dashboard when Addr is set.
type DashboardConfig struct {
	Addr string `yaml:"addr" json:"addr"` // e.g. ":8080"; empty: no dashboard
}

// Poller names the configuration knows.
const (
	PollerRealtime   = "realtime"
	PollerHistorical = "historical"
	PollerConfigSync = "config"
)

// DefaultIntervals are the pollers' default intervals.
var DefaultIntervals = map[string]time.Duration{
	PollerRealtime:   15 * time.Second,
	PollerHistorical: 5 * time.Minute,
	PollerConfigSync: time.Hour,
}

// Duration is a time.Duration written as "15s", "5m", "1h30m", or a number
// of seconds.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func parseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (say 15s, 5m, 1h, or a number of seconds)", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML reads "15s" or 15.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration must be a scalar (15s, 5m, 1h)", n.Line)
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// UnmarshalJSON reads "15s" or 15.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// LoadConfig reads, completes (environment, defaults) and validates the
// configuration file at path. getenv reads the environment (os.Getenv
// when nil).
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	format := "yaml"
	if strings.EqualFold(filepath.Ext(path), ".json") || bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		format = "json"
	}
	c, err := ParseConfig(data, format)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.ApplyEnv(getenv)
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes a configuration ("yaml" or "json"), rejecting
// unknown fields. It neither applies the environment nor validates.
func ParseConfig(data []byte, format string) (*Config, error) {
	var c Config
	switch format {
	case "json":
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, err
		}
	case "yaml", "yml":
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown format %q (yaml or json)", format)
	}
	return &c, nil
}

// ApplyEnv fills what the file leaves to the environment: the DSN (from
// database.dsn_env, else DB_DSN) and STORAGE.
func (c *Config) ApplyEnv(getenv func(string) string) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if c.Database.DSN == "" {
		name := c.Database.DSNEnv
		if name == "" {
			name = "DB_DSN"
		}
		c.Database.DSN = getenv(name)
	}
	if c.Database.Storage == "" {
		c.Database.Storage = getenv("STORAGE")
	}
}

// Validate checks the configuration and says what is wrong with each field.
// Each check in configChecks looks at one part, in the order the errors are reported.
func (c *Config) Validate() error {
	var p problems
	for _, check := range configChecks {
		check(c, &p)
	}
	return errors.Join(p...)
}

// problems collects the errors Validate finds.
type problems []error

// bad adds the error "field: message".
func (p *problems) bad(field, format string, a ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
}

// configChecks are Validate's checks, in the order their errors are reported.
var configChecks = []func(*Config, *problems){
	(*Config).checkLogging,
	(*Config).checkDatabase,
	(*Config).checkEndpoints,
	(*Config).checkStreams,
	(*Config).checkConsumer,
	(*Config).checkPollers,
	(*Config).checkRunnable,
}

func (c *Config) checkLogging(p *problems) {
	switch strings.ToLower(c.LogLevel) {
	case "", "debug", "info", "warn", "warning", "error":
	default:
		p.bad("log_level", "%q is not debug, info, warn or error", c.LogLevel)
	}
	switch strings.ToLower(c.LogFormat) {
	case "", "json", "text":
	default:
		p.bad("log_format", "%q is not json or text", c.LogFormat)
	}
}

func (c *Config) checkDatabase(p *problems) {
	if c.Database.DSN == "" {
		env := c.Database.DSNEnv
		if env == "" {
			env = "DB_DSN"
		}
		p.bad("database.dsn", "no database: set dsn, or the environment variable %s", env)
	}
	if c.Database.BatchSize < 0 {
		p.bad("database.batch_size", "%d is negative", c.Database.BatchSize)
	}
	if _, err := c.Location(); err != nil {
		p.bad("time_zone", "%v", err)
	}
}

func (c *Config) checkEndpoints(p *problems) {
	for _, e := range []struct{ field, url string }{{"endpoints.kinesis", c.Endpoints.Kinesis}, {"endpoints.connect", c.Endpoints.Connect}} {
		if e.url != "" && !strings.HasPrefix(e.url, "http://") && !strings.HasPrefix(e.url, "https://") {
			p.bad(e.field, "%q is not an http:// or https:// URL", e.url)
		}
	}
}

func (c *Config) checkStreams(p *problems) {
	seen := map[string]bool{}
	for i, s := range c.Streams {
		f := fmt.Sprintf("streams[%d]", i)
		if s.Name == "" {
			p.bad(f+".name", "missing (the stream's name or ARN)")
		} else if seen[StreamName(s.Name)] {
			p.bad(f+".name", "stream %q is listed twice", s.Name)
		}
		seen[StreamName(s.Name)] = true
		switch s.Source {
		case connectreporting.SourceAgentEvents, connectreporting.SourceCTR:
		case "":
			p.bad(f+".source", "missing (%s or %s)", connectreporting.SourceAgentEvents, connectreporting.SourceCTR)
		default:
			p.bad(f+".source", "%q is not %s or %s", s.Source, connectreporting.SourceAgentEvents, connectreporting.SourceCTR)
		}
		switch strings.ToUpper(s.StartingPosition) {
		case "", StartTrimHorizon, StartLatest:
		default:
			p.bad(f+".starting_position", "%q is not TRIM_HORIZON or LATEST", s.StartingPosition)
		}
	}
}

func (c *Config) checkConsumer(p *problems) {
	if c.Consumer.Limit < 0 || c.Consumer.Limit > DefaultLimit {
		p.bad("consumer.limit", "%d is not between 1 and %d", c.Consumer.Limit, DefaultLimit)
	}
	for _, d := range []struct {
		f string
		v Duration
	}{{"delay", c.Delay}, {"consumer.idle_wait", c.Consumer.IdleWait}, {"consumer.shard_refresh", c.Consumer.ShardRefresh},
		{"consumer.retry_backoff", c.Consumer.RetryBackoff}, {"consumer.max_backoff", c.Consumer.MaxBackoff},
		{"consumer.shutdown_grace", c.Consumer.ShutdownGrace}, {"consumer.stats_interval", c.Consumer.StatsInterval},
		{"consumer.lease_duration", c.Consumer.LeaseDuration}} {
		if d.v < 0 {
			p.bad(d.f, "%v is negative", d.v.D())
		}
	}
}

// checkPollers checks each poller, in name order.
func (c *Config) checkPollers(p *problems) {
	names := make([]string, 0, len(c.Pollers))
	for n := range c.Pollers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		pc := c.Pollers[n]
		f := "pollers." + n
		if _, ok := DefaultIntervals[n]; !ok {
			p.bad(f, "unknown poller (realtime, historical or config)")
			continue
		}
		if pc.Every < 0 {
			p.bad(f+".every", "%v is negative", pc.Every.D())
		}
		if pc.Timeout < 0 {
			p.bad(f+".timeout", "%v is negative", pc.Timeout.D())
		}
		if pc.BusinessHours && c.BusinessHours == nil {
			p.bad(f+".business_hours", "true, but there is no business_hours section")
		}
	}
}

// enabledPollers counts the known pollers that are not disabled.
func (c *Config) enabledPollers() int {
	enabled := 0
	for n, pc := range c.Pollers {
		if _, ok := DefaultIntervals[n]; ok && !pc.Disabled {
			enabled++
		}
	}
	return enabled
}

// checkRunnable checks maintenance, what the pollers need, and that there is something to run.
func (c *Config) checkRunnable(p *problems) {
	enabled := c.enabledPollers()
	if m := c.Maintenance; m != nil && (m.Every < 0 || m.RawDays < 0 || m.KeepDays < 0) {
		p.bad("maintenance", "every, raw_days and keep_days are 0 or more")
	}
	if enabled > 0 && c.InstanceID == "" {
		p.bad("instance_id", "missing; the pollers need the Connect instance id")
	}
	if c.BusinessHours != nil {
		if _, err := c.Hours(); err != nil {
			*p = append(*p, err)
		}
	}
	if len(c.Streams) == 0 && enabled == 0 && (c.Maintenance == nil || c.Maintenance.Disabled) {
		*p = append(*p, errors.New("nothing to run: no streams, no pollers and no maintenance"))
	}
}

// Location is the time zone of time_zone (UTC when unset).
func (c *Config) Location() (*time.Location, error) {
	if c.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("%q is not an IANA time zone (like Europe/London)", c.TimeZone)
	}
	return loc, nil
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) < 3 {
		return 0, false
	}
	d, ok := weekdays[s[:3]]
	if !ok {
		return 0, false
	}
	// "mon" or "monday", nothing else.
	if len(s) > 3 && !strings.EqualFold(s, d.String()) {
		return 0, false
	}
	return d, true
}

func parseClock(s string) (time.Duration, error) {
	var h, m int
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d", &h, &m); err != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day like 08:00 (00:00 to 24:00)", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// Hours returns the business hours window (nil when there is none).
func (c *Config) Hours() (*BusinessHours, error) {
	b := c.BusinessHours
	if b == nil {
		return nil, nil
	}
	var errs []error
	bh := &BusinessHours{}
	for _, d := range b.Days {
		wd, ok := parseWeekday(d)
		if !ok {
			errs = append(errs, fmt.Errorf("business_hours.days: %q is not a weekday (mon … sun)", d))
			continue
		}
		bh.Days = append(bh.Days, wd)
	}
	var err, startErr, endErr error
	if bh.Start, startErr = parseClock(b.Start); startErr != nil {
		errs = append(errs, fmt.Errorf("business_hours.start: %w", startErr))
	}
	if bh.End, endErr = parseClock(b.End); endErr != nil {
		errs = append(errs, fmt.Errorf("business_hours.end: %w", endErr))
	}
	if startErr == nil && endErr == nil && bh.Start == bh.End {
		errs = append(errs, fmt.Errorf("business_hours: start and end are both %s: an empty window", b.Start))
	}
	zone := b.TimeZone
	if zone == "" {
		zone = c.TimeZone
	}
	bh.Location = time.UTC
	if zone != "" {
		if bh.Location, err = time.LoadLocation(zone); err != nil {
			errs = append(errs, fmt.Errorf("business_hours.time_zone: %q is not an IANA time zone", zone))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return bh, nil
}

// ConsumerStreams returns the streams as the Consumer takes them.
func (c *Config) ConsumerStreams() []Stream {
	out := make([]Stream, 0, len(c.Streams))
	for _, s := range c.Streams {
		out = append(out, Stream{Name: s.Name, Source: s.Source, StartingPosition: strings.ToUpper(s.StartingPosition)})
	}
	return out
}

// Apply sets the consumer tuning of the configuration on cons.
func (c *ConsumerConfig) Apply(cons *Consumer) {
	cons.Limit = int32(c.Limit)
	cons.IdleWait = c.IdleWait.D()
	cons.ShardRefresh = c.ShardRefresh.D()
	cons.RetryBackoff = c.RetryBackoff.D()
	cons.MaxBackoff = c.MaxBackoff.D()
	cons.ShutdownGrace = c.ShutdownGrace.D()
	cons.StatsInterval = c.StatsInterval.D()
	cons.LeaseDuration = c.LeaseDuration.D()
	cons.WorkerID = c.WorkerID
}

// Schedule is one enabled poller's schedule.
type Schedule struct {
	Name    string
	Every   time.Duration
	Timeout time.Duration
	Hours   *BusinessHours // nil: always
}

// Schedules returns the enabled pollers' schedules, by name, with the
// defaults filled in. The configuration must be valid.
func (c *Config) Schedules() []Schedule {
	hours, _ := c.Hours()
	var out []Schedule
	for _, n := range []string{PollerRealtime, PollerHistorical, PollerConfigSync} {
		p, ok := c.Pollers[n]
		if !ok || p.Disabled {
			continue
		}
		every := p.Every.D()
		if every == 0 && n == PollerRealtime && c.Delay > 0 {
			every = c.Delay.D()
		}
		if every == 0 {
			every = DefaultIntervals[n]
		}
		s := Schedule{Name: n, Every: every, Timeout: p.Timeout.D()}
		if p.BusinessHours {
			s.Hours = hours
		}
		out = append(out, s)
	}
	if m := c.Maintenance; m != nil && !m.Disabled {
		out = append(out, Schedule{Name: JobMaintain, Every: orDur(m.Every.D(), DefaultMaintenanceInterval)})
	}
	return out
}
