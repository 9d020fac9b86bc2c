package live

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"salesgraph/db"
)

// gatedSource counts the broker's checkpoints and can hold them at a gate.
type gatedSource struct {
	*db.EventStore
	checkpoints atomic.Int64
	mu          sync.Mutex
	gate        chan struct{} // non-nil: Checkpoint waits for it to close
	entered     chan struct{} // gets a token when a Checkpoint waits at the gate
}

func (g *gatedSource) Checkpoint(ctx context.Context) (db.FeedCheckpoint, error) {
	g.checkpoints.Add(1)
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		g.entered <- struct{}{}
		<-gate
	}
	return g.EventStore.Checkpoint(ctx)
}

// Doorbells that ring while the broker is reading are answered by one more
// read, not one read each: under a heavy write load the broker reads per
// batch of commits.
func TestDoorbellsWhileReadingCostOneRead(t *testing.T) {
	w := newPruneWorld(t)
	src := &gatedSource{EventStore: w.store.Events, entered: make(chan struct{}, 1)}
	b := New(src, Options{ConnString: w.url, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	sub, err := b.Subscribe(ctx, Filter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !b.listening.Load(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the listener did not connect")
		}
	}
	w.write(t, 0)
	recv(t, sub) // the broker is idle and listening

	gate := make(chan struct{})
	src.mu.Lock()
	src.gate = gate
	src.mu.Unlock()
	w.write(t, 0) // its doorbell starts a read, held at the gate
	select {
	case <-src.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("no read began after a commit")
	}
	const more = 30 // within lib/pq's notification buffer (32)
	for range more {
		w.write(t, 0) // one transaction, one doorbell each
	}
	time.Sleep(300 * time.Millisecond) // let the doorbells reach the listener
	src.mu.Lock()
	src.gate = nil
	src.mu.Unlock()
	before := src.checkpoints.Load()
	close(gate)
	for i := range more + 1 {
		if e := recv(t, sub); e == nil {
			t.Fatalf("event %d missing", i)
		}
	}
	// A marker: its doorbell queues behind the others, so once it is
	// delivered every read they caused has been made.
	w.write(t, 0)
	recv(t, sub)
	if reads := src.checkpoints.Load() - before; reads > 4 {
		t.Fatalf("%d reads for %d doorbells rung during one read and a marker, want at most 4", reads, more)
	}
}
