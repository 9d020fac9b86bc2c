package gorillaws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Transport serves graphql-transport-ws itself and hands the sockets that
// ask for anything else (the legacy graphql-ws) to Legacy, gqlgen's own
// websocket transport over this package's Implementation.
//
// gqlgen's transport holds, for every socket, a goroutine reading it and one
// waiting to close it, and for every subscription a goroutine pulling its
// next response: three goroutines and their stacks per idle subscriber. At
// 10,000 dashboards those stacks were most of the server's memory, and the
// garbage collector scanned them all on every cycle. Here a socket has one
// goroutine, reading, whose stack stays small because the work a message
// brings runs on goroutines of its own. A subscription either runs as
// gqlgen's would, pulling its responses on a goroutine, or, if its resolver
// hands the socket a Source (Push), has no goroutine at all while idle: the
// Source wakes the socket when it has something, and a goroutine started
// then writes what is ready and ends.
//
// What the client sees is what gqlgen's transport sends, with the spec's
// close codes (the guard, protocol.go) and no complete after an error.
type Transport struct {
	Sockets *Implementation
	// InitFunc authenticates connection_init, as gqlgen's; an error closes
	// the socket with 4403, or as a Refusal says.
	InitFunc transport.WebsocketInitFunc
	// InitTimeout closes with 4408 a socket whose connection_init has not
	// come in time (0: no limit).
	InitTimeout time.Duration
	// PayloadReadLimit caps a client message (1 MiB if 0; gorilla closes
	// with 1009 past it).
	PayloadReadLimit int64
	// Legacy serves the sockets that do not negotiate graphql-transport-ws
	// (nil: they are refused with close 4406).
	Legacy graphql.Transport
}

const (
	defaultReadLimit     = 1 << 20
	closeNormal          = 1000
	closeForbidden       = 4403
	closeBadSubprotocol  = 4406
	closeInitTimeoutText = "connection initialisation timeout"
)

// MaxOperations bounds the operations running at once on one socket: each
// holds memory for as long as it runs, and a dashboard needs a handful. A
// subscribe past it gets an error (code TOO_MANY_OPERATIONS) and the socket
// stays open.
const MaxOperations = 100

var (
	errTooManyOperations = &gqlerror.Error{
		Message:    fmt.Sprintf("at most %d operations may run at once on one socket: complete one first", MaxOperations),
		Extensions: map[string]any{"code": "TOO_MANY_OPERATIONS"},
	}
	tooManyOperations, _ = json.Marshal([]*gqlerror.Error{errTooManyOperations})
)

// boundedExecutor holds a legacy socket to MaxOperations: gqlgen's transport
// has no bound of its own. An operation runs from its dispatch until its
// responses end (gqlgen pulls them until nil, which a complete from the
// client also brings).
type boundedExecutor struct {
	graphql.GraphExecutor
	running atomic.Int64
}

func (b *boundedExecutor) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	if b.running.Add(1) > MaxOperations {
		b.running.Add(-1)
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{errTooManyOperations}}), ctx
	}
	responses, ctx := b.GraphExecutor.DispatchOperation(ctx, rc)
	var ended sync.Once
	return func(ctx context.Context) *graphql.Response {
		r := responses(ctx)
		if r == nil {
			ended.Do(func() { b.running.Add(-1) })
		}
		return r
	}, ctx
}

// Refusal is an InitFunc error (wrapped or not) that closes the socket with
// its Code and Reason. Any other InitFunc error closes with 4403 Forbidden,
// saying no more: its text may hold internal detail.
type Refusal struct {
	Code   int
	Reason string
}

func (r *Refusal) Error() string { return r.Reason }

var _ graphql.Transport = Transport{}

// Supports reports a websocket upgrade.
func (t Transport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }

// Do upgrades the request and returns: the socket is served on a goroutine
// of its own, so that net/http's connection goroutine, with its deep stack
// and its buffers, does not wait out the socket's life, and the socket's
// reader starts on a small stack. The socket's context keeps the request's
// values (and a socket slot: WithSocket) but not its cancellation, which
// comes when the handler returns.
func (t Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := context.WithoutCancel(r.Context())
	if Accepted(ctx) == nil {
		ctx = WithSocket(ctx)
	}
	offered := Offered(r, []string{protocolTransportWS, "graphql-ws"})
	if (len(offered) == 0 || offered[0] != protocolTransportWS) && t.Legacy != nil {
		t.legacy(w, r.WithContext(ctx), exec)
		return
	}
	c, err := t.Sockets.Upgrade(w, r.WithContext(ctx), []string{protocolTransportWS}, http.Header{})
	if err != nil {
		transport.SendErrorf(w, http.StatusBadRequest, "unable to upgrade")
		return
	}
	if c.guard == nil {
		_ = c.WriteClose(closeBadSubprotocol, "Subprotocol not acceptable: use graphql-transport-ws")
		_ = c.Close()
		return
	}
	limit := t.PayloadReadLimit
	if limit == 0 {
		limit = defaultReadLimit
	}
	c.SetReadLimit(limit)
	ctx, cancel := context.WithCancel(ctx)
	s := &socket{t: t, c: c, exec: exec, ctx: ctx, cancel: cancel}
	go s.serve()
}

