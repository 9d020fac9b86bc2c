package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// request is one GraphQL request: its body, and a check of the answer's data.
type request struct {
	body  []byte
	check func(data json.RawMessage) error
}

// workload makes client w's next request. measured says whether it falls in
// the measured period (its operation name differs, so the server's log can
// tell warm-up from measurement). ok is false when there is nothing left to
// send (the write path's drafts ran out).
type workload func(w int, rng *rand.Rand, measured bool) (r request, ok bool)

// sample is what one client saw in the measured period.
type sample struct {
	lat    []time.Duration
	errors int64
	msgs   []string
	// Warm-up answers are checked too, and their errors count.
	warm, warmErrors int64
	warmMsgs         []string
}

// add records one answer: its latency and error in the measured period, or in the warm-up.
func (s *sample) add(measured bool, lat time.Duration, err error) {
	if !measured {
		s.warm++
		if err != nil {
			s.warmErrors++
			if len(s.warmMsgs) < 3 {
				s.warmMsgs = append(s.warmMsgs, "warm-up: "+err.Error())
			}
		}
		return
	}
	s.lat = append(s.lat, lat)
	if err != nil {
		s.errors++
		if len(s.msgs) < 3 {
			s.msgs = append(s.msgs, err.Error())
		}
	}
}

// merge gathers the clients' samples into r, the measured errors' messages first.
func (r *loadResult) merge(samples []sample) {
	for _, s := range samples {
		r.lat = append(r.lat, s.lat...)
		r.errors += s.errors
		r.warmRequests += s.warm
		r.warmErrors += s.warmErrors
	}
	for _, s := range samples {
		for _, m := range s.msgs {
			if len(r.errorMsgs) < 5 && !slices.Contains(r.errorMsgs, m) {
				r.errorMsgs = append(r.errorMsgs, m)
			}
		}
	}
	for _, s := range samples {
		for _, m := range s.warmMsgs {
			if len(r.errorMsgs) < 5 && !slices.Contains(r.errorMsgs, m) {
				r.errorMsgs = append(r.errorMsgs, m)
			}
		}
	}
	r.requests = int64(len(r.lat))
	slices.Sort(r.lat)
}

// loadResult is what a closed-loop run measured.
type loadResult struct {
	requests int64
	errors   int64
	// warmRequests and warmErrors are the warm-up's answers, checked as well.
	warmRequests, warmErrors int64
	errorMsgs                []string
	elapsed                  time.Duration
	lat                      []time.Duration // sorted
	cpu                      time.Duration   // server CPU over the measured period
	exhausted                bool            // the workload ran out before the period ended
}

// newClient is one keep-alive connection of its own: a closed-loop client.
func newClient() *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        1,
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
			IdleConnTimeout:     5 * time.Minute,
			DisableCompression:  true,
		},
	}
}

// drive runs conns closed-loop clients against the server's /graphql:
// warm-up, then the measured period, checking every answer.
func drive(ctx context.Context, e *env, conns int, warmup, duration time.Duration, work workload) (*loadResult, error) {
	srv := e.server
	clients := make([]*http.Client, conns)
	for i := range clients {
		clients[i] = newClient()
	}
	defer func() {
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}()
	url := srv.base + "/graphql"
	auth := "Bearer " + e.token

	start := time.Now()
	measureAt := start.Add(warmup)
	end := measureAt.Add(duration)
	samples := make([]sample, conns)
	var exhausted atomic.Bool
	// The server's CPU time when the measured period begins.
	var cpuStart time.Duration
	var cpuErr error
	cpuRead := make(chan struct{})
	cpuTimer := time.AfterFunc(warmup, func() { cpuStart, cpuErr = procCPU(srv.pid); close(cpuRead) })
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w)+1, uint64(start.UnixNano())))
			s := &samples[w]
			for {
				t0 := time.Now()
				if t0.After(end) || ctx.Err() != nil {
					return
				}
				measured := !t0.Before(measureAt)
				r, ok := work(w, rng, measured)
				if !ok {
					exhausted.Store(true)
					return
				}
				err := post(ctx, clients[w], url, auth, r)
				if ctx.Err() != nil {
					return // interrupted: not the server's error
				}
				s.add(measured, time.Since(t0), err)
			}
		}()
	}
	wg.Wait()
	stopped := time.Now()
	cpuEnd, cpuEndErr := procCPU(srv.pid)
	res := &loadResult{exhausted: exhausted.Load()}
	if stopped.After(measureAt) {
		res.elapsed = stopped.Sub(measureAt)
	}
	if !cpuTimer.Stop() { // it fired: wait for its reading
		<-cpuRead
		if cpuErr == nil && cpuEndErr == nil {
			res.cpu = cpuEnd - cpuStart
		}
	}
	res.merge(samples)
	if !srv.alive() {
		return res, fmt.Errorf("salesgraph serve died: %v\n%s", srv.exitE, srv.lastLines())
	}
	return res, ctx.Err()
}

// post sends one request and checks the answer: HTTP 200, JSON, no errors, data as expected.
func post(ctx context.Context, c *http.Client, url, auth string, r request) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	return checkAnswer(resp.StatusCode, body, r.check)
}

func checkAnswer(status int, body []byte, check func(json.RawMessage) error) error {
	if status != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", status, body)
	}
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("not JSON: %v: %.200s", err, body)
	}
	if len(out.Errors) > 0 && string(out.Errors) != "null" {
		return fmt.Errorf("errors: %.300s", out.Errors)
	}
	if len(out.Data) == 0 || string(out.Data) == "null" {
		return errors.New("no data")
	}
	if check != nil {
		return check(out.Data)
	}
	return nil
}

// percentile of sorted latencies (nearest rank), in milliseconds.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return ms(sorted[i])
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

func meanMs(lat []time.Duration) float64 {
	if len(lat) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	return ms(sum / time.Duration(len(lat)))
}
