package gorillaws

import (
	"encoding/json"
	"testing"
)

// The layout of gqlgen's message structs (both protocols share it).
type gqlgenLikeMessage struct {
	Payload json.RawMessage `json:"payload,omitempty"`
	ID      string          `json:"id,omitempty"`
	Type    messageTypeText `json:"type"`
	noOp    bool
}

type messageTypeText string

func (t messageTypeText) MarshalText() ([]byte, error) { return []byte(string(t)), nil }

// A result is written byte for byte as encoding/json writes it; anything
// the fast path does not know is left to encoding/json.
func TestAppendResult_SameBytesAsEncodingJSON(t *testing.T) {
	payload, _ := json.Marshal(map[string]any{"data": map[string]any{"orderStatusChanged": map[string]any{
		"reason": `<b> & "quoted" ünïcode`, "cursor": "T3JkZXJFdmVudDoy"}}})
	for _, m := range []*gqlgenLikeMessage{
		{Payload: payload, ID: "1", Type: "next"},
		{Payload: payload, ID: "dashboard-feed", Type: "data"},
		{Payload: payload, Type: "next"},
	} {
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendResult(nil, m)
		if !ok || string(got) != string(want) {
			t.Fatalf("appendResult = %s, %v; want %s", got, ok, want)
		}
	}
	for name, v := range map[string]any{
		"not a result":     &gqlgenLikeMessage{Payload: payload, ID: "1", Type: "error"},
		"id to escape":     &gqlgenLikeMessage{Payload: payload, ID: `a"b`, Type: "next"},
		"id with html":     &gqlgenLikeMessage{Payload: payload, ID: "<1>", Type: "next"},
		"no payload":       &gqlgenLikeMessage{ID: "1", Type: "next"},
		"another layout":   &struct{ Type, ID string }{Type: "next", ID: "1"},
		"not a pointer":    gqlgenLikeMessage{Payload: payload, ID: "1", Type: "next"},
		"not a struct":     &[]string{"next"},
		"a pointer to nil": (*gqlgenLikeMessage)(nil),
	} {
		if got, ok := appendResult(nil, v); ok {
			t.Errorf("%s: appendResult wrote %s; want it left to encoding/json", name, got)
		}
	}
}
