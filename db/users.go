package db

import (
	"context"
	"strings"

	"github.com/lib/pq"

	"salesgraph/sales"
)

// UserStore persists users.
type UserStore struct{ db *DB }

const userColumns = `id, email, name, role, active, version, created_at, updated_at`

// ByIDs returns the users with these IDs, in any order; missing ones are left out.
func (s *UserStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.User, err error) {
	defer wrap(&err, "Users.ByIDs")
	return byIDs[sales.User](ctx, s.db, `SELECT `+userColumns+` FROM users WHERE id = ANY($1)`, ids)
}

// ByEmail returns the user with this email. Returns NOT_FOUND if there is none.
func (s *UserStore) ByEmail(ctx context.Context, email string) (_ *sales.User, err error) {
	defer wrap(&err, "Users.ByEmail(%q)", email)
	var u sales.User
	err = s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE email = $1`, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return nil, notFound(err, "email", "user")
	}
	return &u, nil
}

// ActiveByEmails reports which of emails name an active user, in one
// statement whatever their number (callers batch): emails of inactive or
// missing users are left out. Emails compare as ByEmail compares them; the
// keys are the caller's spellings.
func (s *UserStore) ActiveByEmails(ctx context.Context, emails []string) (_ map[string]bool, err error) {
	defer wrap(&err, "Users.ActiveByEmails(%d)", len(emails))
	out := make(map[string]bool, len(emails))
	if len(emails) == 0 {
		return out, nil
	}
	norm := make([]string, len(emails))
	for i, e := range emails {
		norm[i] = strings.ToLower(strings.TrimSpace(e))
	}
	var found []string
	if err := s.db.SelectContext(ctx, &found, `SELECT email FROM users WHERE active AND email = ANY($1)`, pq.Array(norm)); err != nil {
		return nil, err
	}
	active := make(map[string]bool, len(found))
	for _, e := range found {
		active[e] = true
	}
	for i, e := range emails {
		if active[norm[i]] {
			out[e] = true
		}
	}
	return out, nil
}

var userKeys = &keyset[sales.User]{
	list: "users",
	sorts: map[string]sortKey[sales.User]{
		"EMAIL": textKey("email", "%s", func(r *sales.User) string { return r.Email }),
		"NAME":  textKey("name", "lower(%s)", func(r *sales.User) string { return r.Name }),
	},
	fallback: "EMAIL",
	key:      []string{"id"},
	keyOf:    func(r *sales.User) []int64 { return []int64{r.ID} },
}

// List returns a page of users and, when page.Count asks, the total (else -1).
func (s *UserStore) List(ctx context.Context, f sales.UserFilter, sort Sort, page Page) (_ Window[sales.User], err error) {
	defer wrap(&err, "Users.List")
	var w where
	if f.Role != nil {
		w.add("role = ?", string(*f.Role))
	}
	if f.Active != nil {
		w.add("active = ?", *f.Active)
	}
	if f.Search != nil && *f.Search != "" {
		p := likePattern(*f.Search)
		w.add("(email ILIKE ? OR name ILIKE ?)", p, p)
	}
	return listPage(ctx, s.db, `SELECT `+userColumns, `FROM users`, &w, userKeys, sort, page)
}

// Create adds a user. actor is nil only for the command line's `user add`.
// Returns VALIDATION or CONFLICT (email taken).
func (s *UserStore) Create(ctx context.Context, actor *sales.User, in sales.User, key *string) (_ *sales.User, err error) {
	defer wrap(&err, "Users.Create")
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	if err := in.Validate(); err != nil {
		return nil, err
	}
	create := func(tx *Tx) (int64, error) {
		var id int64
		err := tx.GetContext(ctx, &id, `
			INSERT INTO users (email, name, role, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $4) RETURNING id`, in.Email, strings.TrimSpace(in.Name), string(in.Role), tx.Now)
		return id, err
	}
	var id int64
	if actor == nil {
		err = s.db.Transact(ctx, func(tx *Tx) error { id, err = create(tx); return err })
		err = translate(err)
	} else {
		id, err = s.db.createOnce(ctx, actor, "createUser", key, in, create)
	}
	if err != nil {
		return nil, err
	}
	return s.byID(ctx, id)
}

func (s *UserStore) byID(ctx context.Context, id int64) (*sales.User, error) {
	var u sales.User
	if err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "id", "user")
	}
	return &u, nil
}

// Update applies change to the user at version, and drops the user from the
// sign-in cache before it returns. Returns NOT_FOUND, CONFLICT (stale
// version), VALIDATION.
func (s *UserStore) Update(ctx context.Context, id int64, version int, change func(*sales.User)) (_ *sales.User, err error) {
	defer wrap(&err, "Users.Update(%d)", id)
	var out sales.User
	var email string
	err = s.db.Transact(ctx, func(tx *Tx) error {
		var u sales.User
		if err := tx.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, id); err != nil {
			return notFound(err, "id", "user")
		}
		email = u.Email
		if err := checkVersion("user", u.Version, version); err != nil {
			return err
		}
		change(&u)
		if err := u.Validate(); err != nil {
			return err
		}
		return tx.GetContext(ctx, &out, `
			UPDATE users SET name = $2, role = $3, active = $4, version = version + 1, updated_at = $5
			WHERE id = $1 RETURNING `+userColumns, id, strings.TrimSpace(u.Name), string(u.Role), u.Active, tx.Now)
	})
	if email != "" {
		// Before returning, and even on an error (the commit may have
		// happened): the user's next request on this process signs in with
		// what the database now says (usercache.go).
		s.db.users.invalidate(email)
	}
	if err != nil {
		return nil, translate(err)
	}
	return &out, nil
}

// checkVersion is the optimistic-concurrency check every update makes.
func checkVersion(what string, current, sent int) error {
	if current != sent {
		return sales.Errorf(sales.CodeConflict, "version",
			"this %s was changed by someone else (you sent version %d, it is now %d); reload and try again", what, sent, current)
	}
	return nil
}
