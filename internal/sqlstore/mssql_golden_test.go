package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-sql/civil"
	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of testdata/sqlserver/")

// mssqlRespond answers the statements of the SQL Server dialect the way a
// server would for the scenarios below: an empty database at compatibility
// level 150 holding a few current configuration rows.
func mssqlRespond(level int) func(string, []any) ([]string, [][]driver.Value, error) {
	old := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	return func(q string, args []any) ([]string, [][]driver.Value, error) {
		switch {
		case strings.Contains(q, "compatibility_level"):
			return []string{"name", "level"}, [][]driver.Value{{"AmazonConnect", int64(level)}}, nil
		case strings.Contains(q, "sp_getapplock"), strings.Contains(q, "sp_releaseapplock"):
			return []string{"r"}, [][]driver.Value{{int64(0)}}, nil
		case strings.Contains(q, "AS stored FROM @ins"), strings.Contains(q, "AS stored FROM @up"):
			return []string{"stored"}, [][]driver.Value{{int64(1)}}, nil
		case strings.HasPrefix(q, "SELECT version_id, is_applied FROM goose_db_version"):
			return []string{"version_id", "is_applied"}, [][]driver.Value{{int64(0), true}}, nil // a new database
		case strings.HasPrefix(q, "SELECT MAX(version_id) FROM goose_db_version"):
			return []string{"max"}, [][]driver.Value{{int64(0)}}, nil
		case strings.HasPrefix(q, "SELECT MAX("):
			return []string{"max"}, [][]driver.Value{{nil}}, nil
		case strings.HasPrefix(q, "SELECT COUNT(*) FROM contact_record WHERE contact_id IN"):
			return []string{"n"}, [][]driver.Value{{int64(0)}}, nil // new contacts
		case strings.Contains(q, "FROM rejected_record") && strings.HasPrefix(q, "SELECT COUNT("):
			return []string{"n", "max"}, [][]driver.Value{{int64(0), nil}}, nil
		case strings.Contains(q, "FROM [queue] WITH (UPDLOCK, HOLDLOCK)"):
			return []string{"queue_id", "valid_from", "content_hash"}, [][]driver.Value{{"q1", old, "changed"}, {"q-gone", old, "h"}}, nil
		case strings.Contains(q, "FROM routing_profile_queue WITH (UPDLOCK, HOLDLOCK)"):
			return []string{"routing_profile_id", "queue_id", "channel", "valid_from", "content_hash"}, [][]driver.Value{{"rp1", "q-gone", "VOICE", old, "h"}}, nil
		}
		return nil, nil, nil
	}
}

func recordingStore(t *testing.T, level int) (*Store, *recorder) {
	rec, db := newRecorder(mssqlRespond(level))
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	return &Store{db: db, dialect: sqlserverDialect{}, now: func() time.Time { return now }}, rec
}

