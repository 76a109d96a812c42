// Package sqlstore implements the store interfaces of connectreporting on
// SQL: SQLite (modernc.org/sqlite, pure Go), PostgreSQL (pgx) and SQL Server
// (go-mssqldb). One implementation serves every dialect; what differs is
// asked of the store's dialect (dialect.go: one type per dialect, in
// dialect_sqlite.go, dialect_postgres.go and dialect_sqlserver.go), whose
// schema is in the dialect packages' embedded migrations. It is the only
// package that imports database drivers.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"  // driver "pgx"
	_ "github.com/microsoft/go-mssqldb" // driver "sqlserver"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // driver "sqlite"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// Options tune a Store.
type Options struct {
	// Storage is the STORAGE setting, deciding the dialect of keyword
	// (ADO.NET / Npgsql) connection strings; unset means SQL Server.
	Storage string
	// StoreHeartbeats keeps HEART_BEAT agent events as agent_event rows;
	// by default they only refresh agent_state.
	StoreHeartbeats bool
	// SkipMigrate opens the database without migrating it.
	SkipMigrate bool
	// MaxOpenConns caps the pool (0: the dialect's default; SQLite is one writer).
	MaxOpenConns int
	Logger       *slog.Logger
	// TimeZones are the TIME_ZONE zones report_interval covers (none: UTC).
	TimeZones []*time.Location
	// ServiceLevelSeconds is the SERVICE_LEVEL_SECONDS threshold the KPI
	// views use (0: report.DefaultServiceLevelSeconds).
	ServiceLevelSeconds int
}

// Store is a connectreporting.Store on a SQL database.
type Store struct {
	db      *sql.DB
	dialect dialect
	// sqliteConn is the driver connection string of a SQLite store, which
	// names its start lock (sqlite_lock.go).
	sqliteConn string
	opts       Options
	now        func() time.Time
	coverage   reportCoverage
	parts      pgKnownParts // PostgreSQL: the agent_event_part rows its batches stored
}

var _ connectreporting.Store = (*Store)(nil)

// Open connects to the database the connection string names (see
// ParseDSN), checks it answers, and migrates it to the current schema
// unless opts.SkipMigrate is set.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	d, err := ParseDSN(dsn, opts.Storage)
	if err != nil {
		return nil, err
	}
	dl, err := dialectNamed(d.Dialect)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(d.Driver, d.Conn)
	if err != nil {
		return nil, scrubErr(fmt.Errorf("open %s database %s: %w", d.Dialect, d.Redacted, err), d.password)
	}
	if opts.MaxOpenConns > 0 {
		db.SetMaxOpenConns(opts.MaxOpenConns)
	} else {
		db.SetMaxOpenConns(dl.defaultMaxOpenConns())
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, dialect: dl, opts: opts, now: time.Now}
	if err := dl.ping(ctx, s, d); err != nil {
		db.Close()
		return nil, scrubErr(fmt.Errorf("connect to %s database %s: %w", d.Dialect, d.Redacted, err), d.password)
	}
	if err := dl.checkServer(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.SkipMigrate {
		if _, err := s.Migrate(ctx); err != nil {
			db.Close()
			return nil, scrubErr(err, d.password)
		}
		if err := s.PrepareReports(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

// DB is the underlying pool, for reports and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect is DialectSQLite, DialectPostgres or DialectSQLServer.
func (s *Store) Dialect() string { return s.dialect.String() }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) storeHeartbeats() bool { return s.opts.StoreHeartbeats }

func (s *Store) logger() *slog.Logger {
	if s.opts.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s.opts.Logger
}

// MigrationResult is one migration Migrate applied.
type MigrationResult struct {
	Version  int64
	Source   string
	Duration time.Duration
}

// Migrate applies every pending migration of the dialect and returns what it
// applied (nothing when the schema is current). Concurrent migrations of one
// database wait for each other: an advisory lock on PostgreSQL, an
// application lock on SQL Server, a lock file beside a SQLite database
// (sqlite_lock.go).
func (s *Store) Migrate(ctx context.Context) ([]MigrationResult, error) {
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate %s schema: %w", s.dialect, err)
	}
	out := make([]MigrationResult, 0, len(res))
	for _, r := range res {
		out = append(out, MigrationResult{Version: r.Source.Version, Source: r.Source.Path, Duration: r.Duration})
		s.logger().DebugContext(ctx, "applied migration", "dialect", s.dialect.String(), "version", r.Source.Version, "file", r.Source.Path)
	}
	if len(out) > 0 {
		s.logger().InfoContext(ctx, "schema migrated", "dialect", s.dialect.String(), "applied", len(out), "version", out[len(out)-1].Version)
	}
	return out, nil
}

// SchemaVersion is the newest applied migration (0 when none).
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := s.provider()
	if err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

func (s *Store) provider() (*goose.Provider, error) {
	fsys, gd := s.dialect.migrations()
	locker, err := s.dialect.migrationLock(s)
	if err != nil {
		return nil, err
	}
	// Out of order: helpers working in parallel reserve migration numbers
	// and may land them in another order (00011 landed before 00010); a
	// database already past a number still gets the missing migration.
	p, err := goose.NewProvider(gd, s.db, fsys, goose.WithDisableGlobalRegistry(true), goose.WithAllowOutofOrder(true), locker)
	if err != nil {
		return nil, fmt.Errorf("migrations of %s: %w", s.dialect, err)
	}
	return p, nil
}

// MigrationSQL returns the embedded migration files of a dialect by name, for
// tests and for operators who apply the schema by hand.
func MigrationSQL(dialect string) (map[string]string, error) {
	d, err := dialectNamed(dialect)
	if err != nil {
		return nil, err
	}
	fsys, _ := d.migrations()
	out := map[string]string{}
	err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		out[path] = string(b)
		return err
	})
	return out, err
}
