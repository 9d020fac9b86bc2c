package main

import (
	"runtime/debug"
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

// tuneGC applies those defaults, unless the operator set GOGC or GOMEMLIMIT
// (the Go runtime reads those itself).
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
