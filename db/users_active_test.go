package db_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/sales"
)

// ActiveByEmails names the active users among the emails in one statement,
// past the sign-in cache, keyed by the caller's spelling.
func TestUsersActiveByEmails(t *testing.T) {
	t.Parallel()
	store := dbtest.New(t)
	ctx := context.Background()
	for _, u := range []sales.User{
		{Email: "on@test.example", Name: "On", Role: sales.RoleViewer, Active: true},
		{Email: "off@test.example", Name: "Off", Role: sales.RoleViewer, Active: true},
	} {
		if _, err := store.Users.Create(ctx, nil, u, nil); err != nil {
			t.Fatal(err)
		}
	}
	off, err := store.Users.ByEmail(ctx, "off@test.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Users.Update(ctx, off.ID, off.Version, func(u *sales.User) { u.Active = false }); err != nil {
		t.Fatal(err)
	}
	sctx, stats := db.WithStats(ctx)
	got, err := store.Users.ActiveByEmails(sctx, []string{"on@test.example", "ON@Test.Example ", "off@test.example", "nobody@test.example"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ON@Test.Example ", "on@test.example"}
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
		t.Fatalf("active = %q, want %q", keys, want)
	}
	if n := stats.Statements(); n != 1 {
		t.Fatalf("%d statements, want 1", n)
	}
	if got, err := store.Users.ActiveByEmails(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("no emails: %v %v, want none", got, err)
	}
}
