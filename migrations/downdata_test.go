package migrations_test

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/pressly/goose/v3"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/demo"
	"salesgraph/migrations"
)

// TestDownWithData rolls every migration back from a database holding the
// demo company (orders with reserved, shipped and returned stock), then
// applies them again: `migrate down` must work on a used database, not only
// on an empty one.
func TestDownWithData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sqlDB, d := demoDatabase(t)
	count := func(query string) int {
		t.Helper()
		var n int
		if err := sqlDB.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	// The demo must exercise what the stock ledger gained in 0005, or this test proves nothing.
	for _, kind := range []string{"RESERVATION", "SHIPMENT", "RETURN"} {
		if n := count(`SELECT count(*) FROM stock_movements WHERE kind = '` + kind + `'`); n == 0 {
			t.Fatalf("demo wrote no %s ledger rows; the test needs some", kind)
		}
	}
	const onHandSum = `SELECT coalesce(sum(on_hand), 0)::int FROM stock_levels`
	onHandBefore := count(onHandSum)
	movesBefore := count(`SELECT count(*) FROM stock_movements WHERE quantity <> 0`)

	// Undo 0005: orders, deliveries and returns go; stock on hand and the
	// ledger rows that explain it stay.
	// Undo the migrations after 0005, then 0005.
	downTo(t, sqlDB, 4)
	if got := count(onHandSum); got != onHandBefore {
		t.Errorf("after Down from 0005, total on hand = %d, want %d (unchanged)", got, onHandBefore)
	}
	if got := count(`SELECT count(*) FROM stock_movements`); got != movesBefore {
		t.Errorf("after Down from 0005, %d ledger rows, want the %d that moved stock on hand", got, movesBefore)
	}
	// Each level's ledger still adds up to its on hand.
	if n := count(`SELECT count(*) FROM stock_levels l WHERE on_hand <> (SELECT coalesce(sum(quantity), 0)
			FROM stock_movements m WHERE m.product_id = l.product_id AND m.warehouse_id = l.warehouse_id)`); n != 0 {
		t.Errorf("after Down from 0005, %d stock levels differ from the sum of their ledger", n)
	}
	// No order is left to hold a reservation.
	if n := count(`SELECT count(*) FROM stock_levels WHERE reserved <> 0`); n != 0 {
		t.Errorf("after Down from 0005, %d stock levels still reserved, want none", n)
	}

	for i := 0; ; i++ {
		err := migrations.Down(ctx, sqlDB)
		if errors.Is(err, goose.ErrNoNextVersion) {
			break
		}
		if err != nil {
			t.Fatalf("Down #%d after 0005: %v", i+1, err)
		}
	}
	if n := count(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`); n != 0 {
		t.Errorf("after rolling everything back, %d tables remain", n)
	}

	if err := migrations.Up(ctx, sqlDB); err != nil {
		t.Fatalf("Up after full Down: %v", err)
	}
	if _, err := demo.Load(ctx, db.NewStore(d)); err != nil {
		t.Fatalf("demo.Load after down and up again: %v", err)
	}
}

// demoDatabase migrates an empty database and loads the demo company into
// it; it returns a plain connection for the migrations and the store's pool.
func demoDatabase(t *testing.T) (*sql.DB, *db.DB) {
	t.Helper()
	ctx := t.Context()
	url := dbtest.EmptyURL(t)
	sqlDB := mustOpen(t, url)
	if err := migrations.Up(ctx, sqlDB); err != nil {
		t.Fatalf("Up: %v", err)
	}
	d, err := db.Open(ctx, url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if _, err := demo.Load(ctx, db.NewStore(d)); err != nil {
		t.Fatalf("demo.Load: %v", err)
	}
	return sqlDB, d
}

// downTo undoes migrations, newest first, until version is the newest applied.
func downTo(t *testing.T, sqlDB *sql.DB, version int64) {
	t.Helper()
	for {
		st, err := migrations.Status(t.Context(), sqlDB)
		if err != nil {
			t.Fatal(err)
		}
		newest := int64(0)
		for _, m := range st {
			if m.Applied {
				newest = max(newest, m.Version)
			}
		}
		if newest <= version {
			return
		}
		if err := migrations.Down(t.Context(), sqlDB); err != nil {
			t.Fatalf("Down from %04d with data: %v", newest, err)
		}
	}
}
