package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// libGlob is where Debian/Ubuntu install server binaries, one directory per
// major version; they are not on PATH there.
const libGlob = "/usr/lib/postgresql/*/bin"

var serverBinaries = []string{"initdb", "pg_ctl", "postgres"}

type binaries struct {
	dir   string // holds initdb, pg_ctl and postgres
	major string // e.g. "15", as written in PG_VERSION
}

// findBinaries picks the directory holding all server binaries: env (the
// SALESGRAPH_PG_BIN value) if set, else the first PATH entry with initdb, else
// the newest version matching glob.
func findBinaries(env, path, glob string) (binaries, error) {
	if env != "" {
		if !hasBinaries(env) {
			return binaries{}, fmt.Errorf("%w (SALESGRAPH_PG_BIN=%s lacks one of %s)", ErrNoBinaries, env, strings.Join(serverBinaries, ", "))
		}
		return binaries{dir: env}, nil
	}
	for _, d := range filepath.SplitList(path) {
		if d != "" && hasBinaries(d) {
			return binaries{dir: d}, nil
		}
	}
	dirs, _ := filepath.Glob(glob)
	// Newest first, comparing versions numerically so that 10 beats 9.6.
	slices.SortFunc(dirs, func(a, b string) int { return compareVersions(versionOf(b), versionOf(a)) })
	for _, d := range dirs {
		if hasBinaries(d) {
			return binaries{dir: d}, nil
		}
	}
	return binaries{}, ErrNoBinaries
}

