package gorillaws

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// The graphql-transport-ws close codes that gqlgen v0.17.98 does not send
// (RELIABILITY.md §1.2): it answers most protocol errors with 1002 or 1000,
// which the graphql-ws client cannot tell apart, and it lets a duplicate
// subscription id orphan the first stream. The guard below reads each
// client message before gqlgen does and closes with the spec's code. It also
// drops the complete gqlgen sends after an error: the spec says error is final.
const (
	protocolTransportWS = "graphql-transport-ws"

	closeBadRequest       = 4400 // invalid message
	closeUnauthorized     = 4401 // subscribe before connection_ack
	closeInitTimeout      = 4408 // no connection_init in time
	closeSubscriberExists = 4409 // duplicate subscription id
	closeTooManyInits     = 4429 // second connection_init

	// maxErrored bounds the ids remembered as just failed. gqlgen writes the
	// complete right after the error from the same goroutine, so a handful is
	// plenty; the bound keeps an error that no complete follows from leaking.
	maxErrored = 16
)

// guard tracks one graphql-transport-ws connection's protocol state.
type guard struct {
	mu     sync.Mutex
	inited bool            // connection_init received
	acked  bool            // connection_ack sent
	active map[string]bool // subscription ids the server has not completed
	failed []string        // ids that got an error, whose complete must not be sent
}

// clientMessage is the part of a client message the guard checks.
type clientMessage struct {
	Type    string          `json:"type"`
	ID      *string         `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// check vets a client message; a non-zero code means close with it.
func (g *guard) check(data []byte) (code int, reason string) {
	var m clientMessage
	if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
		return closeBadRequest, "Invalid message received"
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch m.Type {
	case "connection_init":
		if g.inited {
			return closeTooManyInits, "Too many initialisation requests"
		}
		g.inited = true
		if p := bytes.TrimSpace(m.Payload); len(p) > 0 && p[0] != '{' && !bytes.Equal(p, []byte("null")) {
			return closeBadRequest, "connection_init payload must be an object"
		}
	case "ping", "pong":
	case "subscribe":
		if !g.acked {
			return closeUnauthorized, "Unauthorized"
		}
		if m.ID == nil || *m.ID == "" {
			return closeBadRequest, "subscribe needs an id"
		}
		if g.active[*m.ID] {
			return closeSubscriberExists, "Subscriber for " + *m.ID + " already exists"
		}
		g.active[*m.ID] = true
		g.forgetFailed(*m.ID) // a new operation: its own complete is genuine
	case "complete":
		if m.ID != nil {
			delete(g.active, *m.ID)
		}
	default:
		return closeBadRequest, "Invalid message received"
	}
	return 0, ""
}

// nextSuffix ends every result gqlgen writes (its message struct puts type
// last, after the payload): those need no check, and parsing each event's
// whole payload again, per subscriber, was most of what the guard cost.
var nextSuffix = []byte(`"type":"next"}`)

// sent notes what the server is about to write (the ack, the end of a
// subscription) and reports whether to drop it instead: gqlgen follows an
// error with complete, which the spec forbids. ack reports the
// connection_ack.
func (g *guard) sent(data []byte) (drop, ack bool) {
	if bytes.HasSuffix(data, nextSuffix) {
		return false, false
	}
	var m clientMessage
	if json.Unmarshal(data, &m) != nil {
		return false, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch m.Type {
	case "connection_ack":
		g.acked = true
		return false, true
	case "error":
		if m.ID != nil {
			delete(g.active, *m.ID)
			g.forgetFailed(*m.ID)
			g.failed = append(g.failed, *m.ID)
			if len(g.failed) > maxErrored {
				g.failed = g.failed[1:]
			}
		}
	case "complete":
		if m.ID != nil {
			delete(g.active, *m.ID)
			return g.forgetFailed(*m.ID), false
		}
	}
	return false, false
}

// isAcked reports whether connection_ack has been sent.
func (g *guard) isAcked() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.acked
}

// forgetFailed removes id from the failed ids and reports whether it was there.
func (g *guard) forgetFailed(id string) bool {
	i := slices.Index(g.failed, id)
	if i < 0 {
		return false
	}
	g.failed = slices.Delete(g.failed, i, i+1)
	return true
}

// closeCode maps gqlgen's 1002 closes to the spec's codes.
func closeCode(code int, message string) int {
	if code != 1002 {
		return code
	}
	if strings.Contains(message, "timeout") {
		return closeInitTimeout
	}
	return closeBadRequest
}

// guardedRead reads the next message for gqlgen, first checking it against
// the protocol; a message that breaks it closes the socket with the spec's
// code and ends gqlgen's read loop as a normal close would.
func (c *conn) guardedRead(t int, r io.Reader) (int, io.Reader, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return t, nil, err
	}
	if code, reason := c.guard.check(data); code != 0 {
		_ = c.WriteClose(code, reason)
		return t, nil, transport.ErrWebsocketClosed
	}
	return t, bytes.NewReader(data), nil
}
