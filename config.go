package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"salesgraph/graph"
	"salesgraph/pgcluster"
	"salesgraph/printable"
)

// config is the whole configuration. Every setting is an environment
// variable with a flag of the same meaning; a flag wins over the variable.
type config struct {
	Addr              string
	DatabaseURL       string
	JWTSecret         string
	PGData            string
	AllowedOrigins    string
	LogFormat         string
	LogLevel          string
	ShutdownGrace     time.Duration
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	BodyTimeout       time.Duration
	IdleTimeout       time.Duration
	MaxConnections    int
	// OperationTimeout bounds one GraphQL operation, its SQL included.
	OperationTimeout time.Duration
	// MaxQueryCost bounds the rows one operation may ask for (graph/cost.go).
	MaxQueryCost int
	// StatementTimeout bounds one SQL statement; PoolWait how long a request
	// waits for a free database connection before it is UNAVAILABLE.
	StatementTimeout time.Duration
	PoolWait         time.Duration
	// SocketRecheck is how often the open websockets' users are re-read.
	SocketRecheck time.Duration
	// DocumentLinkTTL is how long a signed link to a printable document opens it.
	DocumentLinkTTL time.Duration
	// SellerName is the seller printed on invoices.
	SellerName string
	// FeedRetention is how old a live feed resume cursor may be (CURSOR_EXPIRED after).
	FeedRetention time.Duration
	// PprofAddr, when set, serves Go's profiler on a loopback listener of its own.
	PprofAddr string
	// CreditGraceDays is how many days an invoice may be overdue before the
	// credit check holds the customer's new orders.
	CreditGraceDays int
}

// defaultAddr is loopback: serving every interface is a choice to make
// (ADDR=0.0.0.0:8080, behind TLS), not a default.
const defaultAddr = "127.0.0.1:8080"

// flags is one command's flag set and the environment variable behind each
// flag. Flag defaults are the documented defaults, never the environment's
// values, so --help and flag errors cannot print DATABASE_URL's password or
// JWT_SECRET; parse reads the environment for the flags not given.
type flags struct {
	fs       *flag.FlagSet
	synopsis string // "migrate up|down|status [flags]"
	about    string // what the command does, for --help
	env      map[string]string
}

func newFlags(name, synopsis, about string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors; usage prints help
	return &flags{fs: fs, synopsis: synopsis, about: about, env: map[string]string{}}
}

func (f *flags) withEnv(name, env, usage string) (string, string) {
	if env != "" {
		f.env[name] = env
		usage += " (env " + env + ")"
	}
	return name, usage
}

func (f *flags) string(p *string, name, env, def, usage string) {
	name, usage = f.withEnv(name, env, usage)
	f.fs.StringVar(p, name, def, usage)
}

func (f *flags) duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	name, usage = f.withEnv(name, env, usage)
	f.fs.DurationVar(p, name, def, usage)
}

func (f *flags) int(p *int, name, env string, def int, usage string) {
	name, usage = f.withEnv(name, env, usage)
	f.fs.IntVar(p, name, def, usage)
}

// usageError is a mistake on the command line: main prints it once and exits 2.
type usageError struct{ error }

// parse parses args, refuses positional arguments, and fills every flag not
// given from its environment variable. On --help it prints the command's
// help to stdout and returns flag.ErrHelp.
func (f *flags) parse(args []string, stdout io.Writer) error {
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			f.usage(stdout)
			return err
		}
		return usageError{fmt.Errorf("%s: %w (see salesgraph %s --help)", f.fs.Name(), err, f.fs.Name())}
	}
	if f.fs.NArg() > 0 {
		return usageError{fmt.Errorf("%s: unexpected argument %q (see salesgraph %s --help)", f.fs.Name(), f.fs.Arg(0), f.fs.Name())}
	}
	given := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	for name, env := range f.env {
		v, ok := os.LookupEnv(env)
		if !ok || v == "" || given[name] {
			continue
		}
		if err := f.fs.Set(name, v); err != nil {
			if secretEnv[env] {
				return fmt.Errorf("environment variable %s is not valid", env)
			}
			return fmt.Errorf("environment variable %s=%q is not valid: %v", env, v, err)
		}
	}
	return nil
}

// secretEnv names the variables whose values are never printed.
var secretEnv = map[string]bool{"DATABASE_URL": true, "JWT_SECRET": true}

