package printable

import (
	"context"
	"log/slog"
	"net/http"

	"salesgraph/auth"
	"salesgraph/db"
	"salesgraph/sales"
)

// Authenticator turns a bearer token into its (active) user.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*sales.User, error)
}

// Access decides who opens a printable document: the bearer token of the
// Authorization header, as for the API, or else a signed link (links.go).
type Access struct {
	Authn Authenticator
	// Links checks signed links; nil accepts the header only.
	Links *Links
	// Users reads a link's user afresh (no sign-in cache), so a deactivated
	// user's link stops opening at once.
	Users *db.UserStore
}

// linkRefused is all a client learns of a link that does not open.
const linkRefused = "this link is invalid or has expired; open the document again from the application"

// viewer returns the user opening r and whether they came by a signed link.
// On refusal it has answered 401 (or 500) and returns nil. The header wins
// over a link; with neither, the answer is today's bearer challenge.
func (a *Access) viewer(w http.ResponseWriter, r *http.Request, logger *slog.Logger) (*sales.User, bool) {
	if h := r.Header.Get("Authorization"); h != "" || a.Links == nil || !HasLink(r.URL.Query()) {
		return a.bearer(w, r, logger), false
	}
	userID, err := a.Links.Verify(r.Method, r.URL.Path, r.URL.Query())
	if err != nil {
		logger.DebugContext(r.Context(), "document link refused", "err", err) // the reason, never the link
		http.Error(w, linkRefused, http.StatusUnauthorized)
		return nil, true
	}
	users, err := a.Users.ByIDs(r.Context(), []int64{userID})
	if err != nil {
		internal(w, r, logger, err)
		return nil, true
	}
	if len(users) == 0 || !users[0].Active {
		logger.DebugContext(r.Context(), "document link refused", "err", "user unknown or inactive", "userId", userID)
		http.Error(w, linkRefused, http.StatusUnauthorized)
		return nil, true
	}
	return users[0], true
}

// bearer authenticates the Authorization header.
func (a *Access) bearer(w http.ResponseWriter, r *http.Request, logger *slog.Logger) *sales.User {
	token, ok := auth.FromHeader(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="salesgraph"`)
		http.Error(w, "send Authorization: Bearer <token>, or open the document's signed link", http.StatusUnauthorized)
		return nil
	}
	user, err := a.Authn.Authenticate(r.Context(), token)
	if err != nil {
		if sales.CodeOf(err) == sales.CodeUnauthenticated {
			http.Error(w, "the token is invalid or expired, or its user is inactive", http.StatusUnauthorized)
			return nil
		}
		internal(w, r, logger, err)
		return nil
	}
	return user
}

// writePage sends a printable page with the headers every document gets. A
// page opened by a signed link is also kept out of shared caches, and the
// link never leaves in a Referer.
func writePage(w http.ResponseWriter, page []byte, nonce string, byLink bool) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	if byLink {
		h.Set("Cache-Control", "private, no-store")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	_, _ = w.Write(page)
}
