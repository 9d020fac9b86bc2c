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

// withDatabase parses the shared flags plus extra ones, opens the database and runs fn.
func withDatabase(ctx context.Context, name string, args []string, stderr io.Writer,
	extra func(fs *flag.FlagSet), fn func(cfg *config, fs *flag.FlagSet, d *database, logger *slog.Logger) error) error {
	var cfg config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.bind(fs, false)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := cfg.logger(stderr)
	d, err := openDatabase(ctx, &cfg, logger, "salesgraph-"+name)
	if err != nil {
		return err
	}
	defer d.Close()
	return fn(&cfg, fs, d, logger)
}

func migrateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	action := "up"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	// openDatabase applies pending migrations, which is all "up" means; down
	// and status work on the migrated database.
	return withDatabase(ctx, "migrate", args, stderr, nil, func(_ *config, _ *flag.FlagSet, d *database, _ *slog.Logger) error {
		switch action {
		case "up":
			fmt.Fprintln(stdout, "migrations are up to date")
		case "down":
			if err := migrations.Down(ctx, d.DB.DB.DB); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "undid the newest migration (the next start applies it again)")
		case "status":
		default:
			return fmt.Errorf("migrate: unknown action %q (up, down or status)", action)
		}
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
	})
}

func seedCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var withDemo bool
	return withDatabase(ctx, "seed", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&withDemo, "demo", false, "load the demo company (3 warehouses, ~200 products, ~100 customers, users for every role)")
	}, func(_ *config, _ *flag.FlagSet, d *database, _ *slog.Logger) error {
		if !withDemo {
			return errors.New("seed: say what to load: --demo")
		}
		summary, err := demo.Load(ctx, db.NewStore(d.DB))
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, summary)
		return nil
	})
}

func userCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("user: the only action is add: salesgraph user add --email E --name N --role R")
	}
	var email, name, role string
	return withDatabase(ctx, "user", args[1:], stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the user's email (they sign in with a token naming it)")
		fs.StringVar(&name, "name", "", "the user's name")
		fs.StringVar(&role, "role", "", "ADMIN, SALES_MANAGER, SALES_REP, WAREHOUSE, ACCOUNTANT or VIEWER")
	}, func(_ *config, _ *flag.FlagSet, d *database, _ *slog.Logger) error {
		u, err := db.NewStore(d.DB).Users.Create(ctx, nil, sales.User{Email: email, Name: name, Role: sales.Role(strings.ToUpper(role)), Active: true}, nil)
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
	var email string
	var ttl time.Duration
	return withDatabase(ctx, "token", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "user", "", "email of the user the token names")
		fs.DurationVar(&ttl, "ttl", 24*time.Hour, "how long the token is valid")
	}, func(cfg *config, _ *flag.FlagSet, d *database, _ *slog.Logger) error {
		if email == "" {
			return errors.New("token: --user EMAIL is required")
		}
		if ttl <= 0 || ttl > 366*24*time.Hour {
			return errors.New("token: --ttl must be between 1s and 366 days")
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

// ensureDemo loads the demo company into an empty private database and
// returns a token for its admin (for GraphiQL and the start-up banner).
func ensureDemo(ctx context.Context, store *db.Store, secret []byte, logger *slog.Logger) (string, error) {
	if _, err := store.Users.ByEmail(ctx, demo.AdminEmail); sales.CodeOf(err) == sales.CodeNotFound {
		users, _, err := store.Users.List(ctx, sales.UserFilter{}, db.Sort{}, db.Page{Limit: 1})
		if err != nil {
			return "", err
		}
		if len(users) > 0 {
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
