package graph

import (
	"context"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/relay"
	"salesgraph/sales"
)

func (r *Resolver) createUser(ctx context.Context, in model.CreateUserInput, key *string) (*sales.User, error) {
	return r.Store.Users.Create(ctx, Viewer(ctx), sales.User{Email: in.Email, Name: in.Name, Role: in.Role, Active: true}, key)
}

func (r *Resolver) updateUser(ctx context.Context, id string, version int, in model.UpdateUserInput) (*sales.User, error) {
	key, err := relay.Key("id", typeUser, id)
	if err != nil {
		return nil, err
	}
	if key == Viewer(ctx).ID && (in.Active != nil && !*in.Active || in.Role != nil && *in.Role != sales.RoleAdmin) {
		// An admin who locks themselves out may leave nobody able to undo it.
		return nil, sales.Errorf(sales.CodeValidation, "input", "you cannot deactivate yourself or drop your own ADMIN role")
	}
	return r.Store.Users.Update(ctx, key, version, func(u *sales.User) {
		set(&u.Name, in.Name)
		set(&u.Role, in.Role)
		set(&u.Active, in.Active)
	})
}

func (r *Resolver) users(ctx context.Context, a pageArgs, f *model.UserFilter, o *model.UserOrder) (*model.UserConnection, error) {
	var filter sales.UserFilter
	if f != nil {
		filter = sales.UserFilter{Role: f.Role, Active: f.Active, Search: f.Search}
	}
	var sort db.Sort
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	p, err := paginate(ctx, a, func(pg db.Page) (db.Window[sales.User], error) { return r.Store.Users.List(ctx, filter, sort, pg) })
	if err != nil {
		return nil, err
	}
	return &model.UserConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.User) *model.UserEdge { return &model.UserEdge{Cursor: c, Node: n} })}, nil
}
