package connlimit

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

func listen(t *testing.T, n int) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Listen(ln, n)
	t.Cleanup(func() { l.Close() })
	return l
}

func dial(t *testing.T, l net.Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// accept runs Accept in the background; the connection arrives on the channel.
func accept(l net.Listener) <-chan net.Conn {
	got := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(got)
			return
		}
		got <- c
	}()
	return got
}

// TestCapHolds: with n connections open, the next is accepted only once one
// of them closes, and closing it twice frees one slot, not two.
func TestCapHolds(t *testing.T) {
	l := listen(t, 2)
	var open []net.Conn
	for range 2 {
		dial(t, l)
		c, ok := <-accept(l)
		if !ok {
			t.Fatal("Accept failed under the cap")
		}
		open = append(open, c)
	}
	dial(t, l)
	dial(t, l)
	third := accept(l)
	select {
	case <-third:
		t.Fatal("a third connection was accepted while 2 of 2 were open")
	case <-time.After(200 * time.Millisecond):
	}
	open[0].Close()
	open[0].Close() // again: no second slot
	select {
	case c := <-third:
		defer c.Close()
	case <-time.After(2 * time.Second):
		t.Fatal("the waiting connection was not accepted after one closed")
	}
	fourth := accept(l)
	select {
	case <-fourth:
		t.Fatal("a fourth connection was accepted: closing one twice freed two slots")
	case <-time.After(200 * time.Millisecond):
	}
	open[1].Close()
	select {
	case c := <-fourth:
		c.Close()
	case <-time.After(2 * time.Second):
		t.Fatal("the fourth connection was not accepted after another closed")
	}
}

// TestCloseEndsWaitingAccept: Close wakes an Accept waiting for a slot.
func TestCloseEndsWaitingAccept(t *testing.T) {
	l := listen(t, 1)
	dial(t, l)
	if _, ok := <-accept(l); !ok {
		t.Fatal("Accept failed")
	}
	waiting := accept(l)
	time.Sleep(50 * time.Millisecond)
	l.Close()
	select {
	case c, ok := <-waiting:
		if ok {
			c.Close()
			t.Fatal("Accept returned a connection after Close")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Accept still waits after Close")
	}
}

// TestConnKeepsSyscallConn: the accepted connection still offers the TCP
// socket's syscall.Conn, which netutil.LimitListener's hide.
func TestConnKeepsSyscallConn(t *testing.T) {
	l := listen(t, 1)
	dial(t, l)
	c, ok := <-accept(l)
	if !ok {
		t.Fatal("Accept failed")
	}
	defer c.Close()
	sc, ok := c.(syscall.Conn)
	if !ok {
		t.Fatalf("%T is not a syscall.Conn", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil || raw == nil {
		t.Fatalf("SyscallConn() = %v, %v", raw, err)
	}
	var fd uintptr
	if err := raw.Control(func(f uintptr) { fd = f }); err != nil || fd == 0 {
		t.Errorf("Control: fd %d, %v", fd, err)
	}

	var plain net.Conn = &conn{Conn: pipeConn{}, release: func() {}}
	if _, err := plain.(syscall.Conn).SyscallConn(); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("a connection without a socket beneath: %v, want ErrUnsupported", err)
	}
}

type pipeConn struct{ net.Conn }
