// Package kinesalite starts kinesalite, a real Kinesis implementation from
// npm, on a loopback port for tests. `npm ci` at the repository root puts it
// in node_modules (package.json lists it as a test-only tool).
package kinesalite

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/syncbuf"
)

// CLI returns the path of kinesalite's cli.js: $KINESALITE_CLI, or the
// repository's node_modules (or .tmp/node/node_modules). ok is false when
// none exists.
func CLI() (string, bool) {
	if p := os.Getenv("KINESALITE_CLI"); p != "" {
		_, err := os.Stat(p)
		return p, err == nil
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	for _, dir := range []string{"node_modules", filepath.Join(".tmp", "node", "node_modules")} {
		p := filepath.Join(root, dir, "kinesalite", "cli.js")
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return filepath.Join(root, "node_modules", "kinesalite", "cli.js"), false
}

// Start runs kinesalite (in memory, streams created at once) on a free
// loopback port until the test ends, and returns its endpoint URL. Without
// node or kinesalite it skips the test, except under CI, where it fails.
func Start(t testing.TB) string {
	t.Helper()
	missing := func(why string) {
		msg := "kinesalite not available (" + why + "); install it with `npm ci` at the repository root"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("no node on PATH")
	}
	cli, ok := CLI()
	if !ok {
		missing(cli + " missing")
	}
	var lastErr string
	for range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, node, cli, "--port", strconv.Itoa(port),
			"--createStreamMs", "0", "--deleteStreamMs", "0", "--updateStreamMs", "0", "--shardLimit", "100")
		var stderr syncbuf.Buffer
		cmd.Stderr = &stderr
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		ready := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "Listening") {
					close(ready)
					for sc.Scan() {
					}
					return
				}
			}
		}()
		select {
		case <-ready:
			t.Cleanup(func() {
				cancel()
				_ = cmd.Wait()
			})
			return "http://127.0.0.1:" + strconv.Itoa(port)
		case <-time.After(30 * time.Second):
		}
		cancel()
		_ = cmd.Wait()
		lastErr = stderr.String()
	}
	t.Fatalf("kinesalite did not start: %s", lastErr)
	return ""
}
