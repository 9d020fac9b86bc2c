package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"salesgraph/graph/gorillaws"
	"salesgraph/live"
	"salesgraph/sales"
)

// The feed's fan-out renders each event once per kind of subscription, not
// once per subscriber. gqlgen executes a subscription's selection set for
// every value its resolver's channel yields, on every socket: at 1,000
// dashboards watching, one status change meant 1,000 executions, each with
// its own loaders and its own database reads of the same order. Instead the
// socket's response loop (feedStream.responses) takes the next event from
// the broker itself and asks the event for its payload under a key naming
// what the payload depends on: the operation, the variables its selections
// use, and what the viewer may see. The first subscriber to ask executes
// the selection set through gqlgen, as before, by handing the event to the
// resolver's channel; everyone else with the same key gets a copy of that
// response (live.Event.Shared).

// feedStreamKey carries a socket operation's feedStream to the resolver.
type feedStreamKey struct{}

// feedStream is one orderStatusChanged subscription on a socket.
type feedStream struct {
	sub    *live.Subscription
	events chan *sales.OrderEvent // the resolver's channel: one event per render
	viewer *sales.User
	key    string     // what its payload depends on
	cork   func(bool) // its socket's (gorillaws.Corker), when pulled

	// When pushed (push):
	render graphql.ResponseHandler // gqlgen's, for the operation
	logger *slog.Logger
}

// withFeedStream readies ctx, a websocket operation's, for an
// orderStatusChanged resolver to attach its subscription to.
func withFeedStream(ctx context.Context) (context.Context, *feedStream) {
	fs := &feedStream{}
	return context.WithValue(ctx, feedStreamKey{}, fs), fs
}

// attach is the resolver's half: it hands over the subscription and returns
// the channel gqlgen reads from. It fails outside a websocket operation.
func attachFeedStream(ctx context.Context, sub *live.Subscription, viewer *sales.User) (<-chan *sales.OrderEvent, error) {
	fs, _ := ctx.Value(feedStreamKey{}).(*feedStream)
	if fs == nil || fs.sub != nil {
		return nil, sales.Errorf(sales.CodeValidation, "", "subscribe over a websocket on /graphql")
	}
	fs.sub, fs.viewer = sub, viewer
	fs.events = make(chan *sales.OrderEvent, 1)
	// Whatever ends the operation (complete, the socket closing) ends the
	// subscription, without a goroutine waiting for it.
	context.AfterFunc(ctx, sub.Close)
	return fs.events, nil
}

// push hands the stream to the socket's transport, which calls Next when
// the subscription wakes it, instead of a goroutine waiting per subscriber;
// false on a transport that pulls (gqlgen's, for the legacy protocol).
func (fs *feedStream) push(ctx context.Context, render graphql.ResponseHandler, logger *slog.Logger) bool {
	wake, ok := gorillaws.Push(ctx, fs)
	if !ok {
		return false
	}
	fs.render, fs.logger = render, logger
	// Its shared value is the encoded payload, not gqlgen's response: a key
	// of its own, made once rather than per event.
	fs.key += "/encoded"
	fs.sub.Notify(wake)
	return true
}

// Next is the pushed stream's (gorillaws.Source): the next event's payload,
// encoded once for every subscriber with the same key.
func (fs *feedStream) Next(ctx context.Context) ([]byte, error) {
	e, err := fs.sub.Poll(ctx)
	if err != nil {
		fs.failed(ctx, err, fs.logger)
		return nil, err
	}
	if e == nil {
		return nil, nil
	}
	payload, _ := e.Shared(fs.key, func() (any, bool) {
		fs.events <- &e.OrderEvent // room for one: render takes it at once
		r := fs.render(ctx)
		if r == nil {
			return []byte(nil), false // this socket is closing
		}
		b, err := json.Marshal(r)
		if err != nil {
			fs.logger.ErrorContext(ctx, "live feed event could not be encoded", "err", err)
			return []byte(nil), false
		}
		return b, ctx.Err() == nil
	}).([]byte)
	if payload == nil {
		return nil, live.ErrClosed
	}
	return payload, nil
}

// Pending reports whether more events are ready (gorillaws.Source).
func (fs *feedStream) Pending() bool { return fs.sub.Pending() > 0 }

