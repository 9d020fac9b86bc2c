package gorillaws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/executor/testexecutor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"salesgraph/graph/gorillaws"
	"salesgraph/graph/gqltest"
)

func TestMain(m *testing.M) { gqltest.Main(m) }

// wait bounds every receive; it is generous because it only matters when a test fails.
const wait = 5 * time.Second

// server is gqlgen's test schema served through the adapter.
type server struct {
	impl *gorillaws.Implementation
	exec *testexecutor.TestExecutor
	url  string
}

// newServer starts an httptest server: graphql-transport-ws served by Transport, the legacy
// graphql-ws by gqlgen's transport, both over the Implementation, as in production. configure
// may adjust the Transport (its InitTimeout and PayloadReadLimit go to gqlgen's too), whose
// InitFunc refuses the token "bad" with 4403. When the test ends it checks that every socket
// has left the registry.
func newServer(t *testing.T, opts gorillaws.Options, configure func(*gorillaws.Transport)) *server {
	t.Helper()
	return startServer(t, opts, configure, nil)
}

// startServer is newServer with a hook to wrap the listener.
func startServer(t *testing.T, opts gorillaws.Options, configure func(*gorillaws.Transport), wrap func(net.Listener) net.Listener) *server {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{impl: gorillaws.New(opts), exec: testexecutor.New()}
	h := handler.New(s.exec.Schema())
	h.AddTransport(transports(s.impl, initFunc, configure))
	h.AddTransport(transport.POST{})
	ts := httptest.NewUnstartedServer(h)
	if wrap != nil {
		ts.Listener = wrap(ts.Listener)
	}
	ts.Start()
	s.url = ts.URL
	// Cleanups run last-in first-out, so the clients' cleanups have closed them by now.
	t.Cleanup(func() {
		waitOpen(t, s.impl, 0)
		ts.Close()
	})
	return s
}

// transports is the Transport over impl, with gqlgen's for the legacy protocol.
func transports(impl *gorillaws.Implementation, init transport.WebsocketInitFunc, configure func(*gorillaws.Transport)) gorillaws.Transport {
	own := gorillaws.Transport{Sockets: impl, InitFunc: init}
	if configure != nil {
		configure(&own)
	}
	legacy := transport.Websocket{Implementation: impl, InitFunc: init, InitTimeout: own.InitTimeout}
	if own.PayloadReadLimit != 0 {
		legacy.PayloadReadLimit = &own.PayloadReadLimit
	}
	own.Legacy = legacy
	return own
}

// initFunc refuses the token "bad" the way our auth will: 4403, which the graphql-ws client
// retries (gqlgen's default would be 1000), telling each transport in its own way.
func initFunc(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	if p.GetString("token") == "bad" {
		ctx = transport.WithWebsocketCloseCode(ctx, 4403)
		return transport.AppendCloseReason(ctx, "forbidden"), nil, &gorillaws.Refusal{Code: 4403, Reason: "forbidden"}
	}
	return ctx, nil, nil
}

// waitOpen waits until impl has want live sockets: the server unwinds a socket on its own
// goroutine after the client has seen the close.
func waitOpen(t *testing.T, impl *gorillaws.Implementation, want int) {
	t.Helper()
	waitOpenWithin(t, impl, want, wait)
}

