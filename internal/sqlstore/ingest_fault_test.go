package sqlstore

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connect-reporting/connect-reporting/internal/pgtest"
)

// faultProxy is a TCP proxy on loopback between the store and PostgreSQL
// that can cut every connection at a chosen point of the protocol: a real
// network fault, seen by the driver as a broken connection.
type faultProxy struct {
	ln     net.Listener
	target string
	// cut, when set, is called with every chunk the client sends; when it
	// returns true the proxy closes the client side, forwards the first
	// forward bytes of the chunk to the server, waits settle, and closes
	// the server side.
	mu    sync.Mutex
	cut   func(chunk []byte) (forward int, settle time.Duration, ok bool)
	cuts  atomic.Int32
	conns sync.WaitGroup
}

func startFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.conns.Wait() })
	return p
}

func (p *faultProxy) setCut(f func([]byte) (int, time.Duration, bool)) {
	p.mu.Lock()
	p.cut = f
	p.mu.Unlock()
}

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.conns.Add(2)
		closeBoth := sync.OnceFunc(func() { c.Close(); s.Close() })
		go func() { // server -> client
			defer p.conns.Done()
			_, _ = io.Copy(c, s)
			closeBoth()
		}()
		go func() { // client -> server, watching for the cut point
			defer p.conns.Done()
			defer closeBoth()
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					p.mu.Lock()
					cut := p.cut
					p.mu.Unlock()
					if cut != nil {
						if fwd, settle, ok := cut(buf[:n]); ok {
							p.cuts.Add(1)
							// The client loses the connection first, so it
							// never hears what the server makes of the bytes
							// still forwarded.
							c.Close()
							_, _ = s.Write(buf[:fwd])
							time.Sleep(settle)
							return
						}
					}
					if _, werr := s.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

// proxiedDSN points a postgres:// DSN at the proxy.
func proxiedDSN(t *testing.T, dsn string, proxy *faultProxy) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest DSN is not a URL: %v", err)
	}
	u.Host = proxy.ln.Addr().String()
	return u.String()
}

// TestIntegrationPostgresFaultMidBatch cuts the connection to PostgreSQL in
// the middle of a batch (half of the batch statement sent) and, in a second
// case, just after COMMIT was sent (the server commits, the client never
// hears). Either way StoreBatch reports an error; in the first case nothing
// of the batch is stored, and after recovery retrying the batch whole
// yields exactly the database of an undisturbed in-order delivery.
func TestIntegrationPostgresFaultMidBatch(t *testing.T) {
	cases := []struct {
		name        string
		cut         func([]byte) (int, time.Duration, bool)
		wantNothing bool // nothing of the failed batch may be visible
	}{
		{
			name: "connection lost while sending the batch",
			cut: func(b []byte) (int, time.Duration, bool) {
				// The batch statement is the only large message.
				return len(b) / 2, 0, len(b) > 8<<10
			},
			wantNothing: true,
		},
		{
			name: "connection lost after COMMIT was sent",
			cut: func(b []byte) (int, time.Duration, bool) {
				return len(b), 200 * time.Millisecond, bytes.Contains(bytes.ToLower(b), []byte("commit"))
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rng := newTestRand(7)
			w := genWorkload(rng, 20, 80)
			items := w.items()
			const n = 100

			// The reference: an undisturbed in-order delivery.
			ref := openIngestStore(t, "postgres", Options{})
			deliverInOrder(t, ref, items, n)
			want := dumpTables(t, ref.DB())

			direct, dsn := openIngestStorePG(t, Options{})
			proxy := startFaultProxy(t, pgtest.SplitHostPort(dsn))
			viaProxy := openStoreDSN(t, proxiedDSN(t, dsn, proxy), Options{})

			failAt := 2 * n // the third batch fails
			deliverInOrder(t, viaProxy, items[:failAt], n)
			before := dumpTables(t, direct.DB())

			failing := batchOf(items[failAt : failAt+n])
			proxy.setCut(tc.cut)
			_, err := viaProxy.StoreBatch(ctx, failing)
			proxy.setCut(nil)
			if err == nil {
				t.Fatal("StoreBatch succeeded through a cut connection")
			}
			if proxy.cuts.Load() == 0 {
				t.Fatal("the proxy never cut the connection")
			}
			t.Logf("StoreBatch error (expected): %v", err)
			if tc.wantNothing {
				diffDumps(t, before, dumpTables(t, direct.DB()))
			}

			// Recovery: the caller retries the failed batch whole, then goes on.
			if _, err := viaProxy.StoreBatch(ctx, failing); err != nil {
				t.Fatalf("retry after recovery: %v", err)
			}
			deliverInOrder(t, viaProxy, items[failAt+n:], n)
			diffDumps(t, want, dumpTables(t, direct.DB()))
		})
	}
}