func hasBinaries(dir string) bool {
	for _, name := range serverBinaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// versionOf returns the version directory in .../postgresql/<version>/bin.
func versionOf(binDir string) string { return filepath.Base(filepath.Dir(binDir)) }

func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)(\.\d+)?`)

// serverMajor asks pg_ctl for its version and returns the major version as
// PG_VERSION spells it ("15"; "9.6" before PostgreSQL 10).
func (c *Cluster) serverMajor(ctx context.Context) (string, error) {
	out, err := c.command(ctx, "pg_ctl", "--version").Output()
	if err != nil {
		return "", fmt.Errorf("pgcluster: %s/pg_ctl --version: %w", c.bin.dir, err)
	}
	m := versionRE.FindStringSubmatch(string(out))
	if m == nil {
		return "", fmt.Errorf("pgcluster: cannot read version from %q", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 10 {
		return m[1] + m[2], nil
	}
	return m[1], nil
}

// osUser is the account the server runs as when we are root: initdb and
// postgres refuse to run as root.
type osUser struct {
	uid, gid uint32
	home     string
}

func lookupPostgresUser() (*osUser, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root, the server must run as the OS user \"postgres\", which was not found (%v): "+
			"install PostgreSQL (apt-get install postgresql) to create it, run as an ordinary user, or set DATABASE_URL", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgcluster: postgres user: %w", err)
	}
	return &osUser{uid: uint32(uid), gid: uint32(gid), home: u.HomeDir}, nil
}

// command prepares a server binary to run as the server's OS user.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin.dir, name), args...)
	// A working directory the postgres user can enter: initdb and postgres
	// fail in one they cannot (e.g. /root).
	cmd.Dir = filepath.Dir(c.dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if c.user != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: c.user.uid, Gid: c.user.gid}
		cmd.Env = append(os.Environ(), "HOME="+c.user.home)
	}
	return cmd
}

// prepareDir creates the data directory (parents 0755, itself 0700) and, as
// root, hands it to the postgres user.
func (c *Cluster) prepareDir() error {
	parent := filepath.Dir(c.dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("pgcluster: %w (set SALESGRAPH_PGDATA to put the cluster elsewhere)", err)
	}
	if c.user != nil {
		if err := c.checkSearchable(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(c.dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgcluster: %w", err)
	}
	fi, err := os.Stat(c.dir)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("pgcluster: %s is not a directory", c.dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && c.user != nil && st.Uid != c.user.uid {
		if _, err := os.Stat(filepath.Join(c.dir, "PG_VERSION")); err == nil {
			return fmt.Errorf("pgcluster: cluster %s is owned by uid %d, not by the postgres user (uid %d)", c.dir, st.Uid, c.user.uid)
		}
		if err := os.Chown(c.dir, int(c.user.uid), int(c.user.gid)); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	// postgres refuses a data directory open to group writes or to others.
	if p := fi.Mode().Perm(); p != 0o700 && p != 0o750 {
		if err := os.Chmod(c.dir, 0o700); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	return nil
}

// checkSearchable reports, before initdb gives a vaguer error, an ancestor
// directory the postgres user cannot enter.
func (c *Cluster) checkSearchable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		p := fi.Mode().Perm()
		if ok && p&0o001 == 0 && !(st.Uid == c.user.uid && p&0o100 != 0) && !(st.Gid == c.user.gid && p&0o010 != 0) {
			return fmt.Errorf("pgcluster: the postgres user cannot enter %s (mode %o), so it cannot reach data directory %s: choose another (SALESGRAPH_PGDATA) or chmod o+x it",
				d, p, c.dir)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// ensureInit runs initdb unless the directory already holds a cluster of our
// major version. Call it under the start lock.
func (c *Cluster) ensureInit(ctx context.Context, noSync bool) error {
	b, err := os.ReadFile(filepath.Join(c.dir, "PG_VERSION"))
	if err == nil {
		if v := strings.TrimSpace(string(b)); v != c.bin.major {
			return fmt.Errorf("pgcluster: %s holds a PostgreSQL %s cluster, but the binaries in %s are PostgreSQL %s: "+
				"set SALESGRAPH_PG_BIN to PostgreSQL %s binaries, or move the directory away to start afresh",
				c.dir, v, c.bin.dir, c.bin.major, v)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgcluster: %w", err)
	}
	args := []string{"-D", c.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"}
	if noSync {
		args = append(args, "--no-sync")
	}
	c.log.Info("pgcluster: initializing PostgreSQL cluster", "datadir", c.dir, "bin", c.bin.dir)
	if out, err := c.command(ctx, "initdb", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("pgcluster: initdb %s: %w\n%s", c.dir, err, out)
	}
	return nil
}

// running reports whether the cluster's server is up (pg_ctl status checks
// postmaster.pid and that its process is alive).
func (c *Cluster) running(ctx context.Context) (bool, error) {
	out, err := c.command(ctx, "pg_ctl", "status", "-D", c.dir).CombinedOutput()
	if err == nil {
		return true, nil
	}
	// Exit status 3: not running; 4: no accessible data directory.
	if ee, ok := errors.AsType[*exec.ExitError](err); ok && (ee.ExitCode() == 3 || ee.ExitCode() == 4) {
		return false, nil
	}
	return false, fmt.Errorf("pgcluster: pg_ctl status: %w: %s", err, bytes.TrimSpace(out))
}

// start writes our settings and starts the server, waiting until it accepts
// connections. Call it under the start lock.
func (c *Cluster) start(ctx context.Context, noSync bool) error {
	if err := c.writeConf(noSync); err != nil {
		return err
	}
	logPath := filepath.Join(c.dir, "server.log")
	if fi, err := os.Stat(logPath); err == nil && fi.Size() > 16<<20 {
		os.Rename(logPath, logPath+".old") // keep the log from growing without bound
	}
	cmd := c.command(ctx, "pg_ctl", "start", "-D", c.dir, "-l", logPath, "-w", "-t", strconv.Itoa(int(startTimeout.Seconds())), "-s")
	// Its own session, so that Ctrl-C in the terminal that started it (which
	// signals the whole process group) does not stop a server others share.
	cmd.SysProcAttr.Setsid = true
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgcluster: pg_ctl start: %w: %s\nlast lines of %s:\n%s", err, bytes.TrimSpace(out), logPath, tail(logPath, 15))
	}
	c.log.Info("pgcluster: started PostgreSQL", "datadir", c.dir, "version", c.bin.major)
	return nil
}

// writeConf writes salesgraph.conf and makes postgresql.conf include it.
func (c *Cluster) writeConf(noSync bool) error {
	fsync := "on"
	if noSync {
		fsync = "off"
	}
	conf := fmt.Sprintf(`# Written by salesgraph's pgcluster before each start; edits are lost.
listen_addresses = ''
unix_socket_directories = '%s'
port = %d
max_connections = 200
fsync = %s
`, strings.ReplaceAll(c.dir, "'", "''"), port, fsync)
	path := filepath.Join(c.dir, confName)
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := c.chown(path); err != nil {
		return err
	}
	main := filepath.Join(c.dir, "postgresql.conf")
	b, err := os.ReadFile(main)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	include := "include_if_exists = '" + confName + "'"
	if bytes.Contains(b, []byte(include)) {
		return nil
	}
	f, err := os.OpenFile(main, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	_, err = fmt.Fprintf(f, "\n# Settings of salesgraph's pgcluster; last, so they win.\n%s\n", include)
	return errors.Join(err, f.Close())
}

func (c *Cluster) chown(path string) error {
	if c.user == nil {
		return nil
	}
	if err := os.Chown(path, int(c.user.uid), int(c.user.gid)); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	return nil
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
