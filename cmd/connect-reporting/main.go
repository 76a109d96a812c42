// Command connect-reporting lands Amazon Connect data (agent events, contact
// records, real-time and historical metrics, configuration) in SQL.
//
// It is the only package that wires sources, stores, the Lambda runtime, the
// daemon and the web dashboard together. One binary runs three ways: as AWS
// Lambda functions (when AWS_LAMBDA_RUNTIME_API is set), as a daemon
// (`run`), and as a local demo against a simulated Connect instance (`demo`).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
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

	// commands are the sub-commands, in the order the usage lists them.
	commands []command
	// lambda runs the binary as a Lambda function; Run calls it when
	// AWS_LAMBDA_RUNTIME_API is set.
	lambda  func(ctx context.Context, m *Main) error
	closers []func() error

	loggerGiven bool      // the caller of Run set Logger: keep it
	logFormat   string    // --log-format
	logDefaults [2]string // the command's default log format and level
}

// NewMain returns a Main wired to the process's streams and environment,
// with the command table and the Lambda runtime.
func NewMain() *Main {
	return &Main{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
		commands: append(appCommands(),
			command{name: "migrate", summary: "create or upgrade the schema (also done at every start)", run: runMigrate},
			command{name: "ingest", summary: "load agent events or contact records from files (JSON lines, Firehose, .gz)", run: runIngest},
			command{name: "maintain", summary: "retention (--raw-days, --keep-days) and index maintenance", run: runMaintain},
			command{name: "poll", summary: "one poller run: " + strings.Join(pollerNames(), " | "), run: runPoll},
		),
		lambda: runLambda,
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
	m.flushLogs()
	return errors.Join(errs...)
}

// command is one sub-command of the table NewMain builds.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, m *Main, args []string) error
	// logs is the default log format: "text" (people) unless "json"
	// (a machine reads them).
	logs string
}

// Run runs the program with the given arguments (without the program name).
// A command's -h/--help prints its usage on stdout and returns nil; no
// command at all prints the usage on stderr and returns flag.ErrHelp (exit 2).
func (m *Main) Run(ctx context.Context, args []string) error {
	m.loggerGiven = m.Logger != nil
	if m.Getenv("AWS_LAMBDA_RUNTIME_API") != "" && m.lambda != nil {
		m.setLogger("json", "info")
		return m.lambda(ctx, m)
	}
	m.setLogger("text", "info")
	if len(args) == 0 {
		m.usage(m.Stderr)
		return flag.ErrHelp
	}
	if args[0] == "help" && len(args) > 1 {
		args = []string{args[1], "--help"} // help CMD is CMD --help
	}
	if args[0] == "help" || isHelpFlag(args[0]) {
		m.usage(m.Stdout)
		return nil
	}
	i := slices.IndexFunc(m.commands, func(c command) bool { return c.name == args[0] })
	if i < 0 {
		m.usage(m.Stderr)
		return &ExitError{Code: 2, Err: fmt.Errorf("unknown command %q", args[0])}
	}
	c := m.commands[i]
	m.setLogger(firstSet(c.logs, "text"), "info")
	err := c.run(ctx, m, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage asked for is printed
	}
	return err
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "--h" }

func (m *Main) usage(w io.Writer) {
	fmt.Fprintln(w, "connect-reporting lands Amazon Connect data in SQL.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: connect-reporting <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range m.commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'connect-reporting <command> --help' for a command's flags.")
	fmt.Fprintln(w, "When AWS_LAMBDA_RUNTIME_API is set the binary runs as a Lambda function and dispatches on _HANDLER.")
}

// newFlagSet returns a flag set for `connect-reporting USAGE` that reports
// errors instead of exiting; parse it with Main.parse.
func (m *Main) newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.StringVar(&m.logFormat, "log-format", "", "logs on stderr: text (compact, for people; the default except for run) or json (default $LOG_FORMAT)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: connect-reporting %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags that may come before, between or after the positional
// arguments (`ingest ctr a.json b.json --db x.db`) and returns the
// positional ones; "--" ends the flags. -h or --help prints the usage on
// stdout and returns flag.ErrHelp (Run turns it into success); a bad flag is
// a usage error (exit 2).
func (m *Main) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var out bytes.Buffer
	fs.SetOutput(&out)
	defer fs.SetOutput(m.Stderr)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				m.Stdout.Write(out.Bytes())
				return nil, err
			}
			return nil, usageError(fs.Name(), "%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if m.logFormat != "" {
		if !validLogFormat(m.logFormat) {
			return nil, usageError(fs.Name(), "--log-format %q: want %s", m.logFormat, strings.Join(logFormats, " or "))
		}
		m.setLogger(m.logDefaults[0], m.logDefaults[1])
	}
	return pos, nil
}

// usageError is a mistake on the command line of command name: exit 2, and
// a pointer to the command's help.
func usageError(name, format string, a ...any) error {
	return &ExitError{Code: 2, Err: fmt.Errorf("%s: %s (see 'connect-reporting %s --help')", name, fmt.Sprintf(format, a...), name)}
}

// firstSet returns the first non-empty value.
func firstSet(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