// mssqlScenarios drive every public path of the store that sends SQL.
var mssqlScenarios = []struct {
	name string
	run  func(ctx context.Context, s *Store) error
}{
	{"open", func(ctx context.Context, s *Store) error {
		if err := mssqlCheckCompatibility(ctx, s.db); err != nil {
			return err
		}
		_, err := s.Migrate(ctx)
		return err
	}},
	{"store_batch", func(ctx context.Context, s *Store) error {
		_, err := s.StoreBatch(ctx, connectreporting.Batch{
			AgentEvents: []connectreporting.AgentEvent{
				agentEvent("e2", connectreporting.AgentEventHeartBeat, at(120), "a1", "Available", at(0)),
				agentEvent("e1", connectreporting.AgentEventLogin, at(0), "a1", "Available", at(0)),
			},
			ContactRecords: []connectreporting.ContactRecord{contactRecord("c-1", at(200), "a1", map[string]string{"tier": "gold", "Tier": "silver"})},
			Rejected:       []connectreporting.RejectedRecord{rejected("17", "\xff not json")},
		})
		return err
	}},
	{"realtime", func(ctx context.Context, s *Store) error {
		q := connectreporting.QueueSnapshot{SnapshotTime: at(0), QueueID: "q1", Channel: "VOICE", AgentsOnline: f64(3)}
		again := q
		again.AgentsOnline = f64(4)
		if err := s.StoreQueueSnapshots(ctx, []connectreporting.QueueSnapshot{q, again}); err != nil {
			return err
		}
		a := connectreporting.AgentSnapshot{SnapshotTime: at(0), AgentID: "a1", StatusName: "Available", ContactsByChannel: map[string]int{"VOICE": 1}}
		return s.StoreAgentSnapshots(ctx, []connectreporting.AgentSnapshot{a, a})
	}},
	{"historical", func(ctx context.Context, s *Store) error {
		m := connectreporting.IntervalMetric{QueueID: "q1", Channel: "VOICE", IntervalStart: at(0), IntervalEnd: at(900), MetricName: "CONTACTS_HANDLED", Value: 2}
		if err := s.StoreIntervalMetrics(ctx, []connectreporting.IntervalMetric{m}); err != nil {
			return err
		}
		am := connectreporting.AgentIntervalMetric{AgentID: "a1", Channel: "VOICE", IntervalStart: at(0), IntervalEnd: at(900), MetricName: "CONTACTS_HANDLED", Value: 1}
		return s.StoreAgentIntervalMetrics(ctx, []connectreporting.AgentIntervalMetric{am})
	}},
	{"checkpoints", func(ctx context.Context, s *Store) error {
		if _, _, err := s.Checkpoint(ctx, "historical", "queues"); err != nil {
			return err
		}
		if err := s.SetCheckpoint(ctx, "historical", "queues", at(900)); err != nil {
			return err
		}
		if _, _, err := s.StreamCheckpoint(ctx, "ctr", "shardId-000000000000"); err != nil {
			return err
		}
		return s.SetStreamCheckpoint(ctx, "ctr", "shardId-000000000000", "49590338271490256608559692538361571095921575989136588898")
	}},
	{"leases", func(ctx context.Context, s *Store) error {
		if _, err := s.Leases(ctx, "ctr"); err != nil {
			return err
		}
		if err := s.CreateLeases(ctx, []connectreporting.ShardLease{{Stream: "ctr", ShardID: "shardId-000000000001", Checkpoint: "TRIM_HORIZON"}}); err != nil {
			return err
		}
		l := connectreporting.ShardLease{Stream: "ctr", ShardID: "shardId-000000000001", Counter: 4}
		if _, err := s.TakeLease(ctx, l, "w1"); err != nil {
			return err
		}
		if _, err := s.RenewLease(ctx, "ctr", "shardId-000000000001", "w1"); err != nil {
			return err
		}
		// A batch with its fenced checkpoint, in one transaction.
		if _, err := s.StoreBatch(ctx, connectreporting.Batch{
			Rejected:   []connectreporting.RejectedRecord{rejected("18", "x")},
			Checkpoint: &connectreporting.ShardCheckpoint{Stream: "ctr", ShardID: "shardId-000000000001", SequenceNumber: "4959", Owner: "w1"},
		}); err != nil {
			return err
		}
		if err := s.FinishShard(ctx, "ctr", "shardId-000000000001", "w1"); err != nil {
			return err
		}
		return s.ReleaseLease(ctx, "ctr", "shardId-000000000001", "w1")
	}},
	{"config", func(ctx context.Context, s *Store) error {
		_, err := s.SyncConfiguration(ctx, connectreporting.Configuration{
			ReadAt:               at(0),
			Queues:               []connectreporting.Queue{{ID: "q1", Name: "Sales", Type: "STANDARD", Status: "ENABLED"}, {ID: "q2", Name: "Support"}},
			RoutingProfileQueues: []connectreporting.RoutingProfileQueue{{RoutingProfileID: "rp1", QueueID: "q1", Channel: "VOICE", Priority: 1}},
		})
		if err != nil {
			return err
		}
		if _, err := s.UserDetails(ctx); err != nil {
			return err
		}
		return s.SaveUserDetails(ctx, []connectreporting.UserDetail{{UserID: "u1", Email: "ann@example.com", LastModified: at(-60), ReadAt: at(0)}}, []string{"u-gone"})
	}},
	{"dashboard", func(ctx context.Context, s *Store) error {
		if _, err := s.Wallboard(ctx, connectreporting.WallboardQuery{Now: at(3600), Location: time.UTC}); err != nil {
			return err
		}
		if _, err := s.Health(ctx, at(3600)); err != nil {
			return err
		}
		rq := connectreporting.ReportQuery{From: at(0), To: at(86400), Location: time.UTC, Period: 15 * time.Minute, Now: at(86400)}
		if _, err := s.QueueIntervals(ctx, rq); err != nil {
			return err
		}
		if _, err := s.IntervalMetrics(ctx, rq); err != nil {
			return err
		}
		if _, err := s.AgentDays(ctx, rq); err != nil {
			return err
		}
		if _, err := s.AgentTimeline(ctx, rq); err != nil {
			return err
		}
		rq.Period, rq.ServiceLevelSeconds = 0, 30
		if _, err := s.QueueIntervals(ctx, rq); err != nil {
			return err
		}
		_, err := s.AgentStatusDays(ctx, rq)
		return err
	}},
}