// legacy serves the socket with gqlgen's transport, which holds its
// goroutine until the socket closes: on a goroutine of its own, returning
// once the upgrade is done (or has failed).
func (t Transport) legacy(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx, cancel := context.WithCancel(r.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel() // Accept closes a socket gqlgen left open once this ends
		t.Legacy.Do(w, r.WithContext(ctx), &boundedExecutor{GraphExecutor: exec})
	}()
	select {
	case <-done: // refused before the upgrade: the answer is written
	case <-Accepted(ctx): // w is the socket's now
	}
}

// socket is one graphql-transport-ws connection.
type socket struct {
	t    Transport
	c    *Conn
	exec graphql.GraphExecutor

	// ctx is the connection's: InitFunc's after connection_init. It ends
	// when the socket does, ending every operation.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	ops      []*operation // until each ends (a few: no map)
	draining bool         // a goroutine is writing pushed responses
	again    bool         // a Source woke the socket since the drain looked
}

// operation is one subscribe message's operation.
type operation struct {
	id     string
	ctx    context.Context
	cancel context.CancelFunc
	src    Source // set (under socket.mu) once the operation is pushed
	frame  frameParts
}

// serve reads the socket's messages until it closes. While the socket is
// idle it waits in awaitMessage, a few frames deep; each message is then
// read and handled on a goroutine of its own (onFreshStack). This one, which
// lives as long as the socket, so keeps the smallest stack: gorilla's read
// path, decoding JSON, running InitFunc or starting an operation would
// grow it, and an idle socket would keep that stack for its life.
func (s *socket) serve() {
	defer s.close()
	if s.t.InitTimeout > 0 {
		_ = s.c.SetReadDeadline(time.Now().Add(s.t.InitTimeout))
	}
	for {
		var err error
		open := true
		if s.c.awaitMessage() {
			onFreshStack(func() {
				var data []byte
				if data, err = s.c.readMessage(); err == nil {
					open = s.handle(data)
				}
			})
		} else { // the read blocks here, as it cannot wait beforehand
			var data []byte
			if data, err = s.c.readMessage(); err == nil {
				onFreshStack(func() { open = s.handle(data) })
			}
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !s.c.guard.isAcked() {
				_ = s.c.WriteClose(closeInitTimeout, closeInitTimeoutText)
			} else if !errors.Is(err, transport.ErrWebsocketClosed) {
				_ = s.c.WriteClose(closeNormal, "terminated")
			}
			return
		}
		if !open {
			return
		}
	}
}

// handle acts on one client message, first checking it against the
// protocol; false if the socket is to close.
func (s *socket) handle(data []byte) bool {
	m, code, reason := s.c.guard.check(data)
	if code != 0 {
		_ = s.c.WriteClose(code, reason)
		return false
	}
	switch m.Type {
	case "connection_init":
		return s.init(m.Payload)
	case "ping":
		s.write(serverMessage{Type: "pong", Payload: m.Payload})
	case "pong": // readMessage noted that the peer is alive
	case "subscribe":
		if !s.subscribe(*m.ID, m.Payload, graphql.Now()) {
			s.c.guard.end(*m.ID)
			s.write(serverMessage{Type: "error", ID: *m.ID, Payload: tooManyOperations})
		}
	case "complete":
		if m.ID == nil {
			return true
		}
		s.mu.Lock()
		op := s.op(*m.ID)
		pushed := op != nil && op.src != nil
		s.mu.Unlock()
		if op != nil {
			op.cancel()
		}
		if pushed {
			s.wake() // the drain ends it
		}
	}
	return true
}

// close ends every operation and closes the socket.
func (s *socket) close() {
	s.cancel()
	_ = s.c.Close()
}

