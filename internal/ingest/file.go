package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/ingest/wire"
)

// DefaultMaxRecordSize bounds one record read from a file (Kinesis records
// are at most 10 MiB).
const DefaultMaxRecordSize = 16 << 20

// ErrRecordTooLarge is the reason a record larger than the scanner's
// MaxRecordSize is parked: the Scanner yields its first MaxRecordSize bytes
// with Record.Size set to its whole size, reads past it and goes on, and the
// engine parks it as rejected (payload truncated) without decoding it.
var ErrRecordTooLarge = errors.New("record too large")

// Scanner reads stream records from a file, one JSON document at a time,
// in bounded memory. It reads
//
//   - JSON lines (one record per line),
//   - JSON objects concatenated with or without whitespace between them, as
//     Kinesis Data Firehose writes records to S3 (`}{`), pretty-printed or not,
//   - JSON arrays of records (each element is a record),
//
// and any of them gzip-compressed (recognised by the gzip magic number, not
// the file name), with or without a UTF-8 byte order mark. Each record's SequenceNumber is "name:n", n counting the
// records from 1, and its ArrivalTime is the file's modification time when
// known.
//
// A record that is not valid JSON is still yielded, so that the engine
// parks it as a rejected record; reading goes on after it. A line break
// inside a JSON string, a `{` at the start of a line inside a record, or
// any line break inside a record when the file's first record was a single
// line, ends a broken record: a bad line in a JSON lines file costs only
// that line. A record larger than MaxRecordSize is yielded too, cut (see
// ErrRecordTooLarge): reading goes on after it.
type Scanner struct {
	// MaxRecordSize bounds the bytes kept of one record; 0 means
	// DefaultMaxRecordSize.
	MaxRecordSize int

	name     string
	src      io.Reader
	r        *bufio.Reader
	closers  []io.Closer
	arrival  time.Time
	started  bool
	inArray  bool
	complete int  // complete records read so far
	oneLine  bool // the first complete record had no line break: records are lines
	n        int
	rec      Record
	err      error
	valueBuf []byte
}

// NewScanner returns a Scanner reading records from r; name makes the
// records' sequence numbers.
func NewScanner(r io.Reader, name string) *Scanner {
	return &Scanner{name: name, src: r}
}

// OpenFile opens the file name for reading records; "-" is stdin, whose
// records are named "stdin:n". Close the Scanner when done.
func OpenFile(name string, stdin io.Reader) (*Scanner, error) {
	if name == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		return NewScanner(stdin, "stdin"), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	s := NewScanner(f, name)
	s.closers = append(s.closers, f)
	if fi, err := f.Stat(); err == nil {
		s.arrival = fi.ModTime().UTC()
	}
	return s, nil
}

// ReadFile reads every record of the file name ("-" for stdin). It holds
// them all in memory: for large files use OpenFile and Scan, or
// Engine.IngestFile.
func ReadFile(name string, stdin io.Reader) ([]Record, error) {
	s, err := OpenFile(name, stdin)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var recs []Record
	for s.Scan() {
		recs = append(recs, s.Record())
	}
	return recs, s.Err()
}

// Close closes the file opened by OpenFile (never stdin) and the gzip reader.
func (s *Scanner) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i].Close())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// Scan advances to the next record; it returns false at the end of the
// input or on an error (see Err).
func (s *Scanner) Scan() bool {
	if s.err != nil {
		return false
	}
	if !s.started {
		s.started = true
		if err := s.open(); err != nil {
			s.err = err
			return false
		}
	}
	for {
		data, size, err := s.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.err = err
			}
			return false
		}
		data = bytes.TrimSpace(data)
		if len(data) == 0 {
			continue
		}
		s.n++
		s.rec = Record{
			Data:           bytes.Clone(data),
			SequenceNumber: s.name + ":" + strconv.Itoa(s.n),
			ArrivalTime:    s.arrival,
		}
		if size > s.max() {
			s.rec.Size = size // only its start was kept: the engine parks it
		}
		return true
	}
}

// Record is the record Scan read.
func (s *Scanner) Record() Record { return s.rec }

// Err is the first error other than io.EOF met while reading.
func (s *Scanner) Err() error {
	if s.err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", s.name, s.err)
}

