//go:build !unix

package gorillaws

// readable is awaitMessage's test of the socket; without MSG_PEEK it says
// to read at once, which blocks in the read as before.
func readable(uintptr) bool { return true }
