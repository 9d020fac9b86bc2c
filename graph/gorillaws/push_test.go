package gorillaws_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor/testexecutor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/vektah/gqlparser/v2/ast"

	"salesgraph/graph/gorillaws"
	"salesgraph/graph/gqltest"
)

// source is a gorillaws.Source fed by the test.
type source struct {
	mu    sync.Mutex
	ready [][]byte
	err   error
	ctx   context.Context // the operation's, as Next last saw it
	wake  func()
}

func (s *source) Next(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx = ctx
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if len(s.ready) == 0 {
		return nil, s.err
	}
	b := s.ready[0]
	s.ready = s.ready[1:]
	return b, nil
}

func (s *source) Pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ready) > 0
}

// send queues payloads, or ends the source with err, and wakes the socket once.
func (s *source) send(err error, payloads ...string) {
	s.mu.Lock()
	for _, p := range payloads {
		s.ready = append(s.ready, []byte(p))
	}
	s.err = err
	s.mu.Unlock()
	s.wake()
}

func (s *source) opCtx() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

// pushing hands every subscription of exec to a source of the test's instead
// of letting it pull, as the feed's resolver does.
type pushing struct {
	graphql.GraphExecutor
	sources chan *source
}

func (p pushing) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	responses, ctx := p.GraphExecutor.DispatchOperation(ctx, rc)
	if rc.Operation.Operation == ast.Subscription {
		src := &source{}
		wake, ok := gorillaws.Push(ctx, src)
		if !ok {
			panic("Push refused a Transport's operation")
		}
		src.wake = wake
		p.sources <- src
	}
	return responses, ctx
}

// pushingTransport serves its sockets with pushing executors.
type pushingTransport struct {
	gorillaws.Transport
	sources chan *source
}

func (p pushingTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	p.Transport.Do(w, r, pushing{exec, p.sources})
}

// TestPush: a pushed subscription gets what its Source has whenever the Source
// wakes the socket, in order; the client's complete ends it (answered with
// complete, as a pulled one is) and cancels its context; a Source's error ends
// it without complete, the socket left open.
func TestPush(t *testing.T) {
	impl := gorillaws.New(gorillaws.Options{Logger: slog.New(slog.DiscardHandler)})
	exec := testexecutor.New()
	sources := make(chan *source, 1)
	srv := handler.New(exec.Schema())
	srv.AddTransport(pushingTransport{transports(impl, initFunc, nil), sources})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		waitOpen(t, impl, 0)
		ts.Close()
	})
	c := gqltest.DialWS(t, ts.URL, nil, nil)
	sub := c.Subscribe(t, "1", "subscription { name }", nil)
	src := <-sources

	src.send(nil, `{"data":{"name":"a"}}`)
	if got := data(t, sub); got != `{"name":"a"}` {
		t.Fatalf("first event %s", got)
	}
	src.send(nil, `{"data":{"name":"b"}}`, `{"data":{"name":"c"}}`, `{"data":{"name":"d"}}`)
	for _, want := range []string{"b", "c", "d"} {
		if got := data(t, sub); got != fmt.Sprintf(`{"name":%q}`, want) {
			t.Fatalf("event %s, want name %s", got, want)
		}
	}
	sub.Complete(t)
	if ev := sub.Recv(t, wait); ev.Type != "complete" {
		t.Fatalf("after the client's complete: %s, want complete", ev.Type)
	}
	src.wake() // a Source may wake the socket after its operation ended
	if ctx := src.opCtx(); ctx == nil || ctx.Err() == nil {
		t.Error("the operation's context still open after complete")
	}

	failing := c.Subscribe(t, "2", "subscription { name }", nil)
	src = <-sources
	src.send(errors.New("gone"), `{"data":{"name":"last"}}`)
	if got := data(t, failing); got != `{"name":"last"}` {
		t.Fatalf("event before the error: %s", got)
	}
	failing.Quiet(t, 200*time.Millisecond) // no complete: the Source's failure is not the end of the stream
	c.Ping(t, wait)
}

// data reads sub's next event's data.
func data(t *testing.T, sub *gqltest.Subscription) string {
	t.Helper()
	res, ok := sub.Next(t, wait)
	if !ok {
		t.Fatal("completed, want an event")
	}
	return string(res.Data)
}
