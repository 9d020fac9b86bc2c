package main

import (
	"io"
	"net/http"
	"time"
)

// minBodyRate is the slowest a request body may arrive once its grace has
// passed: one more second of read time for every KB received.
const minBodyRate = 1024 // bytes per second

// withBodyDeadline cuts off a request whose body trickles in. The body gets
// grace to start, and then one second more for every KB it delivers (the
// rule Apache's mod_reqtimeout applies with "body=grace,MinRate=1024"), never
// more than max (READ_TIMEOUT). A client that sends one byte every few
// seconds is closed after grace, so its connection slot frees in seconds
// rather than at READ_TIMEOUT, while a large body on a slow but honest link
// keeps earning time. Once the body is read the deadline is lifted: a long
// query must not be cut off by it.
func withBodyDeadline(next http.Handler, grace, max time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: http.NewResponseController(w), start: time.Now(), grace: grace, max: max}
		}
		next.ServeHTTP(w, r)
	})
}

type deadlineBody struct {
	io.ReadCloser
	rc         *http.ResponseController
	start      time.Time
	grace, max time.Duration
	read       int64
	done       bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if !b.done {
		allowed := min(b.grace+time.Duration(b.read)*time.Second/minBodyRate, b.max)
		_ = b.rc.SetReadDeadline(b.start.Add(allowed))
	}
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
