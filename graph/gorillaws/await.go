package gorillaws

// awaitMessage blocks until the socket has something to read, without
// reading it: until gorilla's reader holds bytes, or the socket is
// readable, closed or past its read deadline. It reports false, at once,
// if it cannot wait so (a socket without a file descriptor, TLS say).
//
// Why: the goroutine that reads a socket lives as long as the socket,
// and a goroutine's stack never shrinks below four times what it uses.
// Parked inside gorilla's read path it uses enough to keep 4 KiB; parked
// here, a few frames deep, it keeps the 2 KiB minimum. The read itself
// then runs on a fresh goroutine (serve). A websocket-level ping from the
// client (browsers send none) is answered inside gorilla's read, which
// then waits on that fresh goroutine for the next message: such a socket
// costs two goroutines until its client next sends one.
func (c *Conn) awaitMessage() bool {
	n := c.net
	if !canPeek || n == nil || n.reader == nil || n.raw == nil {
		return false
	}
	if n.reader.Buffered() > 0 {
		return true
	}
	// Read calls the function again each time the socket becomes readable
	// until it returns true; it returns early on close or deadline, and the
	// read that follows reports that.
	_ = n.raw.Read(readable)
	return true
}
