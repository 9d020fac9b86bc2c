package live

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"salesgraph/db"
	"salesgraph/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// freezer forwards TCP connections to a PostgreSQL server until frozen:
// then the connections open so far stay open but carry nothing either way,
// as a half-open connection does; new ones are forwarded.
type freezer struct {
	ln      net.Listener
	network string
	target  string

	stop chan struct{} // closed when the test ends: frozen pipes return

	mu     sync.Mutex
	frozen []chan struct{} // one per connection so far; closed to freeze it
}

func newFreezer(t *testing.T, network, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, network: network, target: target, stop: make(chan struct{})}
	var wg sync.WaitGroup
	var conns []net.Conn
	var cmu sync.Mutex
	t.Cleanup(func() {
		close(f.stop)
		_ = ln.Close()
		cmu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		cmu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial(network, target)
			if err != nil {
				_ = c.Close()
				continue
			}
			cmu.Lock()
			conns = append(conns, c, s)
			cmu.Unlock()
			freeze := make(chan struct{})
			f.mu.Lock()
			f.frozen = append(f.frozen, freeze)
			f.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					select {
					case <-freeze:
						<-f.stop // hold the connection open; nothing passes
						return
					default:
					}
					if n > 0 {
						if _, werr := dst.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						_ = dst.Close()
						return
					}
				}
			}
			wg.Go(func() { pipe(s, c) })
			wg.Go(func() { pipe(c, s) })
		}
	})
	return f
}

func (f *freezer) freezeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.frozen {
		close(ch)
	}
	f.frozen = nil
}

// viaProxy returns conn (a URL or key=value pairs) pointed at addr, and the
// network and address of the server it named.
func viaProxy(t *testing.T, conn string) (network, target string, rewrite func(addr string) string) {
	t.Helper()
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil || u.Hostname() == "" || strings.HasPrefix(u.Hostname(), "/") {
			t.Skipf("half-open test needs a TCP server, not %q", u.Host)
		}
		port := u.Port()
		if port == "" {
			port = "5432"
		}
		return "tcp", net.JoinHostPort(u.Hostname(), port), func(addr string) string {
			v := *u
			v.Host = addr
			q := v.Query()
			q.Set("application_name", "feed-halfopen")
			v.RawQuery = q.Encode()
			return v.String()
		}
	}
	kv := map[string]string{"host": "localhost", "port": "5432"}
	for _, f := range strings.Fields(conn) {
		if k, v, ok := strings.Cut(f, "="); ok {
			kv[k] = strings.Trim(v, "'")
		}
	}
	network, target = "tcp", net.JoinHostPort(kv["host"], kv["port"])
	if strings.HasPrefix(kv["host"], "/") {
		network, target = "unix", filepath.Join(kv["host"], ".s.PGSQL."+kv["port"])
	}
	return network, target, func(addr string) string {
		h, p, _ := net.SplitHostPort(addr)
		return conn + " host=" + h + " port=" + p + " sslmode=disable application_name=feed-halfopen"
	}
}

// A LISTEN connection that goes silent without closing (half-open) is found
// by the idle ping and replaced, and what committed meanwhile is delivered.
func TestHalfOpenListenerIsReplaced(t *testing.T) {
	conn := dbtest.URL(t)
	network, target, rewrite := viaProxy(t, conn)
	d, err := db.Open(context.Background(), conn, db.Options{ApplicationName: "salesgraph-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	store := db.NewStore(d)
	ctx := context.Background()
	var order int64
	if err := store.GetContext(ctx, &order, `WITH c AS (INSERT INTO customers (code, name, currency) VALUES ('HO', 'Half open', 'EUR') RETURNING id),
		w AS (INSERT INTO warehouses (code, name) VALUES ('HO', 'Half open') RETURNING id)
		INSERT INTO sales_orders (number, customer_id, warehouse_id, order_date, ship_to, currency, payment_terms_days)
		SELECT 'HO-1', c.id, w.id, current_date, '{}', 'EUR', 30 FROM c, w RETURNING id`); err != nil {
		t.Fatal(err)
	}
	write := func() {
		t.Helper()
		if _, err := store.ExecContext(ctx, `INSERT INTO order_events (order_id, status) VALUES ($1, 'CONFIRMED')`, order); err != nil {
			t.Fatal(err)
		}
	}

	proxy := newFreezer(t, network, target)
	b := New(store.Events, Options{ConnString: rewrite(proxy.ln.Addr().String()),
		IdlePing: 200 * time.Millisecond, PingTimeout: 300 * time.Millisecond,
		MinReconnect: 50 * time.Millisecond, MaxReconnect: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })

	sub, err := b.Subscribe(ctx, Filter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !b.listening.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the listener did not connect through the proxy")
		}
		time.Sleep(10 * time.Millisecond)
	}
	write()
	if e := recv(t, sub); e.OrderID != order {
		t.Fatalf("before the freeze: %+v", e)
	}

	proxy.freezeAll() // the LISTEN connection now hears nothing, and nothing tells it so
	write()
	ctx2, cancel2 := context.WithTimeout(ctx, 5*time.Second)
	defer cancel2()
	e, err := sub.Next(ctx2)
	if err != nil {
		t.Fatalf("after the freeze: %v (the half-open listener was not replaced)", err)
	}
	if e.OrderID != order {
		t.Fatalf("after the freeze: %+v", e)
	}
}
