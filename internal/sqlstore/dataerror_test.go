package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

func TestAsDataError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		data bool
	}{
		{"pg check violation", &pgconn.PgError{Code: "23514"}, true},
		{"pg not null", &pgconn.PgError{Code: "23502"}, true},
		{"pg value too long", &pgconn.PgError{Code: "22001"}, true},
		{"pg numeric overflow", &pgconn.PgError{Code: "22003"}, true},
		{"pg invalid text", &pgconn.PgError{Code: "22P02"}, true},
		{"pg index row too large", &pgconn.PgError{Code: "54000"}, true},
		{"pg deadlock", &pgconn.PgError{Code: "40P01"}, false},
		{"pg admin shutdown", &pgconn.PgError{Code: "57P01"}, false},
		{"pg too many connections", &pgconn.PgError{Code: "53300"}, false},
		{"mssql truncation 2628", mssql.Error{Number: 2628}, true},
		{"mssql truncation 8152", mssql.Error{Number: 8152}, true},
		{"mssql datetime out of range", mssql.Error{Number: 242}, true},
		{"mssql NULL into NOT NULL", mssql.Error{Number: 515}, true},
		{"mssql arithmetic overflow", mssql.Error{Number: 8115}, true},
		{"mssql deadlock victim", mssql.Error{Number: 1205}, false},
		{"mssql duplicate key", mssql.Error{Number: 2627}, false},
		{"mssql lock timeout", mssql.Error{Number: 1222}, false},
		{"connection reset", errors.New("read tcp: connection reset by peer"), false},
		{"context", context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := asDataError(fmt.Errorf("store batch: write 3 agent events: %w", tt.err))
			if got := errors.Is(err, connectreporting.ErrData); got != tt.data {
				t.Errorf("errors.Is(ErrData) = %v, want %v (%v)", got, tt.data, err)
			}
			if !errors.Is(err, tt.err) && !errors.As(err, new(*pgconn.PgError)) && !errors.As(err, new(mssql.Error)) {
				t.Errorf("the driver's error is lost: %v", err)
			}
		})
	}
}

// TestStoreBatchDataErrorSQLite: the real driver's constraint error comes
// out of StoreBatch as a data error (PostgreSQL: see the ingest package's
// TestIngestIsolatesRecordsTheStoreRefuses, which runs on both).
func TestStoreBatchDataErrorSQLite(t *testing.T) {
	s := openIngestStore(t, DialectSQLite, Options{})
	if _, err := s.DB().Exec(`CREATE TRIGGER no_x BEFORE INSERT ON agent_event WHEN NEW.event_type = 'X' BEGIN SELECT RAISE(ABORT, 'no x'); END`); err != nil {
		t.Fatal(err)
	}
	_, err := s.StoreBatch(context.Background(), connectreporting.Batch{AgentEvents: []connectreporting.AgentEvent{{
		EventID: "e", EventType: "X", EventTimestamp: connectreporting.MinTime, Raw: []byte(`{}`),
	}}})
	if !errors.Is(err, connectreporting.ErrData) {
		t.Errorf("err = %v, want a data error", err)
	}
}