// init runs InitFunc and acknowledges the connection; false if refused.
func (s *socket) init(payload json.RawMessage) bool {
	var init transport.InitPayload
	if p := bytes.TrimSpace(payload); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		if err := json.Unmarshal(p, &init); err != nil {
			_ = s.c.WriteClose(closeBadRequest, "connection_init payload must be an object")
			return false
		}
	}
	var ack *transport.InitPayload
	if s.t.InitFunc != nil {
		ctx, payload, err := s.t.InitFunc(s.ctx, init)
		if err != nil {
			refusal := &Refusal{Code: closeForbidden, Reason: "Forbidden"}
			errors.As(err, &refusal)
			_ = s.c.WriteClose(refusal.Code, refusal.Reason)
			return false
		}
		s.ctx, ack = ctx, payload
	}
	m := serverMessage{Type: "connection_ack"}
	if ack != nil {
		b, err := json.Marshal(*ack)
		if err != nil {
			_ = s.c.WriteClose(1011, "connection_ack payload")
			return false
		}
		m.Payload = b
	}
	s.write(m)
	s.c.guard.ack() // after the write: pings must not come before it
	s.c.acked()
	return true
}

// onFreshStack runs f on a goroutine of its own and waits for it, so that
// the stack f grows is not kept by the caller.
func onFreshStack(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

// serverMessage is a message to the client other than a response (next),
// with gqlgen's field order.
type serverMessage struct {
	Payload json.RawMessage `json:"payload,omitempty"`
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
}

// write sends m; a failed write closes the socket, which ends the read loop.
func (s *socket) write(m serverMessage) { _ = s.c.WriteJSON(m) }

// subscribe starts the operation of a subscribe message, or reports false
// if MaxOperations already run. It is registered before this returns, so
// that a complete read next finds it.
func (s *socket) subscribe(id string, payload json.RawMessage, start time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ops) >= MaxOperations {
		return false
	}
	ctx, cancel := context.WithCancel(s.ctx)
	op := &operation{id: id, ctx: ctx, cancel: cancel, frame: newFrameParts(id)}
	s.ops = append(s.ops, op)
	go s.run(op, payload, start)
	return true
}

// op returns the running operation with id, the latest if the client has
// reused it, or nil; s.mu is held.
func (s *socket) op(id string) *operation {
	for i := len(s.ops) - 1; i >= 0; i-- {
		if s.ops[i].id == id {
			return s.ops[i]
		}
	}
	return nil
}

// run executes op. A query or mutation sends its response and completes; a
// subscription either streams from here as gqlgen's transport does, or, if
// its resolver handed the socket a Source, is pushed (drain) and this
// goroutine ends.
func (s *socket) run(op *operation, payload json.RawMessage, start time.Time) {
	ctx := graphql.StartOperationTrace(op.ctx)
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		s.fail(op, &gqlerror.Error{Message: "invalid json"})
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	// No params.Headers: nothing here reads them, and an idle socket would
	// keep the upgrade request's headers for its whole life.

	rc, errs := s.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := s.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			s.fail(op, resp.Errors...)
			return
		}
		s.next(op, &graphql.Response{Errors: errs})
		s.finish(op, true)
		return
	}
	ctx = graphql.WithOperationContext(ctx, rc)
	slot := &pushSlot{wake: s.wake}
	ctx = context.WithValue(ctx, pushKey{}, slot)

	defer func() {
		if r := recover(); r != nil {
			err := rc.Recover(ctx, r)
			var gqlErr *gqlerror.Error
			if !errors.As(err, &gqlErr) {
				gqlErr = &gqlerror.Error{}
				if err != nil {
					gqlErr.Message = err.Error()
				}
			}
			s.fail(op, gqlErr)
		}
	}()
	responses, ctx := s.exec.DispatchOperation(ctx, rc)
	if slot.src != nil {
		s.mu.Lock()
		op.ctx = ctx // the executor's, which rendering needs
		op.src = slot.src
		s.mu.Unlock()
		s.wake() // what came before it was registered
		return
	}
	for {
		r := responses(ctx)
		if r == nil {
			break
		}
		s.next(op, r)
	}
	s.finish(op, true)
}

// next sends one response of op.
func (s *socket) next(op *operation, r *graphql.Response) {
	b, err := json.Marshal(r)
	if err != nil {
		s.fail(op, &gqlerror.Error{Message: "the response could not be encoded"})
		return
	}
	_ = s.c.writeNext(op.frame, b)
}

// fail sends op's error, which is final: no complete follows.
func (s *socket) fail(op *operation, errs ...*gqlerror.Error) {
	if !s.finish(op, false) {
		return
	}
	if b, err := json.Marshal(errs); err == nil {
		s.write(serverMessage{Type: "error", ID: op.id, Payload: b})
	}
}

