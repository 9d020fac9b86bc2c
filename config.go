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
	"time"

	"salesgraph/graph"
	"salesgraph/pgcluster"
)

// config is the whole configuration. Every setting is an environment
// variable with a flag of the same meaning; a flag wins over the variable.
type config struct {
	Addr           string
	DatabaseURL    string
	JWTSecret      string
	PGData         string
	AllowedOrigins string
	LogFormat      string
	LogLevel       string
	ShutdownGrace  time.Duration
	// OperationTimeout bounds one GraphQL operation, its SQL included.
	OperationTimeout time.Duration
}

// envDefault returns the variable's value or def.
func envDefault(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// bind registers the settings every subcommand shares, plus ADDR and the
// server ones when serve is true.
func (c *config) bind(fs *flag.FlagSet, serve bool) {
	fs.StringVar(&c.DatabaseURL, "database-url", envDefault("DATABASE_URL", ""),
		"PostgreSQL URL (env DATABASE_URL); empty starts a private cluster from the machine's PostgreSQL binaries")
	fs.StringVar(&c.PGData, "pgdata", envDefault("SALESGRAPH_PGDATA", ""),
		"data folder of the private cluster (env SALESGRAPH_PGDATA; default "+pgcluster.DefaultDataDir()+")")
	fs.StringVar(&c.JWTSecret, "jwt-secret", envDefault("JWT_SECRET", ""),
		"HS256 secret for bearer tokens, at least 32 bytes (env JWT_SECRET); required with DATABASE_URL, generated and kept for the private cluster")
	fs.StringVar(&c.LogFormat, "log-format", envDefault("LOG_FORMAT", ""), "json or text (env LOG_FORMAT; default text on a terminal, else json)")
	fs.StringVar(&c.LogLevel, "log-level", envDefault("LOG_LEVEL", "info"), "debug, info, warn or error (env LOG_LEVEL)")
	if serve {
		fs.StringVar(&c.Addr, "addr", envDefault("ADDR", ":8080"), "listen address (env ADDR)")
		fs.StringVar(&c.AllowedOrigins, "allowed-origins", envDefault("ALLOWED_ORIGINS", ""),
			"comma-separated browser origins allowed to open websockets, such as https://dash.example.com (env ALLOWED_ORIGINS); empty allows only same-host pages, * allows any")
		grace, _ := time.ParseDuration(envDefault("SHUTDOWN_GRACE", "15s"))
		fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", grace, "how long shutdown waits for in-flight requests (env SHUTDOWN_GRACE)")
		timeout, _ := time.ParseDuration(envDefault("OPERATION_TIMEOUT", graph.DefaultLimits.OperationTimeout.String()))
		fs.DurationVar(&c.OperationTimeout, "operation-timeout", timeout,
			"how long one GraphQL operation may run before it and its SQL are cancelled (env OPERATION_TIMEOUT)")
	}
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
