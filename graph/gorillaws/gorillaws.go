// Package gorillaws serves GraphQL over websockets with gorilla/websocket: Transport
// speaks graphql-transport-ws itself (transport.go), and gqlgen's own transport serves the
// legacy graphql-ws protocol over Implementation.
//
// gqlgen removed its own gorilla transport in v0.17.92 (RELIABILITY.md finding 1), so this
// package implements [transport.WebsocketImplementation] and the two optional interfaces
// ([transport.WebsocketReadLimiter], [transport.WebsocketReadDeadliner]) without which
// PayloadReadLimit and the missing-pong deadline are silently not enforced. It adds what a
// public endpoint needs and gqlgen leaves to the adapter: an Origin allow-list, a deadline on
// every write, and a registry of live sockets so that shutdown can close them.
package gorillaws

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
)

// DefaultWriteWait is the write deadline used when Options.WriteWait is zero. It is the
// writeWait of gorilla's chat example.
const DefaultWriteWait = 10 * time.Second

// maxCloseFrame is the largest control-frame payload RFC 6455 allows; gorilla refuses to
// send a larger close frame, which would silently lose the close code.
const maxCloseFrame = 125

// Options configures an Implementation.
type Options struct {
	// AllowedOrigins lists the browser origins that may open a socket, each exactly
	// "scheme://host[:port]"; the host is compared case-insensitively. "*" allows any
	// origin. A request without an Origin header (a non-browser client) is always allowed,
	// and so is a page served by this same host (the Origin's host:port equals the request's
	// Host), such as our own GraphiQL. An empty list therefore allows only those.
	AllowedOrigins []string
	// WriteWait is the deadline set before every write (DefaultWriteWait if zero), so a peer
	// that stops reading cannot wedge its connection or a shutdown.
	WriteWait time.Duration
	// Logger receives refused upgrades and failed writes; slog.Default() if nil.
	Logger *slog.Logger
	// PingInterval, if set, pings every graphql-transport-ws socket that
	// often from one loop (ping.go) and drops a peer silent for two
	// intervals. Use it instead of gqlgen's PingPongInterval, which costs a
	// goroutine per socket.
	PingInterval time.Duration
}

// Implementation accepts gqlgen websocket connections with gorilla/websocket and keeps a
// registry of the live ones. Create it with New; it is safe for concurrent use.
type Implementation struct {
	anyOrigin bool
	origins   map[string]bool // "scheme://host" in lower case
	writeWait time.Duration
	pingEvery time.Duration
	log       *slog.Logger

	mu          sync.Mutex
	conns       map[*Conn]struct{}
	ping        pinger
	closing     bool // set by CloseAll: later sockets are closed as soon as they open
	closeCode   int
	closeReason string
}

var _ transport.WebsocketImplementation = (*Implementation)(nil)

// New returns an Implementation for opts. It panics if an AllowedOrigins entry is not "*"
// or "scheme://host[:port]": a typo there would otherwise surface as browsers refused
// with 403 in production.
func New(opts Options) *Implementation {
	i := &Implementation{
		origins:   map[string]bool{},
		writeWait: opts.WriteWait,
		pingEvery: opts.PingInterval,
		log:       opts.Logger,
		conns:     map[*Conn]struct{}{},
	}
	if i.writeWait <= 0 {
		i.writeWait = DefaultWriteWait
	}
	if i.log == nil {
		i.log = slog.Default()
	}
	for _, o := range opts.AllowedOrigins {
		if o == "*" {
			i.anyOrigin = true
			continue
		}
		key, ok := originKey(o)
		if !ok || key != strings.ToLower(o) {
			panic("gorillaws: AllowedOrigins entry " + o + ` is not "*" or "scheme://host[:port]"`)
		}
		i.origins[key] = true
	}
	return i
}

// originKey normalises an origin to lower-case "scheme://host[:port]"; ok is false for
// anything else, including the opaque origin "null".
func originKey(origin string) (string, bool) {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

func (i *Implementation) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || i.anyOrigin {
		return true
	}
	key, ok := originKey(origin)
	if !ok {
		return false
	}
	if u, err := url.Parse(key); err == nil && strings.EqualFold(u.Host, r.Host) {
		return true // same host, as gorilla's default check allows
	}
	return i.origins[key]
}

// encodeBuffers hold outgoing messages while WriteJSON writes them.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeBuffers lends gorilla a write buffer for each message.
var writeBuffers = &sync.Pool{}

// Accept upgrades the request for gqlgen's websocket transport: Upgrade, offering
// opts.Subprotocols but graphql-transport-ws, which Transport serves. gqlgen has a path that returns without closing the socket (an init
// payload that is not a JSON object), so the socket is also closed one WriteWait after the
// request's handler returns. Not at once: on most paths gqlgen closes from another goroutine
// just after returning, and closing first would drop its close frame.
func (i *Implementation) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	legacy := slices.DeleteFunc(slices.Clone(opts.Subprotocols), func(p string) bool { return p == protocolTransportWS })
	c, err := i.Upgrade(w, r, legacy, opts.ResponseHeader)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(r.Context(), func() {
		t := time.NewTimer(i.writeWait)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
			_ = c.Close()
		}
	})
	return c, nil
}