func waitOpenWithin(t *testing.T, impl *gorillaws.Implementation, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for impl.Open() != want {
		if time.Now().After(deadline) {
			t.Fatalf("Open() = %d after %v, want %d", impl.Open(), timeout, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// next makes the test schema's subscription emit one event and returns its data.
func (s *server) next(t *testing.T, sub *gqltest.Subscription) string {
	t.Helper()
	s.exec.SendNextSubscriptionMessage()
	res, ok := sub.Next(t, wait)
	if !ok {
		t.Fatalf("subscription %s completed, want an event", sub.ID)
	}
	return string(res.Data)
}

const nameEvent = `{"name":"test"}`

func TestTransportWS(t *testing.T) {
	s := newServer(t, gorillaws.Options{}, nil)
	c := gqltest.DialWS(t, s.url, map[string]any{"token": "good"}, nil)

	t.Run("subscription streams until the client completes it", func(t *testing.T) {
		sub := c.Subscribe(t, "1", "subscription { name }", nil)
		c.Ping(t, wait) // the server has read the subscribe
		for range 3 {
			if got := s.next(t, sub); got != nameEvent {
				t.Errorf("event = %s, want %s", got, nameEvent)
			}
		}
		sub.Complete(t)
		// gqlgen answers a client complete with its own; the spec does not ask for it.
		if res, more := sub.Next(t, wait); more {
			t.Errorf("after complete got next %s, want complete", res.Data)
		}
	})
	t.Run("query result then server complete", func(t *testing.T) {
		sub := c.Subscribe(t, "2", "query { name }", nil)
		res, ok := sub.Next(t, wait)
		if !ok || string(res.Data) != nameEvent {
			t.Errorf("Next = %s, %v; want %s, true", res.Data, ok, nameEvent)
		}
		if _, more := sub.Next(t, wait); more {
			t.Error("second Next found more, want complete")
		}
	})
	t.Run("connection still served", func(t *testing.T) {
		c.Ping(t, wait)
		if n := s.impl.Open(); n != 1 {
			t.Errorf("Open() = %d, want 1", n)
		}
	})
}

func TestSubprotocol(t *testing.T) {
	s := newServer(t, gorillaws.Options{}, nil)
	tests := []struct {
		offer []string
		want  string
	}{
		{offer: []string{"graphql-transport-ws"}, want: "graphql-transport-ws"},
		{offer: []string{"graphql-ws"}, want: "graphql-ws"},
		// gqlgen lists graphql-ws first; the client's preference wins.
		{offer: []string{"graphql-transport-ws", "graphql-ws"}, want: "graphql-transport-ws"},
		{offer: []string{"graphql-ws", "graphql-transport-ws"}, want: "graphql-ws"},
		{offer: []string{"mqtt", "graphql-transport-ws"}, want: "graphql-transport-ws"},
		{offer: nil, want: ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.offer, ",")+"→"+tt.want, func(t *testing.T) {
			d := websocket.Dialer{Subprotocols: tt.offer}
			conn, _, err := d.DialContext(t.Context(), "ws"+strings.TrimPrefix(s.url, "http"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if got := conn.Subprotocol(); got != tt.want {
				t.Errorf("negotiated %q, want %q", got, tt.want)
			}
		})
	}
}

// TestLegacyGraphQLWS drives Apollo's subscriptions-transport-ws, which gqlgen still serves
// under "graphql-ws" and to clients that offer no subprotocol.
func TestLegacyGraphQLWS(t *testing.T) {
	s := newServer(t, gorillaws.Options{}, nil)
	for _, proto := range []string{"graphql-ws", ""} {
		t.Run("subprotocol "+proto, func(t *testing.T) {
			conn, _, err := gqltest.DialRaw(t, s.url, proto, nil)
			if err != nil {
				t.Fatal(err)
			}
			writeJSON(t, conn, gqltest.Message{Type: "connection_init"})
			expect(t, conn, gqltest.Message{Type: "connection_ack"})
			expect(t, conn, gqltest.Message{Type: "ka"})
			writeJSON(t, conn, gqltest.Message{Type: "start", ID: "1", Payload: json.RawMessage(`{"query":"subscription { name }"}`)})
			s.exec.SendNextSubscriptionMessage()
			expect(t, conn, gqltest.Message{Type: "data", ID: "1", Payload: json.RawMessage(`{"data":` + nameEvent + `}`)})
			writeJSON(t, conn, gqltest.Message{Type: "stop", ID: "1"})
			expect(t, conn, gqltest.Message{Type: "complete", ID: "1"})
			// The legacy protocol keeps gqlgen's error then complete.
			writeJSON(t, conn, gqltest.Message{Type: "start", ID: "2", Payload: json.RawMessage(`{"query":"subscription { nope }"}`)})
			expectType(t, conn, "error", "2")
			expect(t, conn, gqltest.Message{Type: "complete", ID: "2"})
			writeJSON(t, conn, gqltest.Message{Type: "connection_terminate"})
			if code := readClose(t, conn); code != websocket.CloseNormalClosure {
				t.Errorf("close code after connection_terminate = %d, want 1000", code)
			}
		})
	}
}

// TestLegacyOperationsBounded: at most MaxOperations run at once on a legacy
// socket too. gqlgen starts each operation on a goroutine of its own, so
// which of one too many is refused is down to the scheduler. (A server of
// its own: the test executor's subscriptions share one channel per server,
// and these would take the events of other tests' subscriptions.)
func TestLegacyOperationsBounded(t *testing.T) {
	s := newServer(t, gorillaws.Options{}, nil)
	conn, _, err := gqltest.DialRaw(t, s.url, "graphql-ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	writeJSON(t, conn, gqltest.Message{Type: "connection_init"})
	expect(t, conn, gqltest.Message{Type: "connection_ack"})
	expect(t, conn, gqltest.Message{Type: "ka"})
	for i := range gorillaws.MaxOperations + 1 {
		writeJSON(t, conn, gqltest.Message{Type: "start", ID: fmt.Sprint("s", i), Payload: json.RawMessage(`{"query":"subscription { name }"}`)})
	}
	refused := expectTooMany(t, conn)
	running := "s0"
	if refused == running {
		running = "s1"
	}
	writeJSON(t, conn, gqltest.Message{Type: "stop", ID: running})
	expect(t, conn, gqltest.Message{Type: "complete", ID: running})
	writeJSON(t, conn, gqltest.Message{Type: "start", ID: "room", Payload: json.RawMessage(`{"query":"query { name }"}`)})
	expect(t, conn, gqltest.Message{Type: "data", ID: "room", Payload: json.RawMessage(`{"data":` + nameEvent + `}`)})
	expect(t, conn, gqltest.Message{Type: "complete", ID: "room"})
	writeJSON(t, conn, gqltest.Message{Type: "connection_terminate"})
	if code := readClose(t, conn); code != websocket.CloseNormalClosure {
		t.Errorf("close code after connection_terminate = %d, want 1000", code)
	}
}

func TestOrigin(t *testing.T) {
	allowList := newServer(t, gorillaws.Options{AllowedOrigins: []string{"https://app.example.com", "http://localhost:3000"}}, nil)
	anyOrigin := newServer(t, gorillaws.Options{AllowedOrigins: []string{"*"}}, nil)
	tests := []struct {
		name   string
		srv    *server
		origin string
		want   int
	}{
		{"no Origin header (non-browser client)", allowList, "", http.StatusSwitchingProtocols},
		{"listed", allowList, "https://app.example.com", http.StatusSwitchingProtocols},
		{"listed, host in other case", allowList, "https://APP.Example.com", http.StatusSwitchingProtocols},
		{"listed with port", allowList, "http://localhost:3000", http.StatusSwitchingProtocols},
		{"other host", allowList, "https://evil.example.com", http.StatusForbidden},
		{"listed host under other scheme", allowList, "http://app.example.com", http.StatusForbidden},
		{"listed host on other port", allowList, "https://app.example.com:8443", http.StatusForbidden},
		{"listed host as prefix", allowList, "https://app.example.com.evil.net", http.StatusForbidden},
		{"opaque origin", allowList, "null", http.StatusForbidden},
		{"wildcard", anyOrigin, "https://evil.example.com", http.StatusSwitchingProtocols},
		{"same host as the server (our GraphiQL page)", allowList, strings.Replace(allowList.url, "ws://", "http://", 1), http.StatusSwitchingProtocols},
		{"same port on another host", allowList, "http://evil.example.com:" + allowList.url[strings.LastIndex(allowList.url, ":")+1:], http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			if tt.origin != "" {
				header.Set("Origin", tt.origin)
			}
			_, res, err := gqltest.DialRaw(t, tt.srv.url, gqltest.Subprotocol, header)
			if res == nil {
				t.Fatalf("dial: %v", err)
			}
			if res.StatusCode != tt.want {
				t.Errorf("status = %d (err %v), want %d", res.StatusCode, err, tt.want)
			}
			if tt.want == http.StatusForbidden && !errors.Is(err, websocket.ErrBadHandshake) {
				t.Errorf("err = %v, want ErrBadHandshake", err)
			}
		})
	}
}

func TestNewRejectsMalformedOrigin(t *testing.T) {
	for _, origin := range []string{"app.example.com", "https://app.example.com/", "https://app.example.com/path", "null", ""} {
		t.Run(origin, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("New accepted AllowedOrigins entry %q", origin)
				}
			}()
			gorillaws.New(gorillaws.Options{AllowedOrigins: []string{origin}})
		})
	}
}

// TestPayloadReadLimit shows PayloadReadLimit is enforced: gqlgen passes it to SetReadLimit,
// and gorilla answers an oversize message with 1009 (message too big).
func TestPayloadReadLimit(t *testing.T) {
	limit := int64(1024)
	s := newServer(t, gorillaws.Options{}, func(ws *gorillaws.Transport) { ws.PayloadReadLimit = limit })
	big := map[string]any{"pad": strings.Repeat("x", 2*int(limit))}

	t.Run("connection_init", func(t *testing.T) {
		c := gqltest.OpenWS(t, s.url, nil)
		c.Send(t, gqltest.Message{Type: "connection_init", Payload: mustJSON(t, big)})
		if code := c.CloseCode(t, wait); code != websocket.CloseMessageTooBig {
			t.Errorf("close code = %d, want 1009", code)
		}
	})
	t.Run("subscribe after ack", func(t *testing.T) {
		c := gqltest.DialWS(t, s.url, nil, nil)
		c.Subscribe(t, "1", "subscription { name }", big)
		if code := c.CloseCode(t, wait); code != websocket.CloseMessageTooBig {
			t.Errorf("close code = %d, want 1009", code)
		}
	})
	t.Run("just under the limit", func(t *testing.T) {
		c := gqltest.DialWS(t, s.url, nil, nil)
		c.Send(t, gqltest.Message{Type: "ping", Payload: mustJSON(t, map[string]any{"pad": strings.Repeat("x", int(limit)-40)})})
		if msg := c.Recv(t, wait); msg.Type != "pong" {
			t.Errorf("got %+v, want pong", msg)
		}
	})
}

func TestInitFuncCloseCode(t *testing.T) {
	s := newServer(t, gorillaws.Options{}, nil)
	c := gqltest.OpenWS(t, s.url, nil)
	c.Send(t, gqltest.Message{Type: "connection_init", Payload: json.RawMessage(`{"token":"bad"}`)})
	got := c.WaitClose(t, wait)
	if diff := cmp.Diff(websocket.CloseError{Code: 4403, Text: "forbidden"}, got); diff != "" {
		t.Errorf("close (-want +got):\n%s", diff)
	}
}

// TestCloseSocket closes one live socket, mid-subscription, with a code the application
// chooses (here 4403 when its token expires), which gqlgen alone cannot do.
func TestCloseSocket(t *testing.T) {
	impl := gorillaws.New(gorillaws.Options{Logger: slog.New(slog.DiscardHandler)})
	exec := testexecutor.New()
	conns := make(chan context.Context, 2) // each connection's context, from its InitFunc
	h := handler.New(exec.Schema())
	h.AddTransport(transports(impl, func(ctx context.Context, _ transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		conns <- ctx
		return ctx, nil, nil
	}, nil))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(gorillaws.WithSocket(r.Context())))
	}))
	t.Cleanup(func() {
		waitOpen(t, impl, 0)
		ts.Close()
	})

	doomed := gqltest.DialWS(t, ts.URL, nil, nil)
	doomedCtx := <-conns
	other := gqltest.DialWS(t, ts.URL, nil, nil)
	<-conns
	sub := doomed.Subscribe(t, "1", "subscription { name }", nil)
	doomed.Ping(t, wait)
	exec.SendNextSubscriptionMessage()
	if _, ok := sub.Next(t, wait); !ok {
		t.Fatal("subscription completed, want an event")
	}

	if !gorillaws.CloseSocket(doomedCtx, 4403, "Forbidden: token expired") {
		t.Fatal("CloseSocket = false for a socket accepted WithSocket")
	}
	want := websocket.CloseError{Code: 4403, Text: "Forbidden: token expired"}
	if diff := cmp.Diff(want, doomed.WaitClose(t, wait)); diff != "" {
		t.Errorf("close (-want +got):\n%s", diff)
	}
	waitOpen(t, impl, 1)
	other.Ping(t, wait) // the other socket is untouched

	if gorillaws.CloseSocket(context.Background(), 4403, "") {
		t.Error("CloseSocket = true for a context without a socket")
	}
}

