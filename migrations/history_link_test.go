package migrations_test

import (
	"testing"

	"salesgraph/migrations"
)

// Migration 0019 pairs each order history row written before it with the
// outbox row of the same change, so that statusEvents, read from the
// history, keep the feed's cursors; rolled back and applied again on the
// demo company, it restores exactly the links the code wrote.
func TestHistoryLinkBackfill(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sqlDB, _ := demoDatabase(t)
	const links = `SELECT coalesce(string_agg(id || ':' || order_event_id, ',' ORDER BY id), '') FROM document_events WHERE doc_type = 'ORDER'`
	var written string
	if err := sqlDB.QueryRowContext(ctx, links).Scan(&written); err != nil {
		t.Fatal(err)
	}
	var rows, linked int
	if err := sqlDB.QueryRowContext(ctx, `SELECT count(*), count(order_event_id) FROM document_events WHERE doc_type = 'ORDER'`).Scan(&rows, &linked); err != nil {
		t.Fatal(err)
	}
	if rows < 10 || linked != rows {
		t.Fatalf("the demo wrote %d order history rows, %d linked; the test needs some, all linked", rows, linked)
	}

	downTo(t, sqlDB, 18)
	if err := migrations.Up(ctx, sqlDB); err != nil {
		t.Fatalf("Up: %v", err)
	}
	var backfilled string
	if err := sqlDB.QueryRowContext(ctx, links).Scan(&backfilled); err != nil {
		t.Fatal(err)
	}
	if backfilled != written {
		t.Fatalf("links after the backfill:\n%s\nwant those the code wrote:\n%s", backfilled, written)
	}
}
