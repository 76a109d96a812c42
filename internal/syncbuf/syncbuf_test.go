package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// TestBufferConcurrentWrites writes from several goroutines at once (run
// with -race) and checks that no byte is lost.
func TestBufferConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if _, err := b.Write([]byte("x")); err != nil {
					t.Error(err)
				}
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got, want := b.String(), strings.Repeat("x", 800); got != want {
		t.Fatalf("len %d, want %d", len(got), len(want))
	}
}
