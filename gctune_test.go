package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// TestTuneGC: serve raises the collector's target and bounds the heap, but
// never overrides what an operator set in GOGC or GOMEMLIMIT.
func TestTuneGC(t *testing.T) {
	prevPercent, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(prevPercent); debug.SetMemoryLimit(prevLimit) })

	stop := tuneGC(func(string) string { return "" })
	t.Cleanup(stop)
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("GOGC unset: percent %d, want %d", got, defaultGCPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != defaultMemoryLimit {
		t.Errorf("GOMEMLIMIT unset: limit %d, want %d", got, defaultMemoryLimit)
	}

	set := map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}
	tuneGC(func(k string) string { return set[k] })() // no tuner to stop: GOGC is set
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: percent changed to %d", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set: limit changed to %d", got)
	}
}

func TestGCPercentFor(t *testing.T) {
	for _, tt := range []struct {
		scannable uint64
		want      int
	}{
		{0, defaultGCPercent},
		{8 << 20, defaultGCPercent},  // 800 % would do: capped
		{16 << 20, defaultGCPercent}, // 64 MiB is 400 % of 16
		{64 << 20, 100},
		{128 << 20, 50},
		{512 << 20, minGCPercent}, // 12.5 % would do: floored
	} {
		if got := gcPercentFor(tt.scannable); got != tt.want {
			t.Errorf("gcPercentFor(%d MiB) = %d, want %d", tt.scannable>>20, got, tt.want)
		}
	}
}

// TestKeepGCHeadroom: with 96 MiB in use the collector's target is set to
// about 64 MiB above it after the next collection, not 400 % above; when the
// memory is let go, it goes back to 400 %.
func TestKeepGCHeadroom(t *testing.T) {
	prev := debug.SetGCPercent(defaultGCPercent)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	stop := keepGCHeadroom()
	t.Cleanup(stop)

	gogc := func() int {
		s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		metrics.Read(s)
		return int(s[0].Value.Uint64())
	}
	// settles collects until the percent meets ok (the finalizer runs on
	// its own goroutine after the collection).
	settles := func(ok func(int) bool) bool {
		deadline := time.Now().Add(5 * time.Second)
		for !ok(gogc()) {
			if time.Now().After(deadline) {
				return false
			}
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
		return true
	}

	held := make([][]byte, 96)
	for i := range held {
		held[i] = make([]byte, 1<<20)
	}
	// 64 MiB over 96 MiB and what else the test binary holds: under 67 %.
	if !settles(func(p int) bool { return p < 67 }) {
		t.Fatalf("GC percent %d with 96 MiB in use, want under 67", gogc())
	}
	t.Logf("GC percent with 96 MiB in use: %d", gogc())
	runtime.KeepAlive(held)
	held = nil
	if !settles(func(p int) bool { return p == defaultGCPercent }) {
		t.Fatalf("GC percent %d once the 96 MiB are free, want %d", gogc(), defaultGCPercent)
	}
}
