package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"salesgraph/relay"
	"salesgraph/sales"
)

// Page is a keyset window of a list. After and Before are positions (from
// Window.Cursors of the same list and order, decoded by relay from a
// client's text); the window holds rows strictly between them. At most Limit rows come back, read from the After end, or
// from the Before end (the list's end without Before) when FromEnd; either
// way they are returned in list order. Count asks for the whole list's total
// too, as a second statement; without it the total is -1 and only the page
// query runs, which stops after Limit rows instead of reading every match.
type Page struct {
	Limit         int
	After, Before *relay.Cursor
	FromEnd       bool
	Count         bool
}

// Window is a fetched page: rows in list order, each row's position, and
// the list's total (-1 when not counted).
type Window[T any] struct {
	Items   []*T
	Cursors []relay.Cursor
	Total   int
}

// Sort names a column (by the schema's enum value) and a direction.
type Sort struct {
	Field string
	Desc  bool
}

// where builds a parameterised WHERE clause. Values are only ever passed as
// arguments; column names come from code, never from input.
type where struct {
	conds []string
	args  []any
}

// add appends cond, whose "?" marks stand for args in order.
func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// likePattern escapes a user's search text for ILIKE '%…%'.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// byIDs loads rows whose key column is in ids, in any order (the loaders put
// them back in key order).
func byIDs[T any](ctx context.Context, q sqlx.QueryerContext, query string, ids []int64) ([]*T, error) {
	var out []*T
	err := selectContext(ctx, q, &out, query, pqArray(ids))
	return out, err
}

// requestHash identifies a mutation's input, to tell a retry (same input)
// from a reused key (different input).
func requestHash(request any) (string, error) {
	b, err := json.Marshal(request)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// claimKey records an idempotency key inside tx before a document is
// created. When the key is new it returns (0, false): go on and create, then
// call finishKey. When an earlier request with this key committed, it returns
// that request's document ID and true: return it instead of creating another.
// A concurrent request with the same key waits on the unique index until the
// first commits (then replays it) or rolls back (then proceeds itself).
// The same key with different input is IDEMPOTENCY_KEY_REUSED.
func claimKey(ctx context.Context, tx *Tx, userID int64, mutation, key string, request any) (int64, bool, error) {
	if err := sales.CheckIdempotencyKey(key); err != nil {
		return 0, false, err
	}
	hash, err := requestHash(request)
	if err != nil {
		return 0, false, err
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO idempotency_keys (user_id, mutation, key, request_hash, created_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id, mutation, key) DO NOTHING`, userID, mutation, key, hash, tx.Now)
	if err != nil {
		return 0, false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return 0, false, nil
	}
	var stored struct {
		Hash       string        `db:"request_hash"`
		ResourceID sql.NullInt64 `db:"resource_id"`
	}
	err = tx.GetContext(ctx, &stored, `
		SELECT request_hash, resource_id FROM idempotency_keys
		WHERE user_id = $1 AND mutation = $2 AND key = $3`, userID, mutation, key)
	if err != nil {
		return 0, false, err
	}
	if stored.Hash != hash || !stored.ResourceID.Valid {
		return 0, false, sales.Errorf(sales.CodeIdempotencyKeyReused, "idempotencyKey",
			"this idempotency key was already used for a different %s request", mutation)
	}
	return stored.ResourceID.Int64, true, nil
}

// finishKey stores the created document's ID with its key.
func finishKey(ctx context.Context, tx *Tx, userID int64, mutation, key string, resourceID int64) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE idempotency_keys SET resource_id = $4
		WHERE user_id = $1 AND mutation = $2 AND key = $3`, userID, mutation, key, resourceID)
	return err
}

// createOnce runs create in a transaction, guarded by an idempotency key when
// one is given, and returns the new (or, for a retry, the earlier) document's ID.
func (d *DB) createOnce(ctx context.Context, actor *sales.User, mutation string, key *string, request any, create func(tx *Tx) (int64, error)) (id int64, err error) {
	err = d.Transact(ctx, func(tx *Tx) error {
		if key != nil {
			prior, replay, err := claimKey(ctx, tx, actor.ID, mutation, *key, request)
			if err != nil || replay {
				id = prior
				return err
			}
		}
		if id, err = create(tx); err != nil {
			return err
		}
		if key != nil {
			return finishKey(ctx, tx, actor.ID, mutation, *key, id)
		}
		return nil
	})
	return id, translate(err)
}

// isNoRows reports a missing row.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func pqArray(ids []int64) any { return pq.Array(ids) }

// anyOf adds "column is one of values" for a status filter; no values, no condition.
func anyOf[S ~string](w *where, column string, values []S) {
	if len(values) == 0 {
		return
	}
	texts := make([]string, len(values))
	for i, v := range values {
		texts[i] = string(v)
	}
	w.add(column+" = ANY(?)", pq.Array(texts))
}
