package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"salesgraph/auth"
	"salesgraph/db"
	"salesgraph/demo"
	"salesgraph/migrations"
	"salesgraph/sales"
)

// withDatabase parses f, runs check (if any) on the flags, opens the
// database and runs fn. It never migrates: only serve and migrate up do, so
// pointing any other command at a shared or outdated database changes
// nothing (fn calls requireSchema).
func withDatabase(ctx context.Context, cfg *config, f *flags, args []string, stdout, stderr io.Writer,
	check func() error, fn func(d *database, logger *slog.Logger) error) error {
	if err := f.parse(args, stdout); err != nil {
		return err
	}
	if check != nil {
		if err := check(); err != nil {
			return usageError{err}
		}
	}
	logger := cfg.logger(stderr)
	d, err := openDatabase(ctx, cfg, logger, "salesgraph-"+f.fs.Name())
	if err != nil {
		return err
	}
	defer d.Close()
	return fn(d, logger)
}

// requireSchema fails unless every migration this program knows is applied.
func requireSchema(ctx context.Context, d *database) error {
	st, err := migrations.Status(ctx, d.DB.DB.DB)
	if err != nil {
		return err
	}
	pending := 0
	for _, m := range st {
		if !m.Applied {
			pending++
		}
	}
	switch {
	case pending == len(st):
		return errors.New("the database has no Salesgraph schema: run `salesgraph migrate up` first (with the same DATABASE_URL)")
	case pending > 0:
		return fmt.Errorf("the database is %d migration(s) behind this program: run `salesgraph migrate up` first", pending)
	}
	return nil
}

// requireAnyMigration fails when the database has no migration to undo.
func requireAnyMigration(ctx context.Context, d *database) error {
	st, err := migrations.Status(ctx, d.DB.DB.DB)
	if err != nil {
		return err
	}
	for _, m := range st {
		if m.Applied {
			return nil
		}
	}
	return errors.New("migrate down: the database has no migration to undo")
}

func printMigrationStatus(ctx context.Context, d *database, stdout io.Writer) error {
	st, err := migrations.Status(ctx, d.DB.DB.DB)
	if err != nil {
		return err
	}
	for _, m := range st {
		state := "pending"
		if m.Applied {
			state = "applied " + m.AppliedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "%04d  %-40s %s\n", m.Version, m.Name, state)
	}
	return nil
}

const migrateSynopsis = "migrate up|down|status [flags]"

func migrateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	f := newFlags("migrate", migrateSynopsis,
		"up applies every pending migration, down undoes the newest one, status lists them (and changes nothing).")
	cfg.bindDatabase(f)
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && isHelp(args[0]) {
			f.usage(stdout)
			return flag.ErrHelp
		}
		return usageError{errors.New("migrate: say what to do: up, down or status (see salesgraph migrate --help)")}
	}
	action := args[0]
	switch action {
	case "up", "down", "status":
	default:
		return usageError{fmt.Errorf("migrate: unknown action %q: up, down or status", action)}
	}
	f.fs.Init("migrate "+action, flag.ContinueOnError)
	return withDatabase(ctx, &cfg, f, args[1:], stdout, stderr, nil, func(d *database, _ *slog.Logger) error {
		switch action {
		case "up":
			if err := migrations.Up(ctx, d.DB.DB.DB); err != nil {
				return fmt.Errorf("apply migrations: %w", err)
			}
			fmt.Fprintln(stdout, "migrations are up to date")
		case "down":
			// goose would create its version table in a database without one.
			if err := requireAnyMigration(ctx, d); err != nil {
				return err
			}
			if err := migrations.Down(ctx, d.DB.DB.DB); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "undid the newest migration (salesgraph migrate up, or the next serve, applies it again)")
		}
		return printMigrationStatus(ctx, d, stdout)
	})
}

func seedCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	var withDemo bool
	var scale int
	f := newFlags("seed", "seed --demo | --scale N [flags]",
		"Loads the demo company, or a multi-year company of N sales orders (about 4N order lines), into a migrated database.")
	f.fs.BoolVar(&withDemo, "demo", false, "load the demo company (3 warehouses, ~200 products, ~100 customers, users for every role)")
	f.int(&scale, "scale", "", 0, fmt.Sprintf("load N sales orders over three years up to today, with their lines, deliveries, returns and stock ledger, "+
		"plus N/50 customers and 2000 products, into a database without any (1 to %d; 250000 gives about a million order lines)", demo.MaxScale))
	cfg.bindDatabase(f)
	return withDatabase(ctx, &cfg, f, args, stdout, stderr, func() error {
		given := map[string]bool{}
		f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
		switch {
		case withDemo && given["scale"]:
			return errors.New("seed: --demo and --scale load different companies: choose one")
		case given["scale"] && (scale < 1 || scale > demo.MaxScale):
			return fmt.Errorf("seed: --scale must be between 1 and %d sales orders, not %d", demo.MaxScale, scale)
		case !withDemo && !given["scale"]:
			return errors.New("seed: say what to load: --demo or --scale N")
		}
		return nil
	}, func(d *database, _ *slog.Logger) error {
		if err := requireSchema(ctx, d); err != nil {
			return err
		}
		if scale > 0 {
			summary, err := demo.LoadScale(ctx, db.NewStore(d.DB), demo.ScaleFor(scale))
			if err != nil {
				return fmt.Errorf("seed --scale: %w", err)
			}
			fmt.Fprint(stdout, summary)
			return nil
		}
		summary, err := demo.Load(ctx, db.NewStore(d.DB))
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, summary)
		return nil
	})
}

