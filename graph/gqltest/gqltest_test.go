package gqltest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/executor/testexecutor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/go-cmp/cmp"

	"salesgraph/graph/gorillaws"
	"salesgraph/graph/gqltest"
)

func TestMain(m *testing.M) { gqltest.Main(m) }

const wait = 5 * time.Second

// server is gqlgen's test schema over the gorilla adapter, recording the Authorization
// header of the last HTTP request.
type server struct {
	url  string
	impl *gorillaws.Implementation
	exec *testexecutor.TestExecutor

	mu   sync.Mutex
	auth string
}

func newServer(t *testing.T, opts gorillaws.Options) *server {
	t.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	s := &server{impl: gorillaws.New(opts), exec: testexecutor.New()}
	ws := gorillaws.Transport{
		Sockets: s.impl,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			if p.GetString("token") == "bad" {
				return ctx, nil, errors.New("forbidden")
			}
			return ctx, &transport.InitPayload{"hello": p.GetString("token")}, nil
		},
	}
	h := handler.New(s.exec.Schema())
	h.AddTransport(ws)
	h.AddTransport(transport.POST{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.auth = r.Header.Get("Authorization")
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	s.url = ts.URL
	return s
}

func (s *server) lastAuth() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auth
}

func TestPost(t *testing.T) {
	s := newServer(t, gorillaws.Options{})

	t.Run("data decodes", func(t *testing.T) {
		res := gqltest.Post(t, s.url, "", "query { name }", nil)
		var got struct{ Name string }
		res.Decode(t, &got)
		if got.Name != "test" || len(res.Errors) != 0 || res.StatusCode != http.StatusOK {
			t.Errorf("got %+v, status %d, errors %+v; want name test, 200, no errors", got, res.StatusCode, res.Errors)
		}
	})
	t.Run("errors carry their code", func(t *testing.T) {
		res := gqltest.Post(t, s.url, "", "query { nope }", map[string]any{"unused": 1})
		if len(res.Errors) != 1 {
			t.Fatalf("errors = %+v, want one", res.Errors)
		}
		if got := res.Errors[0].Code(); got != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("Code() = %q, want GRAPHQL_VALIDATION_FAILED", got)
		}
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("status = %d, want 422", res.StatusCode)
		}
	})
	t.Run("token is sent as a bearer token", func(t *testing.T) {
		gqltest.Post(t, s.url, "s3cret", "query { name }", nil)
		if got := s.lastAuth(); got != "Bearer s3cret" {
			t.Errorf("Authorization = %q, want Bearer s3cret", got)
		}
		gqltest.Post(t, s.url, "", "query { name }", nil)
		if got := s.lastAuth(); got != "" {
			t.Errorf("Authorization without a token = %q, want none", got)
		}
	})
}

