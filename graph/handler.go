package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"salesgraph/db"
	"salesgraph/graph/gorillaws"
)

// maxBodyBytes caps a request body: 1 MiB of JSON is far beyond any real
// query. What an operation may ask for is bounded by Limits (limits.go).
const maxBodyBytes = 1 << 20

// HandlerConfig is what the GraphQL endpoint needs.
type HandlerConfig struct {
	Store          *db.Store
	Auth           *Authenticator
	Logger         *slog.Logger
	AllowedOrigins []string // websocket Origin allow-list ("*" for any)
	// Limits bound each operation; zero fields take DefaultLimits.
	Limits Limits
}

// Handler serves /graphql: POST and GET queries, and websocket upgrades for
// both graphql-transport-ws and the legacy graphql-ws subprotocol.
type Handler struct {
	http.Handler
	// Sockets is the websocket implementation, for closing every socket on shutdown.
	Sockets *gorillaws.Implementation
}

// NewHandler builds the GraphQL endpoint.
func NewHandler(cfg HandlerConfig) *Handler {
	sockets := gorillaws.New(gorillaws.Options{AllowedOrigins: cfg.AllowedOrigins, WriteWait: 10 * time.Second, Logger: cfg.Logger})
	limits := cfg.Limits.withDefaults()
	srv := handler.New(NewExecutableSchema(Config{
		Resolvers:  &Resolver{Store: cfg.Store, Logger: cfg.Logger},
		Directives: DirectiveRoot{HasRole: hasRole},
	}))
	// The websocket transport goes first: the first transport that supports
	// a request wins (gqlgen #2826).
	srv.AddTransport(transport.Websocket{
		Implementation: sockets,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			ctx, err := cfg.Auth.FromInitPayload(ctx, p)
			if err != nil {
				// 4403 tells graphql-ws clients the credentials were refused.
				return transport.WithWebsocketCloseCode(ctx, 4403), nil, err
			}
			return ctx, nil, nil
		},
		InitTimeout:           3 * time.Second,
		PingPongInterval:      10 * time.Second,
		KeepAlivePingInterval: 10 * time.Second,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(limits.MaxTokens)
	srv.Use(extension.Introspection{})
	srv.SetErrorPresenter(ErrorPresenter(cfg.Logger))
	srv.SetRecoverFunc(Recover(cfg.Logger))
	srv.AroundFields(requireSignIn)
	srv.AroundFields(enforceBounds)
	srv.AroundResponses(LogResponses(cfg.Logger))
	// Document limits before validation, the cost before execution, and the
	// deadline and size cap around every response, on every transport; inside
	// the log, so that it records the refusals.
	srv.Use(limitsExtension{limits: limits})
	srv.AroundResponses(NewLoaderMiddleware(cfg.Store))

	var h http.Handler = srv
	h = cfg.Auth.Middleware(h)
	h = withRequest(h)
	return &Handler{Handler: h, Sockets: sockets}
}

// withRequest gives each request an ID (echoed in X-Request-Id and in
// internal errors) and caps the body size.
func withRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := NewRequestID()
		w.Header().Set("X-Request-Id", id)
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		next.ServeHTTP(w, r.WithContext(WithRequestID(r.Context(), id)))
	})
}
