package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Contact records and agent events reach PostgreSQL by binary COPY
// written here rather than by pgx's CopyFrom: CopyFrom looks up an encode
// plan for every value (three map lookups and a reflect.TypeOf each,
// 18,000 values a batch) and hands the rows to the connection through a
// pipe and a goroutine, about 3 ms of client CPU a batch of 500 small
// contacts, more than the server's COPY of their attributes; and the
// stream written here encodes an agent event's raw only when it reaches
// it (pgCopyEvents). The format is PostgreSQL's own (the COPY BINARY file
// format: a header, then per row a field count and per field its length,
// -1 for NULL, and its binary value), for the few types the ingest tables
// have: text, timestamptz, bigint, integer and bytea.

// pgBinaryHeader opens a COPY BINARY stream: the signature, no flags, no
// header extension.
var pgBinaryHeader = []byte("PGCOPY\n\377\r\n\000\000\000\000\000\000\000\000\000")

// pgY2K is PostgreSQL's timestamp epoch, 2000-01-01 00:00:00 UTC, in Unix
// microseconds.
const pgY2K = 946_684_800_000_000

// pgCopyBuf holds the next bytes of a COPY BINARY stream.
type pgCopyBuf struct{ b []byte }

func (w *pgCopyBuf) row(fields int) { w.b = binary.BigEndian.AppendUint16(w.b, uint16(fields)) }
func (w *pgCopyBuf) null()          { w.b = binary.BigEndian.AppendUint32(w.b, 0xFFFFFFFF) }

// text writes s as it is ("" is empty text).
func (w *pgCopyBuf) text(s string) {
	w.b = binary.BigEndian.AppendUint32(w.b, uint32(len(s)))
	w.b = append(w.b, s...)
}

// bytes writes b as it is, NULL when empty: a bytea's binary value, or a
// text column's (agent_event.raw) when b is its UTF-8.
func (w *pgCopyBuf) bytes(b []byte) {
	if len(b) == 0 {
		w.null()
		return
	}
	w.b = binary.BigEndian.AppendUint32(w.b, uint32(len(b)))
	w.b = append(w.b, b...)
}

// int4 writes v as an integer column's value. A v outside its range goes
// as 8 bytes, which the server refuses (SQLSTATE 22P03, a data error), as
// it refused the out-of-range parameter before.
func (w *pgCopyBuf) int4(v int64) {
	if v != int64(int32(v)) {
		w.value(kInt, v)
		return
	}
	w.b = binary.BigEndian.AppendUint32(w.b, 4)
	w.b = binary.BigEndian.AppendUint32(w.b, uint32(int32(v)))
}

// value writes v, a value of a column of kind k as colArg reads it: ""
// text, a zero time, a nil *int64 and empty bytes are NULL; kRaw is the
// JSON as text, the type of contact_record.raw (migration 00020) and of
// agent_event.raw, kBytes a bytea (bytes).
func (w *pgCopyBuf) value(k colKind, v any) {
	switch k {
	case kText:
		if s := v.(string); s != "" {
			w.text(s)
			return
		}
	case kTime:
		if t := v.(time.Time); !t.IsZero() {
			w.b = binary.BigEndian.AppendUint32(w.b, 8)
			w.b = binary.BigEndian.AppendUint64(w.b, uint64(t.Unix()*1_000_000+int64(t.Nanosecond()/1000)-pgY2K))
			return
		}
	case kInt, kNullInt:
		p, ok := v.(*int64)
		if !ok {
			x := v.(int64)
			p = &x
		}
		if p != nil {
			w.b = binary.BigEndian.AppendUint32(w.b, 8)
			w.b = binary.BigEndian.AppendUint64(w.b, uint64(*p))
			return
		}
	case kRaw, kBytes:
		w.bytes(v.([]byte))
		return
	default:
		panic(fmt.Sprintf("pgCopyBuf: no binary encoding for kind %d", k))
	}
	w.null()
}

// pgCopyReader is a COPY BINARY stream of n rows, each encoded by put
// only when the connection reads that far: it holds one read's worth of
// bytes, not the batch.
type pgCopyReader struct {
	w    pgCopyBuf
	n, i int
	put  func(w *pgCopyBuf, i int)
	done bool // the trailer is written
}

func newPGCopyReader(n int, put func(w *pgCopyBuf, i int)) *pgCopyReader {
	return &pgCopyReader{w: pgCopyBuf{b: slices.Clone(pgBinaryHeader)}, n: n, put: put}
}

