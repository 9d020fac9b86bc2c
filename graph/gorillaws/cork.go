package gorillaws

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// A subscriber that has several events queued gets them in one TCP write
// instead of one write (and, at the reader, one wake-up) each: the feed
// corks the socket while more events wait (Hold) and the last one's frame
// goes out with the ones before it. gorilla writes each frame straight to
// the net.Conn, so the corking is done beneath it, on the connection it
// hijacks.

const (
	// readBufferSize is the socket's read buffer: client messages are
	// small, and a larger one is read through it. gorilla takes a hijacked
	// reader only if it is larger than 256 bytes; 288 is a size class of
	// Go's allocator.
	readBufferSize = 288
	// maxCorked bounds what a corked socket holds before it writes anyway.
	maxCorked = 64 << 10
	// maxCorkDelay bounds how long a frame waits in a corked socket: a
	// cork that nothing lifts (the subscriber went away between events)
	// cannot hold a ping or a close frame back for longer.
	maxCorkDelay = 5 * time.Millisecond
)

// heldBuffers are the corked sockets' buffers, lent while they hold frames:
// a burst to 10,000 sockets would otherwise allocate a buffer per socket per
// batch, and the garbage collector's work grows with it.
var heldBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// corkConn is the socket's net.Conn, able to hold writes back.
type corkConn struct {
	net.Conn

	mu     sync.Mutex
	corked bool
	held   *[]byte // written while corked; nil when empty (from heldBuffers)
	timer  *time.Timer
	err    error // of a write made by the timer, returned by the next Write

	// reader is the buffered reader gorilla reads the socket through, ours
	// so that awaitMessage can see what it holds (nil if gorilla has its
	// own); raw lets awaitMessage wait on the socket without reading it.
	reader *bufio.Reader
	raw    syscall.RawConn
}

// cork sets whether writes are held back; uncorked, held frames go out with
// the next write (or at the latest after maxCorkDelay).
func (c *corkConn) cork(on bool) {
	c.mu.Lock()
	c.corked = on
	c.mu.Unlock()
}

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if c.corked && (c.held == nil || len(*c.held)+len(p) <= maxCorked) {
		if c.held == nil {
			c.held = heldBuffers.Get().(*[]byte)
			if c.timer == nil {
				c.timer = time.AfterFunc(maxCorkDelay, c.flushLate)
			} else {
				c.timer.Reset(maxCorkDelay)
			}
		}
		*c.held = append(*c.held, p...)
		return len(p), nil
	}
	if c.held == nil {
		return c.Conn.Write(p)
	}
	*c.held = append(*c.held, p...)
	if err := c.flushLocked(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// uncork lifts the cork and writes what it held.
func (c *corkConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	if err := c.flushLocked(); err != nil {
		return err
	}
	return nil
}

// flushLocked writes what is held; c.mu is held.
func (c *corkConn) flushLocked() error {
	if c.held == nil {
		return nil
	}
	c.timer.Stop()
	_, err := c.Conn.Write(*c.held)
	if cap(*c.held) <= maxCorked+(4<<10) {
		*c.held = (*c.held)[:0]
		heldBuffers.Put(c.held)
	}
	c.held = nil // an idle socket keeps no buffer
	return err
}

// flushLate is the timer's: a cork held too long is lifted.
func (c *corkConn) flushLate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.flushLocked(); err != nil && c.err == nil {
		c.err = err
	}
}

// Close writes what is held (a close frame, say), then closes.
func (c *corkConn) Close() error {
	c.mu.Lock()
	_ = c.flushLocked()
	c.mu.Unlock()
	return c.Conn.Close()
}

// corkingWriter hands gorilla the corkConn when it hijacks the connection.
type corkingWriter struct {
	http.ResponseWriter
	conn *corkConn
}

func (w *corkingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &corkConn{Conn: c}
	if brw.Reader.Buffered() == 0 { // else gorilla refuses the upgrade
		// gorilla reads through a hijacked reader larger than 256 bytes
		// (Upgrade's ReadBufferSize is 0 for it): this one, small.
		w.conn.reader = bufio.NewReaderSize(w.conn, readBufferSize)
		brw = bufio.NewReadWriter(w.conn.reader, brw.Writer)
		if sc, ok := c.(syscall.Conn); ok {
			w.conn.raw, _ = sc.SyscallConn()
		}
	}
	return w.conn, brw, nil
}

// Corker returns the cork of the socket of ctx's request (made WithSocket):
// while it is given true, what is written goes out in one write with the
// first write after it is given false, or at the latest after 5 ms. For a
// context without a socket it returns a cork that does nothing. Resolve it
// once per subscription, not per event: it walks the context.
func Corker(ctx context.Context) func(more bool) {
	slot, _ := ctx.Value(socketKey{}).(*socketSlot)
	if slot == nil {
		return func(bool) {}
	}
	c := slot.get()
	if c == nil || c.net == nil {
		return func(bool) {}
	}
	return c.net.cork
}