// usage prints the command's help: synopsis, what it does, its flags.
func (f *flags) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: salesgraph %s\n\n%s\n\nFlags (each also read from the environment variable named; a flag wins):\n", f.synopsis, f.about)
	f.fs.SetOutput(w)
	f.fs.PrintDefaults()
	f.fs.SetOutput(io.Discard)
}

// bindDatabase registers the settings of every command that opens the database.
func (c *config) bindDatabase(f *flags) {
	f.string(&c.DatabaseURL, "database-url", "DATABASE_URL", "",
		"PostgreSQL URL; empty starts a private cluster from the machine's PostgreSQL binaries")
	f.string(&c.PGData, "pgdata", "SALESGRAPH_PGDATA", "",
		"data folder of the private cluster (default "+pgcluster.DefaultDataDir()+")")
	f.string(&c.LogFormat, "log-format", "LOG_FORMAT", "", "json or text (default text on a terminal, else json)")
	f.string(&c.LogLevel, "log-level", "LOG_LEVEL", "info", "debug, info, warn or error")
}

// bindSecret registers the JWT secret, for the commands that sign or check tokens.
func (c *config) bindSecret(f *flags) {
	f.string(&c.JWTSecret, "jwt-secret", "JWT_SECRET", "",
		"HS256 secret for bearer tokens, at least 32 bytes; required with DATABASE_URL, generated and kept for the private cluster")
}

// bindServe registers the server's own settings.
func (c *config) bindServe(f *flags) {
	f.string(&c.Addr, "addr", "ADDR", defaultAddr,
		"listen address; loopback by default, 0.0.0.0:8080 serves every interface (put TLS in front)")
	f.string(&c.AllowedOrigins, "allowed-origins", "ALLOWED_ORIGINS", "",
		"comma-separated browser origins allowed to open websockets, such as https://dash.example.com; empty allows only same-host pages, * allows any")
	f.duration(&c.ShutdownGrace, "shutdown-grace", "SHUTDOWN_GRACE", 15*time.Second, "how long shutdown waits for in-flight requests")
	f.duration(&c.ReadHeaderTimeout, "read-header-timeout", "READ_HEADER_TIMEOUT", 10*time.Second,
		"how long a client may take to send a request's headers")
	f.duration(&c.ReadTimeout, "read-timeout", "READ_TIMEOUT", 30*time.Second,
		"how long a client may take to send a whole request, body included; websockets are not bound by it")
	f.duration(&c.BodyTimeout, "body-timeout", "BODY_TIMEOUT", 5*time.Second,
		"how long a request body may take to start arriving; after it the body must keep coming at 1 KB/s (one more second per KB), up to READ_TIMEOUT")
	f.duration(&c.IdleTimeout, "idle-timeout", "IDLE_TIMEOUT", time.Minute,
		"how long an idle keep-alive connection stays open")
	f.int(&c.MaxConnections, "max-connections", "MAX_CONNECTIONS", 0,
		"most connections served at once, websockets included; further ones wait in the kernel's queue (0: three quarters of the open-file limit, at most 10000)")
	f.duration(&c.OperationTimeout, "operation-timeout", "OPERATION_TIMEOUT", graph.DefaultLimits.OperationTimeout,
		"how long one GraphQL operation may run before it and its SQL are cancelled")
	f.int(&c.MaxQueryCost, "max-query-cost", "MAX_QUERY_COST", graph.DefaultLimits.MaxCost,
		"largest cost (rows it may ask for, see the README) an operation may have; more is refused with QUERY_TOO_COMPLEX before any SQL")
	f.duration(&c.StatementTimeout, "statement-timeout", "STATEMENT_TIMEOUT", 30*time.Second,
		"how long one SQL statement may run (TIMEOUT after it)")
	f.duration(&c.PoolWait, "pool-wait", "POOL_WAIT", 5*time.Second,
		"how long a request waits for a free database connection (UNAVAILABLE after it)")
	f.duration(&c.SocketRecheck, "socket-recheck", "SOCKET_RECHECK", graph.DefaultSocketRecheck,
		"how often the open websockets' users are re-read (one lookup per distinct user, not per socket): a deactivated user's sockets close (4403) within this")
	f.duration(&c.DocumentLinkTTL, "document-link-ttl", "DOCUMENT_LINK_TTL", printable.DefaultLinkTTL,
		"how long a signed link to a printable document (delivery.billOfLadingUrl, invoice.printUrl) opens it in a browser tab")
	f.string(&c.SellerName, "seller-name", "SELLER_NAME", printable.DefaultSeller,
		"the seller (the company's name) printed on invoices")
	f.duration(&c.FeedRetention, "feed-retention", "FEED_RETENTION", 24*time.Hour,
		"how old an event a live feed subscription may resume after (orderStatusChanged's after); older: CURSOR_EXPIRED")
	f.string(&c.PprofAddr, "pprof-addr", "PPROF_ADDR", "",
		"serve Go's profiler (/debug/pprof/) on this loopback address, such as 127.0.0.1:6060; empty: off")
	f.int(&c.CreditGraceDays, "credit-grace-days", "CREDIT_GRACE_DAYS", 0,
		"days an invoice may be overdue before confirming the customer's orders puts them ON_HOLD (OVERDUE_INVOICES); 0: any overdue invoice holds")
}

