package db

import (
	"context"
	"database/sql/driver"
	"sync/atomic"
)

// The pool wraps lib/pq's connections to count the statements it sends.
// The count is what proves that dataloaders batch, and it is cheap enough to
// keep on in production (a future /metrics gauge).

type statementCounter struct{ n atomic.Int64 }

type countingConnector struct {
	driver.Connector
	counter *statementCounter
	init    string // session settings, sent once per new connection
}

func (c *countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if ex, ok := conn.(driver.ExecerContext); ok && c.init != "" {
		if _, err := ex.ExecContext(ctx, c.init, nil); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	return &countingConn{Conn: conn, counter: c.counter}, nil
}

// countingConn forwards to lib/pq's conn, counting queries and execs.
type countingConn struct {
	driver.Conn
	counter *statementCounter
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.counter.n.Add(1)
	stats := StatsFrom(ctx)
	if stats == nil {
		return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	t := stats.begin(query, args)
	rows, err := c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	stats.since(t)
	if err != nil {
		return nil, err
	}
	return &timedRows{Rows: rows, stats: stats}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.counter.n.Add(1)
	stats := StatsFrom(ctx)
	if stats == nil {
		return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	}
	t := stats.begin(query, args)
	res, err := c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	stats.since(t)
	return res, err
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.counter.n.Add(1)
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *countingConn) Ping(ctx context.Context) error {
	return c.Conn.(driver.Pinger).Ping(ctx)
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// CheckNamedValue stores addresses as JSON (address.go) and otherwise keeps
// lib/pq's own argument conversion (slices, Valuers).
func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok, err := addressValue(nv.Value); ok {
		nv.Value = v
		return err
	}
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
