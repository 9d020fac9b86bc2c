//go:build !unix

package gorillaws

// canPeek is false without MSG_PEEK: awaitMessage then declines to wait,
// and the socket's reader blocks in gorilla's read as before, on one
// goroutine, rather than waiting for a fresh one that would.
const canPeek = false

func readable(uintptr) bool { return true } // unused where canPeek is false
