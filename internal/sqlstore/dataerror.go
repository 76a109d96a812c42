package sqlstore

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"
	sqlitedrv "modernc.org/sqlite"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// asDataError wraps err in a *connectreporting.DataError when the database
// refused a value of the batch (errors.Is(err, connectreporting.ErrData)),
// as opposed to a connection or transient failure. The ingest engine then
// isolates and parks the offending records instead of retrying the batch.
func asDataError(err error) error {
	if err == nil || errors.Is(err, connectreporting.ErrData) || !isDataError(err) {
		return err
	}
	return &connectreporting.DataError{Err: err}
}

// SQLite primary result codes of data errors (the low byte of an extended code).
const (
	sqliteTooBig     = 18 // SQLITE_TOOBIG: string or blob too large
	sqliteConstraint = 19 // SQLITE_CONSTRAINT: NOT NULL, UNIQUE, CHECK, FOREIGN KEY
	sqliteMismatch   = 20 // SQLITE_MISMATCH: data type mismatch
	sqliteRange      = 25 // SQLITE_RANGE: bind parameter out of range
)

// mssqlDataErrors are the SQL Server error numbers of values a column
// cannot take. Duplicate keys (2627, 2601) are not among them: the batch
// deduplicates its keys, and a duplicate from a concurrent writer is
// transient.
var mssqlDataErrors = map[int32]bool{
	220:   true, // arithmetic overflow for a data type
	232:   true, // arithmetic overflow for a type, value out of range
	241:   true, // conversion failed when converting date and/or time from a string
	242:   true, // conversion of a data type to datetime out of range
	245:   true, // conversion failed (varchar to int)
	248:   true, // conversion overflowed an int column
	515:   true, // NULL into a NOT NULL column
	517:   true, // adding a value to a date column caused an overflow
	547:   true, // CHECK / FOREIGN KEY constraint conflict
	2628:  true, // string or binary data would be truncated (names the column)
	8114:  true, // error converting data type
	8115:  true, // arithmetic overflow converting
	8152:  true, // string or binary data would be truncated
	9809:  true, // style not supported for date conversion
	13609: true, // JSON text is not properly formatted
}

func isDataError(err error) bool {
	var se *sqlitedrv.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqliteTooBig, sqliteConstraint, sqliteMismatch, sqliteRange:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 22 data exception, 23 integrity constraint violation;
		// 54000 program limit exceeded (an index row too large).
		return len(pe.Code) == 5 && (pe.Code[:2] == "22" || pe.Code[:2] == "23" || pe.Code == "54000")
	}
	var me mssql.Error
	if errors.As(err, &me) {
		return mssqlDataErrors[me.Number]
	}
	var mp *mssql.Error
	if errors.As(err, &mp) && mp != nil {
		return mssqlDataErrors[mp.Number]
	}
	return false
}
