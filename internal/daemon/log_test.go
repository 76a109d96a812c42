package daemon_test

import (
	"io"
	"log/slog"
	"os"
)

// testLogger discards logs unless DAEMON_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("DAEMON_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
