// Package gqltest is the GraphQL client for our tests: Post over HTTP, and a
// graphql-transport-ws client over gorilla/websocket.
//
// gqlgen's own test client speaks only the legacy graphql-ws messages (STYLE.md §0.2), so it
// cannot test the protocol browsers use. Every helper takes the test's testing.TB and fails
// the test on transport errors; GraphQL errors are returned for the test to assert.
package gqltest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// Response is a GraphQL response, from Post or from a websocket "next" message.
type Response struct {
	Data       json.RawMessage `json:"data,omitempty"`
	Errors     []Error         `json:"errors,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
	// StatusCode is the HTTP status of a Post; it is zero for websocket messages.
	StatusCode int `json:"-"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Code returns extensions.code, or "" if there is none.
func (e Error) Code() string { return e.extension("code") }

// Field returns extensions.field, the input field an error is about, or "" if there is none.
func (e Error) Field() string { return e.extension("field") }

func (e Error) extension(key string) string {
	s, _ := e.Extensions[key].(string)
	return s
}

// httpTimeout bounds a Post, so that a hung handler fails its test instead of the whole run.
const httpTimeout = 10 * time.Second

var httpClient = &http.Client{Timeout: httpTimeout}

// Post sends query and vars to url as an application/json POST, with "Authorization: Bearer
// token" if token is not empty. It fails the test if the request fails or the body is not a
// GraphQL response; GraphQL errors, whatever the HTTP status, are returned in Errors.
func Post(t testing.TB, url, token, query string, vars map[string]any) Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatalf("gqltest.Post: encode variables: %v", err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("gqltest.Post: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("gqltest.Post %s: %v", url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("gqltest.Post %s: read body: %v", url, err)
	}
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil || (r.Data == nil && r.Errors == nil) {
		t.Fatalf("gqltest.Post %s: HTTP %d, body is not a GraphQL response (%v): %.500s", url, res.StatusCode, err, raw)
	}
	r.StatusCode = res.StatusCode
	return r
}

// Decode unmarshals r.Data into into, failing the test if it cannot. GraphQL errors do not
// fail it, because a response may carry partial data; they are included in the message when
// decoding fails.
func (r Response) Decode(t testing.TB, into any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, into); err != nil {
		t.Fatalf("gqltest: decode data %.500s into %T: %v (errors: %+v)", r.Data, into, err, r.Errors)
	}
}