func TestCloseAll(t *testing.T) {
	s := newServer(t, gorillaws.Options{WriteWait: wait}, nil)
	live := gqltest.DialWS(t, s.url, nil, nil)
	sub := live.Subscribe(t, "1", "subscription { name }", nil)
	live.Ping(t, wait)
	s.next(t, sub)
	pending := gqltest.OpenWS(t, s.url, nil) // no connection_init yet
	waitOpen(t, s.impl, 2)

	start := time.Now()
	s.impl.CloseAll(websocket.CloseGoingAway, "going away")
	elapsed := time.Since(start)
	t.Logf("CloseAll took %v", elapsed)
	// The clients answer the close at once; WriteWait is only the bound for those that do not.
	if elapsed > time.Second {
		t.Errorf("CloseAll took %v with responsive clients, want well under WriteWait %v", elapsed, wait)
	}
	if n := s.impl.Open(); n != 0 {
		t.Errorf("Open() after CloseAll = %d, want 0", n)
	}
	want := websocket.CloseError{Code: websocket.CloseGoingAway, Text: "going away"}
	for name, c := range map[string]*gqltest.WS{"subscribed": live, "before init": pending} {
		if diff := cmp.Diff(want, c.WaitClose(t, wait)); diff != "" {
			t.Errorf("%s client close (-want +got):\n%s", name, diff)
		}
	}

	late := gqltest.OpenWS(t, s.url, nil)
	if diff := cmp.Diff(want, late.WaitClose(t, wait)); diff != "" {
		t.Errorf("socket opened after CloseAll: close (-want +got):\n%s", diff)
	}
}