// failed handles the end of the subscription by err. Fell behind, the feed
// stopped, or the replay failed: a complete would tell the client the
// stream is over, so its socket closes with 1013 instead, which the client
// retries, resuming from its cursor. An end that ctx's did not cause.
func (fs *feedStream) failed(ctx context.Context, err error, logger *slog.Logger) {
	if ctx.Err() != nil {
		return // the client's complete, or the socket closed
	}
	if errors.Is(err, live.ErrOverflow) {
		logger.InfoContext(ctx, "live feed subscriber fell behind; closing its socket with 1013", "user", fs.viewer.ID)
	} else if !errors.Is(err, live.ErrClosed) {
		logger.WarnContext(ctx, "live feed subscription failed; closing its socket with 1013", "user", fs.viewer.ID, "err", err)
	}
	gorillaws.CloseSocket(ctx, closeTryAgainLater, "try again: resume from your last cursor")
}

// responses wraps render, gqlgen's response handler for the operation, so
// that it renders only events no other subscriber with the same key has:
// the pulled stream, for gqlgen's transport.
func (fs *feedStream) responses(ctx context.Context, render graphql.ResponseHandler, logger *slog.Logger) graphql.ResponseHandler {
	fs.cork = gorillaws.Corker(ctx) // once: it walks the context
	return func(ctx context.Context) *graphql.Response {
		e, err := fs.sub.Next(ctx)
		if err != nil {
			fs.failed(ctx, err, logger)
			return nil
		}
		// While more events are ready, the socket holds its frames back
		// and sends them in one write with the last (gorillaws.Corker).
		fs.cork(fs.sub.Pending() > 0)
		resp, _ := e.Shared(fs.key, func() (any, bool) {
			fs.events <- &e.OrderEvent // room for one: render takes it at once
			r := render(ctx)
			if r == nil {
				return (*graphql.Response)(nil), false // this socket is closing
			}
			// gqlgen reuses Data's buffer for this operation's next event.
			shared := *r
			shared.Data = bytes.Clone(r.Data)
			return &shared, ctx.Err() == nil
		}).(*graphql.Response)
		return resp // nil only if this socket is closing: the loop ends
	}
}

// feedRenderKey names everything an event's payload depends on besides the
// event: the document and operation, the values of the variables used below
// the subscription's root field (its own arguments, the filter and the
// resume cursor, decide which events come, not what they look like), and
// what the viewer may see: the role, and a sales rep's customer scope.
func feedRenderKey(oc *graphql.OperationContext, viewer *sales.User) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s\x00%d:%s\x00", len(oc.RawQuery), oc.RawQuery, len(oc.OperationName), oc.OperationName)
	names := renderVariables(oc.Doc, oc.Operation)
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		v, _ := json.Marshal(oc.Variables[name]) // maps marshal with sorted keys
		fmt.Fprintf(h, "%s=%d:%s\x00", name, len(v), v)
	}
	role, scope := "", int64(0)
	if viewer != nil {
		role = string(viewer.Role)
		if s := viewer.CustomerScope(); s != nil {
			scope = *s
		}
	}
	fmt.Fprintf(h, "%s/%d", role, scope)
	return string(h.Sum(nil)) // 32 bytes, kept per subscriber: not hex
}

// renderVariables lists the variables an operation uses anywhere but in its
// root fields' own arguments.
func renderVariables(doc *ast.QueryDocument, op *ast.OperationDefinition) []string {
	if op == nil {
		return nil
	}
	var names []string
	seen := map[string]bool{} // fragments walked
	var value func(v *ast.Value)
	value = func(v *ast.Value) {
		if v == nil {
			return
		}
		if v.Kind == ast.Variable {
			names = append(names, v.Raw)
		}
		for _, c := range v.Children {
			value(c.Value)
		}
	}
	directives := func(ds ast.DirectiveList) {
		for _, d := range ds {
			for _, a := range d.Arguments {
				value(a.Value)
			}
		}
	}
	var selections func(set ast.SelectionSet, root bool)
	selections = func(set ast.SelectionSet, root bool) {
		for _, s := range set {
			switch s := s.(type) {
			case *ast.Field:
				directives(s.Directives)
				if !root {
					for _, a := range s.Arguments {
						value(a.Value)
					}
				}
				selections(s.SelectionSet, false)
			case *ast.InlineFragment:
				directives(s.Directives)
				selections(s.SelectionSet, root)
			case *ast.FragmentSpread:
				directives(s.Directives)
				if seen[s.Name] {
					continue
				}
				seen[s.Name] = true
				if doc != nil {
					if f := doc.Fragments.ForName(s.Name); f != nil {
						directives(f.Directives)
						selections(f.SelectionSet, root)
					}
				}
			}
		}
	}
	directives(op.Directives)
	selections(op.SelectionSet, true)
	return names
}
