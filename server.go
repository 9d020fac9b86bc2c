// Command salesgraph serves the Salesgraph GraphQL API and manages its
// database. `go run .` serves; see `go run . help` for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"salesgraph/db"
	"salesgraph/graph"
	"salesgraph/internal/connlimit"
	"salesgraph/live"
	"salesgraph/migrations"
	"salesgraph/pgcluster"
	"salesgraph/printable"
	"salesgraph/web"
)

const usage = `Salesgraph: a GraphQL API for a company's sales process.

Usage:
  salesgraph [serve] [flags]                       serve the API and GraphiQL (the default command)
  salesgraph migrate up|down|status [flags]        apply pending migrations, undo the newest, or list them
  salesgraph seed --demo | --scale N [flags]       load the demo company, or N generated sales orders
  salesgraph user add --email E --name N --role R  add a user (ADMIN, SALES_MANAGER, SALES_REP, WAREHOUSE, ACCOUNTANT, VIEWER)
  salesgraph token --user EMAIL [--ttl 24h]        print a bearer token for a user
  salesgraph help [COMMAND]                        this text, or a command's flags

Run "salesgraph COMMAND --help" for a command's flags. Every command reads
DATABASE_URL the same way; without it they share a private PostgreSQL cluster
started from the machine's own binaries. Only serve and migrate up change the
schema: the other commands need a migrated database and say so.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// cli runs the program and returns its exit status; tests call it as main does.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := run(ctx, args, stdout, stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) { // --help printed the help
		return 0
	}
	fmt.Fprintln(stderr, "salesgraph:", err)
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// run dispatches a subcommand. Tests call it too.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		switch {
		case args[0] == "help" && len(args) > 1:
			return run(ctx, []string{args[1], "--help"}, stdout, stderr)
		case args[0] == "help", isHelp(args[0]):
			// The commands, then the default command's flags.
			fmt.Fprint(stdout, usage)
			fmt.Fprintln(stdout, "\nFlags of serve (each also read from the environment variable named; a flag wins):")
			var cfg config
			f := serveFlags(&cfg)
			f.fs.SetOutput(stdout)
			f.fs.PrintDefaults()
			return nil
		case args[0] != "" && args[0][0] != '-':
			cmd, args = args[0], args[1:]
		}
	}
	switch cmd {
	case "serve":
		return serveCommand(ctx, args, stdout, stderr)
	case "migrate":
		return migrateCommand(ctx, args, stdout, stderr)
	case "seed":
		return seedCommand(ctx, args, stdout, stderr)
	case "user":
		return userCommand(ctx, args, stdout, stderr)
	case "token":
		return tokenCommand(ctx, args, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Errorf("unknown command %q", cmd)}
}

// database is an open pool and what to do when done with it.
type database struct {
	*db.DB
	cluster *pgcluster.Cluster // nil with DATABASE_URL
	url     string             // what DB was opened with; the live feed's LISTEN connection opens it too
}

// openDatabase connects to DATABASE_URL, or starts (or joins) the private
// cluster and its "salesgraph" database. It does not migrate: serve and
// migrate up do that, and nothing else may.
func openDatabase(ctx context.Context, cfg *config, logger *slog.Logger, app string) (*database, error) {
	url := cfg.DatabaseURL
	var cluster *pgcluster.Cluster
	if cfg.embedded() {
		var err error
		cluster, err = pgcluster.Start(ctx, pgcluster.Options{DataDir: cfg.dataDir(), Logger: logger})
		if err != nil {
			return nil, err
		}
		logger.Info("private PostgreSQL cluster", "dataDir", cluster.DataDir())
		if err := cluster.EnsureDatabase(ctx, "salesgraph"); err != nil {
			_ = cluster.Release()
			return nil, err
		}
		url = cluster.URL("salesgraph")
	}
	d, err := db.Open(ctx, url, db.Options{ApplicationName: app, Logger: logger,
		StatementTimeout: cfg.StatementTimeout, AcquireTimeout: cfg.PoolWait})
	if err != nil {
		if cluster != nil {
			_ = cluster.Release()
		}
		return nil, err
	}
	return &database{DB: d, cluster: cluster, url: url}, nil
}

// Close closes the pool and releases the private cluster (stopping it if no
// other process uses it).
func (d *database) Close() error {
	err := d.DB.Close()
	if d.cluster != nil {
		err = errors.Join(err, d.cluster.Release())
	}
	return err
}

// serveFlags registers serve's settings in cfg.
func serveFlags(cfg *config) *flags {
	f := newFlags("serve", "[serve] [flags]",
		"Serves the API at /graphql (HTTP and websockets), GraphiQL at /, /healthz and /readyz,\n"+
			"after applying pending migrations. \"salesgraph help\" lists the other commands.")
	cfg.bindServe(f)
	cfg.bindDatabase(f)
	cfg.bindSecret(f)
	return f
}

func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	if err := serveFlags(&cfg).parse(args, stdout); err != nil {
		return err
	}
	if err := cfg.checkServe(); err != nil {
		return err
	}
	defer tuneGC(os.Getenv)()
	logger := cfg.logger(stderr)
	secret, err := cfg.secret()
	if err != nil {
		return err
	}
	database, err := openDatabase(ctx, &cfg, logger, "salesgraph")
	if err != nil {
		return err
	}
	defer database.Close()
	if err := migrations.Up(ctx, database.DB.DB.DB); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	store := db.NewStore(database.DB)
	store.Orders.CreditGraceDays = cfg.CreditGraceDays

	// A fresh private database gets the demo company, so the first query returns something real.
	var adminToken string
	if cfg.embedded() {
		if adminToken, err = ensureDemo(ctx, store, secret, logger); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	// A cap on open connections keeps a flood of slow clients from taking
	// every file descriptor; the ones over it wait in the kernel's accept
	// queue until a slot frees. A slot is released on Close, also for
	// hijacked websocket connections (internal/connlimit: netutil's
	// LimitListener, keeping the socket's syscall.Conn for the websockets).
	ln = connlimit.Listen(ln, cfg.MaxConnections)
	logger.Info("listening", "addr", ln.Addr().String(), "maxConnections", cfg.MaxConnections,
		"bodyTimeout", cfg.BodyTimeout.String(), "readTimeout", cfg.ReadTimeout.String())
	if err := startProfiler(ctx, cfg.PprofAddr, logger); err != nil {
		_ = ln.Close()
		return err
	}
	// The live order feed: one LISTEN connection for the whole process.
	feed := live.New(store.Events, live.Options{ConnString: withApplicationName(database.url, "salesgraph-feed"),
		Retention: cfg.FeedRetention, Logger: logger})
	srv := newServer(store, secret, &cfg, logger, feed)
	srv.cluster = database.cluster
	base := "http://" + displayAddr(ln.Addr())
	fmt.Fprintf(stdout, "Salesgraph is serving GraphiQL at %s/ and the API at %s/graphql\n", base, base)
	if adminToken != "" {
		// The token rides in the fragment, which browsers never send: it stays
		// out of the served page, the server's logs and any proxy's. The page
		// moves it into the headers tab and clears the address bar.
		fmt.Fprintf(stdout, "Open GraphiQL as the demo admin (the link's #token= is a 24h bearer token; keep it private):\n%s/#token=%s\n",
			base, adminToken)
	} else {
		fmt.Fprintln(stdout, "Mint a token with: salesgraph token --user EMAIL")
	}
	return srv.serve(ctx, ln, cfg.ShutdownGrace)
}

func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if ok && (tcp.IP.IsUnspecified() || tcp.IP == nil) {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return a.String()
}

// server is the HTTP side: routes, and a shutdown that also closes websockets.
type server struct {
	http   *http.Server
	gql    *graph.Handler
	store  *db.Store
	logger *slog.Logger
	feed   *live.Broker // nil: no live feed
	// cluster is the private cluster, nil with DATABASE_URL; /readyz reports its supervisor's view.
	cluster *pgcluster.Cluster
}

func newServer(store *db.Store, secret []byte, cfg *config, logger *slog.Logger, feed *live.Broker) *server {
	authn := &graph.Authenticator{Secret: secret, Users: store.Users, Logger: logger, SocketRecheck: cfg.SocketRecheck}
	links := printable.NewLinks(secret, cfg.DocumentLinkTTL)
	gql := graph.NewHandler(graph.HandlerConfig{Store: store, Auth: authn, Logger: logger, AllowedOrigins: cfg.origins(),
		Limits: graph.Limits{OperationTimeout: cfg.OperationTimeout, MaxCost: cfg.MaxQueryCost}, DocumentLinks: links, Feed: feed})
	s := &server{gql: gql, store: store, logger: logger, feed: feed}

	mux := http.NewServeMux()
	mux.Handle("/graphql", gql)
	mux.Handle("GET /documents/deliveries/{id}/bill-of-lading", printable.BillOfLading(store,
		&printable.Access{Authn: authn, Links: links, Users: store.Users}, logger))
	mux.Handle("GET /documents/invoices/{id}", printable.Invoice(store,
		&printable.Access{Authn: authn, Links: links, Users: store.Users}, cfg.SellerName, logger))
	mux.Handle("/static/", web.Static())
	mux.Handle("/{$}", web.GraphiQL(web.GraphiQLOptions{Endpoint: "/graphql", DefaultQuery: firstQuery, Title: "Salesgraph"}))
	// The live dashboard: the feed and the figures, with the token the browser holds.
	mux.Handle("GET /dashboard", web.Dashboard(web.DashboardOptions{Endpoint: "/graphql", Title: "Salesgraph live dashboard"}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", s.ready)
	// ReadTimeout bounds reading a whole request, so a body that trickles
	// in is cut off; gorilla's Upgrade clears the connection's deadlines
	// after hijacking it, so websockets outlive it.
	s.http = &http.Server{
		Handler:           withBodyDeadline(mux, cfg.BodyTimeout, cfg.ReadTimeout),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s
}

// ready answers 200 when the database answers and no migration is pending;
// 503 "database restarting" while the private cluster's supervisor restarts it.
func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if s.cluster != nil && s.cluster.Health().State != pgcluster.StateUp {
		http.Error(w, "database restarting", http.StatusServiceUnavailable)
		return
	}
	if err := s.store.PingContext(ctx); err != nil {
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	if pending, err := migrations.Pending(ctx, s.store.DB.DB.DB); err != nil || pending {
		http.Error(w, "migrations pending", http.StatusServiceUnavailable)
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}

// serve runs until ctx ends, then shuts down: stop accepting, let in-flight
// requests finish within grace, and close every websocket with 1001 "going
// away" (http.Server.Shutdown does not touch hijacked connections), so
// graphql-ws clients reconnect elsewhere.
func (s *server) serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	feedCtx, stopFeed := context.WithCancel(context.WithoutCancel(ctx))
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		if s.feed != nil {
			_ = s.feed.Run(feedCtx)
		}
	}()
	defer func() { stopFeed(); <-feedDone }() // after the sockets' close frames: clients see 1001, not an end
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.logger.Info("shutting down", "grace", grace.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	s.gql.Sockets.CloseAll(1001, "server shutting down")
	err := s.http.Shutdown(shutdownCtx)
	if errors.Is(<-errc, http.ErrServerClosed) {
		return err
	}
	return err
}

// firstQuery is what GraphiQL shows on first load.
const firstQuery = `# Welcome to Salesgraph. Press the run button (or Ctrl-Enter).
query FirstLook {
  me { name role }
  customers(first: 5, orderBy: {field: NAME}) {
    totalCount
    nodes {
      code
      name
      currency
      creditLimit
      priceList { code name }
      salesRep { name }
    }
  }
  products(first: 3) {
    nodes { sku name stockLevels { nodes { warehouse { code } onHand reserved available } } }
  }
}
`

// withApplicationName returns the connection string conn (a URL or
// key=value pairs) with its application_name set to name, so that the live
// feed's LISTEN connection can be told apart in pg_stat_activity.
func withApplicationName(conn, name string) string {
	if u, err := url.Parse(conn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("application_name", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return conn + " application_name=" + name
}
