// Package db persists Salesgraph in PostgreSQL through sqlx over lib/pq: one
// store per aggregate, every mutation one transaction, driver errors mapped
// to the domain's codes in one place (errors.go). No GraphQL here.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"salesgraph/sales"
)

// DB is the connection pool and the stores built on it.
type DB struct {
	*sqlx.DB
	counter        *statementCounter
	acquireTimeout time.Duration
	users          *userCache // sign-in lookups (usercache.go)
	Logger         *slog.Logger
}

// Options tune the pool. The zero value is sensible for a small server.
type Options struct {
	// ApplicationName tags the pool's sessions in pg_stat_activity.
	ApplicationName string
	MaxOpenConns    int
	// StatementTimeout bounds every statement, so a runaway query cannot hold a connection forever.
	StatementTimeout time.Duration
	// AcquireTimeout bounds how long a request waits for a free connection
	// before it is refused as UNAVAILABLE (see Ready).
	AcquireTimeout time.Duration
	// UserCacheTTL is how long a sign-in's user lookup is kept: how late
	// another process sees a role change or deactivation (this one sees it at
	// once). Zero is DefaultUserCacheTTL; negative turns the cache off.
	UserCacheTTL time.Duration
	Logger       *slog.Logger
}

// Open connects to the PostgreSQL at url (a lib/pq URL or key=value string)
// and checks that it answers. Every statement the pool sends is counted (Statements).
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	if opts.ApplicationName == "" {
		opts.ApplicationName = "salesgraph"
	}
	if opts.MaxOpenConns == 0 {
		opts.MaxOpenConns = 20
	}
	if opts.StatementTimeout == 0 {
		opts.StatementTimeout = 30 * time.Second
	}
	if opts.AcquireTimeout == 0 {
		opts.AcquireTimeout = 5 * time.Second
	}
	if opts.UserCacheTTL == 0 {
		opts.UserCacheTTL = DefaultUserCacheTTL
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	connector, err := pq.NewConnector(url)
	if err != nil {
		return nil, fmt.Errorf("db: parse connection string: %w", err)
	}
	counter := &statementCounter{}
	settings := fmt.Sprintf("SET application_name = %s; SET statement_timeout = %d; SET idle_in_transaction_session_timeout = 60000",
		pq.QuoteLiteral(opts.ApplicationName), opts.StatementTimeout.Milliseconds())
	sqlDB := sql.OpenDB(&countingConnector{Connector: connector, counter: counter, init: settings})
	sqlDB.SetMaxOpenConns(opts.MaxOpenConns)
	sqlDB.SetMaxIdleConns(opts.MaxOpenConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{DB: sqlx.NewDb(sqlDB, "postgres"), counter: counter, acquireTimeout: opts.AcquireTimeout,
		users: newUserCache(opts.UserCacheTTL), Logger: opts.Logger}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.PingContext(pingCtx); err != nil {
		_ = d.Close()
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	return d, nil
}

// Ready refuses a request that would only queue for a connection.
// database/sql queues for a free connection without limit, so when long
// statements hold the whole pool every request would queue behind them; the
// HTTP layer calls Ready first and refuses the request with UNAVAILABLE
// instead. While the pool has a connection to spare (the common case) Ready
// answers at once, from the pool's counters; only a full pool is probed: it
// waits up to AcquireTimeout for a connection and hands it straight back.
// It is a probe, not a reservation: the request's statements queue again,
// each bounded by the statement timeout. A database that went away is found
// by the request's first statement, which fails as UNAVAILABLE (errors.go).
func (d *DB) Ready(ctx context.Context) error {
	if s := d.DB.Stats(); s.MaxOpenConnections <= 0 || s.InUse < s.MaxOpenConnections {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, d.acquireTimeout)
	defer cancel()
	c, err := d.DB.Conn(ctx)
	if err == nil {
		return c.Close()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &sales.Error{Code: sales.CodeUnavailable, Message: "the server is busy; try again shortly", Err: err}
	}
	return translate(err)
}

// Statements returns how many SQL statements the pool has sent so far.
// Tests use it to prove dataloaders batch: a page costs a constant number.
func (d *DB) Statements() int64 { return d.counter.n.Load() }

// Tx is one transaction. Now is fixed when it begins, so every row a
// mutation writes carries the same time.
type Tx struct {
	*sqlx.Tx
	Now time.Time
}

// Transact runs fn in a transaction and commits it, or rolls it back when fn
// returns an error or panics. Serialization failures and deadlocks are
// retried with backoff (up to 5 tries), so fn must be safe to run again.
func (d *DB) Transact(ctx context.Context, fn func(tx *Tx) error) error {
	const tries = 5
	var err error
	for attempt := 1; attempt <= tries; attempt++ {
		err = d.transactOnce(ctx, fn)
		if !retryable(err) || attempt == tries {
			return err
		}
		d.Logger.DebugContext(ctx, "retrying transaction", "attempt", attempt, "err", err)
		backoff := time.Duration(attempt*attempt) * 5 * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff + rand.N(backoff)):
		}
	}
	return err
}

func (d *DB) transactOnce(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	tx := &Tx{Tx: sqlTx}
	if err := sqlTx.GetContext(ctx, &tx.Now, `SELECT now()`); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return sqlTx.Commit()
}

func retryable(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "40001" || pqErr.Code == "40P01"
	}
	return false
}

// wrap adds call context to an error on its way up, keeping the chain
// (a *sales.Error inside still reaches the presenter). Reads go through
// translate too, so a query cancelled by its deadline is UNAVAILABLE.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), translate(*errp))
	}
}
