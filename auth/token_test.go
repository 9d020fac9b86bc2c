package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestIssueParse(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	t.Run("RoundTrip", func(t *testing.T) {
		tok, err := Issue(secret, "Ann@Example.com", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		email, err := Parse(secret, tok)
		if err != nil || email != "ann@example.com" {
			t.Fatalf("Parse = %q, %v; want ann@example.com", email, err)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		tok, _ := Issue(secret, "ann@example.com", -time.Hour)
		if _, err := Parse(secret, tok); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("err = %v, want ErrInvalidToken", err)
		}
	})
	t.Run("WrongSecret", func(t *testing.T) {
		tok, _ := Issue([]byte("another-secret-another-secret-xx"), "ann@example.com", time.Hour)
		if _, err := Parse(secret, tok); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("err = %v, want ErrInvalidToken", err)
		}
	})
	t.Run("AlgNoneRefused", func(t *testing.T) {
		claims := jwt.RegisteredClaims{Issuer: issuer, Subject: "ann@example.com", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}
		tok, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(secret, tok); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("err = %v, want ErrInvalidToken", err)
		}
	})
	t.Run("NoExpiryRefused", func(t *testing.T) {
		claims := jwt.RegisteredClaims{Issuer: issuer, Subject: "ann@example.com"}
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
		if _, err := Parse(secret, tok); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("err = %v, want ErrInvalidToken", err)
		}
	})
	t.Run("Garbage", func(t *testing.T) {
		for _, tok := range []string{"", "abc", strings.Repeat("x.", 3), "a.b.c"} {
			if _, err := Parse(secret, tok); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Parse(%q) err = %v, want ErrInvalidToken", tok, err)
			}
		}
	})
}

func TestFromHeader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer   abc ", "abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"", "", false},
	} {
		got, ok := FromHeader(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("FromHeader(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	before := time.Now()
	tok, err := Issue(secret, "Ann@Example.com", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Verify(secret, tok)
	if err != nil || c.Email != "ann@example.com" {
		t.Fatalf("Verify = %+v, %v; want ann@example.com", c, err)
	}
	// exp is stored in whole seconds.
	if lo, hi := before.Add(time.Hour-time.Second), time.Now().Add(time.Hour); c.Expires.Before(lo) || c.Expires.After(hi) {
		t.Fatalf("Expires = %v, want within [%v, %v]", c.Expires, lo, hi)
	}
	if _, err := Verify(secret, tok+"x"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("tampered token: err = %v, want ErrInvalidToken", err)
	}
}