// TestSQLServerStatementsGolden drives every path of the store that sends
// SQL, through the real code, into a recording driver, and pins every
// statement the SQL Server dialect sends, with its arguments and their Go
// types, in testdata/sqlserver/*.sql.golden (the migrations as goose splits
// them included). No SQL Server runs here: a change to any of it shows in
// review. Rewrite with go test -run TestSQLServerStatementsGolden -update.
func TestSQLServerStatementsGolden(t *testing.T) {
	for _, sc := range mssqlScenarios {
		t.Run(sc.name, func(t *testing.T) {
			s, rec := recordingStore(t, 150)
			if err := sc.run(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			stmts := rec.statements()
			for _, st := range stmts {
				for i, a := range st.args {
					if _, ok := a.(time.Time); ok {
						t.Errorf("a time.Time (datetimeoffset on the wire) as @p%d of\n%s", i+1, st.query)
					}
				}
			}
			checkGoldenFile(t, filepath.Join("testdata", "sqlserver", sc.name+".sql.golden"), render(stmts))
		})
	}
}

func checkGoldenFile(t *testing.T, path, got string) {
	t.Helper()
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from what the store sends now (check the change, then rewrite with -update):\n%s", path, got)
	}
}

// TestSQLServerMigrationLock: every migration runs between sp_getapplock
// and sp_releaseapplock on one session, so concurrent cold starts take
// turns. (Before it, goose only checks, unlocked, whether anything is
// pending; it creates its version table with retries of its own.)
func TestSQLServerMigrationLock(t *testing.T) {
	s, rec := recordingStore(t, 150)
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	stmts := rec.statements()
	lock, unlock, migrations := -1, -1, 0
	for i, st := range stmts {
		switch {
		case strings.Contains(st.query, "sys.sp_getapplock"):
			lock = i
			if st.args[0] != mssqlMigrationResource || st.args[1] != int64(15*60*1000) {
				t.Errorf("sp_getapplock arguments %v", st.args)
			}
		case strings.Contains(st.query, "sys.sp_releaseapplock"):
			unlock = i
		case strings.HasPrefix(st.query, "INSERT INTO goose_db_version") && st.args[0] != int64(0):
			migrations++
			if lock < 0 || unlock >= 0 {
				t.Errorf("migration %v recorded outside the application lock", st.args[0])
			}
		}
	}
	if lock < 0 || unlock != len(stmts)-1 || migrations < 6 {
		t.Errorf("lock at %d, unlock at %d of %d statements, %d migrations:\n%s", lock, unlock, len(stmts), migrations, render(stmts))
	}
}

// TestSQLServerCompatibilityLevel: a database below level 130 is refused
// at open with the statement that fixes it.
func TestSQLServerCompatibilityLevel(t *testing.T) {
	for level, ok := range map[int]bool{100: false, 120: false, 130: true, 160: true} {
		s, _ := recordingStore(t, level)
		err := mssqlCheckCompatibility(context.Background(), s.db)
		if ok != (err == nil) {
			t.Errorf("level %d: %v", level, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "ALTER DATABASE [AmazonConnect] SET COMPATIBILITY_LEVEL = 130")) {
			t.Errorf("level %d: error does not say how to raise it: %v", level, err)
		}
	}
}

// TestSQLServerTimeArguments: timestamps travel as datetime2(7)
// (civil.DateTime), NULL ones as a datetime2 NULL, never as time.Time
// (datetimeoffset(7) on the wire).
func TestSQLServerTimeArguments(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.FixedZone("x", 3600))
	if got, ok := dialects[DialectSQLServer].arg(ts).(civil.DateTime); !ok || got != civil.DateTimeOf(ts.UTC()) {
		t.Errorf("arg(time) = %#v, want civil.DateTime of %v", dialects[DialectSQLServer].arg(ts), ts.UTC())
	}
	if got, ok := dialects[DialectSQLServer].arg(time.Time{}).(mssql.NullDateTime); !ok || got.Valid {
		t.Errorf("arg(zero time) = %#v, want a NULL mssql.NullDateTime", dialects[DialectSQLServer].arg(time.Time{}))
	}
}

