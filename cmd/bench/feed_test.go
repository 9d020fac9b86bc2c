package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// TestBench_FeedSmokeRun runs the live feed's benchmark at a tiny size: its
// own database and server, 20 then 50 subscribers, a burst, two rate steps,
// a held rate and the write path with the doorbell on and off. Every
// subscriber must have received every change once, and the reports must
// hold the figures.
func TestBench_FeedSmokeRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out := t.TempDir()
	opts := defaultOptions()
	opts.Scale, opts.Out, opts.Quiet, opts.Progress = 100, out, true, testWriter{t}
	opts.DatabaseURL = os.Getenv("TEST_DATABASE_URL")
	fo := feedOptions{Subscribers: []int{20, 50}, Burst: 5, ThroughputSubs: 20, Rates: []int{5, 10}, Step: time.Second,
		HeldRate: 2, WritePeriod: 500 * time.Millisecond, WriteRounds: 1, Writers: 2}
	rep, files, err := runFeed(ctx, opts, fo)
	if err != nil {
		t.Fatal(err)
	}
	if bad := rep.Failed(); len(bad) > 0 {
		t.Errorf("failed: %q", bad)
	}
	if len(rep.Bursts) != 2 || len(rep.Steps) != 2 || rep.Held == nil {
		t.Fatalf("%d bursts, %d steps, held %v: want 2, 2 and one", len(rep.Bursts), len(rep.Steps), rep.Held)
	}
	for _, p := range append(append(rep.Bursts, rep.Steps...), *rep.Held) {
		want := int64(p.Changes * p.Subscribers)
		if p.Deliveries != want || p.Lost != 0 || p.Duplicated != 0 || p.OutOfOrder != 0 || p.P50Ms < 0 || p.P99Ms < p.P50Ms || p.P99FromSendMs <= 0 || p.P99FromSendMs < p.P99Ms {
			t.Errorf("%s at %d: %d deliveries (want %d), lost %d, dup %d, out of order %d, p50 %.2f p99 %.2f from send %.2f",
				p.Name, p.Subscribers, p.Deliveries, want, p.Lost, p.Duplicated, p.OutOfOrder, p.P50Ms, p.P99Ms, p.P99FromSendMs)
		}
	}
	var benchCPU float64
	for _, p := range append(append(rep.Bursts, rep.Steps...), *rep.Held) {
		benchCPU += p.ClientCPUSecs
	}
	if benchCPU <= 0 {
		t.Errorf("the bench's own CPU over every phase is %.2f s: want the subscribers' work counted", benchCPU)
	}
	if rep.Bursts[0].Subscribers != 20 || rep.Bursts[1].Subscribers != 50 || rep.Held.Subscribers != 50 {
		t.Errorf("subscribers per phase: %d, %d, held %d", rep.Bursts[0].Subscribers, rep.Bursts[1].Subscribers, rep.Held.Subscribers)
	}
	if len(rep.Memory) != 3 || rep.Memory[2].Subscribers != 50 || rep.Memory[2].RSSMB <= 0 {
		t.Errorf("memory %+v: want none, 20 and 50 subscribers", rep.Memory)
	} else if m := rep.Memory[2]; m.Goroutines < 50 || m.StackMB <= 0 || m.HeapInuseMB <= 0 {
		t.Errorf("memory at 50 subscribers %+v: want goroutines, stacks and heap from the profiler", m)
	}
	ops := map[string]int{}
	for _, w := range rep.Writes {
		if w.Requests == 0 || w.Errors != 0 {
			t.Errorf("write period %+v: want requests and no errors", w)
		}
		ops[w.Operation+" "+w.Feed]++
	}
	for _, k := range []string{"createOrder on", "createOrder off", "createOrder doorbell only", "cancelOrder on", "cancelOrder off", "cancelOrder doorbell only"} {
		if ops[k] != 1 {
			t.Errorf("%d write periods %q, want 1 (all: %v)", ops[k], k, ops)
		}
	}
	if rep.WriteOn <= 0 || rep.WriteOff <= 0 || rep.WriteDoorbellOnly <= 0 {
		t.Errorf("write path: %.0f/s on, %.0f/s doorbell only, %.0f/s off", rep.WriteOn, rep.WriteDoorbellOnly, rep.WriteOff)
	}

	if len(files) != 2 || !strings.Contains(files[0], "-feed") {
		t.Fatalf("files %q", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"commit", "machine", "bursts", "throughputSteps", "memory", "writePeriods", "lost", "duplicated", "targets"} {
		if _, ok := j[k]; !ok {
			t.Errorf("JSON report lacks %q", k)
		}
	}
	md, err := os.ReadFile(files[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"| burst of 5 | 50 | 5 |", "| 10 changes/s | 20 |", "held 2 change/s", "events lost or duplicated", "with the feed on"} {
		if !strings.Contains(string(md), s) {
			t.Errorf("Markdown report lacks %q", s)
		}
	}
}

// TestProcStat reads this process's /proc stat: its parent and its CPU.
func TestProcStat(t *testing.T) {
	busy := time.Now()
	for time.Since(busy) < 30*time.Millisecond { // at least a tick of CPU
	}
	st, err := procStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.ppid != os.Getppid() || st.cpu < 10*time.Millisecond {
		t.Errorf("procStat = %+v, want ppid %d and at least 10ms of CPU", st, os.Getppid())
	}
}

// TestDecodeNext: the reader's direct decoding agrees with encoding/json on
// what the server writes, and leaves everything else to it.
func TestDecodeNext(t *testing.T) {
	frame := `{"payload":{"data":{"orderStatusChanged":{"cursor":"T3JkZXJFdmVudDo0Mg==","previousStatus":"DRAFT","status":"CANCELLED","reason":"f3:17","occurredAt":"2026-11-30T23:00:00Z","order":{"id":"U2FsZXNPcmRlcjox","number":"SO-1","status":"CANCELLED"}}}},"id":"1","type":"next"}`
	got, ok := decodeNext([]byte(frame))
	var m feedMessage
	if err := json.Unmarshal([]byte(frame), &m); err != nil || m.Payload.Data == nil {
		t.Fatalf("encoding/json: %v", err)
	}
	if !ok || got != m.Payload.Data.OrderStatusChanged {
		t.Errorf("decodeNext = %+v, %v; encoding/json reads %+v", got, ok, m.Payload.Data.OrderStatusChanged)
	}
	for _, other := range []string{
		`{"type":"ping"}`,
		`{"payload":{"data":{"orderStatusChanged":{"cursor":"x","status":"CANCELLED","reason":"say \"no\""}}},"id":"1","type":"next"}`,
		`{"payload":{"data":{"orderStatusChanged":{"cursor":"x","status":"CANCELLED","reason":null}}},"id":"1","type":"next"}`,
		`{"payload":{"errors":[{"message":"no"}],"data":null},"id":"1","type":"next"}`,
		`{"payload":{"data":{"orderStatusChanged":{"cursor":"x","status":"CANCELLED","reason":"f1:1"}}},"id":"1","type":"complete"}`,
	} {
		if ev, ok := decodeNext([]byte(other)); ok {
			t.Errorf("decodeNext(%s) = %+v: want it left to encoding/json", other, ev)
		}
	}
}
