package gqltest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Subprotocol is the GraphQL over WebSocket protocol WS speaks
// (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md).
const Subprotocol = "graphql-transport-ws"

const (
	handshakeTimeout = 5 * time.Second // dial, and connection_init to connection_ack
	writeWait        = 5 * time.Second // a write the server does not read fails the test instead of hanging
	closeWait        = 2 * time.Second // how long Close waits for the server's closing handshake
)

// Message is one graphql-transport-ws message.
type Message struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// WS is a graphql-transport-ws client connection. A background reader answers the server's
// pings and routes each message to its Subscription by id; messages without a known id
// (connection_ack, pong, strays) go to a connection-level queue read by Recv. The reader
// exits when the socket closes, and Close, which the test's cleanup also calls, waits for it.
type WS struct {
	conn    *websocket.Conn
	wmu     sync.Mutex // gorilla allows one writer at a time; the reader writes pongs
	control *mailbox

	mu   sync.Mutex
	subs map[string]*Subscription

	done      chan struct{}        // closed when the reader exits
	closeErr  websocket.CloseError // how the socket ended; written before done is closed
	closeOnce sync.Once
}

// wsURL turns an httptest URL into a websocket one.
func wsURL(url string) string {
	if rest, ok := strings.CutPrefix(url, "http"); ok {
		return "ws" + rest // http→ws, https→wss
	}
	return url
}

// DialRaw opens a websocket to url (http/https are turned into ws/wss) offering subprotocol,
// or none if it is "", for protocol-conformance tests that need frames WS would not send.
// The error and response are returned so tests can assert a refused upgrade
// (websocket.ErrBadHandshake, with the HTTP response). The connection is closed when
// the test ends.
func DialRaw(t testing.TB, url, subprotocol string, header http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: handshakeTimeout}
	if subprotocol != "" {
		d.Subprotocols = []string{subprotocol}
	}
	conn, res, err := d.DialContext(t.Context(), wsURL(url), header)
	if err == nil {
		t.Cleanup(func() { _ = conn.Close() })
	}
	return conn, res, err
}

// OpenWS dials url with the graphql-transport-ws subprotocol and starts the reader, without
// sending connection_init: tests of the init handshake send it themselves with Send. The
// connection is closed when the test ends.
func OpenWS(t testing.TB, url string, header http.Header) *WS {
	t.Helper()
	conn, res, err := DialRaw(t, url, Subprotocol, header)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("gqltest: dial %s: %v (HTTP %d)", url, err, status)
	}
	if got := conn.Subprotocol(); got != Subprotocol {
		t.Fatalf("gqltest: dial %s: server chose subprotocol %q, want %q", url, got, Subprotocol)
	}
	c := &WS{
		conn:    conn,
		control: newMailbox(),
		subs:    map[string]*Subscription{},
		done:    make(chan struct{}),
	}
	go c.read()
	t.Cleanup(c.Close)
	return c
}

// DialWS dials url, sends connection_init with initPayload (none if nil) and waits for
// connection_ack, failing the test if anything else arrives within 5s.
func DialWS(t testing.TB, url string, initPayload map[string]any, header http.Header) *WS {
	t.Helper()
	c := OpenWS(t, url, header)
	c.Init(t, initPayload)
	return c
}

// Init sends connection_init with payload (none if nil) and returns the payload of the
// connection_ack, failing the test if anything else arrives within 5s.
func (c *WS) Init(t testing.TB, payload map[string]any) json.RawMessage {
	t.Helper()
	msg := Message{Type: "connection_init"}
	if payload != nil {
		msg.Payload = mustMarshal(t, payload)
	}
	c.Send(t, msg)
	ack := c.Recv(t, handshakeTimeout)
	if ack.Type != "connection_ack" {
		t.Fatalf("gqltest: after connection_init got %+v, want connection_ack", ack)
	}
	return ack.Payload
}

// Send writes msg as JSON. Use it for messages WS has no method for, such as a second
// connection_init.
func (c *WS) Send(t testing.TB, msg any) {
	t.Helper()
	data, err := json.Marshal(msg)
	if err != nil {
		t.Fatalf("gqltest: encode %+v: %v", msg, err)
	}
	c.SendRaw(t, data)
}

