package graph

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
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
// the user and role afresh, as HTTP does, and the socket closes with 4403
// when its token expires (a timer per session) or its user is deactivated
// (found by one recheck loop for all the sessions: see sessions).

// closeForbidden is graphql-ws's Forbidden: the client may reconnect with
// new credentials.
const closeForbidden = 4403

// recheckBatch is how many emails one recheck statement reads.
const recheckBatch = 1000

type sessionKey struct{}

// session is one websocket connection's sign-in.
type session struct {
	email   string
	expires time.Time // the token's exp: no operation runs from then on
	user    *sales.User

	// Set by open, for an accepted connection_init only.
	ctx    context.Context // the connection's: closing goes through it
	expiry *time.Timer
	closed atomic.Bool
}

// Websocket returns ws authenticating its connections as described above;
// it sets the InitFunc of ws and of legacy, gqlgen's transport, which serves
// the sockets asking for the legacy graphql-ws protocol. Both must use a
// gorillaws Implementation, which lets the session close with 4403.
func (a *Authenticator) Websocket(ws gorillaws.Transport, legacy transport.Websocket) graphql.Transport {
	legacy.InitFunc = a.initSocket
	ws.InitFunc = a.initSocket
	ws.Legacy = legacy
	return socketTransport{ws: ws, auth: a}
}

type socketTransport struct {
	ws   graphql.Transport
	auth *Authenticator
}

func (t socketTransport) Supports(r *http.Request) bool { return t.ws.Supports(r) }

// Do hands the socket to ws with an executor that authenticates each
// operation. ws returns once the upgrade is done, serving the socket on.
func (t socketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.ws.Do(w, r, socketExecutor{GraphExecutor: exec, auth: t.auth})
}

// initSocket is the InitFunc: it refuses bad credentials with 4403 and
// opens the connection's session.
func (a *Authenticator) initSocket(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	ctx, err := a.FromInitPayload(ctx, p)
	if err != nil {
		// The reason reaches the client: only a refusal's own words, never
		// what a failed lookup said.
		reason := "Forbidden"
		if e, ok := sales.AsError(err); ok && e.Code == sales.CodeUnauthenticated {
			reason += ": " + e.Message
		} else {
			a.Logger.WarnContext(ctx, "websocket sign-in failed", "err", err)
		}
		return transport.WithWebsocketCloseCode(ctx, closeForbidden), nil, &gorillaws.Refusal{Code: closeForbidden, Reason: reason}
	}
	if s, ok := ctx.Value(sessionKey{}).(*session); ok {
		a.open(ctx, s)
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

// open registers s, the session of the connection whose context is ctx,
// until ctx ends, and closes it at its token's expiry. Neither costs a
// goroutine while the socket is idle: a runtime timer and a context
// callback, so that an idle subscriber stays small.
func (a *Authenticator) open(ctx context.Context, s *session) {
	s.ctx = ctx
	a.sessions.add(a, s)
	s.expiry = time.AfterFunc(time.Until(s.expires), func() { a.closeSession(s, "Forbidden: token expired") })
	context.AfterFunc(ctx, func() {
		s.expiry.Stop()
		a.sessions.remove(s)
	})
}

// closeSession closes s's socket with 4403, once.
func (a *Authenticator) closeSession(s *session, reason string) {
	if !s.closed.CompareAndSwap(false, true) {
		return
	}
	a.Logger.InfoContext(s.ctx, "closing websocket", "user", s.user.ID, "reason", reason)
	// Closing the socket ends its operations: the reader finds it closed.
	if !gorillaws.CloseSocket(s.ctx, closeForbidden, reason) {
		a.Logger.ErrorContext(s.ctx, "websocket is not a gorillaws socket; it cannot be closed")
	}
}

// sessions are the open websocket sessions of an Authenticator, by email.
// While there is one, a single loop rechecks their users every
// SocketRecheck: one statement per recheckBatch distinct users, whatever the
// number of sockets (a loop per socket, each reading its own user, had
// filled the pool at 9,000 sockets).
type sessions struct {
	mu      sync.Mutex
	byEmail map[string]map[*session]struct{}
	stop    context.CancelFunc // ends the running loop; nil when none runs
	batch   int                // emails per statement; recheckBatch if zero (tests lower it)
	rounds  atomic.Int64       // rechecks begun, for tests
}

// add registers s, starting the recheck loop if none runs.
func (r *sessions) add(a *Authenticator, s *session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byEmail == nil {
		r.byEmail = map[string]map[*session]struct{}{}
	}
	set := r.byEmail[s.email]
	if set == nil {
		set = map[*session]struct{}{}
		r.byEmail[s.email] = set
	}
	set[s] = struct{}{}
	if r.stop == nil {
		var ctx context.Context
		ctx, r.stop = context.WithCancel(context.Background())
		go a.recheckLoop(ctx)
	}
}

// remove unregisters s, and stops the loop with the last session.
func (r *sessions) remove(s *session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	set := r.byEmail[s.email]
	delete(set, s)
	if len(set) == 0 {
		delete(r.byEmail, s.email)
	}
	if len(r.byEmail) == 0 && r.stop != nil {
		r.stop()
		r.stop = nil
	}
}

// emails returns the distinct emails of the open sessions.
func (r *sessions) emails() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.byEmail))
	for e := range r.byEmail {
		out = append(out, e)
	}
	return out
}

// of returns the open sessions of email.
func (r *sessions) of(email string) []*session {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*session, 0, len(r.byEmail[email]))
	for s := range r.byEmail[email] {
		out = append(out, s)
	}
	return out
}

// recheckLoop rechecks every SocketRecheck until ctx, the loop's own,
// ends with the last session.
func (a *Authenticator) recheckLoop(ctx context.Context) {
	every := a.SocketRecheck
	if every <= 0 {
		every = DefaultSocketRecheck
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.recheck(ctx)
		}
	}
}

// recheck closes the sockets of the users found inactive or gone. A failed
// lookup (the database unreachable) closes nothing: operations report their
// own errors.
func (a *Authenticator) recheck(ctx context.Context) {
	a.sessions.rounds.Add(1)
	size := a.sessions.batch
	if size <= 0 {
		size = recheckBatch
	}
	emails := a.sessions.emails()
	for len(emails) > 0 {
		batch := emails[:min(len(emails), size)]
		emails = emails[len(batch):]
		active, err := a.Users.ActiveByEmails(ctx, batch)
		if err != nil {
			if ctx.Err() == nil {
				a.Logger.WarnContext(ctx, "websocket recheck failed", "users", len(batch), "err", err)
			}
			return // the next period tries again
		}
		for _, e := range batch {
			if active[e] {
				continue
			}
			for _, s := range a.sessions.of(e) {
				if !s.closed.Load() {
					// Closing waits for the peer's answer: not on the loop.
					go a.closeSession(s, "Forbidden: user inactive")
				}
			}
		}
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
	if feed.push(ctx, responses, x.auth.Logger) {
		return responses, ctx // the transport calls feed.Next instead
	}
	return feed.responses(ctx, responses, x.auth.Logger), ctx
}
