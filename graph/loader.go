package graph

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
)

// loader is a dataloader v7 Loader whose per-response cache can be filled
// ahead of the resolvers. Resolvers call Load as usual; prefetch (used by
// the level that lists the parents, see prefetch.go) sends one statement for
// all of a level's keys at once, so those Loads find their rows loaded or in
// flight and never wait for the batch timer.
type loader[K comparable, V any] struct {
	*dataloader.Loader[K, V]
	cache *thunkCache[K, V]
	fetch func(context.Context, []K) (map[K]V, error)
}

func newLoader[K comparable, V any](wait time.Duration, fetch func(context.Context, []K) (map[K]V, error)) *loader[K, V] {
	cache := &thunkCache[K, V]{}
	batch := func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		byKey, err := fetch(ctx, keys)
		results := make([]*dataloader.Result[V], len(keys))
		for i, k := range keys {
			results[i] = &dataloader.Result[V]{Data: byKey[k], Error: err}
		}
		return results
	}
	return &loader[K, V]{
		Loader: dataloader.NewBatchedLoader(batch, dataloader.WithWait[K, V](wait),
			dataloader.WithBatchCapacity[K, V](1000), dataloader.WithCache[K, V](cache)),
		cache: cache,
		fetch: fetch,
	}
}

// prefetch starts loading keys now, in one statement for those no load has
// asked for yet, without waiting for it. When then is given, it runs with the
// rows of keys (each key's row once, in any order) before the resolvers
// waiting for them are released: so the next level reserves its keys before
// any resolver of that level can ask for one and find it missing. Keys another
// prefetch is already loading get then from that load; keys a resolver's own
// Load is batching do not (they are answered, and their next level waits for
// the timer). then is skipped when the load fails (the resolvers report the
// error).
func (l *loader[K, V]) prefetch(ctx context.Context, keys []K, then func([]V)) {
	if len(keys) == 0 {
		return
	}
	missing, p, others := l.cache.reserve(keys)
	if then != nil {
		for other, ks := range others {
			other.attach(ctx, ks, then)
		}
	}
	if len(missing) == 0 {
		return
	}
	if then != nil {
		p.attach(ctx, missing, then)
	}
	go func() {
		fetched, err := safeFetch(ctx, l.fetch, missing)
		p.complete(fetched, err)
	}()
}

// safeFetch is fetch with a panic turned into the load's error: a prefetch
// runs on a goroutine of its own, where gqlgen's recovery does not reach, and
// a panic there would end the process.
func safeFetch[K comparable, V any](ctx context.Context, fetch func(context.Context, []K) (map[K]V, error), keys []K) (values map[K]V, err error) {
	defer func() {
		if r := recover(); r != nil {
			values, err = nil, fmt.Errorf("prefetch: panic: %v\n%s", r, debug.Stack())
		}
	}()
	return fetch(ctx, keys)
}

// runNext starts a next level. A panic there is logged and dropped: that
// level's rows are then loaded by their resolvers through the loader.
func runNext[V any](ctx context.Context, then func([]V), rows []V) {
	defer func() {
		if r := recover(); r != nil {
			logger := slog.Default()
			if l, ok := ctx.Value(loadersKey{}).(*Loaders); ok && l.logger != nil {
				logger = l.logger
			}
			logger.ErrorContext(ctx, "prefetch: panic in a next level", "requestId", RequestID(ctx), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	then(rows)
}

// thunkCache is the loader's per-response cache (dataloader.Cache), which
// prefetch fills with pending thunks.
type thunkCache[K comparable, V any] struct {
	mu      sync.Mutex
	m       map[K]dataloader.Thunk[V]
	pending map[K]*pendingLoad[K, V] // the prefetch that loads each key
}

func (c *thunkCache[K, V]) Get(_ context.Context, k K) (dataloader.Thunk[V], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[k]
	return t, ok
}

func (c *thunkCache[K, V]) Set(_ context.Context, k K, t dataloader.Thunk[V]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[K]dataloader.Thunk[V]{}
	}
	c.m[k] = t
	delete(c.pending, k)
}

func (c *thunkCache[K, V]) Delete(_ context.Context, k K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[k]
	delete(c.m, k)
	delete(c.pending, k)
	return ok
}

func (c *thunkCache[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m, c.pending = nil, nil
}

// reserve caches a pending thunk, completed by the returned load, for every
// key no load has asked for yet, and returns those keys (once each). others
// groups the keys that earlier prefetches are loading by their load.
func (c *thunkCache[K, V]) reserve(keys []K) (missing []K, p *pendingLoad[K, V], others map[*pendingLoad[K, V]][]K) {
	p = &pendingLoad[K, V]{done: make(chan struct{})}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[K]dataloader.Thunk[V]{}
	}
	if c.pending == nil {
		c.pending = map[K]*pendingLoad[K, V]{}
	}
	for _, k := range keys {
		if _, ok := c.m[k]; ok {
			if other := c.pending[k]; other != nil && other != p {
				if others == nil {
					others = map[*pendingLoad[K, V]][]K{}
				}
				others[other] = append(others[other], k)
			}
			continue
		}
		c.m[k] = func() (V, error) {
			<-p.done
			return p.values[k], p.err
		}
		c.pending[k] = p
		missing = append(missing, k)
	}
	return missing, p, others
}

// pendingLoad is one prefetch statement: its outcome, shared by the thunks of
// its keys, and the next levels to start before those thunks are released.
type pendingLoad[K comparable, V any] struct {
	done chan struct{}

	mu      sync.Mutex
	filled  bool
	values  map[K]V
	err     error
	waiters []pendingNext[K, V]
}

type pendingNext[K comparable, V any] struct {
	ctx  context.Context
	keys []K
	then func([]V)
}

// attach runs then with the rows of keys once the load has them, before it
// releases its thunks; at once if it already has them.
func (p *pendingLoad[K, V]) attach(ctx context.Context, keys []K, then func([]V)) {
	p.mu.Lock()
	if !p.filled {
		p.waiters = append(p.waiters, pendingNext[K, V]{ctx, keys, then})
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	if p.err == nil {
		runNext(ctx, then, p.rows(keys))
	}
}

// complete stores the outcome, starts the next levels, then releases the
// thunks (always: a resolver must never wait on a load that will not end).
func (p *pendingLoad[K, V]) complete(values map[K]V, err error) {
	p.mu.Lock()
	p.filled, p.values, p.err = true, values, err
	waiters := p.waiters
	p.waiters = nil
	p.mu.Unlock()
	defer close(p.done)
	if err == nil {
		for _, w := range waiters {
			runNext(w.ctx, w.then, p.rows(w.keys))
		}
	}
}

func (p *pendingLoad[K, V]) rows(keys []K) []V {
	out := make([]V, len(keys))
	for i, k := range keys {
		out[i] = p.values[k]
	}
	return out
}