// SendRaw writes data as one text message, for frames that are not valid JSON.
func (c *WS) SendRaw(t testing.TB, data []byte) {
	t.Helper()
	if err := c.write(data); err != nil {
		t.Fatalf("gqltest: send %.200s: %v", data, err)
	}
}

func (c *WS) write(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.conn.SetWriteDeadline(time.Now().Add(writeWait)); err != nil {
		return err
	}
	return c.conn.WriteMessage(websocket.TextMessage, data)
}

// Recv returns the next connection-level message: connection_ack, pong, or a message whose id
// no Subscribe used. It fails the test on timeout or if the socket closes first.
func (c *WS) Recv(t testing.TB, timeout time.Duration) Message {
	t.Helper()
	return c.pop(t, c.control, timeout, "connection-level message")
}

// Ping sends a ping and waits for the pong, showing the connection is still served.
func (c *WS) Ping(t testing.TB, timeout time.Duration) {
	t.Helper()
	c.Send(t, Message{Type: "ping"})
	if msg := c.Recv(t, timeout); msg.Type != "pong" {
		t.Fatalf("gqltest: after ping got %+v, want pong", msg)
	}
}

// Subscribe sends a subscribe message for query. The returned Subscription receives every
// next, error and complete message with this id. Subscribing again with an id in use sends
// the message anyway, so tests can probe the server, and returns the existing Subscription.
func (c *WS) Subscribe(t testing.TB, id, query string, vars map[string]any) *Subscription {
	t.Helper()
	c.mu.Lock()
	s := c.subs[id]
	if s == nil {
		s = &Subscription{ID: id, c: c, box: newMailbox()}
		c.subs[id] = s
	}
	c.mu.Unlock()
	payload := map[string]any{"query": query}
	if vars != nil {
		payload["variables"] = vars
	}
	c.Send(t, Message{Type: "subscribe", ID: id, Payload: mustMarshal(t, payload)})
	return s
}

// WaitClose waits until the socket closes and returns the server's close frame. If the
// socket ended without one, Code is 1006 (abnormal closure) and Text the read error. It
// fails the test if the socket is still open after timeout.
func (c *WS) WaitClose(t testing.TB, timeout time.Duration) websocket.CloseError {
	t.Helper()
	select {
	case <-c.done:
		return c.closeErr
	case <-time.After(timeout):
		t.Fatalf("gqltest: socket still open after %v", timeout)
		return websocket.CloseError{}
	}
}

// CloseCode waits until the server closes the socket and returns the close code, as
// WaitClose does.
func (c *WS) CloseCode(t testing.TB, timeout time.Duration) int {
	t.Helper()
	return c.WaitClose(t, timeout).Code
}

// Close sends close 1000, waits briefly for the server's answer and closes the socket. It
// returns once the reader has exited, and may be called more than once.
func (c *WS) Close() {
	c.closeOnce.Do(func() {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		if c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait)) == nil {
			select {
			case <-c.done: // the reader saw the server's close frame
			case <-time.After(closeWait):
			}
		}
		_ = c.conn.Close() // ends a read that is still waiting
		<-c.done
	})
}

// read is the background reader: it answers pings and routes everything else.
func (c *WS) read() {
	defer close(c.done)
	defer c.conn.Close()
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				ce = &websocket.CloseError{Code: websocket.CloseAbnormalClosure, Text: err.Error()}
			}
			c.closeErr = *ce
			return
		}
		var msg Message
		if err := json.Unmarshal(data, &msg); err != nil {
			// Hand it to the test as a message it cannot expect.
			msg = Message{Type: "invalid JSON: " + string(data)}
		}
		if msg.Type == "ping" {
			_ = c.write([]byte(`{"type":"pong"}`)) // a failed write ends the read loop too
			continue
		}
		c.mu.Lock()
		s := c.subs[msg.ID]
		c.mu.Unlock()
		switch {
		case s != nil && (msg.Type == "next" || msg.Type == "error" || msg.Type == "complete"):
			s.box.push(msg)
		default:
			c.control.push(msg)
		}
	}
}

// errClosed and errTimeout are pop's reasons for returning no message.
var (
	errClosed  = errors.New("socket closed")
	errTimeout = errors.New("timeout")
)

func (c *WS) pop(t testing.TB, box *mailbox, timeout time.Duration, what string) Message {
	t.Helper()
	msg, err := box.pop(timeout, c.done)
	switch err {
	case nil:
		return msg
	case errClosed:
		t.Fatalf("gqltest: socket closed (%d %q) while waiting for %s", c.closeErr.Code, c.closeErr.Text, what)
	default:
		t.Fatalf("gqltest: no %s within %v", what, timeout)
	}
	return Message{}
}

