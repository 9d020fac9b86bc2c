package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"salesgraph/auth"
	"salesgraph/db"
	"salesgraph/sales"
)

type viewerKey struct{}

type viewerState struct {
	user *sales.User
	err  error // why the credentials were refused, if they were
}

// WithViewer returns ctx carrying the signed-in user (for tests and the websocket init).
func WithViewer(ctx context.Context, u *sales.User) context.Context {
	return context.WithValue(ctx, viewerKey{}, viewerState{user: u})
}

// Viewer returns the signed-in user, or nil.
func Viewer(ctx context.Context) *sales.User {
	s, _ := ctx.Value(viewerKey{}).(viewerState)
	return s.user
}

// requireViewer returns the signed-in user or UNAUTHENTICATED.
func requireViewer(ctx context.Context) (*sales.User, error) {
	s, _ := ctx.Value(viewerKey{}).(viewerState)
	if s.user != nil {
		return s.user, nil
	}
	if s.err != nil {
		return nil, s.err
	}
	return nil, sales.Errorf(sales.CodeUnauthenticated, "", "sign in: send Authorization: Bearer <token>")
}

// Authenticator turns a bearer token into the user it names, reading the
// user (and so the role) from the database, through the pool's short-lived
// sign-in cache: a change made on this process applies to the next request,
// one made on another within db.DefaultUserCacheTTL (db/usercache.go).
type Authenticator struct {
	Secret []byte
	Users  *db.UserStore
	Logger *slog.Logger
	// SocketRecheck is how often the open websockets' users are re-read, to
	// close a user's sockets once they are deactivated (DefaultSocketRecheck
	// if zero). Each period costs one lookup per distinct user (one statement
	// per 1,000 of them), not one per socket.
	SocketRecheck time.Duration

	sessions sessions // the open websockets (websocket.go)
}

// DefaultSocketRecheck bounds how long a deactivated user's socket stays open.
const DefaultSocketRecheck = 2 * time.Second

// Authenticate checks token and loads its user. Any failure is
// UNAUTHENTICATED with one message, so a caller learns nothing about which
// emails exist.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (*sales.User, error) {
	email, err := auth.Parse(a.Secret, token)
	if err != nil {
		a.Logger.DebugContext(ctx, "token refused", "err", err)
		return nil, refused()
	}
	return a.userFor(ctx, email)
}

// userFor loads the active user with this email, or refuses.
func (a *Authenticator) userFor(ctx context.Context, email string) (*sales.User, error) {
	return active(a.Users.ForSignIn(ctx, email))
}

func active(u *sales.User, err error) (*sales.User, error) {
	if err != nil {
		if sales.CodeOf(err) == sales.CodeNotFound {
			return nil, refused()
		}
		return nil, err
	}
	if !u.Active {
		return nil, refused()
	}
	return u, nil
}

// credentials is what a request's Authorization header says, verified once
// (withRequest: the body cap depends on it) and used again by Middleware.
type credentials struct {
	header     string // the Authorization header it was read from
	wellFormed bool   // "Bearer <token>"
	email      string // the token's user, if its signature and times are good
	err        error  // why the token was refused
}

// verify checks an Authorization header's token (an HMAC check, no database).
func (a *Authenticator) verify(header string) credentials {
	c := credentials{header: header}
	token, ok := auth.FromHeader(header)
	if !ok {
		return c
	}
	c.wellFormed = true
	c.email, c.err = auth.Parse(a.Secret, token)
	return c
}

// signed reports whether c carries a token with our signature that has not
// expired. It reads no user: it only decides how much of a request is worth
// reading before the user is looked up.
func (c credentials) signed() bool { return c.wellFormed && c.err == nil }

// credentialsOf returns the request's verified credentials: those withRequest
// put in the context, or verifies them now.
func (a *Authenticator) credentialsOf(r *http.Request, header string) credentials {
	if info := requestInfoFrom(r.Context()); info != nil && info.credentials.header == header {
		return info.credentials
	}
	return a.verify(header)
}

func refused() error {
	return sales.Errorf(sales.CodeUnauthenticated, "", "the token is invalid or expired, or its user is inactive")
}

// Middleware puts the user named by the request's bearer token into the
// context. It never rejects a request itself: the GraphQL layer decides,
// so errors come back as GraphQL errors with codes.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		var st viewerState
		switch c := a.credentialsOf(r, h); {
		case !c.wellFormed:
			st.err = sales.Errorf(sales.CodeUnauthenticated, "", "the Authorization header must be \"Bearer <token>\"")
		case c.err != nil:
			a.Logger.DebugContext(r.Context(), "token refused", "err", c.err)
			st.err = refused()
		default:
			st.user, st.err = a.userFor(r.Context(), c.email)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), viewerKey{}, st)))
	})
}

// FromInitPayload authenticates a websocket connection from its
// connection_init payload, which carries {"Authorization": "Bearer …"}
// (browsers cannot set headers on a websocket), or {"authToken": "…"} as
// some clients send it (a bare token, or "Bearer …"). The returned context keeps
// the token, so that each operation on the socket is authenticated afresh.
func (a *Authenticator) FromInitPayload(ctx context.Context, payload map[string]any) (context.Context, error) {
	for _, k := range []string{"Authorization", "authorization", "authToken"} {
		if v, ok := payload[k].(string); ok {
			token, ok := auth.FromHeader(v)
			if !ok {
				token = v
			}
			s, err := a.startSession(ctx, token)
			if err != nil {
				return ctx, err
			}
			return context.WithValue(WithViewer(ctx, s.user), sessionKey{}, s), nil
		}
	}
	return ctx, sales.Errorf(sales.CodeUnauthenticated, "", "send {\"Authorization\": \"Bearer <token>\"} in connection_init")
}

// guardFields is the one field middleware, which runs for every field of
// every response: requireSignIn, then enforceBounds on the result. One layer
// rather than two saves a closure and a frame per field.
func guardFields(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if err := requireSignIn(ctx, fc); err != nil {
		return nil, err
	}
	res, err := next(ctx)
	return enforceBounds(ctx, fc, res, err)
}

// requireSignIn guards every root field but introspection: there is no
// anonymous access to business data.
func requireSignIn(ctx context.Context, fc *graphql.FieldContext) error {
	if fc != nil && isRootObject(fc.Object) && !isIntrospection(fc.Field.Name) {
		if _, err := requireViewer(ctx); err != nil {
			return err
		}
	}
	return nil
}

func isRootObject(name string) bool {
	return name == "Query" || name == "Mutation" || name == "Subscription"
}

func isIntrospection(field string) bool {
	return field == "__schema" || field == "__type" || field == "__typename"
}

// hasRole implements @hasRole: the signed-in user must hold one of roles.
func hasRole(ctx context.Context, _ any, next graphql.Resolver, roles []sales.Role) (any, error) {
	u, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	if !u.HasRole(roles...) {
		return nil, sales.Errorf(sales.CodeForbidden, "", "your role (%s) may not do this", u.Role)
	}
	return next(ctx)
}
