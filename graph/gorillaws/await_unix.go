//go:build unix

package gorillaws

import "syscall"

// canPeek: MSG_PEEK lets awaitMessage wait without reading.
const canPeek = true

// readable reports whether the socket fd has bytes (or an end) to read,
// leaving them there: false only while a read would block.
func readable(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
	return err != syscall.EAGAIN
}