func (s *Scanner) open() error {
	br := bufio.NewReaderSize(s.src, 64<<10)
	magic, err := br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		s.closers = append(s.closers, zr)
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	// A byte order mark (files saved by some Windows tools) is no record.
	if bom, err := br.Peek(3); err == nil && bom[0] == 0xef && bom[1] == 0xbb && bom[2] == 0xbf {
		_, _ = br.Discard(3)
	}
	s.r = br
	return nil
}

func (s *Scanner) max() int {
	if s.MaxRecordSize > 0 {
		return s.MaxRecordSize
	}
	return DefaultMaxRecordSize
}

// next returns the bytes of the next record, complete or broken, and its
// size (more than len(data) when it was larger than MaxRecordSize and only
// its start was kept), or an error (io.EOF at the end).
func (s *Scanner) next() (data []byte, size int, err error) {
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return nil, 0, err
		}
		switch {
		case wire.IsSpace(b):
			continue
		case s.inArray && b == ',':
			continue
		case s.inArray && b == ']':
			s.inArray = false
			continue
		case !s.inArray && b == '[':
			// A top-level array: its elements are the records.
			s.inArray = true
			continue
		case b == '{' || b == '[':
			return s.value(b)
		default:
			return s.garbage(b)
		}
	}
}

// fill returns the bytes buffered in the reader, reading more when none
// are; io.EOF at the end of the input.
func (s *Scanner) fill() ([]byte, error) {
	if n := s.r.Buffered(); n > 0 {
		return s.r.Peek(n)
	}
	if _, err := s.r.Peek(1); err != nil {
		return nil, err
	}
	return s.r.Peek(s.r.Buffered())
}

// recordBuf keeps the first max bytes of a record and counts all of them.
type recordBuf struct {
	buf  []byte
	size int
	max  int
}

func (rb *recordBuf) add(b []byte) {
	rb.size += len(b)
	if room := rb.max - len(rb.buf); room > 0 {
		rb.buf = append(rb.buf, b[:min(room, len(b))]...)
	}
}

// valueState is where value is inside a JSON value.
type valueState struct {
	depth                   int
	inString, escaped       bool
	lineStart, sawLineBreak bool
	done, complete          bool
}

// value reads one JSON object or array that starts with first. It ends at
// the matching bracket, or early (a broken record) at a line break inside a
// string, at a `{` that starts a line, at any line break when the records
// are lines (the first record was one line), or at the end of the input.
// It works on the reader's buffer a run of ordinary bytes at a time.
func (s *Scanner) value(first byte) ([]byte, int, error) {
	rb := recordBuf{buf: append(s.valueBuf[:0], first), size: 1, max: s.max()}
	defer func() { s.valueBuf = rb.buf[:0] }()
	st := valueState{depth: 1}
	for !st.done {
		chunk, err := s.fill()
		if errors.Is(err, io.EOF) {
			break // truncated: a broken record
		}
		if err != nil {
			return nil, 0, err
		}
		n := s.scanValue(&st, chunk)
		rb.add(chunk[:n])
		_, _ = s.r.Discard(n)
	}
	if st.complete {
		if s.complete == 0 {
			s.oneLine = !st.sawLineBreak
		}
		s.complete++
	}
	return rb.buf, rb.size, nil
}

// scanValue advances st over chunk and returns how many of its bytes
// belong to the value; st.done is set at the value's end.
func (s *Scanner) scanValue(st *valueState, chunk []byte) int {
	i := 0
	for i < len(chunk) {
		if st.inString {
			if st.escaped {
				st.escaped = false
				i++
				continue
			}
			j := stopInString.index(chunk[i:])
			if j < 0 {
				return len(chunk)
			}
			i += j
			switch chunk[i] {
			case '\\':
				st.escaped = true
			case '"':
				st.inString = false
			case '\n':
				st.done = true // JSON strings hold no line breaks: broken record
				return i
			}
			i++
			continue
		}
		j := stopInValue.index(chunk[i:])
		if j < 0 {
			st.lineStart = false
			return len(chunk)
		}
		if j > 0 {
			st.lineStart = false
		}
		i += j
		switch c := chunk[i]; c {
		case '"':
			st.inString = true
		case '{', '[':
			if c == '{' && st.lineStart {
				// A record starting at the beginning of a line while this
				// one is still open: this one is broken.
				st.done = true
				return i
			}
			st.depth++
		case '}', ']':
			st.depth--
			if st.depth == 0 {
				st.done, st.complete = true, true
				return i + 1
			}
		case '\n':
			st.sawLineBreak = true
			if s.oneLine {
				// Records are lines, and this one ended unfinished.
				st.done = true
				return i
			}
		}
		st.lineStart = chunk[i] == '\n'
		i++
	}
	return i
}

