//go:build ingestdev

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

type Options struct {
	Storage         string
	StoreHeartbeats bool
	Logger          *slog.Logger
	MaxOpenConns    int
}

type Store struct {
	db      *sql.DB
	dialect string
	opts    Options
}

func (s *Store) DB() *sql.DB     { return s.db }
func (s *Store) Dialect() string { return s.dialect }
func (s *Store) Close() error    { return s.db.Close() }

func (s *Store) storeHeartbeats() bool { return s.opts.StoreHeartbeats }
func (s *Store) logger() *slog.Logger {
	if s.opts.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s.opts.Logger
}

const devCoreSQL = `
CREATE TABLE agent_event (event_id TEXT PRIMARY KEY, event_type TEXT NOT NULL, event_timestamp TS NOT NULL, agent_id TEXT, agent_arn TEXT, username TEXT, status_name TEXT, status_type TEXT, status_start_timestamp TS, routing_profile_id TEXT, contact_count INTEGER, raw JSONT);
CREATE TABLE agent_state (agent_id TEXT PRIMARY KEY, agent_arn TEXT, username TEXT, status_name TEXT, status_type TEXT, status_start_timestamp TS, routing_profile_id TEXT, contact_count INTEGER, last_event_timestamp TS, last_event_type TEXT, last_event_id TEXT);
CREATE TABLE contact_record (contact_id TEXT PRIMARY KEY, initial_contact_id TEXT, previous_contact_id TEXT, next_contact_id TEXT, channel TEXT, initiation_method TEXT, initiation_timestamp TS, connected_to_system_timestamp TS, disconnect_timestamp TS, disconnect_reason TEXT, last_update_timestamp TS, queue_id TEXT, queue_name TEXT, enqueue_timestamp TS, dequeue_timestamp TS, queue_duration_seconds BIGINT, agent_id TEXT, agent_username TEXT, connected_to_agent_timestamp TS, agent_interaction_duration_seconds BIGINT, customer_hold_duration_seconds BIGINT, after_contact_work_duration_seconds BIGINT, number_of_holds BIGINT, customer_endpoint TEXT, system_endpoint TEXT, raw JSONT);
CREATE TABLE contact_attribute (contact_id TEXT NOT NULL, name TEXT NOT NULL, value TEXT, PRIMARY KEY (contact_id, name));
CREATE TABLE rejected_record (id IDCOL, source TEXT NOT NULL, partition_key TEXT, sequence_number TEXT, received_at TS NOT NULL, error TEXT NOT NULL, payload BYTES);
`

// devOpen opens a dev database with a guessed core schema plus 00002.
func devOpen(ctx context.Context, driver, dsn string, opts Options) (*Store, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	dialect := "postgres"
	r := strings.NewReplacer("TS", "timestamptz", "JSONT", "jsonb", "IDCOL", "bigserial PRIMARY KEY", "BYTES", "bytea")
	mig := "postgres/migrations/00002_ingest.sql"
	if driver == "sqlite" {
		dialect = "sqlite"
		db.SetMaxOpenConns(1)
		r = strings.NewReplacer("TS", "TEXT", "JSONT", "TEXT", "IDCOL", "INTEGER PRIMARY KEY", "BYTES", "BLOB")
		mig = "sqlite/migrations/00002_ingest.sql"
	}
	for _, st := range strings.Split(r.Replace(devCoreSQL), ";") {
		if strings.TrimSpace(st) == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, st); err != nil {
			return nil, fmt.Errorf("%s: %w", st, err)
		}
	}
	m, err := os.ReadFile(mig)
	if err != nil {
		return nil, err
	}
	up := strings.Split(string(m), "-- +goose Down")[0]
	parts := strings.Split(up, "-- +goose StatementBegin")
	for _, st := range strings.Split(parts[0], ";\n") {
		if strings.TrimSpace(strings.ReplaceAll(st, "-- +goose Up", "")) == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, st); err != nil {
			return nil, fmt.Errorf("%s: %w", st, err)
		}
	}
	view := strings.Split(parts[1], "-- +goose StatementEnd")[0]
	if _, err := db.ExecContext(ctx, view); err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	return &Store{db: db, dialect: dialect, opts: opts}, nil
}
