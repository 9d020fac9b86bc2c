package db

import (
	"context"
	"database/sql/driver"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts the statements one unit of work (a GraphQL response, a
// benchmark request) sends and the time spent in the driver for them: from
// sending a statement to its last row read. The request log reports both, so
// an operator sees which operations cost many statements or much database
// time; the benchmark reads them from there.
type Stats struct {
	statements atomic.Int64
	nanos      atomic.Int64

	mu       sync.Mutex
	record   bool
	recorded []Statement
}

// Statement is one recorded statement and its arguments, as sent.
type Statement struct {
	Query string
	Args  []any
}

type statsKey struct{}

// WithStats returns a context whose statements are counted into a new Stats.
func WithStats(ctx context.Context) (context.Context, *Stats) {
	s := &Stats{}
	return context.WithValue(ctx, statsKey{}, s), s
}

// WithRecorder is WithStats that also keeps every statement and its
// arguments, for tests that EXPLAIN what a query sent and for the benchmark
// that replays it. It is not for production: it keeps every argument.
func WithRecorder(ctx context.Context) (context.Context, *Stats) {
	s := &Stats{record: true}
	return context.WithValue(ctx, statsKey{}, s), s
}

// StatsFrom returns the context's Stats, or nil.
func StatsFrom(ctx context.Context) *Stats {
	s, _ := ctx.Value(statsKey{}).(*Stats)
	return s
}

// Statements is how many statements were sent.
func (s *Stats) Statements() int64 { return s.statements.Load() }

// DBTime is the time spent waiting on the driver for them.
func (s *Stats) DBTime() time.Duration { return time.Duration(s.nanos.Load()) }

// Recorded returns the recorded statements in the order they were sent.
func (s *Stats) Recorded() []Statement {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Statement(nil), s.recorded...)
}

func (s *Stats) begin(query string, args []driver.NamedValue) time.Time {
	s.statements.Add(1)
	if s.record {
		vals := make([]any, len(args))
		for i, a := range args {
			vals[i] = a.Value
		}
		s.mu.Lock()
		s.recorded = append(s.recorded, Statement{Query: query, Args: vals})
		s.mu.Unlock()
	}
	return time.Now()
}

func (s *Stats) since(t time.Time) { s.nanos.Add(int64(time.Since(t))) }

// timedRows adds the time spent reading rows to the statement's Stats.
type timedRows struct {
	driver.Rows
	stats *Stats
}

func (r *timedRows) Next(dest []driver.Value) error {
	t := time.Now()
	err := r.Rows.Next(dest)
	r.stats.since(t)
	return err
}