// byteSet is a set of bytes a scan stops at, made once (bytes.IndexAny
// makes its set again on every call, which cost more than the scan itself
// on a record's many short runs).
type byteSet [256]bool

func newByteSet(chars string) *byteSet {
	var set byteSet
	for i := range len(chars) {
		set[chars[i]] = true
	}
	return &set
}

// index returns the index of the first byte of b in set, or -1.
func (set *byteSet) index(b []byte) int {
	for i, c := range b {
		if set[c] {
			return i
		}
	}
	return -1
}

var (
	stopInString = newByteSet("\"\\\n")   // a string's end, an escape, a line break
	stopInValue  = newByteSet("\"{}[]\n") // a string, a bracket, a line break
)

// garbage reads what cannot start a record (a stray character, a scalar)
// up to the end of the line or the next `{`, and returns it as a broken
// record.
func (s *Scanner) garbage(first byte) ([]byte, int, error) {
	rb := recordBuf{buf: []byte{first}, size: 1, max: s.max()}
	stop := "\n{"
	if s.inArray {
		stop = "\n{,]"
	}
	for {
		chunk, err := s.fill()
		if errors.Is(err, io.EOF) {
			return rb.buf, rb.size, nil
		}
		if err != nil {
			return nil, 0, err
		}
		j := bytes.IndexAny(chunk, stop)
		if j < 0 {
			rb.add(chunk)
			_, _ = s.r.Discard(len(chunk))
			continue
		}
		rb.add(chunk[:j])
		if chunk[j] == '\n' {
			j++ // the line break ends the record
		}
		_, _ = s.r.Discard(j)
		return rb.buf, rb.size, nil
	}
}

// IngestFile ingests the records of the file name ("-" for stdin) as
// records of source, streaming: at most ChunkSize records are held at a
// time. Result.Failed indexes are record numbers in the file, from 0. It
// stops storing at the first store error or read error, keeping the counts
// of what was stored before; after a store error it reads the rest of the
// file only to list its records in Result.Failed, so that they are counted
// as not stored.
func (e *Engine) IngestFile(ctx context.Context, source, name string, stdin io.Reader) (Result, error) {
	s, err := OpenFile(name, stdin)
	if err != nil {
		return Result{}, fmt.Errorf("ingest %s: %w", source, err)
	}
	defer s.Close()
	return e.IngestScanner(ctx, source, s)
}

// IngestScanner ingests every record s yields, ChunkSize records a
// transaction, decoding the next chunk while the previous one is stored
// (see IngestFile). After a store failure it reads on only to count the
// records not stored (Result.Failed).
func (e *Engine) IngestScanner(ctx context.Context, source string, s *Scanner) (Result, error) {
	r, err := e.newRun(source, nil)
	if err != nil {
		return Result{}, err
	}
	size, n := e.chunkSize(), 0
	failed, err := r.pipe(ctx, func() []Record {
		chunk := make([]Record, 0, size)
		for len(chunk) < size && s.Scan() {
			chunk = append(chunk, s.Record())
		}
		n += len(chunk)
		return chunk
	})
	if err != nil {
		for s.Scan() {
			n++
		}
		r.res.Failed = indexes(failed, n)
		err = fmt.Errorf("ingest %s: records %d-%d not stored: %w", source, failed, n-1, err)
	} else if err = s.Err(); err != nil {
		err = fmt.Errorf("ingest %s: %w", source, err)
	}
	r.st.log(r.log, n, r.res, r.start, err)
	return r.res, err
}