// TestDeadlockVictimRetried: a transaction chosen as a deadlock victim
// (Msg 1205) runs again from BEGIN, whole; other errors are returned at once.
func TestDeadlockVictimRetried(t *testing.T) {
	defer func(b func(int) time.Duration) { deadlockBackoff = b }(deadlockBackoff)
	deadlockBackoff = func(int) time.Duration { return 0 }
	for _, tc := range []struct {
		name  string
		err   error
		fails int
		want  string
	}{
		{"deadlock", mssql.Error{Number: 1205, Message: "Transaction was deadlocked"}, 2, "BEGIN TRANSACTION|MERGE|ROLLBACK|BEGIN TRANSACTION|MERGE|ROLLBACK|BEGIN TRANSACTION|MERGE|COMMIT"},
		{"deadlock-forever", mssql.Error{Number: 1205}, 99, strings.Repeat("BEGIN TRANSACTION|MERGE|ROLLBACK|", deadlockRetries) + "BEGIN TRANSACTION|MERGE|ROLLBACK"},
		{"other", mssql.Error{Number: 2627}, 1, "BEGIN TRANSACTION|MERGE|ROLLBACK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fails := tc.fails
			rec, db := newRecorder(func(q string, _ []any) ([]string, [][]driver.Value, error) {
				if strings.HasPrefix(q, "MERGE") && fails > 0 {
					fails--
					return nil, nil, tc.err
				}
				return nil, nil, nil
			})
			defer db.Close()
			s := &Store{db: db, dialect: sqlserverDialect{}, now: time.Now}
			err := s.SetCheckpoint(context.Background(), "p", "s", at(0))
			if (tc.fails > deadlockRetries || tc.name == "other") != (err != nil) {
				t.Errorf("err = %v", err)
			}
			if err != nil && !errors.As(err, new(mssql.Error)) {
				t.Errorf("the driver's error is not wrapped: %v", err)
			}
			var got []string
			for _, st := range rec.statements() {
				got = append(got, strings.Fields(st.query)[0])
				if got[len(got)-1] == "BEGIN" {
					got[len(got)-1] = "BEGIN TRANSACTION"
				}
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("statements\n got %s\nwant %s", strings.Join(got, "|"), tc.want)
			}
		})
	}
}

// TestSQLServerConfigSync: a configuration sync reads the current rows of a
// kind under UPDLOCK, HOLDLOCK (overlapping syncs take turns instead of
// both opening a row) and closes all the rows it closes in one statement.
func TestSQLServerConfigSync(t *testing.T) {
	s, rec := recordingStore(t, 150)
	for _, sc := range mssqlScenarios {
		if sc.name == "config" {
			if err := sc.run(context.Background(), s); err != nil {
				t.Fatal(err)
			}
		}
	}
	reads, updates := 0, 0
	for _, st := range rec.statements() {
		switch {
		case strings.Contains(st.query, "WHERE valid_to IS NULL") && strings.HasPrefix(st.query, "SELECT"):
			reads++
			if !strings.Contains(st.query, "WITH (UPDLOCK, HOLDLOCK) WHERE") {
				t.Errorf("current rows read without UPDLOCK, HOLDLOCK: %s", st.query)
			}
		case strings.HasPrefix(st.query, "UPDATE"):
			updates++
		}
	}
	// Two kinds read; [queue] closes two rows, routing_profile_queue one.
	if reads != 2 || updates != 2 {
		t.Errorf("%d reads and %d UPDATE statements, want 2 and 2 (one per kind)", reads, updates)
	}
}

// TestIsDeadlock tells deadlock victims of both servers from other errors,
// also when wrapped.
func TestIsDeadlock(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{mssql.Error{Number: 1205}, true},
		{fmt.Errorf("store batch: %w", mssql.Error{Number: 1205}), true},
		{&pgconn.PgError{Code: "40P01"}, true},
		{fmt.Errorf("write: %w", &pgconn.PgError{Code: "40P01"}), true},
		{mssql.Error{Number: 2627}, false},
		{&pgconn.PgError{Code: "23505"}, false},
		{errors.New("deadlock"), false},
		{context.Canceled, false},
	} {
		if got := isDeadlock(tc.err); got != tc.want {
			t.Errorf("isDeadlock(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
