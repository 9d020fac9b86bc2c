package graph_test

import (
	"context"
	"testing"
	"time"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/graph/gqltest"
	"salesgraph/sales"
)

// Sign-in lookups are cached for a moment (db/usercache.go). The harness
// keeps them for an hour, so in these tests only the invalidation that a
// user change makes can show the change to the next request.
func TestSignInCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const updateUser = `mutation($id: ID!, $v: Int!, $in: UpdateUserInput!) { updateUser(id: $id, version: $v, input: $in) { version } }`
	update := func(t *testing.T, u *sales.User, in map[string]any) {
		t.Helper()
		var out struct{ UpdateUser struct{ Version int } }
		e.with(t).must(sales.RoleAdmin, updateUser, map[string]any{"id": userID(u.ID), "v": u.Version, "in": in}, &out)
		u.Version = out.UpdateUser.Version
	}
	post := func(t *testing.T, tok, query string, vars map[string]any) gqltest.Response {
		t.Helper()
		return gqltest.Post(t, e.url+"/graphql", tok, query, vars)
	}
	createWarehouse := func(code string) map[string]any {
		return map[string]any{"input": map[string]any{"code": code, "name": "Warehouse " + code}}
	}

	t.Run("SavesTheLookup", func(t *testing.T) {
		_, tok := e.addUser("cached@test.example", sales.RoleViewer)
		cost := func() int64 {
			before := e.store.Statements()
			if r := post(t, tok, `{ __typename }`, nil); len(r.Errors) > 0 {
				t.Fatal(r.Errors)
			}
			return e.store.Statements() - before
		}
		first, second, third := cost(), cost(), cost()
		if first != 1 || second != 0 || third != 0 {
			t.Fatalf("statements per request: %d, %d, %d; want 1 (the sign-in lookup), then 0 from the cache", first, second, third)
		}
	})

	t.Run("DeactivationRefusesTheVeryNextRequest", func(t *testing.T) {
		u, tok := e.addUser("deactivated@test.example", sales.RoleAdmin)
		if r := post(t, tok, `{ me { email } }`, nil); len(r.Errors) > 0 {
			t.Fatal(r.Errors) // the lookup is now cached
		}
		update(t, u, map[string]any{"active": false})
		wantError(t, post(t, tok, `{ me { email } }`, nil), "UNAUTHENTICATED", "")
		wantError(t, post(t, tok, createWarehouseMutation, createWarehouse("WDEAC")), "UNAUTHENTICATED", "")

		update(t, u, map[string]any{"active": true})
		if r := post(t, tok, `{ me { email } }`, nil); len(r.Errors) > 0 {
			t.Fatalf("reactivated, the next request: %+v", r.Errors)
		}
	})

	t.Run("RoleChangeAppliesToTheNextRequest", func(t *testing.T) {
		u, tok := e.addUser("demoted@test.example", sales.RoleAdmin)
		if r := post(t, tok, createWarehouseMutation, createWarehouse("WDEM1")); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		update(t, u, map[string]any{"role": "VIEWER"})
		wantError(t, post(t, tok, createWarehouseMutation, createWarehouse("WDEM2")), "FORBIDDEN", "")
		var me struct{ Me struct{ Role string } }
		post(t, tok, `{ me { role } }`, nil).Decode(t, &me)
		if me.Me.Role != "VIEWER" {
			t.Fatalf("me.role = %q after the demotion, want VIEWER", me.Me.Role)
		}

		update(t, u, map[string]any{"role": "ADMIN"})
		if r := post(t, tok, createWarehouseMutation, createWarehouse("WDEM3")); len(r.Errors) > 0 {
			t.Fatalf("promoted back, the next request: %+v", r.Errors)
		}
	})

	t.Run("ChangeThroughTheStore", func(t *testing.T) {
		// Any code path that changes a user goes through Users.Update, which
		// drops the entry: not only the GraphQL mutation.
		u, tok := e.addUser("store-changed@test.example", sales.RoleWarehouse)
		if r := post(t, tok, `{ me { email } }`, nil); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if _, err := e.store.Users.Update(context.Background(), u.ID, u.Version, func(u *sales.User) { u.Active = false }); err != nil {
			t.Fatal(err)
		}
		wantError(t, post(t, tok, `{ me { email } }`, nil), "UNAUTHENTICATED", "")
	})
}

// Another server process has its own cache, which no invalidation reaches:
// it sees a deactivation once its entry expires, within UserCacheTTL (the
// bound the README states).
func TestSignInCache_OtherProcessSeesTheChangeWithinTTL(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	const ttl = 300 * time.Millisecond
	here := envOn(t, openStore(t, url, db.Options{}))
	here.store.SetUserCacheTTL(ttl) // envOn keeps lookups for an hour
	elsewhere := openStore(t, url, db.Options{})

	u, tok := here.addUser("elsewhere@test.example", sales.RoleViewer)
	if r := gqltest.Post(t, here.url+"/graphql", tok, `{ me { email } }`, nil); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if _, err := elsewhere.Users.Update(context.Background(), u.ID, u.Version, func(u *sales.User) { u.Active = false }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(ttl + 50*time.Millisecond)
	wantError(t, gqltest.Post(t, here.url+"/graphql", tok, `{ me { email } }`, nil), "UNAUTHENTICATED", "")
}
