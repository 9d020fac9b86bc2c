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
	"os"
	"os/signal"
	"syscall"
	"time"

	"salesgraph/db"
	"salesgraph/documents"
	"salesgraph/graph"
	"salesgraph/migrations"
	"salesgraph/pgcluster"
	"salesgraph/web"
)

const usage = `Salesgraph: a GraphQL API for a company's sales process.

Usage:
  salesgraph [serve] [flags]                      serve the API (the default)
  salesgraph migrate up|down|status [flags]       apply, undo one, or list migrations
  salesgraph seed --demo [flags]                  load the demo company
  salesgraph user add --email E --name N --role R add a user (ADMIN, SALES_MANAGER, SALES_REP, WAREHOUSE, ACCOUNTANT, VIEWER)
  salesgraph token --user EMAIL [--ttl 24h]       mint a bearer token for a user

Run "salesgraph COMMAND --help" for a command's flags. Every command reads
DATABASE_URL the same way; without it they share a private PostgreSQL cluster
started from the machine's own binaries.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // --help printed the flags
		}
		fmt.Fprintln(os.Stderr, "salesgraph:", err)
		os.Exit(1)
	}
}

// run dispatches a subcommand. Tests call it too.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
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
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// database is an open pool and what to do when done with it.
type database struct {
	*db.DB
	cluster *pgcluster.Cluster // nil with DATABASE_URL
}

// openDatabase connects to DATABASE_URL, or starts (or joins) the private
// cluster and its "salesgraph" database, then applies pending migrations.
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
	d, err := db.Open(ctx, url, db.Options{ApplicationName: app, Logger: logger})
	if err != nil {
		if cluster != nil {
			_ = cluster.Release()
		}
		return nil, err
	}
	if err := migrations.Up(ctx, d.DB.DB); err != nil {
		_ = d.Close()
		if cluster != nil {
			_ = cluster.Release()
		}
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	return &database{DB: d, cluster: cluster}, nil
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

func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.bind(fs, true)
	if err := fs.Parse(args); err != nil {
		return err
	}
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
	store := db.NewStore(database.DB)

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
	srv := newServer(store, secret, &cfg, logger, adminToken)
	base := "http://" + displayAddr(ln.Addr())
	fmt.Fprintf(stdout, "Salesgraph is serving GraphiQL at %s/ and the API at %s/graphql\n", base, base)
	if adminToken != "" {
		fmt.Fprintf(stdout, "Admin token (24h; paste after \"Authorization: Bearer \"):\n%s\n", adminToken)
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
}

func newServer(store *db.Store, secret []byte, cfg *config, logger *slog.Logger, devToken string) *server {
	authn := &graph.Authenticator{Secret: secret, Users: store.Users, Logger: logger}
	gql := graph.NewHandler(graph.HandlerConfig{Store: store, Auth: authn, Logger: logger, AllowedOrigins: cfg.origins(),
		Limits: graph.Limits{OperationTimeout: cfg.OperationTimeout}})
	s := &server{gql: gql, store: store, logger: logger}

	mux := http.NewServeMux()
	mux.Handle("/graphql", gql)
	mux.Handle("GET /documents/deliveries/{id}/bill-of-lading", documents.BillOfLading(store, authn, logger))
	mux.Handle("/static/", web.Static())
	mux.Handle("/{$}", web.GraphiQL(web.GraphiQLOptions{Endpoint: "/graphql", DefaultToken: devToken,
		DefaultQuery: firstQuery, Title: "Salesgraph"}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", s.ready)
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s
}

// ready answers 200 when the database answers and no migration is pending.
func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
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
    nodes { sku name stockLevels { warehouse { code } onHand reserved available } }
  }
}
`
