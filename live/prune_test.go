package live

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/graph/gqltest"
)

// pruneWorld is a migrated database with one order, whose outbox rows the
// tests write with chosen ages.
type pruneWorld struct {
	url   string
	store *db.Store
	order int64
}

func newPruneWorld(t *testing.T) *pruneWorld {
	t.Helper()
	w := &pruneWorld{url: dbtest.URL(t)}
	d, err := db.Open(context.Background(), w.url, db.Options{ApplicationName: "salesgraph-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	w.store = db.NewStore(d)
	if err := w.store.GetContext(t.Context(), &w.order, `WITH c AS (INSERT INTO customers (code, name, currency) VALUES ('PR', 'Prune', 'EUR') RETURNING id),
		w AS (INSERT INTO warehouses (code, name) VALUES ('PR', 'Prune') RETURNING id)
		INSERT INTO sales_orders (number, customer_id, warehouse_id, order_date, ship_to, currency, payment_terms_days)
		SELECT 'PR-1', c.id, w.id, current_date, '{}', 'EUR', 30 FROM c, w RETURNING id`); err != nil {
		t.Fatal(err)
	}
	return w
}

// write adds an outbox row that occurred age ago and returns its id.
func (w *pruneWorld) write(t *testing.T, age time.Duration) int64 {
	t.Helper()
	var id int64
	if err := w.store.GetContext(t.Context(), &id, `INSERT INTO order_events (order_id, status, occurred_at)
		VALUES ($1, 'CONFIRMED', now() - $2 * interval '1 microsecond') RETURNING id`, w.order, age.Microseconds()); err != nil {
		t.Fatal(err)
	}
	return id
}

func (w *pruneWorld) ids(t *testing.T) []int64 {
	t.Helper()
	var ids []int64
	if err := w.store.SelectContext(t.Context(), &ids, `SELECT id FROM order_events ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return ids
}

// Pruning deletes exactly the rows older than the retention at or below
// the watermark, batch by batch; it keeps newer rows, and old rows the
// broker has not delivered. Pruning again deletes nothing.
func TestPruneDeletesDeliveredRowsOlderThanRetention(t *testing.T) {
	t.Parallel()
	w := newPruneWorld(t)
	hour := time.Hour
	old1, old2 := w.write(t, 3*hour), w.write(t, 2*hour)
	recent := w.write(t, 30*time.Minute)
	old3 := w.write(t, 2*hour) // a late commit of a long transaction: old, above a newer row
	old4 := w.write(t, 90*time.Minute)
	undelivered := w.write(t, 2*hour)
	newest := w.write(t, time.Minute)

	var logs gqltest.LogBuffer
	b := New(w.store.Events, Options{Retention: hour, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	b.delivered = old4 // the broker has fanned out up to old4, not undelivered
	n, err := b.prune(t.Context(), w.store.Events, 2)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("prune deleted %d rows, want 4", n)
	}
	if got, want := w.ids(t), []int64{recent, undelivered, newest}; !slices.Equal(got, want) {
		t.Errorf("kept rows %v, want %v (deleted should be %v)", got, want, []int64{old1, old2, old3, old4})
	}
	if !bytes.Contains([]byte(logs.String()), []byte("level=INFO msg=\"live feed: pruned the outbox\" deleted=4")) {
		t.Errorf("log %q does not say at Info that 4 rows were deleted", logs.String())
	}

	if n, err := b.prune(t.Context(), w.store.Events, 2); err != nil || n != 0 {
		t.Errorf("pruning again: %d deleted, %v; want 0", n, err)
	}
	b.delivered = newest
	if n, err := b.prune(t.Context(), w.store.Events, 2); err != nil || n != 1 {
		t.Errorf("once delivered, the old row: %d deleted, %v; want 1", n, err)
	}
	if got, want := w.ids(t), []int64{recent, newest}; !slices.Equal(got, want) {
		t.Errorf("kept rows %v, want %v", got, want)
	}
}

// Several instances pruning at once delete each row once between them,
// without errors, and leave nothing old behind.
func TestConcurrentPrunersDeleteEachRowOnce(t *testing.T) {
	t.Parallel()
	w := newPruneWorld(t)
	var last int64
	for range 60 {
		last = w.write(t, 2*time.Hour)
	}
	keep := w.write(t, time.Minute)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int64
	)
	for range 4 {
		b := New(w.store.Events, Options{Retention: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		b.delivered = keep
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				n, err := b.prune(context.Background(), w.store.Events, 7)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if total != 60 {
		t.Errorf("the pruners deleted %d rows between them, want 60 (the last old one is %d)", total, last)
	}
	if got := w.ids(t); !slices.Equal(got, []int64{keep}) {
		t.Errorf("kept rows %v, want only %d", got, keep)
	}
}

// A running broker prunes on its own, every PruneEvery, rows it has
// delivered; Run returns, pruner and all, when its context ends.
func TestRunPrunesTheOutbox(t *testing.T) {
	t.Parallel()
	w := newPruneWorld(t)
	b := New(w.store.Events, Options{ConnString: w.url, Retention: time.Hour, PruneEvery: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	defer func() { cancel(); <-done }()
	sub, err := b.Subscribe(t.Context(), Filter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	old := w.write(t, 2*time.Hour)
	recent := w.write(t, 10*time.Minute)
	for _, want := range []int64{old, recent} {
		if e := recv(t, sub); e.ID != want {
			t.Fatalf("delivered %d, want %d", e.ID, want)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for slices.Contains(w.ids(t), old) {
		if time.Now().After(deadline) {
			t.Fatalf("the delivered old row %d is still there after 5s of pruning every 20ms", old)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := w.ids(t); !slices.Equal(got, []int64{recent}) {
		t.Errorf("kept rows %v, want %v", got, []int64{recent})
	}

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of its context ending")
	}
}
