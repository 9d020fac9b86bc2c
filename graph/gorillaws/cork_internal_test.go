package gorillaws

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"
)

// countingConn records each Write made to it.
type countingConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func (c *countingConn) Close() error { return nil }

func (c *countingConn) got() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.writes...)
}

// Frames written while corked go out in one write, with the first frame
// written after the cork is lifted; uncorked, each write goes out at once.
func TestCork_HeldFramesGoOutTogether(t *testing.T) {
	under := &countingConn{}
	c := &corkConn{Conn: under}
	c.cork(true)
	for _, f := range []string{"a", "b", "c"} {
		if _, err := c.Write([]byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(under.got()); n != 0 {
		t.Fatalf("%d writes while corked, want none", n)
	}
	c.cork(false)
	if _, err := c.Write([]byte("d")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("e")); err != nil {
		t.Fatal(err)
	}
	got := under.got()
	if len(got) != 2 || string(got[0]) != "abcd" || string(got[1]) != "e" {
		t.Fatalf("writes %q, want [abcd e]", got)
	}
}

// A cork nothing lifts holds frames back for at most maxCorkDelay; closing
// sends what is held first.
func TestCork_LiftedByTimeAndClose(t *testing.T) {
	under := &countingConn{}
	c := &corkConn{Conn: under}
	c.cork(true)
	start := time.Now()
	_, _ = c.Write([]byte("ping"))
	for len(under.got()) == 0 {
		if time.Since(start) > time.Second {
			t.Fatal("a held frame was never written")
		}
		time.Sleep(time.Millisecond)
	}
	if got := under.got(); string(got[0]) != "ping" {
		t.Fatalf("wrote %q, want ping", got)
	}
	_, _ = c.Write([]byte("close"))
	_ = c.Close()
	if got := under.got(); len(got) != 2 || string(got[1]) != "close" {
		t.Fatalf("writes %q, want the held close frame written on Close", got)
	}
}
