package graph

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestPrefetch_PanicsNeitherCrashNorHang: a prefetch runs on a goroutine of
// its own, out of gqlgen's recovery. A panic in its statement must become the
// load's error, and a panic in a next level must leave this level's rows
// served; either way no resolver may wait forever (and the process lives:
// a panic escaping the goroutine would end this test binary).
func TestPrefetch_PanicsNeitherCrashNorHang(t *testing.T) {
	ctx := context.WithValue(context.Background(), loadersKey{}, &Loaders{logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	await := func(t *testing.T, l *loader[int64, string], key int64) (string, error) {
		t.Helper()
		type result struct {
			v   string
			err error
		}
		got := make(chan result, 1)
		go func() {
			v, err := l.Load(ctx, key)()
			got <- result{v, err}
		}()
		select {
		case r := <-got:
			return r.v, r.err
		case <-time.After(5 * time.Second):
			t.Fatal("the load never ended")
			return "", nil
		}
	}
	t.Run("StatementPanics", func(t *testing.T) {
		l := newLoader(time.Minute, func(context.Context, []int64) (map[int64]string, error) { panic("driver bug") })
		l.prefetch(ctx, []int64{1, 2}, nil)
		if _, err := await(t, l, 1); err == nil || !strings.Contains(err.Error(), "driver bug") {
			t.Fatalf("err = %v, want the panic as the load's error", err)
		}
	})
	t.Run("NextLevelPanics", func(t *testing.T) {
		l := newLoader(time.Minute, func(_ context.Context, keys []int64) (map[int64]string, error) {
			out := map[int64]string{}
			for _, k := range keys {
				out[k] = "row"
			}
			return out, nil
		})
		l.prefetch(ctx, []int64{1}, func([]string) { panic("next level bug") })
		if v, err := await(t, l, 1); err != nil || v != "row" {
			t.Fatalf("got %q, %v; want this level's row", v, err)
		}
	})
}
