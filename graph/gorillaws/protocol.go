package gorillaws

import (
	"bytes"
	"encoding/json"
	"slices"
	"sync"
)

// The graphql-transport-ws close codes (RELIABILITY.md §1.2), which gqlgen
// v0.17.98's own transport does not send: it answers most protocol errors
// with 1002 or 1000, which the graphql-ws client cannot tell apart, and it
// lets a duplicate subscription id orphan the first stream. Transport's
// guard checks each client message against the protocol before acting on
// it, and closes with the spec's code.
const (
	protocolTransportWS = "graphql-transport-ws"

	closeBadRequest       = 4400 // invalid message
	closeUnauthorized     = 4401 // subscribe before connection_ack
	closeInitTimeout      = 4408 // no connection_init in time
	closeSubscriberExists = 4409 // duplicate subscription id
	closeTooManyInits     = 4429 // second connection_init
)

// guard tracks one graphql-transport-ws connection's protocol state.
type guard struct {
	mu     sync.Mutex
	inited bool     // connection_init received
	acked  bool     // connection_ack sent
	active []string // subscription ids the server has not ended (a few: no map)
}

// clientMessage is the part of a client message the guard checks.
type clientMessage struct {
	Type    string          `json:"type"`
	ID      *string         `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// check vets a client message, returning it decoded; a non-zero code means
// close with it.
func (g *guard) check(data []byte) (m clientMessage, code int, reason string) {
	if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
		return m, closeBadRequest, "Invalid message received"
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch m.Type {
	case "connection_init":
		if g.inited {
			return m, closeTooManyInits, "Too many initialisation requests"
		}
		g.inited = true
		if p := bytes.TrimSpace(m.Payload); len(p) > 0 && p[0] != '{' && !bytes.Equal(p, []byte("null")) {
			return m, closeBadRequest, "connection_init payload must be an object"
		}
	case "ping", "pong":
	case "subscribe":
		if !g.acked {
			return m, closeUnauthorized, "Unauthorized"
		}
		if m.ID == nil || *m.ID == "" {
			return m, closeBadRequest, "subscribe needs an id"
		}
		if slices.Contains(g.active, *m.ID) {
			return m, closeSubscriberExists, "Subscriber for " + *m.ID + " already exists"
		}
		g.active = append(g.active, *m.ID)
	case "complete":
		if m.ID != nil {
			g.forget(*m.ID)
		}
	default:
		return m, closeBadRequest, "Invalid message received"
	}
	return m, 0, ""
}

// ack notes that connection_ack is being sent.
func (g *guard) ack() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.acked = true
}

// end frees id, whose operation the server is ending (complete or error):
// the client may use it again once it hears so.
func (g *guard) end(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.forget(id)
}

// forget removes id from the active ones; g.mu is held.
func (g *guard) forget(id string) {
	if i := slices.Index(g.active, id); i >= 0 {
		g.active = slices.Delete(g.active, i, i+1)
	}
}

// isAcked reports whether connection_ack has been sent.
func (g *guard) isAcked() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.acked
}
