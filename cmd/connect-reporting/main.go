// Command connect-reporting lands Amazon Connect data (agent events, contact
// records, real-time and historical metrics, configuration) in SQL.
//
// It is the only package that wires sources, stores, the Lambda runtime, the
// daemon and the web dashboard together. One binary runs three ways: as AWS
// Lambda functions (when AWS_LAMBDA_RUNTIME_API is set), as a daemon
// (`run`), and as a local demo against a simulated Connect instance (`demo`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	err := m.Run(ctx, os.Args[1:])
	stop()
	m.Close()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(m.Stderr, "connect-reporting:", err)
		}
		os.Exit(exitCode(err))
	}
}

// ExitError carries a process exit code other than 1.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

func exitCode(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// Main is the whole program; tests construct one, point its streams and
// environment where they like, and call Run.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment (os.Getenv by default).
	Getenv func(string) string
	Logger *slog.Logger

	closers []func() error
}

// NewMain returns a Main wired to the process's streams and environment.
func NewMain() *Main {
	return &Main{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
	}
}

// OnClose registers cleanup to run when Close is called, last first.
func (m *Main) OnClose(f func() error) { m.closers = append(m.closers, f) }

// Close releases what Run opened.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

// command is one sub-command. Sub-commands live in files of their own and
// register themselves in init.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, m *Main, args []string) error
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// Run runs the program with the given arguments (without the program name).
func (m *Main) Run(ctx context.Context, args []string) error {
	if m.Logger == nil {
		m.Logger = newLogger(m.Stderr, m.Getenv("LOG_LEVEL"), m.Getenv("LOG_FORMAT"))
	}
	if m.Getenv("AWS_LAMBDA_RUNTIME_API") != "" && lambdaStart != nil {
		return lambdaStart(ctx, m)
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		m.usage(m.Stdout)
		if len(args) == 0 {
			return flag.ErrHelp
		}
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		m.usage(m.Stderr)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return c.run(ctx, m, args[1:])
}

// lambdaStart is set by the Lambda runtime wiring (lambda.go) when built in.
var lambdaStart func(ctx context.Context, m *Main) error

func (m *Main) usage(w io.Writer) {
	fmt.Fprintln(w, "connect-reporting lands Amazon Connect data in SQL.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: connect-reporting <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'connect-reporting <command> -h' for a command's flags.")
	fmt.Fprintln(w, "When AWS_LAMBDA_RUNTIME_API is set the binary runs as a Lambda function and dispatches on _HANDLER.")
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if strings.EqualFold(format, "text") {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func (m *Main) newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: connect-reporting %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may come before, between or after the
// positional arguments (`ingest ctr a.json b.json --db x.db`) and returns
// the positional ones. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
