// Package auth mints and checks the bearer tokens (HS256 JWTs) that name a
// user. A token says who; what they may do is read from the database on
// every request, so a role change or deactivation takes effect at once.
package auth

import (
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// issuer is stamped into and required of every token, so a token minted for
// another service with the same secret is refused.
const issuer = "salesgraph"

// leeway is the clock skew allowed on exp, nbf and iat.
const leeway = 30 * time.Second

// ErrInvalidToken is any token that cannot be trusted: malformed, wrongly
// signed, expired, or not one of ours. The reason is logged, not shown.
var ErrInvalidToken = errors.New("invalid or expired token")

// Issue mints a token for the user with this email, valid for ttl.
func Issue(secret []byte, email string, ttl time.Duration) (string, error) {
	now := time.Now()
	claims := jwt.RegisteredClaims{
		Issuer:    issuer,
		Subject:   strings.ToLower(email),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}

// Parse checks a token and returns the email it names. Only HS256 is
// accepted (no "none", no algorithm confusion), and exp is required.
func Parse(secret []byte, token string) (string, error) {
	c, err := Verify(secret, token)
	return c.Email, err
}

// Claims is what a valid token says.
type Claims struct {
	Email   string
	Expires time.Time // exp, to the second; Verify allows leeway past it for clock skew
}

// Verify checks a token as Parse does and returns its claims, for a caller
// that must act on exp itself, such as a websocket that outlives a request.
func Verify(secret []byte, token string) (Claims, error) {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer), jwt.WithExpirationRequired(), jwt.WithLeeway(leeway))
	if err != nil || claims.Subject == "" || claims.ExpiresAt == nil {
		return Claims{}, errors.Join(ErrInvalidToken, err)
	}
	return Claims{Email: claims.Subject, Expires: claims.ExpiresAt.Time}, nil
}

// FromHeader extracts the token from an "Authorization: Bearer …" value.
func FromHeader(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}
