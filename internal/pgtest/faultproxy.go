package pgtest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// FaultProxy is a TCP proxy on loopback between a client and PostgreSQL
// that can cut every connection at a chosen point of the protocol: a real
// network fault, seen by the driver as a broken connection.
type FaultProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    func(chunk []byte) (forward int, settle time.Duration, ok bool)
	cuts   atomic.Int32
	conns  sync.WaitGroup
}

// StartFaultProxy starts a proxy to target (host:port) until the test ends.
func StartFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.conns.Wait() })
	return p
}

// Addr is the proxy's host:port.
func (p *FaultProxy) Addr() string { return p.ln.Addr().String() }

// Cuts counts the connections cut so far.
func (p *FaultProxy) Cuts() int { return int(p.cuts.Load()) }

// SetCut sets (or, with nil, clears) the cut point: f is called with every
// chunk a client sends; when it returns ok the proxy closes the client side,
// forwards the first forward bytes of the chunk to the server, waits settle,
// and closes the server side.
func (p *FaultProxy) SetCut(f func([]byte) (int, time.Duration, bool)) {
	p.mu.Lock()
	p.cut = f
	p.mu.Unlock()
}

func (p *FaultProxy) serve() {
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
