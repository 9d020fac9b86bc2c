package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Supervision: while a Cluster is held, the server is supposed to run, so a
// postmaster that dies (killed, OOM, crash) is started again. Every holder
// watches; a restart happens under the start lock after checking again, so
// of several holders one restarts and the others find it running. Release
// stops the watch before it gives up the in-use lock, so the stop that
// follows the last Release is never undone.
const (
	checkEvery = time.Second      // how often the postmaster's PID is checked
	minBackoff = time.Second      // wait after the first failed restart
	maxBackoff = 30 * time.Second // the longest wait between restarts
)

// State says whether the server of a held Cluster runs.
type State string

const (
	StateUp         State = "up"         // the postmaster runs
	StateRestarting State = "restarting" // it died; restarts are being tried
	StateReleased   State = "released"   // the handle was released; nothing is watched
)

// Health is a snapshot of the supervisor's view of the server.
type Health struct {
	State State
	// Since is when State last changed.
	Since time.Time
	// Restarts counts the times the server was found dead and came back.
	Restarts int
	// LastError is why the server is (or last was) down, or why the last
	// restart failed; nil if it never went down.
	LastError error
}

// Health reports whether the server runs, as the supervisor last saw it
// (checked every second).
func (c *Cluster) Health() Health {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	return c.health
}

func (c *Cluster) setHealth(update func(h *Health)) {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	prev := c.health.State
	update(&c.health)
	if c.health.State != prev {
		c.health.Since = time.Now()
	}
}

// supervise watches the postmaster until ctx ends, restarting it when it
// has died. It closes done when it returns.
func (c *Cluster) supervise(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(checkEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := c.postmasterAlive()
		if err == nil {
			continue
		}
		c.log.Error("pgcluster: PostgreSQL server is down; restarting it", "datadir", c.dir, "err", err)
		c.setHealth(func(h *Health) { h.State, h.LastError = StateRestarting, err })
		if !c.restartWithBackoff(ctx) {
			return
		}
		// Ticks that queued during the restart are stale.
		tick.Reset(checkEvery)
	}
}

// restartWithBackoff tries to start the server until it runs (true) or ctx
// ends (false), waiting longer after each failure, up to maxBackoff.
func (c *Cluster) restartWithBackoff(ctx context.Context) bool {
	wait := minBackoff
	for attempt := 1; ; attempt++ {
		c.log.Info("pgcluster: restarting PostgreSQL", "datadir", c.dir, "attempt", attempt)
		err := c.restart(ctx)
		if ctx.Err() != nil {
			return false
		}
		if err == nil {
			c.setHealth(func(h *Health) { h.State = StateUp; h.Restarts++ })
			c.log.Info("pgcluster: PostgreSQL is back", "datadir", c.dir, "attempt", attempt)
			return true
		}
		c.setHealth(func(h *Health) { h.LastError = err })
		c.log.Error("pgcluster: restart failed", "datadir", c.dir, "attempt", attempt, "retryIn", wait.String(), "err", err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, maxBackoff)
	}
}

// restart starts the server under the start lock unless another holder
// already has.
func (c *Cluster) restart(ctx context.Context) error {
	start, err := lockFile(ctx, c.lockPath("start"), syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer start.Close()
	if c.postmasterAlive() == nil {
		return nil
	}
	return c.start(ctx, c.noSync)
}

// postmasterAlive returns nil if the process named in postmaster.pid lives,
// else why not. It reads a file and sends signal 0, so that checking every
// second costs next to nothing (pg_ctl status would be a process each time).
func (c *Cluster) postmasterAlive() error {
	b, err := os.ReadFile(filepath.Join(c.dir, "postmaster.pid"))
	if errors.Is(err, os.ErrNotExist) {
		return errors.New("postmaster.pid is gone: the server stopped")
	}
	if err != nil {
		return fmt.Errorf("read postmaster.pid: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		// postgres writes the file in steps; a half-written one means it is starting.
		return nil
	}
	// EPERM means the process exists but is not ours to signal.
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return fmt.Errorf("postmaster (pid %d) is gone: %w", pid, err)
	}
	// A killed process whose parent has not reaped it yet still answers signal 0.
	if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		if _, rest, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(rest, "Z") {
			return fmt.Errorf("postmaster (pid %d) is gone: it is a zombie", pid)
		}
	}
	return nil
}