// slowWriteWait is the WriteWait of the stalled-client tests: long enough that CloseAll
// clearly starts while the server's write is stuck, short enough to keep the tests fast.
const slowWriteWait = time.Second

// stallSendBuffer is the server's kernel send buffer in the stalled-client tests. Small
// enough that the first 256 KiB pong cannot fit in it plus the client's receive buffer, so
// the server is stuck from its first pong however slow the machine is. (Only the send side
// is shrunk: shrinking a receive buffer after the handshake makes TCP drop segments the
// window already allowed and back off for seconds.)
const stallSendBuffer = 32 << 10

// smallSendBufferListener sets stallSendBuffer on every accepted connection.
type smallSendBufferListener struct{ net.Listener }

func (l smallSendBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(stallSendBuffer)
	}
	return c, err
}

func newStallServer(t *testing.T) *server {
	t.Helper()
	return startServer(t, gorillaws.Options{WriteWait: slowWriteWait}, nil, func(l net.Listener) net.Listener {
		return smallSendBufferListener{l}
	})
}

// stallServerWrites leaves the server blocked writing to a client that does not read: the
// client keeps sending 256 KiB pings and gqlgen answers each with a pong of the same size
// from its read loop. The client never reads, so the first pong already blocks; the server
// then stops reading and the client's writes block too. It returns once a client write has
// been blocked for stallSignal.
func stallServerWrites(t *testing.T, s *server) {
	t.Helper()
	const stallSignal = 300 * time.Millisecond
	conn, _, err := gqltest.DialRaw(t, s.url, gqltest.Subprotocol, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeJSON(t, conn, gqltest.Message{Type: "connection_init"})
	expect(t, conn, gqltest.Message{Type: "connection_ack"})
	ping, err := json.Marshal(gqltest.Message{Type: "ping", Payload: mustJSON(t, map[string]string{"pad": strings.Repeat("x", 256<<10)})})
	if err != nil {
		t.Fatal(err)
	}

	// The writer stops when the server drops the socket or the cleanup closes it.
	var lastWrite atomic.Int64 // UnixNano of the last completed write
	lastWrite.Store(time.Now().UnixNano())
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for {
			_ = conn.SetWriteDeadline(time.Now().Add(time.Minute))
			if conn.WriteMessage(websocket.TextMessage, ping) != nil {
				return
			}
			lastWrite.Store(time.Now().UnixNano())
		}
	}()
	t.Cleanup(func() {
		_ = conn.Close()
		<-writerDone
	})

	deadline := time.Now().Add(wait)
	for time.Since(time.Unix(0, lastWrite.Load())) < stallSignal {
		if time.Now().After(deadline) {
			t.Fatalf("the client's writes never stalled in %v", wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStalledClient(t *testing.T) {
	t.Run("write deadline drops the socket", func(t *testing.T) {
		s := newStallServer(t)
		stallServerWrites(t, s)
		start := time.Now()
		// Without a write deadline the stuck write, and the socket, would last forever. The
		// drop is due one WriteWait after the stall; the margin is for a loaded machine.
		waitOpenWithin(t, s.impl, 0, 10*slowWriteWait)
		elapsed := time.Since(start)
		t.Logf("socket dropped %v after the stall was seen (WriteWait %v)", elapsed, slowWriteWait)
		if elapsed > 2*slowWriteWait {
			t.Errorf("socket dropped %v after the stall, want about WriteWait %v", elapsed, slowWriteWait)
		}
	})
	t.Run("CloseAll returns within WriteWait", func(t *testing.T) {
		s := newStallServer(t)
		stallServerWrites(t, s)
		start := time.Now()
		s.impl.CloseAll(websocket.CloseServiceRestart, "restart")
		elapsed := time.Since(start)
		t.Logf("CloseAll took %v (WriteWait %v)", elapsed, slowWriteWait)
		if elapsed > slowWriteWait+500*time.Millisecond {
			t.Errorf("CloseAll took %v, want at most about WriteWait %v", elapsed, slowWriteWait)
		}
		if n := s.impl.Open(); n != 0 {
			t.Errorf("Open() after CloseAll = %d, want 0", n)
		}
	})
}

func writeJSON(t *testing.T, conn *websocket.Conn, v any) {
	t.Helper()
	_ = conn.SetWriteDeadline(time.Now().Add(wait))
	if err := conn.WriteJSON(v); err != nil {
		t.Fatalf("write %+v: %v", v, err)
	}
}

// expectTooMany reads the legacy protocol's answer to a start past
// MaxOperations, data with the TOO_MANY_OPERATIONS error then complete, and
// returns the id it refused.
func expectTooMany(t *testing.T, conn *websocket.Conn) string {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	var m gqltest.Message
	if err := conn.ReadJSON(&m); err != nil {
		t.Fatal(err)
	}
	var p struct {
		Errors []struct{ Extensions map[string]any }
	}
	_ = json.Unmarshal(m.Payload, &p)
	if m.Type != "data" || len(p.Errors) != 1 || p.Errors[0].Extensions["code"] != "TOO_MANY_OPERATIONS" {
		t.Fatalf("got %s %s %s, want data with TOO_MANY_OPERATIONS", m.Type, m.ID, m.Payload)
	}
	expect(t, conn, gqltest.Message{Type: "complete", ID: m.ID})
	return m.ID
}

// expect reads the next message and compares it with want.
func expect(t *testing.T, conn *websocket.Conn, want gqltest.Message) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	var got gqltest.Message
	if err := conn.ReadJSON(&got); err != nil {
		t.Fatalf("waiting for %s: %v", want.Type, err)
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(jsonEqual)); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
}

// expectType reads the next message and checks its type and id.
func expectType(t *testing.T, conn *websocket.Conn, typ, id string) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	var got gqltest.Message
	if err := conn.ReadJSON(&got); err != nil {
		t.Fatalf("waiting for %s: %v", typ, err)
	}
	if got.Type != typ || got.ID != id {
		t.Errorf("got %s %q %s, want %s %q", got.Type, got.ID, got.Payload, typ, id)
	}
}

// readClose reads until the server's close frame and returns its code (1006 if none came).
func readClose(t *testing.T, conn *websocket.Conn) int {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			return websocket.CloseAbnormalClosure
		}
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && cmp.Equal(x, y)
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