// Subscription is one operation started with Subscribe.
type Subscription struct {
	ID  string
	c   *WS
	box *mailbox
}

// Event is one message the server sent for a subscription.
type Event struct {
	Type     string   // "next", "error" or "complete"
	Response Response // the payload of "next"
	Errors   []Error  // the payload of "error"
}

// Recv returns the next message for this subscription. It fails the test on timeout or if
// the socket closes first.
func (s *Subscription) Recv(t testing.TB, timeout time.Duration) Event {
	t.Helper()
	msg := s.c.pop(t, s.box, timeout, "message for subscription "+s.ID)
	ev := Event{Type: msg.Type}
	var err error
	switch msg.Type {
	case "next":
		err = json.Unmarshal(msg.Payload, &ev.Response)
	case "error":
		err = json.Unmarshal(msg.Payload, &ev.Errors)
	}
	if err != nil {
		t.Fatalf("gqltest: subscription %s: bad %s payload %s: %v", s.ID, msg.Type, msg.Payload, err)
	}
	return ev
}

// Quiet fails the test if a message for this subscription arrives within d, for asserting
// that nothing follows a final message (the protocol says error is final).
func (s *Subscription) Quiet(t testing.TB, d time.Duration) {
	t.Helper()
	msg, err := s.box.pop(d, s.c.done)
	switch err {
	case nil:
		t.Fatalf("gqltest: subscription %s: got %s %s, want nothing within %v", s.ID, msg.Type, msg.Payload, d)
	case errTimeout:
	default: // the socket closed: nothing more can come
	}
}

// Next returns the payload of the next "next" message, or false when the server sent
// complete. It fails the test if the server sent "error"; use Recv or Errors to assert one.
func (s *Subscription) Next(t testing.TB, timeout time.Duration) (Response, bool) {
	t.Helper()
	switch ev := s.Recv(t, timeout); ev.Type {
	case "next":
		return ev.Response, true
	case "complete":
		return Response{}, false
	default:
		t.Fatalf("gqltest: subscription %s: got %s %+v, want next or complete", s.ID, ev.Type, ev.Errors)
		return Response{}, false
	}
}

// Errors waits for the next message, which must be "error", and returns its errors.
func (s *Subscription) Errors(t testing.TB, timeout time.Duration) []Error {
	t.Helper()
	ev := s.Recv(t, timeout)
	if ev.Type != "error" {
		t.Fatalf("gqltest: subscription %s: got %s %+v, want error", s.ID, ev.Type, ev.Response)
	}
	return ev.Errors
}

// Complete tells the server the client has stopped listening.
func (s *Subscription) Complete(t testing.TB) {
	t.Helper()
	s.c.Send(t, Message{Type: "complete", ID: s.ID})
}

func mustMarshal(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("gqltest: encode %v: %v", v, err)
	}
	return b
}

// mailbox is an unbounded queue, so that a test that has not yet read its messages never
// blocks the reader (which would stop it answering pings).
type mailbox struct {
	mu    sync.Mutex
	msgs  []Message
	ready chan struct{} // holds a token after a push
}

func newMailbox() *mailbox { return &mailbox{ready: make(chan struct{}, 1)} }

func (m *mailbox) push(msg Message) {
	m.mu.Lock()
	m.msgs = append(m.msgs, msg)
	m.mu.Unlock()
	select {
	case m.ready <- struct{}{}:
	default:
	}
}

func (m *mailbox) take() (Message, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.msgs) == 0 {
		return Message{}, false
	}
	msg := m.msgs[0]
	m.msgs = m.msgs[1:]
	return msg, true
}

// pop returns the oldest message, waiting up to timeout. Messages queued before the reader
// exited (closed done) are still returned; only then is errClosed reported.
func (m *mailbox) pop(timeout time.Duration, done <-chan struct{}) (Message, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		if msg, ok := m.take(); ok {
			return msg, nil
		}
		select {
		case <-m.ready:
		case <-done:
			if msg, ok := m.take(); ok {
				return msg, nil
			}
			return Message{}, errClosed
		case <-timer.C:
			return Message{}, errTimeout
		}
	}
}