// Upgrade upgrades the request, negotiating the first of the client's subprotocols that is
// in subprotocols. A refused Origin gets HTTP 403 before the upgrade. After CloseAll, a new
// socket is closed at once with CloseAll's code (its first read fails). The caller owns the
// socket and must Close it.
func (i *Implementation) Upgrade(w http.ResponseWriter, r *http.Request, subprotocols []string, header http.Header) (*Conn, error) {
	u := websocket.Upgrader{
		HandshakeTimeout: i.writeWait,
		// gorilla picks the first of the server's list that the client offers, and gqlgen
		// lists the legacy protocol first; offering only what the client asked for, in the
		// client's order, lets a client that offers both get graphql-transport-ws.
		Subprotocols: Offered(r, subprotocols),
		CheckOrigin:  i.checkOrigin,
		// An idle subscriber should cost little: a small read buffer (0
		// here: gorilla then reads through the hijacked reader, which
		// corkingWriter makes readBufferSize), and a write buffer only while
		// writing, from a pool, instead of net/http's two 4 KiB buffers kept
		// for the socket's life.
		WriteBufferPool: writeBuffers,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			i.log.Warn("websocket upgrade refused", "status", status, "origin", r.Header.Get("Origin"), "err", reason)
			// The transport writes its own JSON error body after the upgrade fails, so
			// only the status (and the version header RFC 6455 asks for) is written here.
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Sec-Websocket-Version", "13")
			w.WriteHeader(status)
		},
	}
	cw := &corkingWriter{ResponseWriter: w}
	ws, err := u.Upgrade(cw, r, header)
	if err != nil {
		return nil, err
	}
	c := &Conn{ws: ws, net: cw.conn, impl: i, done: make(chan struct{})}
	if slot, ok := r.Context().Value(socketKey{}).(*socketSlot); ok {
		slot.set(c)
	}
	if ws.Subprotocol() == protocolTransportWS {
		c.guard = &guard{}
	}

	i.mu.Lock()
	closing, code, reason := i.closing, i.closeCode, i.closeReason
	if !closing {
		i.conns[c] = struct{}{}
		i.startPinging()
	}
	i.mu.Unlock()
	if closing {
		_ = ws.WriteControl(websocket.CloseMessage, closeFrame(code, reason), time.Now().Add(i.writeWait))
		_ = c.Close() // the first read then fails
	}
	return c, nil
}

// Offered returns the client's subprotocols, in the client's order, that are in supported.
func Offered(r *http.Request, supported []string) []string {
	return slices.DeleteFunc(websocket.Subprotocols(r), func(p string) bool {
		return !slices.Contains(supported, p)
	})
}

// CloseAll sends a close frame with code and reason (use 1001 going away or 1012 service
// restart on shutdown: the graphql-ws client retries both) to every live socket, waits for
// each peer's closing handshake until one WriteWait from now, then closes what remains. It
// returns within about one WriteWait even when peers have stopped reading. Sockets accepted
// afterwards are closed at once with the same code. http.Server.Shutdown does not wait for
// hijacked connections, so call this alongside it (for example from RegisterOnShutdown).
func (i *Implementation) CloseAll(code int, reason string) {
	deadline := time.Now().Add(i.writeWait)
	i.mu.Lock()
	i.closing, i.closeCode, i.closeReason = true, code, reason
	conns := make([]*Conn, 0, len(i.conns))
	for c := range i.conns {
		conns = append(conns, c)
	}
	i.mu.Unlock()

	i.log.Info("closing websockets", "count", len(conns), "code", code, "reason", reason)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { c.shutdown(code, reason, deadline) })
	}
	wg.Wait()
}

type socketKey struct{}

// socketSlot is where Accept records the socket of a request made WithSocket.
type socketSlot struct {
	mu       sync.Mutex
	c        *Conn
	accepted chan struct{} // closed once c is set
}

func (s *socketSlot) set(c *Conn) {
	s.mu.Lock()
	s.c = c
	s.mu.Unlock()
	close(s.accepted)
}

func (s *socketSlot) get() *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

// WithSocket returns a copy of ctx, an upgrade request's context, in which Accept records
// the socket it accepts, so that code running for that connection with a context derived
// from it (gqlgen's InitFunc, resolvers, a watcher they start) can close the socket with a
// code of its own through CloseSocket. gqlgen has no way to close a live connection with a
// chosen code: cancelling its context closes with 1000.
func WithSocket(ctx context.Context) context.Context {
	return context.WithValue(ctx, socketKey{}, &socketSlot{accepted: make(chan struct{})})
}

// Accepted returns a channel closed once Accept has taken over the
// connection of ctx's request (made WithSocket): from then on the HTTP
// handler may return while the socket is served on (nil if ctx was not
// made WithSocket).
func Accepted(ctx context.Context) <-chan struct{} {
	if slot, ok := ctx.Value(socketKey{}).(*socketSlot); ok {
		return slot.accepted
	}
	return nil
}

