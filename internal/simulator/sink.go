package simulator

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// SinkFunc adapts a function to a Sink (in-process callback).
type SinkFunc func(ctx context.Context, recs []Record) error

// Write calls f.
func (f SinkFunc) Write(ctx context.Context, recs []Record) error { return f(ctx, recs) }

// ChannelSink sends every record to a Go channel, blocking while it is full
// (until ctx is done).
func ChannelSink(ch chan<- Record) Sink {
	return SinkFunc(func(ctx context.Context, recs []Record) error {
		for _, r := range recs {
			select {
			case ch <- r:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
}

// MemorySink keeps every record in memory (tests, small demos).
type MemorySink struct {
	mu   sync.Mutex
	recs []Record
}

// Write appends the records.
func (m *MemorySink) Write(_ context.Context, recs []Record) error {
	m.mu.Lock()
	m.recs = append(m.recs, recs...)
	m.mu.Unlock()
	return nil
}

// Records returns a copy of what was written so far.
func (m *MemorySink) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Record(nil), m.recs...)
}

// JSONLSink writes each stream as JSON lines (one record a line) to its own
// writer; a nil writer drops that stream.
type JSONLSink struct {
	AgentEvents io.Writer
	CTR         io.Writer
}

// Write writes the records, one line each.
func (j JSONLSink) Write(_ context.Context, recs []Record) error {
	for _, r := range recs {
		w := j.AgentEvents
		if r.Stream == StreamCTR {
			w = j.CTR
		}
		if w == nil {
			continue
		}
		if _, err := w.Write(r.Data); err != nil {
			return err
		}
		if _, err := w.Write([]byte{'\n'}); err != nil {
			return err
		}
	}
	return nil
}

// FileSink writes JSON-lines files, one per stream: agent-events.jsonl and
// ctr.jsonl in a directory. Each Write is flushed to the files.
type FileSink struct {
	files [2]*os.File
	bufs  [2]*bufio.Writer
}

// File names FileSink writes.
const (
	AgentEventsFile = "agent-events.jsonl"
	CTRFile         = "ctr.jsonl"
)

// NewFileSink creates (or truncates) the two files in dir, creating dir.
func NewFileSink(dir string) (*FileSink, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f := &FileSink{}
	for i, name := range []string{AgentEventsFile, CTRFile} {
		fh, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			f.Close()
			return nil, err
		}
		f.files[i] = fh
		f.bufs[i] = bufio.NewWriterSize(fh, 1<<16)
	}
	return f, nil
}

// Write appends the records to their stream's file and flushes.
func (f *FileSink) Write(_ context.Context, recs []Record) error {
	for _, r := range recs {
		i := 0
		if r.Stream == StreamCTR {
			i = 1
		}
		if f.bufs[i] == nil {
			return fmt.Errorf("simulator: file sink is closed")
		}
		f.bufs[i].Write(r.Data)
		if err := f.bufs[i].WriteByte('\n'); err != nil {
			return err
		}
	}
	for _, b := range f.bufs {
		if err := b.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// Close flushes and closes the files.
func (f *FileSink) Close() error {
	var errs []error
	for i := range f.files {
		if f.bufs[i] != nil {
			errs = append(errs, f.bufs[i].Flush())
			f.bufs[i] = nil
		}
		if f.files[i] != nil {
			errs = append(errs, f.files[i].Close())
			f.files[i] = nil
		}
	}
	return errors.Join(errs...)
}

// Emit runs a simulator of cfg from cfg.Start for d and returns every
// record it emitted, both streams in emission order: a fixed set of
// realistic records for tests and benchmarks.
func Emit(cfg Config, d time.Duration) ([]Record, error) {
	m := &MemorySink{}
	s, err := New(cfg, m)
	if err != nil {
		return nil, err
	}
	if err := s.RunUntil(cfg.Start.Add(d)); err != nil {
		return nil, err
	}
	return m.Records(), nil
}
