// Package connlimit caps how many connections a listener has open at once.
//
// It does what golang.org/x/net/netutil.LimitListener does (a slot per
// accepted connection, freed on Close, further ones left in the kernel's
// accept queue), and one thing more: its connections keep the
// syscall.Conn of the connection beneath them, which netutil's hide. The
// websocket transport uses that to wait for a socket to become readable
// without reading it (graph/gorillaws's awaitMessage), which keeps each
// idle socket's goroutine small.
package connlimit

import (
	"errors"
	"net"
	"sync"
	"syscall"
)

// Listen returns a Listener that accepts at most n connections of l open at
// once: Accept waits for one to close.
func Listen(l net.Listener, n int) net.Listener {
	return &listener{Listener: l, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type listener struct {
	net.Listener
	slots     chan struct{} // one token per open connection
	closeOnce sync.Once
	done      chan struct{} // closed by Close: Accept stops waiting
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &conn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *listener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

type conn struct {
	net.Conn
	releaseOnce sync.Once
	release     func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.releaseOnce.Do(c.release)
	return err
}

// SyscallConn is the connection beneath's, if it has one.
func (c *conn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}