// CloseSocket closes the socket accepted for ctx's request as CloseAll closes each one: a
// close frame with code and reason, up to one WriteWait for the peer's answer, then the TCP
// connection. gqlgen's read loop then ends and it cancels the connection's operations. It
// reports false, doing nothing, if ctx does not come from a request made WithSocket or no
// socket was accepted for it.
func CloseSocket(ctx context.Context, code int, reason string) bool {
	slot, _ := ctx.Value(socketKey{}).(*socketSlot)
	if slot == nil {
		return false
	}
	c := slot.get()
	if c == nil {
		return false
	}
	c.shutdown(code, reason, time.Now().Add(c.impl.writeWait))
	return true
}

// Open returns the number of live sockets.
func (i *Implementation) Open() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return len(i.conns)
}

func closeFrame(code int, reason string) []byte {
	data := websocket.FormatCloseMessage(code, reason)
	return data[:min(len(data), maxCloseFrame)]
}

// Conn is the transport.WebsocketConn for one gorilla socket.
type Conn struct {
	ws   *websocket.Conn
	net  *corkConn // beneath ws
	impl *Implementation
	done chan struct{} // closed by Close

	wmu       sync.Mutex  // gorilla panics on concurrent writes
	heard     atomic.Bool // a message came since the last ping tick
	closeOnce sync.Once
	guard     *guard // graphql-transport-ws only: enforces the spec's close codes
}

var (
	_ transport.WebsocketConn          = (*Conn)(nil)
	_ transport.WebsocketReadLimiter   = (*Conn)(nil)
	_ transport.WebsocketReadDeadliner = (*Conn)(nil)
)

// NextReader returns the next data message. A normal close from the peer (1000, 1001 going
// away, or a close frame without a code) becomes transport.ErrWebsocketClosed, as in gqlgen's
// coder adapter, so gqlgen does not report it to its ErrorFunc. Reading past the read limit
// makes gorilla send close 1009 before it returns the error.
func (c *Conn) NextReader() (int, io.Reader, error) {
	t, r, err := c.ws.NextReader()
	if err == nil {
		c.heard.Store(true)
	}
	if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
		return t, nil, transport.ErrWebsocketClosed
	}
	return t, r, err
}

// WriteJSON writes v as one text message within WriteWait. gorilla makes any write error
// permanent, so on failure the socket is closed: gqlgen's read loop then ends and it cancels
// the connection's subscriptions instead of writing into a dead socket forever.
func (c *Conn) WriteJSON(v any) error {
	// Encoded before taking the socket, so a bad value cannot half-write a
	// frame; into a pooled buffer, as every event to every subscriber of
	// the legacy protocol passes here.
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer putEncodeBuffer(buf)
	enc := json.NewEncoder(buf)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return c.writeText(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))) // Encode's newline
}

// putEncodeBuffer returns buf to encodeBuffers, unless a large message grew it.
func putEncodeBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= 64<<10 {
		buf.Reset()
		encodeBuffers.Put(buf)
	}
}

// writeText writes one text message within WriteWait, closing the socket
// if it fails.
func (c *Conn) writeText(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	err := c.ws.SetWriteDeadline(time.Now().Add(c.impl.writeWait))
	if err == nil {
		err = c.ws.WriteMessage(websocket.TextMessage, data)
	}
	if err != nil {
		c.impl.log.Debug("websocket write failed; closing", "err", err)
		_ = c.Close()
	}
	return err
}

// WriteClose sends a close frame within WriteWait. gorilla lets control frames be written
// concurrently with data frames, so it does not wait for wmu.
func (c *Conn) WriteClose(code int, message string) error {
	return c.ws.WriteControl(websocket.CloseMessage, closeFrame(code, message), time.Now().Add(c.impl.writeWait))
}

// Close closes the TCP connection without a close frame (gqlgen sends one first with
// WriteClose) and removes the socket from the registry. Later calls do nothing.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		err = c.ws.Close()
		c.impl.mu.Lock()
		delete(c.impl.conns, c)
		c.impl.stopPinging()
		c.impl.mu.Unlock()
		close(c.done)
	})
	return err
}

// Subprotocol returns the negotiated subprotocol ("" if the client offered none).
func (c *Conn) Subprotocol() string { return c.ws.Subprotocol() }

// SetReadLimit sets the largest message gqlgen will read (its PayloadReadLimit).
func (c *Conn) SetReadLimit(limit int64) { c.ws.SetReadLimit(limit) }

// SetReadDeadline sets the read deadline gqlgen uses to drop a peer that misses a pong.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.ws.SetReadDeadline(t) }

// shutdown sends the close frame and gives the peer until deadline to answer with its own,
// as RFC 6455 §7.1.1 asks: gqlgen's read loop sees the answer and tears the connection down
// itself. Then it closes whatever is left. If a write is stuck, WriteControl waits for it
// only until deadline, and the stuck write itself fails at its own WriteWait.
func (c *Conn) shutdown(code int, reason string, deadline time.Time) {
	if err := c.ws.WriteControl(websocket.CloseMessage, closeFrame(code, reason), deadline); err == nil {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
		}
	}
	_ = c.Close()
}
