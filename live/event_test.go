package live

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"salesgraph/db"
)

// Subscribers asking at once for the same key share one computation; a
// different key gets its own.
func TestEventShared_OncePerKey(t *testing.T) {
	e := newEvent(&db.FeedEvent{})
	var calls atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	got := make([]any, 50)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = e.Shared("admin", func() (any, bool) {
				calls.Add(1)
				<-release // hold the others back until all have asked
				return "payload", true
			})
		}()
	}
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("compute ran %d times for one key, want 1", n)
	}
	for i, v := range got {
		if v != "payload" {
			t.Fatalf("subscriber %d got %v", i, v)
		}
	}
	if v := e.Shared("rep 7", func() (any, bool) { return "scoped", true }); v != "scoped" {
		t.Fatalf("another key got %v, want its own value", v)
	}
}

// A failed computation (its subscriber went away) is not handed to the
// others: each computes its own, and a later ask tries again.
func TestEventShared_FailureIsNotShared(t *testing.T) {
	e := newEvent(&db.FeedEvent{})
	started := make(chan struct{})
	fail := make(chan struct{})
	firstDone := make(chan any)
	go func() {
		firstDone <- e.Shared("k", func() (any, bool) {
			close(started)
			<-fail
			return nil, false
		})
	}()
	<-started
	waiterDone := make(chan any)
	go func() {
		waiterDone <- e.Shared("k", func() (any, bool) { return "own", false })
	}()
	for waiting := false; !waiting; runtime.Gosched() {
		e.mu.Lock()
		waiting = e.shared["k"].waiters == 1
		e.mu.Unlock()
	}
	close(fail)
	if v := <-firstDone; v != nil {
		t.Fatalf("the failed computation returned %v", v)
	}
	if v := <-waiterDone; v != "own" {
		t.Fatalf("a waiter got %v, want its own computation", v)
	}
	if v := e.Shared("k", func() (any, bool) { return "again", true }); v != "again" {
		t.Fatalf("after a failure the key kept %v, want a fresh computation", v)
	}
}