func TestErrorExtensions(t *testing.T) {
	var res gqltest.Response
	body := `{"data":null,"errors":[{"message":"bad quantity","path":["placeOrder",0],
		"extensions":{"code":"INVALID_INPUT","field":"lines.0.quantity"}},{"message":"plain"}]}`
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	want := []gqltest.Error{
		{Message: "bad quantity", Path: []any{"placeOrder", float64(0)}, Extensions: map[string]any{"code": "INVALID_INPUT", "field": "lines.0.quantity"}},
		{Message: "plain"},
	}
	if diff := cmp.Diff(want, res.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if got := [4]string{res.Errors[0].Code(), res.Errors[0].Field(), res.Errors[1].Code(), res.Errors[1].Field()}; got != [4]string{"INVALID_INPUT", "lines.0.quantity", "", ""} {
		t.Errorf("Code/Field = %q", got)
	}
}

func TestWS(t *testing.T) {
	s := newServer(t, gorillaws.Options{})

	t.Run("init payload reaches InitFunc and the ack payload comes back", func(t *testing.T) {
		c := gqltest.OpenWS(t, s.url, nil)
		ack := c.Init(t, map[string]any{"token": "abc"})
		if string(ack) != `{"hello":"abc"}` {
			t.Errorf("ack payload = %s, want {\"hello\":\"abc\"}", ack)
		}
	})
	t.Run("subscription events, then complete", func(t *testing.T) {
		c := gqltest.DialWS(t, s.url, nil, nil)
		sub := c.Subscribe(t, "1", "subscription { name }", nil)
		c.Ping(t, wait)
		s.exec.SendNextSubscriptionMessage()
		res, ok := sub.Next(t, wait)
		var got struct{ Name string }
		res.Decode(t, &got)
		if !ok || got.Name != "test" {
			t.Errorf("Next = %s, %v; want name test", res.Data, ok)
		}
		sub.Complete(t)
		if _, more := sub.Next(t, wait); more {
			t.Error("Next after Complete found more, want complete")
		}
	})
	t.Run("errors are returned, not fatal", func(t *testing.T) {
		c := gqltest.DialWS(t, s.url, nil, nil)
		errs := c.Subscribe(t, "1", "subscription { nope }", nil).Errors(t, wait)
		if len(errs) != 1 || errs[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("errors = %+v, want one GRAPHQL_VALIDATION_FAILED", errs)
		}
	})
	t.Run("subscriptions are told apart by id", func(t *testing.T) {
		c := gqltest.DialWS(t, s.url, nil, nil)
		a := c.Subscribe(t, "a", "query { name }", nil)
		b := c.Subscribe(t, "b", "subscription { nope }", nil)
		if ev := b.Recv(t, wait); ev.Type != "error" {
			t.Errorf("b got %s, want error", ev.Type)
		}
		if ev := a.Recv(t, wait); ev.Type != "next" {
			t.Errorf("a got %s, want next", ev.Type)
		}
	})
	t.Run("close code of a refused init", func(t *testing.T) {
		c := gqltest.OpenWS(t, s.url, nil)
		c.Send(t, gqltest.Message{Type: "connection_init", Payload: json.RawMessage(`{"token":"bad"}`)})
		if code := c.CloseCode(t, wait); code != 4403 {
			t.Errorf("CloseCode = %d, want 4403", code)
		}
		c.Close() // after the server closed: returns at once
	})
}

// TestWSAnswersPings: the server closes a graphql-transport-ws socket whose client misses a
// pong for 2×PingInterval, so a socket alive after many intervals was answering.
func TestWSAnswersPings(t *testing.T) {
	// Each pong is due within one or two intervals; 100ms leaves room for a loaded -race run.
	const interval = 100 * time.Millisecond
	s := newServer(t, gorillaws.Options{PingInterval: interval})
	c := gqltest.DialWS(t, s.url, nil, nil)
	time.Sleep(6 * interval)
	c.Ping(t, wait)
	if n := s.impl.Open(); n != 1 {
		t.Errorf("Open() = %d, want 1", n)
	}
}

func TestWSDeliversQueuedMessagesAfterClose(t *testing.T) {
	s := newServer(t, gorillaws.Options{})
	c := gqltest.DialWS(t, s.url, nil, nil)
	sub := c.Subscribe(t, "1", "subscription { name }", nil)
	c.Ping(t, wait)
	// The second send returns only once the server has written the first event.
	s.exec.SendNextSubscriptionMessage()
	s.exec.SendNextSubscriptionMessage()
	s.impl.CloseAll(1012, "restart")
	if code := c.CloseCode(t, wait); code != 1012 {
		t.Errorf("CloseCode = %d, want 1012", code)
	}
	if res, ok := sub.Next(t, wait); !ok || string(res.Data) != `{"name":"test"}` {
		t.Errorf("Next after close = %s, %v; want the queued event", res.Data, ok)
	}
}

// TestFailures checks that the helpers fail the test, with a useful message, where a test
// could otherwise pass by accident or hang.
func TestFailures(t *testing.T) {
	s := newServer(t, gorillaws.Options{})
	notGraphQL := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notGraphQL.Close)
	tests := []struct {
		name string
		run  func(tb testing.TB)
		want string // substring of the failure
	}{
		{
			name: "DialWS refused by InitFunc",
			run:  func(tb testing.TB) { gqltest.DialWS(tb, s.url, map[string]any{"token": "bad"}, nil) },
			want: "socket closed (4403",
		},
		{
			name: "Next on an error message",
			run: func(tb testing.TB) {
				c := gqltest.DialWS(tb, s.url, nil, nil)
				c.Subscribe(tb, "1", "subscription { nope }", nil).Next(tb, wait)
			},
			want: "got error",
		},
		{
			name: "Next with nothing sent",
			run: func(tb testing.TB) {
				c := gqltest.DialWS(tb, s.url, nil, nil)
				c.Subscribe(tb, "1", "subscription { name }", nil).Next(tb, 50*time.Millisecond)
			},
			want: "no message for subscription 1 within 50ms",
		},
		{
			name: "WaitClose on an open socket",
			run: func(tb testing.TB) {
				gqltest.DialWS(tb, s.url, nil, nil).WaitClose(tb, 50*time.Millisecond)
			},
			want: "socket still open after 50ms",
		},
		{
			name: "Post to something that is not GraphQL",
			run:  func(tb testing.TB) { gqltest.Post(tb, notGraphQL.URL, "", "{ name }", nil) },
			want: "HTTP 404, body is not a GraphQL response",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fatal(t, tt.run)
			if !strings.Contains(got, tt.want) {
				t.Errorf("failure = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

// fakeTB records the first Fatal and ends the goroutine, as testing does.
type fakeTB struct {
	testing.TB
	msg string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

// fatal runs fn with a fakeTB and returns its fatal message, failing t if there was none.
// Cleanups fn registers run with t's.
func fatal(t *testing.T, fn func(tb testing.TB)) string {
	t.Helper()
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	if f.msg == "" {
		t.Fatal("the helper did not fail the test")
	}
	return f.msg
}
