package db

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"salesgraph/sales"
)

// Every request signs in by reading its user (role, active) by email. The
// pool keeps those reads for a moment, so that a client's burst of requests
// costs one statement, not one each. A change to a user's role or active
// flag goes through UserStore.Update, which drops the entry before it
// returns: on this process the next request reads the change. Another
// process (a second server) keeps its entry until it expires, so it sees the
// change within UserCacheTTL.

// DefaultUserCacheTTL is how long a sign-in lookup is kept (Options.UserCacheTTL).
const DefaultUserCacheTTL = time.Second

// maxCachedUsers bounds the cache: far more users than sign in within a
// TTL, and small (a few MB at most).
const maxCachedUsers = 10_000

type userCache struct {
	ttl atomic.Int64 // nanoseconds; 0 turns the cache off

	mu sync.Mutex
	// gen counts invalidations. A lookup that read the database before an
	// invalidation may have read the old row: it must not store it.
	gen     uint64
	entries map[string]cachedUser
}

type cachedUser struct {
	user    sales.User
	expires time.Time
}

func newUserCache(ttl time.Duration) *userCache {
	c := &userCache{entries: map[string]cachedUser{}}
	c.setTTL(ttl)
	return c
}

// setTTL changes the TTL and drops every entry, which was kept for the old one.
func (c *userCache) setTTL(ttl time.Duration) {
	c.ttl.Store(int64(max(ttl, 0)))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

// get returns a copy of the cached user, or false, and the generation a
// lookup that misses must hand to put.
func (c *userCache) get(email string, now time.Time) (*sales.User, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[email]
	if !ok || !now.Before(e.expires) {
		return nil, c.gen, false
	}
	u := e.user // a copy: a caller may not change what others are handed
	return &u, c.gen, true
}

// put keeps u unless an invalidation happened since gen was read.
func (c *userCache) put(email string, u *sales.User, gen uint64, now time.Time) {
	ttl := time.Duration(c.ttl.Load())
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.entries) >= maxCachedUsers {
		c.evict(now)
	}
	c.entries[email] = cachedUser{user: *u, expires: now.Add(ttl)}
}

// evict drops expired entries and, if that frees nothing, one arbitrary entry
// (map order is random). The caller holds mu.
func (c *userCache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < maxCachedUsers {
			break
		}
		delete(c.entries, k)
	}
}

// invalidate drops email's entry and voids the lookups in flight.
func (c *userCache) invalidate(email string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.entries, email)
}

// SetUserCacheTTL changes how long sign-in lookups are kept (0 turns the
// cache off) and empties the cache: for tests, which must prove the
// invalidation rather than the expiry, or the expiry itself.
func (d *DB) SetUserCacheTTL(ttl time.Duration) { d.users.setTTL(ttl) }

// ForSignIn returns the user with this email, as ByEmail does, through the
// pool's short-lived cache of sign-in lookups (see above). Only a found user
// is kept, so a user added since is found at once. The result is the
// caller's own copy.
func (s *UserStore) ForSignIn(ctx context.Context, email string) (*sales.User, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	if time.Duration(s.db.users.ttl.Load()) <= 0 {
		return s.ByEmail(ctx, key)
	}
	now := time.Now()
	u, gen, ok := s.db.users.get(key, now)
	if ok {
		return u, nil
	}
	u, err := s.ByEmail(ctx, key)
	if err != nil {
		return nil, err
	}
	s.db.users.put(key, u, gen, now)
	return u, nil
}
