package graph

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"salesgraph/auth"
	"salesgraph/graph/gorillaws"
	"salesgraph/sales"
)

// A websocket lives far longer than a request, and gqlgen authenticates it
// once, in its InitFunc. So that a socket cannot outlive its user's rights,
// the connection keeps who signed in and until when: every operation reads
// the user and role afresh, as HTTP does, and a watcher closes the socket
// with 4403 when the token expires or the user is deactivated.

// closeForbidden is graphql-ws's Forbidden: the client may reconnect with
// new credentials.
const closeForbidden = 4403

type sessionKey struct{}

type cancelKey struct{}

// session is one websocket connection's sign-in.
type session struct {
	email   string
	expires time.Time // the token's exp: no operation runs from then on
	user    *sales.User
}

// Websocket returns ws authenticating its connections as described above;
// it sets ws.InitFunc. Use gorillaws as the implementation, which lets the
// watcher close with 4403 (any other closes with 1000).
func (a *Authenticator) Websocket(ws transport.Websocket) graphql.Transport {
	ws.InitFunc = a.initSocket
	return socketTransport{ws: ws, auth: a}
}

type socketTransport struct {
	ws   transport.Websocket
	auth *Authenticator
}

func (t socketTransport) Supports(r *http.Request) bool { return t.ws.Supports(r) }

func (t socketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx, cancel := context.WithCancel(gorillaws.WithSocket(r.Context()))
	defer cancel() // ends the watcher with the connection
	ctx = context.WithValue(ctx, cancelKey{}, cancel)
	t.ws.Do(w, r.WithContext(ctx), socketExecutor{GraphExecutor: exec, auth: t.auth})
}

// initSocket is the InitFunc: it refuses bad credentials with 4403 and
// starts the connection's watcher.
func (a *Authenticator) initSocket(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	ctx, err := a.FromInitPayload(ctx, p)
	if err != nil {
		return transport.WithWebsocketCloseCode(ctx, closeForbidden), nil, err
	}
	if s, ok := ctx.Value(sessionKey{}).(*session); ok {
		go a.watch(ctx, s)
	}
	return ctx, nil, nil
}

// startSession checks the token of a connection_init. Unlike a request, a
// socket gets no leeway past exp: it would run on for that long.
func (a *Authenticator) startSession(ctx context.Context, token string) (*session, error) {
	c, err := auth.Verify(a.Secret, token)
	if err == nil && !time.Now().Before(c.Expires) {
		err = auth.ErrInvalidToken
	}
	if err != nil {
		a.Logger.DebugContext(ctx, "websocket token refused", "err", err)
		return nil, refused()
	}
	u, err := a.userFor(ctx, c.Email)
	if err != nil {
		return nil, err
	}
	return &session{email: c.Email, expires: c.Expires, user: u}, nil
}

// viewer authenticates one operation of the session.
func (a *Authenticator) viewer(ctx context.Context, s *session) viewerState {
	if !time.Now().Before(s.expires) {
		return viewerState{err: refused()}
	}
	u, err := a.userFor(ctx, s.email)
	return viewerState{user: u, err: err}
}

// watch closes the socket with 4403 at the token's expiry, or once a
// recheck finds the user inactive or gone. A failed lookup (the database
// unreachable) does not close it: operations report their own errors.
func (a *Authenticator) watch(ctx context.Context, s *session) {
	expiry := time.NewTimer(time.Until(s.expires))
	defer expiry.Stop()
	every := a.SocketRecheck
	if every <= 0 {
		every = DefaultSocketRecheck
	}
	recheck := time.NewTicker(every)
	defer recheck.Stop()
	var reason string
	for reason == "" {
		select {
		case <-ctx.Done():
			return
		case <-expiry.C:
			reason = "Forbidden: token expired"
		case <-recheck.C:
			if _, err := a.freshUserFor(ctx, s.email); sales.CodeOf(err) == sales.CodeUnauthenticated {
				reason = "Forbidden: user inactive"
			}
		}
	}
	a.Logger.InfoContext(ctx, "closing websocket", "user", s.user.ID, "reason", reason)
	if !gorillaws.CloseSocket(ctx, closeForbidden, reason) {
		a.Logger.WarnContext(ctx, "websocket is not a gorillaws socket; closing it without 4403")
	}
	if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
		cancel() // gqlgen ends the connection, if the close above did not
	}
}

// socketExecutor authenticates each operation of a websocket connection.
type socketExecutor struct {
	graphql.GraphExecutor
	auth *Authenticator
}

func (x socketExecutor) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	if s, ok := ctx.Value(sessionKey{}).(*session); ok {
		ctx = context.WithValue(ctx, viewerKey{}, x.auth.viewer(ctx, s))
	}
	if rc.Operation == nil || rc.Operation.Operation != ast.Subscription {
		return x.GraphExecutor.DispatchOperation(ctx, rc)
	}
	ctx, feed := withFeedStream(ctx)
	responses, ctx := x.GraphExecutor.DispatchOperation(ctx, rc)
	if feed.sub == nil {
		return responses, ctx // refused, or not the feed
	}
	feed.key = feedRenderKey(rc, feed.viewer)
	return feed.responses(responses, x.auth.Logger), ctx
}