// checkServe refuses server settings that cannot work.
func (c *config) checkServe() error {
	for name, d := range map[string]time.Duration{"READ_HEADER_TIMEOUT": c.ReadHeaderTimeout, "READ_TIMEOUT": c.ReadTimeout, "BODY_TIMEOUT": c.BodyTimeout,
		"IDLE_TIMEOUT": c.IdleTimeout, "SHUTDOWN_GRACE": c.ShutdownGrace, "OPERATION_TIMEOUT": c.OperationTimeout,
		"STATEMENT_TIMEOUT": c.StatementTimeout, "POOL_WAIT": c.PoolWait, "SOCKET_RECHECK": c.SocketRecheck,
		"DOCUMENT_LINK_TTL": c.DocumentLinkTTL, "FEED_RETENTION": c.FeedRetention} {
		if d <= 0 {
			return fmt.Errorf("%s must be positive, not %v", name, d)
		}
	}
	if c.CreditGraceDays < 0 {
		return fmt.Errorf("CREDIT_GRACE_DAYS must not be negative, not %d", c.CreditGraceDays)
	}
	if c.MaxQueryCost < 1 {
		return fmt.Errorf("MAX_QUERY_COST must be at least 1, not %d", c.MaxQueryCost)
	}
	if c.MaxConnections < 0 {
		return fmt.Errorf("MAX_CONNECTIONS must be at least 1 (or 0 for the default), not %d", c.MaxConnections)
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = defaultMaxConnections()
	}
	if err := checkProfilerAddr(c.PprofAddr); err != nil {
		return err
	}
	return nil
}

// embedded reports whether the private cluster is used.
func (c *config) embedded() bool { return c.DatabaseURL == "" }

func (c *config) dataDir() string {
	if c.PGData != "" {
		return c.PGData
	}
	return pgcluster.DefaultDataDir()
}

// secret returns the JWT secret. With the private cluster a missing secret
// is generated once and kept beside the data folder, so tokens survive a
// restart; with DATABASE_URL it must be given.
func (c *config) secret() ([]byte, error) {
	if c.JWTSecret != "" {
		if len(c.JWTSecret) < 32 {
			return nil, errors.New("JWT_SECRET must be at least 32 bytes")
		}
		return []byte(c.JWTSecret), nil
	}
	if !c.embedded() {
		return nil, errors.New("JWT_SECRET is required when DATABASE_URL is set (at least 32 random bytes, e.g. `openssl rand -hex 32`)")
	}
	path := filepath.Join(filepath.Dir(c.dataDir()), "jwt-secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("keep the generated JWT secret: %w", err)
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("keep the generated JWT secret: %w", err)
	}
	return []byte(secret), nil
}

func (c *config) origins() []string {
	var out []string
	for _, o := range strings.Split(c.AllowedOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// logger builds the process logger: JSON unless writing to a terminal.
func (c *config) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	format := c.LogFormat
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// defaultMaxConnections leaves a quarter of the process's open-file limit
// (which Go raises to the hard limit at start) to database connections, the
// private cluster and files, so a flood of clients waits in the kernel's
// queue instead of exhausting descriptors. Slow clients are cut off within
// BODY_TIMEOUT, so a generous cap keeps room for /readyz and real users.
func defaultMaxConnections() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 256 {
		return 128
	}
	return int(min(lim.Cur/4*3, 10000))
}
