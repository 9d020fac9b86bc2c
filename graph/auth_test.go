package graph_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"salesgraph/auth"
	"salesgraph/graph/gqltest"
	"salesgraph/sales"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const me = `{ me { email role } }`

	t.Run("NoTokenNoData", func(t *testing.T) {
		for _, q := range []string{me, `{ customers { totalCount } }`, `{ products { totalCount } }`, `{ node(id: "VXNlcjox") { id } }`} {
			wantError(t, gqltest.Post(t, e.url+"/graphql", "", q, nil), "UNAUTHENTICATED", "")
		}
	})
	t.Run("IntrospectionNeedsNoToken", func(t *testing.T) {
		r := gqltest.Post(t, e.url+"/graphql", "", `{ __schema { queryType { name } } }`, nil)
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Query") {
			t.Fatalf("introspection: %s %+v", r.Data, r.Errors)
		}
	})
	t.Run("BadTokens", func(t *testing.T) {
		expired, _ := auth.Issue(testSecret, e.users[sales.RoleAdmin].Email, -time.Hour)
		forged, _ := auth.Issue([]byte("some-other-secret-some-other-secret"), e.users[sales.RoleAdmin].Email, time.Hour)
		unknown, _ := auth.Issue(testSecret, "ghost@test.example", time.Hour)
		for name, tok := range map[string]string{"Expired": expired, "Forged": forged, "UnknownUser": unknown, "Garbage": "abc.def.ghi"} {
			t.Run(name, func(t *testing.T) {
				wantError(t, gqltest.Post(t, e.url+"/graphql", tok, me, nil), "UNAUTHENTICATED", "")
			})
		}
		t.Run("NotBearer", func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.url+"/graphql", strings.NewReader(`{"query":"{ me { email } }"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if !strings.Contains(string(body), "UNAUTHENTICATED") {
				t.Fatalf("Basic auth answered %s", body)
			}
		})
	})
	t.Run("RoleReadOnEveryRequest", func(t *testing.T) {
		u, tok := e.addUser("changing@test.example", sales.RoleViewer)
		r := gqltest.Post(t, e.url+"/graphql", tok, createProductMutation, map[string]any{"input": map[string]any{"sku": "R-1", "name": "x", "unitOfMeasure": "EA"}})
		wantError(t, r, "FORBIDDEN", "")
		if _, err := e.store.Users.Update(context.Background(), u.ID, u.Version, func(u *sales.User) { u.Role = sales.RoleSalesManager }); err != nil {
			t.Fatal(err)
		}
		r = gqltest.Post(t, e.url+"/graphql", tok, createProductMutation, map[string]any{"input": map[string]any{"sku": "R-1", "name": "x", "unitOfMeasure": "EA"}})
		if len(r.Errors) > 0 {
			t.Fatalf("after promotion the same token should work: %+v", r.Errors)
		}
	})
	t.Run("DeactivationTakesEffectAtOnce", func(t *testing.T) {
		u, tok := e.addUser("leaving@test.example", sales.RoleAdmin)
		if r := gqltest.Post(t, e.url+"/graphql", tok, me, nil); len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		var out struct{ UpdateUser struct{ Active bool } }
		e.with(t).must(sales.RoleAdmin, `mutation($id: ID!) { updateUser(id: $id, version: 1, input: {active: false}) { active } }`, map[string]any{"id": userID(u.ID)}, &out)
		wantError(t, gqltest.Post(t, e.url+"/graphql", tok, me, nil), "UNAUTHENTICATED", "")
	})
	t.Run("AdminCannotLockThemselvesOut", func(t *testing.T) {
		admin := e.users[sales.RoleAdmin]
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAdmin, `mutation($id: ID!) { updateUser(id: $id, version: 1, input: {active: false}) { active } }`, map[string]any{"id": userID(admin.ID)}),
				"VALIDATION", "input")
		})
	})
	t.Run("UsersMutations", func(t *testing.T) {
		const create = `mutation($input: CreateUserInput!) { createUser(input: $input) { id email role active } }`
		var out struct{ CreateUser struct{ Email, Role string } }
		e.with(t).must(sales.RoleAdmin, create, map[string]any{"input": map[string]any{"email": "New@Test.Example", "name": "New", "role": "ACCOUNTANT"}}, &out)
		if out.CreateUser.Email != "new@test.example" || out.CreateUser.Role != "ACCOUNTANT" {
			t.Fatalf("created %+v", out.CreateUser)
		}
		for _, tc := range []struct {
			name, code, field string
			role              sales.Role
			input             map[string]any
		}{
			{"DuplicateEmail", "CONFLICT", "input.email", sales.RoleAdmin, map[string]any{"email": "new@test.example", "name": "x", "role": "VIEWER"}},
			{"BadEmail", "VALIDATION", "input.email", sales.RoleAdmin, map[string]any{"email": "nope", "name": "x", "role": "VIEWER"}},
			{"UnknownRole", "GRAPHQL_VALIDATION_FAILED", "", sales.RoleAdmin, map[string]any{"email": "a@b.example", "name": "x", "role": "GOD"}},
			{"ManagerMayNot", "FORBIDDEN", "", sales.RoleSalesManager, map[string]any{"email": "a@b.example", "name": "x", "role": "ADMIN"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				unchanged(t, e.store, func() {
					wantError(t, e.with(t).as(tc.role, create, map[string]any{"input": tc.input}), tc.code, tc.field)
				})
			})
		}
	})
}

func TestNodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, w := e.with(t).product("N-1"), e.with(t).warehouse("WH-N")
	c := e.with(t).createCustomer(sales.RoleAdmin, validCustomer("NODE-1"))
	var rec struct{ ReceiveStock struct{ ID string } }
	e.with(t).must(sales.RoleWarehouse, receiveMutation, map[string]any{"input": map[string]any{"productId": p, "warehouseId": w, "quantity": "1"}}, &rec)
	var lv levelOut
	e.with(t).must(sales.RoleViewer, levelQuery, map[string]any{"id": p}, &lv)
	ids := []string{p, w, c.ID, rec.ReceiveStock.ID, lv.Product.StockLevels.Nodes[0].ID, userID(e.users[sales.RoleAdmin].ID)}
	var out struct {
		Nodes []struct {
			ID       string
			Typename string `json:"__typename"`
		}
	}
	e.with(t).must(sales.RoleViewer, `query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }`, map[string]any{"ids": ids}, &out)
	want := []string{"Product", "Warehouse", "Customer", "StockMovement", "StockLevel", "User"}
	for i, n := range out.Nodes {
		if n.ID != ids[i] || n.Typename != want[i] {
			t.Fatalf("node %d = %+v, want %s %s", i, n, ids[i], want[i])
		}
	}
	t.Run("UnknownIsNull", func(t *testing.T) {
		r := e.with(t).as(sales.RoleViewer, `{ node(id: "Q3VzdG9tZXI6OTk5OTk") { id } }`, nil)
		if len(r.Errors) > 0 || string(r.Data) != `{"node":null}` {
			t.Fatalf("unknown node: %s %+v", r.Data, r.Errors)
		}
	})
	t.Run("MalformedIsValidation", func(t *testing.T) {
		wantError(t, e.with(t).as(sales.RoleViewer, `{ node(id: "%%%") { id } }`, nil), "VALIDATION", "id")
	})
	t.Run("RepCannotSeeOthersCustomer", func(t *testing.T) {
		r := e.with(t).as(sales.RoleSalesRep, `query($id: ID!) { node(id: $id) { id } customer(id: $id) { id } }`, map[string]any{"id": c.ID})
		if len(r.Errors) > 0 || string(r.Data) != `{"node":null,"customer":null}` {
			t.Fatalf("rep saw another's customer: %s %+v", r.Data, r.Errors)
		}
	})
}
