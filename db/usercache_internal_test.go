package db

import (
	"fmt"
	"testing"
	"time"

	"salesgraph/sales"
)

// A lookup that read the database before an invalidation may hold the old
// row; it must not be stored after the invalidation dropped the entry.
func TestUserCache_LookupInFlightDuringInvalidationIsDropped(t *testing.T) {
	c := newUserCache(time.Hour)
	now := time.Now()
	_, gen, ok := c.get("ann@test.example", now)
	if ok {
		t.Fatal("hit on an empty cache")
	}
	stale := &sales.User{Email: "ann@test.example", Role: sales.RoleAdmin, Active: true}
	c.invalidate("ann@test.example") // Update commits while the lookup reads
	c.put("ann@test.example", stale, gen, now)
	if u, _, ok := c.get("ann@test.example", now); ok {
		t.Fatalf("the stale row was kept: %+v", u)
	}
	_, gen, _ = c.get("ann@test.example", now)
	c.put("ann@test.example", stale, gen, now)
	if _, _, ok := c.get("ann@test.example", now); !ok {
		t.Fatal("a lookup after the invalidation was not kept")
	}
}

func TestUserCache_Bounded(t *testing.T) {
	c := newUserCache(time.Hour)
	now := time.Now()
	for i := range maxCachedUsers + 100 {
		email := fmt.Sprintf("u%d@test.example", i)
		_, gen, _ := c.get(email, now)
		c.put(email, &sales.User{Email: email}, gen, now)
	}
	if n := len(c.entries); n > maxCachedUsers {
		t.Fatalf("%d entries, want at most %d", n, maxCachedUsers)
	}
	// Expired entries go first.
	later := now.Add(2 * time.Hour)
	_, gen, _ := c.get("new@test.example", later)
	c.put("new@test.example", &sales.User{Email: "new@test.example"}, gen, later)
	if n := len(c.entries); n != 1 {
		t.Fatalf("%d entries after every other one expired, want 1", n)
	}
}
