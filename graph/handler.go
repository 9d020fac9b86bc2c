package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"salesgraph/db"
	"salesgraph/graph/gorillaws"
	"salesgraph/live"
	"salesgraph/printable"
	"salesgraph/sales"
)

// maxBodyBytes caps a request body: 1 MiB of JSON is far beyond any real
// query. What an operation may ask for is bounded by Limits (limits.go).
const maxBodyBytes = 1 << 20

// maxAnonymousBodyBytes caps the body of a request without a token. Such a
// request may only read the schema (GraphiQL's introspection query is about
// 2 KB) and its document is refused past 16 KB anyway; the smaller cap
// refuses a flood of large anonymous bodies before any JSON is decoded.
const maxAnonymousBodyBytes = 64 << 10

// HandlerConfig is what the GraphQL endpoint needs.
type HandlerConfig struct {
	Store          *db.Store
	Auth           *Authenticator
	Logger         *slog.Logger
	AllowedOrigins []string // websocket Origin allow-list ("*" for any)
	// Limits bound each operation; zero fields take DefaultLimits.
	Limits Limits
	// LoaderWait is how long a loader collects keys no prefetch foresaw
	// before it queries (0: loaderWait). Tests set it long to prove a query
	// never waits for it.
	LoaderWait time.Duration
	// DocumentLinks signs the printable documents' links the API hands out
	// (billOfLadingUrl); nil signs with Auth's secret for the default TTL.
	DocumentLinks *printable.Links
	// Feed serves the orderStatusChanged subscription (nil: refused).
	Feed *live.Broker
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
	// One loop pings every socket (PingInterval), rather than gqlgen's
	// goroutine per socket (its PingPongInterval, left off).
	sockets := gorillaws.New(gorillaws.Options{AllowedOrigins: cfg.AllowedOrigins, WriteWait: 10 * time.Second,
		PingInterval: 10 * time.Second, Logger: cfg.Logger})
	limits := cfg.Limits.withDefaults()
	links := cfg.DocumentLinks
	if links == nil {
		links = printable.NewLinks(cfg.Auth.Secret, 0)
	}
	srv := handler.New(NewExecutableSchema(Config{
		Resolvers:  &Resolver{Store: cfg.Store, Logger: cfg.Logger, Links: links, Feed: cfg.Feed},
		Directives: DirectiveRoot{HasRole: hasRole},
	}))
	// The websocket transport goes first: the first transport that supports
	// a request wins (gqlgen #2826).
	srv.AddTransport(cfg.Auth.Websocket(
		gorillaws.Transport{Sockets: sockets, InitTimeout: 3 * time.Second},
		transport.Websocket{
			Implementation:        sockets,
			InitTimeout:           3 * time.Second,
			KeepAlivePingInterval: 10 * time.Second, // the legacy graphql-ws protocol's "ka"
		}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(decodedPOST{}) // the body is decoded once, by checkBody
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(limits.MaxTokens)
	srv.Use(extension.Introspection{})
	srv.Use(InputLimits{})
	srv.SetErrorPresenter(ErrorPresenter(cfg.Logger))
	srv.SetRecoverFunc(Recover(cfg.Logger))
	srv.AroundFields(guardFields)
	srv.AroundResponses(LogResponses(cfg.Logger))
	// Document limits before validation, the cost before execution, and the
	// deadline and size cap around every response, on every transport; inside
	// the log, so that it records the refusals.
	srv.Use(limitsExtension{limits: limits})
	srv.AroundResponses(NewLoaderMiddleware(cfg.Store, cfg.LoaderWait, cfg.Logger))

	var h http.Handler = srv
	h = cfg.Auth.Middleware(h)
	h = withRequest(h, cfg.Store, cfg.Auth, cfg.Logger)
	return &Handler{Handler: h, Sockets: sockets}
}

// requestInfo is what withRequest learned of a request.
type requestInfo struct {
	credentials credentials        // the Authorization header, verified (header "" if none)
	params      *graphql.RawParams // a JSON POST's body, decoded (decodedPOST runs it)
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// withRequest gives each request an ID (echoed in X-Request-Id and in
// internal errors) and caps the body size. It refuses what is not a GraphQL
// request with a status and a code (transport.go), and a request that would
// only queue for a database connection with UNAVAILABLE.
func withRequest(next http.Handler, store *db.Store, authn *Authenticator, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := NewRequestID()
		w.Header().Set("X-Request-Id", id)
		// What this layer learns (the verified token, the decoded body) is
		// handed on in the context, so that no later layer works it out again.
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(WithRequestID(r.Context(), id), requestInfoKey{}, info))
		if h := r.Header.Get("Authorization"); h != "" {
			info.credentials = authn.verify(h)
		}
		if r.Body != nil {
			// Only a token with a valid signature earns the larger cap (an
			// HMAC check, no database): any header at all would not do.
			limit := int64(maxAnonymousBodyBytes)
			if info.credentials.signed() {
				limit = maxBodyBytes
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		if isJSONPost(r) {
			if info.params = checkBody(w, r, logger); info.params == nil {
				return
			}
		}
		if err := store.Ready(r.Context()); err != nil {
			logger.WarnContext(r.Context(), "database not ready", "requestId", id, "err", err)
			e, ok := sales.AsError(err)
			if !ok || e.Code != sales.CodeUnavailable {
				e = sales.Errorf(sales.CodeUnavailable, "", "the database is unavailable; try again shortly")
			}
			writeError(w, r, http.StatusServiceUnavailable, e)
			return
		}
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r) // the websocket upgrade needs the connection itself
			return
		}
		cw := &codedWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		cw.finish()
	})
}