// roleList is "ADMIN, SALES_MANAGER, …", for help and errors.
func roleList() string {
	names := make([]string, len(sales.Roles))
	for i, r := range sales.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func userCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	var email, name, role string
	f := newFlags("user add", "user add --email E --name N --role R [flags]", "Adds an active user to a migrated database.")
	f.fs.StringVar(&email, "email", "", "the user's email (they sign in with a token naming it)")
	f.fs.StringVar(&name, "name", "", "the user's name")
	f.fs.StringVar(&role, "role", "", "one of "+roleList())
	cfg.bindDatabase(f)
	if len(args) == 0 || args[0] != "add" {
		if len(args) > 0 && isHelp(args[0]) {
			f.usage(stdout)
			return flag.ErrHelp
		}
		return usageError{errors.New("user: the only action is add: salesgraph user add --email E --name N --role R")}
	}
	var r sales.Role
	return withDatabase(ctx, &cfg, f, args[1:], stdout, stderr, func() error {
		r = sales.Role(strings.ToUpper(strings.TrimSpace(role)))
		if !r.Valid() {
			return fmt.Errorf("user add: --role %q is not a role: use one of %s", role, roleList())
		}
		return nil
	}, func(d *database, _ *slog.Logger) error {
		if err := requireSchema(ctx, d); err != nil {
			return err
		}
		u, err := db.NewStore(d.DB).Users.Create(ctx, nil, sales.User{Email: email, Name: name, Role: r, Active: true}, nil)
		if err != nil {
			if e, ok := sales.AsError(err); ok {
				return fmt.Errorf("user add: %s (%s)", e.Message, strings.TrimPrefix(e.Field, "input."))
			}
			return err
		}
		fmt.Fprintf(stdout, "added %s (%s) as %s\n", u.Email, u.Name, u.Role)
		return nil
	})
}

func tokenCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	var email string
	var ttl time.Duration
	f := newFlags("token", "token --user EMAIL [--ttl 24h] [flags]", "Prints a bearer token for an active user of a migrated database.")
	f.fs.StringVar(&email, "user", "", "email of the user the token names")
	f.fs.DurationVar(&ttl, "ttl", 24*time.Hour, "how long the token is valid")
	cfg.bindDatabase(f)
	cfg.bindSecret(f)
	return withDatabase(ctx, &cfg, f, args, stdout, stderr, func() error {
		if email == "" {
			return errors.New("token: --user EMAIL is required")
		}
		if ttl <= 0 || ttl > 366*24*time.Hour {
			return errors.New("token: --ttl must be between 1s and 366 days")
		}
		return nil
	}, func(d *database, _ *slog.Logger) error {
		if err := requireSchema(ctx, d); err != nil {
			return err
		}
		u, err := db.NewStore(d.DB).Users.ByEmail(ctx, email)
		if err != nil {
			if sales.CodeOf(err) == sales.CodeNotFound {
				return fmt.Errorf("token: no user %q (add one with: salesgraph user add)", email)
			}
			return err
		}
		if !u.Active {
			return fmt.Errorf("token: user %q is inactive", email)
		}
		secret, err := cfg.secret()
		if err != nil {
			return err
		}
		tok, err := auth.Issue(secret, u.Email, ttl)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		return nil
	})
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help":
		return true
	}
	return false
}

// ensureDemo loads the demo company into an empty private database and
// returns a token for its admin (for GraphiQL and the start-up banner).
func ensureDemo(ctx context.Context, store *db.Store, secret []byte, logger *slog.Logger) (string, error) {
	if _, err := store.Users.ByEmail(ctx, demo.AdminEmail); sales.CodeOf(err) == sales.CodeNotFound {
		users, err := store.Users.List(ctx, sales.UserFilter{}, db.Sort{}, db.Page{Limit: 1})
		if err != nil {
			return "", err
		}
		if len(users.Items) > 0 {
			return "", nil // somebody else's data: leave it alone
		}
		logger.Info("empty database: loading the demo company")
		if _, err := demo.Load(ctx, store); err != nil {
			return "", fmt.Errorf("load demo data: %w", err)
		}
	} else if err != nil {
		return "", err
	}
	return auth.Issue(secret, demo.AdminEmail, 24*time.Hour)
}