// finish ends op, sending complete if asked and the socket is still open
// (the client's own complete gets one too, as from gqlgen). It reports
// false, sending nothing, if the client has since reused op's id.
func (s *socket) finish(op *operation, complete bool) bool {
	s.mu.Lock()
	i := slices.Index(s.ops, op)
	current := i >= 0 && s.op(op.id) == op
	if i >= 0 {
		s.ops = slices.Delete(s.ops, i, i+1)
	}
	s.mu.Unlock()
	op.cancel()
	if !current {
		return false
	}
	s.c.guard.end(op.id) // before the client hears of it, so it may reuse the id
	if complete && s.ctx.Err() == nil {
		s.write(serverMessage{Type: "complete", ID: op.id})
	}
	return true
}

// Source is a pushed operation's supply of responses.
type Source interface {
	// Next returns the operation's next response, JSON-encoded, if one is
	// ready, without waiting for one: nil, nil when none is. ctx is the
	// operation's; once it ends (the client's complete, the socket
	// closing) Next is not called again. An error ends the operation
	// without complete, which would tell the client the stream is over:
	// the Source should close the socket itself (CloseSocket) with the code
	// its client should act on.
	Next(ctx context.Context) ([]byte, error)
	// Pending reports whether Next has more ready at once; the socket then
	// holds its writes back to send them together.
	Pending() bool
}

type pushKey struct{}

type pushSlot struct {
	src  Source
	wake func()
}

// Push hands src to the socket running ctx's operation, which then calls
// src.Next whenever the returned wake is called (wake never blocks, and may
// be called from any goroutine, before Push has returned too). It reports
// false, taking nothing, for a context not from this Transport: the
// operation's responses are pulled as usual then.
func Push(ctx context.Context, src Source) (wake func(), ok bool) {
	slot, _ := ctx.Value(pushKey{}).(*pushSlot)
	if slot == nil || slot.src != nil {
		return nil, false
	}
	slot.src = src
	return slot.wake, true
}

// wake starts a drain of the pushed operations unless one is running, in
// which case that one looks again before it ends.
func (s *socket) wake() {
	s.mu.Lock()
	s.again = true
	start := !s.draining
	s.draining = true
	s.mu.Unlock()
	if start {
		go s.drain()
	}
}

// drain writes every ready response of the socket's pushed operations, then
// ends. The frames of one round go out in one write.
func (s *socket) drain() {
	var pushed []*operation
	for {
		s.mu.Lock()
		if !s.again {
			s.draining = false
			s.mu.Unlock()
			return
		}
		s.again = false
		pushed = pushed[:0]
		for _, op := range s.ops {
			if op.src != nil {
				pushed = append(pushed, op)
			}
		}
		s.mu.Unlock()
		for _, op := range pushed {
			s.pump(op)
		}
		if err := s.c.net.uncork(); err != nil {
			_ = s.c.Close()
		}
	}
}

// pump writes op's ready responses.
func (s *socket) pump(op *operation) {
	for {
		if op.ctx.Err() != nil {
			s.finish(op, true) // the client's complete
			return
		}
		b, err := op.src.Next(op.ctx)
		if err != nil {
			// The Source's end, or the client's complete just now.
			s.finish(op, op.ctx.Err() != nil)
			return
		}
		if b == nil {
			return
		}
		s.c.net.cork(op.src.Pending())
		if s.c.writeNext(op.frame, b) != nil {
			return
		}
	}
}

// frameParts are what a next message of one operation holds besides its
// payload, in gqlgen's field order: {"payload":…,"id":"…","type":"next"}.
type frameParts struct{ head, tail []byte }

func newFrameParts(id string) frameParts {
	quoted, _ := json.Marshal(id)
	return frameParts{head: []byte(`{"payload":`), tail: fmt.Appendf(nil, `,"id":%s,"type":"next"}`, quoted)}
}

// writeNext writes a next message with payload, built in a pooled buffer:
// a pushed payload is encoded once for all its subscribers, so this copy
// is all one subscriber costs.
func (c *Conn) writeNext(f frameParts, payload []byte) error {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer putEncodeBuffer(buf)
	buf.Write(f.head)
	buf.Write(payload)
	buf.Write(f.tail)
	return c.writeText(buf.Bytes())
}

// readMessage reads the next client message. A normal close from the peer
// is transport.ErrWebsocketClosed.
func (c *Conn) readMessage() ([]byte, error) {
	_, r, err := c.NextReader()
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}
