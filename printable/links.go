package printable

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// A browser tab cannot send an Authorization header, so a printable document
// also opens from a signed link: the document's path with
// ?u=<user>&exp=<unix seconds>&sig=<signature>. The signature (HMAC-SHA256)
// covers the method, the path, the user and the expiry, so changing any of
// them voids it; the link dies at exp, and the handler still reads the user
// afresh and applies the same visibility rules as for the header, so a link
// never outlives its user's access.

// DefaultLinkTTL is how long a signed link opens its document.
const DefaultLinkTTL = 5 * time.Minute

// linkKeyLabel derives the links' key from the token secret: a link's
// signature is never a valid token signature, nor the reverse.
const linkKeyLabel = "salesgraph/printable-document-link/v1"

// clockSkew is how far past now+TTL a link's expiry may lie, for a link
// signed by another server whose clock runs a little ahead.
const clockSkew = time.Minute

// Query parameters of a signed link.
const (
	paramUser    = "u"
	paramExpires = "exp"
	paramSig     = "sig"
)

// Errors of Verify, for the log; the client is told only that the link does
// not open.
var (
	ErrNoLink      = errors.New("no signed link")
	ErrLinkInvalid = errors.New("malformed or wrongly signed link")
	ErrLinkExpired = errors.New("expired link")
)

// Links signs and checks the links of printable documents.
type Links struct {
	key []byte
	ttl time.Duration
}

// NewLinks returns the signer of links valid for ttl (DefaultLinkTTL if
// not positive), with a key derived from the server's token secret.
func NewLinks(secret []byte, ttl time.Duration) *Links {
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(linkKeyLabel))
	return &Links{key: mac.Sum(nil), ttl: ttl}
}

// Link returns path signed for userID, valid for the TTL from now.
func (l *Links) Link(path string, userID int64) string {
	return l.Sign(path, userID, time.Now().Add(l.ttl))
}

// Sign returns path signed for a GET by userID until exp (to the second).
// path must have no query of its own.
func (l *Links) Sign(path string, userID int64, exp time.Time) string {
	q := url.Values{}
	q.Set(paramUser, strconv.FormatInt(userID, 10))
	q.Set(paramExpires, strconv.FormatInt(exp.Unix(), 10))
	q.Set(paramSig, base64.RawURLEncoding.EncodeToString(l.mac(http.MethodGet, path, userID, exp.Unix())))
	return path + "?" + q.Encode()
}

// HasLink reports whether the query carries any part of a signed link.
func HasLink(q url.Values) bool {
	return q.Has(paramUser) || q.Has(paramExpires) || q.Has(paramSig)
}

// Verify checks the signed link of a request (its method, its unescaped
// path and its query) and returns the user it was signed for. It reads no
// database: whether that user may still see the document is the caller's
// to check.
func (l *Links) Verify(method, path string, q url.Values) (int64, error) {
	if !HasLink(q) {
		return 0, ErrNoLink
	}
	user, okUser := single(q, paramUser)
	exp, okExp := single(q, paramExpires)
	sig, okSig := single(q, paramSig)
	if !okUser || !okExp || !okSig {
		return 0, ErrLinkInvalid
	}
	userID, err := strconv.ParseInt(user, 10, 64)
	if err != nil || userID <= 0 {
		return 0, ErrLinkInvalid
	}
	expUnix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return 0, ErrLinkInvalid
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, l.mac(method, path, userID, expUnix)) {
		return 0, ErrLinkInvalid
	}
	now := time.Now()
	expires := time.Unix(expUnix, 0)
	if !now.Before(expires) {
		return 0, ErrLinkExpired
	}
	// A link signed before the TTL was shortened dies with the new TTL.
	if expires.After(now.Add(l.ttl + clockSkew)) {
		return 0, ErrLinkExpired
	}
	return userID, nil
}

// mac signs the request a link stands for. The path is length-prefixed so
// that no two (path, user, expiry) triples give the same message.
func (l *Links) mac(method, path string, userID, exp int64) []byte {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(method + "\n" + strconv.Itoa(len(path)) + ":" + path + "\n" +
		strconv.FormatInt(userID, 10) + "\n" + strconv.FormatInt(exp, 10)))
	return m.Sum(nil)
}

// single returns the one value of key, refusing a repeated parameter.
func single(q url.Values, key string) (string, bool) {
	v := q[key]
	if len(v) != 1 || v[0] == "" {
		return "", false
	}
	return v[0], true
}
