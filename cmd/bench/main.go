// Command bench is Salesgraph's committed benchmark (issue 7): it creates a
// database of its own, loads the scale data set with the server's own
// `seed --scale`, starts `salesgraph serve` as a user would, drives it from a
// Go load generator on loopback, checks every response, and writes a JSON and
// a Markdown report with the commit, the machine and the targets.
//
//	go run ./cmd/bench                       # the full run (several minutes)
//	go run ./cmd/bench -scale 2000 -duration 2s -scenarios orders,bynumber
//
// With DATABASE_URL it creates salesgraph_bench_<unix time> on that server
// (a superuser or a role allowed to CREATE DATABASE), else it uses the
// private cluster that `go run .` uses. The database is dropped at the end
// unless -keep.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	opts := defaultOptions()
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./cmd/bench [flags]\n\n"+
			"Loads the scale data set into a fresh database, serves it with salesgraph serve and measures\n"+
			"the read and write paths; writes <out>/<date>-<commit>.{json,md}. Exits 1 if any response was wrong.\n\n")
		fs.PrintDefaults()
	}
	fs.IntVar(&opts.Scale, "scale", opts.Scale, "sales orders to generate with seed --scale (about 4 order lines each)")
	fs.DurationVar(&opts.Duration, "duration", opts.Duration, "measured period of each scenario")
	fs.DurationVar(&opts.Warmup, "warmup", opts.Warmup, "warm-up before each scenario's measured period (not counted)")
	fs.StringVar(&opts.Scenarios, "scenarios", opts.Scenarios, "comma-separated scenarios to run: "+strings.Join(allScenarios, ", ")+" (or all)")
	fs.IntVar(&opts.Page, "page", opts.Page, "orders page size at 1, 16 and 64 connections and in the SQL replay")
	pageSizes := fs.String("page-sizes", "10,100", "other orders page sizes, each at 16 connections (comma-separated, may be empty)")
	fs.StringVar(&opts.Out, "out", opts.Out, "folder for the reports (relative to the module root)")
	fs.StringVar(&opts.ModuleRoot, "server", "", "build the server from this checkout instead of this one, to measure another commit\n(its report goes to that checkout's -out folder and names its commit)")
	fs.BoolVar(&opts.Keep, "keep", false, "keep the benchmark database (and print its name) instead of dropping it")
	fs.BoolVar(&opts.Quiet, "quiet", false, "print only the report's summary")
	fo := defaultFeedOptions()
	feed := fs.Bool("feed", false, "run the live feed's benchmark (issue 10) instead of the HTTP scenarios; its -scale defaults to 500")
	feedSubs := fs.String("feed-subscribers", "1000,10000", "feed: subscriber counts, ascending (each a websocket with one subscription)")
	fs.IntVar(&fo.Burst, "feed-burst", fo.Burst, "feed: status changes in each burst")
	fs.IntVar(&fo.ThroughputSubs, "feed-throughput-subscribers", fo.ThroughputSubs, "feed: the subscriber count the rate steps run at")
	feedRates := fs.String("feed-rates", "2,5,10,25,50,100,200,400", "feed: rate steps, status changes per second (stops at the first that misses)")
	fs.DurationVar(&fo.Step, "feed-step", fo.Step, "feed: length of each rate step and of the held rate")
	fs.IntVar(&fo.HeldRate, "feed-held-rate", fo.HeldRate, "feed: changes per second held at the largest subscriber count (0: none)")
	fs.DurationVar(&fo.WritePeriod, "feed-write-period", fo.WritePeriod, "feed: each period of the write path with the doorbell on or off")
	fs.IntVar(&fo.WriteRounds, "feed-write-rounds", fo.WriteRounds, "feed: on/off pairs of write periods per operation")
	fs.IntVar(&fo.Writers, "feed-writers", fo.Writers, "feed: concurrent writers (HTTP connections)")
	fs.BoolVar(&fo.WithOrder, "feed-order", false, "feed: each event also asks for order { id number status }, which the server loads once per event")
	fs.StringVar(&fo.Profile, "feed-profile", "", "feed: write the server's CPU profile to this file, and the bench's own to this file + \".client\"")
	fs.StringVar(&fo.ProfilePhase, "feed-profile-phase", "step", "feed: the phase -feed-profile covers: step (the first rate step) or burst (the first burst)")
	fs.DurationVar(&fo.SocketRecheck, "feed-socket-recheck", 0, "feed: the server's --socket-recheck (how often the open websockets' users are re-read; its default is 2s)")
	_ = fs.Parse(os.Args[1:])
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench: unexpected argument %q (see go run ./cmd/bench -h)\n", fs.Arg(0))
		os.Exit(2)
	}
	opts.PageSizes = nil
	for _, p := range strings.Split(*pageSizes, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: -page-sizes: %q is not a number\n", p)
			os.Exit(2)
		}
		opts.PageSizes = append(opts.PageSizes, n)
	}
	opts.DatabaseURL = os.Getenv("DATABASE_URL")
	if *feed {
		scaleSet := false
		fs.Visit(func(f *flag.Flag) { scaleSet = scaleSet || f.Name == "scale" })
		if !scaleSet {
			opts.Scale = 500
		}
		var err error
		if fo.Subscribers, err = ints(*feedSubs); err == nil {
			fo.Rates, err = ints(*feedRates)
		}
		if err == nil && fo.ProfilePhase != "step" && fo.ProfilePhase != "burst" {
			err = fmt.Errorf("-feed-profile-phase is step or burst, not %q", fo.ProfilePhase)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(2)
		}
		os.Exit(mainFeed(opts, fo))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	rep, files, err := run(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted (the database is dropped unless -keep): %w", err)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Println()
	fmt.Print(rep.Markdown())
	fmt.Printf("\nWrote %s (in %s).\n", strings.Join(files, " and "), time.Since(start).Round(time.Second))
	if bad := rep.Failed(); len(bad) > 0 {
		fmt.Fprintf(os.Stderr, "bench: wrong or failed responses in: %s\n", strings.Join(bad, ", "))
		os.Exit(1)
	}
}

func ints(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		out = append(out, n)
	}
	return out, nil
}

func mainFeed(opts options, fo feedOptions) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	rep, files, err := runFeed(ctx, opts, fo)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted (the database is dropped unless -keep): %w", err)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	fmt.Println()
	fmt.Print(rep.Markdown())
	fmt.Printf("\nWrote %s (in %s).\n", strings.Join(files, " and "), time.Since(start).Round(time.Second))
	if bad := rep.Failed(); len(bad) > 0 {
		fmt.Fprintf(os.Stderr, "bench: %s\n", strings.Join(bad, "; "))
		return 1
	}
	return 0
}
