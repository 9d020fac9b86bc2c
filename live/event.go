package live

import (
	"sync"

	"salesgraph/db"
)

// Event is one outbox row as the broker hands it out. The same *Event goes
// to every subscriber it matches, so what they all derive from it (the
// GraphQL payload of one query for one kind of viewer) is worked out once,
// by the first to ask: Shared.
type Event struct {
	*db.FeedEvent

	mu     sync.Mutex
	shared map[string]*sharedValue
}

type sharedValue struct {
	done    chan struct{} // closed once val and ok are set
	val     any
	ok      bool
	waiters int // how many wait for it (for tests)
}

func newEvent(e *db.FeedEvent) *Event { return &Event{FeedEvent: e} }

// Shared returns compute's value for key, calling compute once for all the
// subscribers that ask for the same key: the others wait for the first. If
// compute reports failure (its caller's socket closed while it worked), the
// value is not kept, and each waiter calls compute itself.
func (e *Event) Shared(key string, compute func() (any, bool)) any {
	e.mu.Lock()
	if e.shared == nil {
		e.shared = map[string]*sharedValue{}
	}
	v, found := e.shared[key]
	if !found {
		v = &sharedValue{done: make(chan struct{})}
		e.shared[key] = v
	} else {
		v.waiters++
	}
	e.mu.Unlock()
	if found {
		<-v.done
		if v.ok {
			return v.val
		}
		val, _ := compute()
		return val
	}
	val, ok := compute()
	v.val, v.ok = val, ok
	close(v.done)
	if !ok {
		e.mu.Lock()
		delete(e.shared, key) // the next to ask tries again
		e.mu.Unlock()
	}
	return val
}
