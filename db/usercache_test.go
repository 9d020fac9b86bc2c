package db_test

import (
	"context"
	"testing"
	"time"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/sales"
)

// ForSignIn reads a user once per TTL, and Update makes the next one read
// the database again.
func TestUsersForSignIn(t *testing.T) {
	t.Parallel()
	store := dbtest.New(t)
	store.SetUserCacheTTL(time.Hour) // only the invalidation may refresh it here
	ctx := context.Background()
	u, err := store.Users.Create(ctx, nil, sales.User{Email: "ann@test.example", Name: "Ann", Role: sales.RoleViewer, Active: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(t *testing.T, email string) (*sales.User, int64, error) {
		t.Helper()
		sctx, stats := db.WithStats(ctx)
		got, err := store.Users.ForSignIn(sctx, email)
		return got, stats.Statements(), err
	}

	if got, n, err := signIn(t, "Ann@Test.Example "); err != nil || n != 1 || got.ID != u.ID {
		t.Fatalf("first sign-in: %+v, %d statements, %v; want Ann from 1 statement", got, n, err)
	}
	got, n, err := signIn(t, "ann@test.example")
	if err != nil || n != 0 || got.ID != u.ID || got.Role != sales.RoleViewer {
		t.Fatalf("second sign-in: %+v, %d statements, %v; want Ann from the cache", got, n, err)
	}
	got.Role = sales.RoleAdmin // the caller's copy: the cache must not change with it
	if again, _, _ := signIn(t, "ann@test.example"); again.Role != sales.RoleViewer {
		t.Fatalf("a caller's change to its copy reached the cache: role %s", again.Role)
	}

	u, err = store.Users.Update(ctx, u.ID, u.Version, func(u *sales.User) { u.Role = sales.RoleAccountant; u.Active = false })
	if err != nil {
		t.Fatal(err)
	}
	if got, n, err := signIn(t, "ann@test.example"); err != nil || n != 1 || got.Role != sales.RoleAccountant || got.Active {
		t.Fatalf("after Update: %+v, %d statements, %v; want the new row, read again", got, n, err)
	}

	// A miss is not kept: a user added after it signs in at once.
	if _, n, err := signIn(t, "bob@test.example"); sales.CodeOf(err) != sales.CodeNotFound || n != 1 {
		t.Fatalf("unknown user: %d statements, %v; want NOT_FOUND", n, err)
	}
	if _, err := store.Users.Create(ctx, nil, sales.User{Email: "bob@test.example", Name: "Bob", Role: sales.RoleViewer, Active: true}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _, err := signIn(t, "bob@test.example"); err != nil || got.Email != "bob@test.example" {
		t.Fatalf("new user: %+v, %v", got, err)
	}

	t.Run("Expires", func(t *testing.T) {
		store.SetUserCacheTTL(50 * time.Millisecond)
		defer store.SetUserCacheTTL(time.Hour)
		signIn(t, "bob@test.example")
		time.Sleep(80 * time.Millisecond)
		if _, n, err := signIn(t, "bob@test.example"); err != nil || n != 1 {
			t.Fatalf("after the TTL: %d statements, %v; want the database read again", n, err)
		}
	})
	t.Run("Off", func(t *testing.T) {
		store.SetUserCacheTTL(0)
		defer store.SetUserCacheTTL(time.Hour)
		for range 2 {
			if _, n, err := signIn(t, "bob@test.example"); err != nil || n != 1 {
				t.Fatalf("cache off: %d statements, %v; want 1 each", n, err)
			}
		}
	})
}
