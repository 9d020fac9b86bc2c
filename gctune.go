package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// The collector's defaults suit a small heap that grows slowly; a GraphQL
// server allocates a few MB per page and keeps little. With GOGC=100 the
// collector ran every few pages: the benchmark's orders page at 16
// connections went from 111 to 138 pages/s and from 14.0 to 10.8 ms of CPU
// per page with GOGC=400, at a peak RSS of 130 MB (docs/benchmarks).
// The memory limit keeps the larger heap target from growing the process
// past it: near the limit the collector runs as often as it must. At 150 MiB
// it did so all the time at 64 connections (27 ms of CPU per page, 58
// pages/s); at 256 MiB, 14.6 ms and 104 pages/s, peak RSS 246 MB.
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 256 << 20
)

// A proportional target suits a small heap, not a large one: with 10,000
// dashboards open, the heap the server keeps is well over 100 MB, and 400 %
// of it would let the heap grow to the memory limit, where the collector
// ran all the time (the feed's burst to 10,000 subscribers took 19 s) and
// the process sat at the limit. So the target's headroom, what the heap may
// grow past what the last collection found in use, is bounded in bytes:
// after every collection the percent is set to gcHeadroom over what the
// collector scans (the live heap, the stacks, the globals), at most
// defaultGCPercent and at least minGCPercent. A server with little in use
// keeps GOGC=400; one holding 10,000 sockets (about 140 MB) gets about 48 %.
// The price is more collections under a heavy page load, whose requests
// keep more in use: at 64 connections the orders page ran 15-25 % fewer
// pages a second, at a third less peak RSS (docs/benchmarks/README.md).
const (
	gcHeadroom   = 64 << 20
	minGCPercent = 25
)

// tuneGC applies those defaults, unless the operator set GOGC or GOMEMLIMIT
// (the Go runtime reads those itself). stop ends the headroom tuning.
func tuneGC(getenv func(string) string) (stop func()) {
	stop = func() {}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
		stop = keepGCHeadroom()
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	return stop
}

// gcPercentFor is the GC percent that gives a heap target gcHeadroom above
// scannable, the bytes the collector found to scan.
func gcPercentFor(scannable uint64) int {
	if scannable == 0 {
		return defaultGCPercent
	}
	p := gcHeadroom * 100 / scannable
	return int(min(max(p, minGCPercent), defaultGCPercent))
}

// gcSentinel carries the finalizer that runs after each collection. It has
// a pointer so that it is not a tiny allocation, whose finalizer may never
// run.
type gcSentinel struct{ _ *byte }

// keepGCHeadroom sets the GC percent by gcPercentFor after every
// collection, from a finalizer that re-arms itself (the runtime has no
// other hook), until stop is called.
func keepGCHeadroom() (stop func()) {
	var stopped atomic.Bool
	samples := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/scan/globals:bytes"},
	}
	current := defaultGCPercent
	var afterGC func(*gcSentinel)
	afterGC = func(s *gcSentinel) {
		if stopped.Load() {
			return
		}
		metrics.Read(samples)
		var scannable uint64
		for _, m := range samples {
			if m.Value.Kind() == metrics.KindUint64 {
				scannable += m.Value.Uint64()
			}
		}
		// Only a change of more than a tenth is worth a new target.
		if p := gcPercentFor(scannable); p*10 < current*9 || p*10 > current*11 {
			debug.SetGCPercent(p)
			current = p
		}
		runtime.SetFinalizer(s, afterGC)
	}
	runtime.SetFinalizer(&gcSentinel{}, afterGC)
	return func() { stopped.Store(true) }
}