func (r *pgCopyReader) Read(p []byte) (int, error) {
	for len(r.w.b) < len(p) && !r.done {
		if r.i < r.n {
			r.put(&r.w, r.i)
			r.i++
		} else {
			r.w.b = binary.BigEndian.AppendUint16(r.w.b, 0xFFFF)
			r.done = true
		}
	}
	if len(r.w.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p, r.w.b)
	r.w.b = r.w.b[:copy(r.w.b, r.w.b[k:])]
	return k, nil
}

// pgCopyRows is the COPY BINARY stream of cols of rows.
func pgCopyRows[T any](cols []ingestCol[T], rows []T) *pgCopyReader {
	return newPGCopyReader(len(rows), func(w *pgCopyBuf, i int) {
		w.row(len(cols))
		for _, c := range cols {
			w.value(c.kind, c.get(&rows[i]))
		}
	})
}

// pgCopyAttrs is the COPY BINARY stream of attribute rows (contact_id,
// name, value; an empty value stays "", it is no absent value).
func pgCopyAttrs(attrs []attrRow) *pgCopyReader {
	return newPGCopyReader(len(attrs), func(w *pgCopyBuf, i int) {
		w.row(3)
		w.text(attrs[i].contactID)
		w.text(attrs[i].name)
		w.text(attrs[i].value)
	})
}

// pgCopyStream COPYs the rows of data (pgCopyRows, pgCopyAttrs) into the
// columns names of table on conn, inside the transaction conn is in: one
// COPY … FROM STDIN BINARY, no statement to describe first.
func pgCopyStream(ctx context.Context, conn *sql.Conn, table string, names []string, data *pgCopyReader) error {
	return pgCopyStreamAfter(ctx, conn, "", table, names, data)
}

// pgCopyStreamAfter is pgCopyStream with the statements before (each ended
// by ";") sent ahead of the COPY in the same query, one round trip: the
// server runs them, then reads the stream (pgconn's CopyFrom sends the
// stream at once and reads the server's answers until the COPY's).
func pgCopyStreamAfter(ctx context.Context, conn *sql.Conn, before, table string, names []string, data *pgCopyReader) error {
	q := before + pgCopyQuery(table, names)
	return pgCopyOn(conn, table, data.n, func(c *pgx.Conn) (int64, error) {
		tag, err := c.PgConn().CopyFrom(ctx, data, q)
		return tag.RowsAffected(), err
	})
}

// pgCopyThen COPYs data into the columns names of table on conn and then
// runs then, a statement without parameters, in the same query, with the
// statements before (each ended by ";") ahead of the COPY: one round
// trip, and then is planned at this execution, as every statement of a
// simple query is (see pgPlanEach). It returns then's command tag: pgconn
// keeps the last one and reads no result rows. When a statement fails,
// the server skips the rest of the query.
func pgCopyThen(ctx context.Context, conn *sql.Conn, before, table string, names []string, data *pgCopyReader, then string) (pgconn.CommandTag, error) {
	q := before + pgCopyQuery(table, names) + ";\n" + then
	var tag pgconn.CommandTag
	// The COPY's own count is not seen (the tag is then's): then counts
	// what the staged rows became.
	err := pgCopyOn(conn, table, 0, func(c *pgx.Conn) (int64, error) {
		var err error
		tag, err = c.PgConn().CopyFrom(ctx, data, q)
		return 0, err
	})
	return tag, err
}

// pgCopyQuery is the COPY … FROM STDIN BINARY of the columns names of table.
func pgCopyQuery(table string, names []string) string {
	cols := make([]string, len(names))
	for i, c := range names {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	return "COPY " + pgx.Identifier{table}.Sanitize() + " (" + strings.Join(cols, ", ") + ") FROM STDIN BINARY"
}

// pgCopyEvents is the COPY BINARY stream of the events evs[idx[k]], with
// the columns pgEventCols and then, when flags is set, the staging table's
// flags hist (history and keepHist: false when the event is in agent_event
// already) and st. Each event is encoded (enc) only when the stream
// reaches it; nil enc: the events are encoded already (eventEncoder.finish).
func pgCopyEvents(evs []eventRow, idx []int, enc *eventEncoder, flags, keepHist bool) *pgCopyReader {
	fields := len(pgEventCols)
	if flags {
		fields += 2
	}
	return newPGCopyReader(len(idx), func(w *pgCopyBuf, k int) {
		i := idx[k]
		if enc != nil && !enc.at(i) {
			return // the COPY is over (its connection broke): nothing is read any more
		}
		e := &evs[i]
		w.row(fields)
		for _, c := range pgEventCols {
			if c.name == "contact_count" { // integer
				w.int4(c.get(e).(int64))
			} else {
				w.value(c.kind, c.get(e))
			}
		}
		if flags {
			w.value(kInt, boolInt(e.history && keepHist))
			w.value(kInt, boolInt(e.state))
		}
	})
}
