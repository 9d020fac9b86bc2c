package live

import (
	"context"
	"time"
)

// Pruner deletes delivered outbox rows older than the retention;
// *db.EventStore is one. A Source that is not a Pruner is never pruned.
type Pruner interface {
	PruneFeed(ctx context.Context, through int64, cutoff time.Time, limit int) (int64, error)
}

// pruneBatch bounds one DELETE: a short lock and a small WAL burst each.
const pruneBatch = 10_000

// pruneEvery is how often the outbox is pruned: Options.PruneEvery, else a
// 24th of the retention between a second and an hour. Negative: never.
func (o Options) pruneEvery() time.Duration {
	if o.PruneEvery != 0 {
		return o.PruneEvery
	}
	return min(max(o.Retention/24, time.Second), time.Hour)
}

// startPruning prunes the outbox now and then every pruneEvery until ctx
// ends or the returned stop is called; stop waits for the pruner to return.
// Run calls it once the watermark is set.
func (b *Broker) startPruning(ctx context.Context) (stop func()) {
	p, ok := b.src.(Pruner)
	every := b.opts.pruneEvery()
	if !ok || every < 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_, _ = b.prune(ctx, p, pruneBatch)
				t.Reset(every)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// prune deletes, batch by batch, the outbox rows older than the retention
// that this broker has delivered (id <= its watermark): a resume cursor
// naming one is CURSOR_EXPIRED either way, and no subscriber of this
// instance can still need it. Deleting is idempotent, so several instances
// may prune at once. It returns how many rows it deleted.
func (b *Broker) prune(ctx context.Context, p Pruner, batch int) (int64, error) {
	through := b.Delivered()
	cutoff := time.Now().Add(-b.opts.Retention)
	var total int64
	for {
		n, err := p.PruneFeed(ctx, through, cutoff, batch)
		total += n
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("live feed: pruning the outbox failed; retrying later", "deleted", total, "err", err)
			}
			return total, err
		}
		if n < int64(batch) {
			break
		}
	}
	if total > 0 {
		b.log.Info("live feed: pruned the outbox", "deleted", total, "olderThan", cutoff, "through", through)
	} else {
		b.log.Debug("live feed: pruned the outbox", "deleted", 0)
	}
	return total, nil
}
