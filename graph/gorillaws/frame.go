package gorillaws

import (
	"encoding/json"
	"reflect"
	"sync"
)

// Every event to every subscriber passes through WriteJSON as one of
// gqlgen's message structs: {Payload json.RawMessage; ID string; Type}.
// gqlgen has just produced the payload with json.Marshal (sendResponse), and
// encoding the struct with encoding/json compacts and checks all of it a
// second time: a third of the server's CPU per delivery. appendResult writes
// a result message as encoding/json would, copying the payload as it is.
// Anything else (acks, errors, pongs echoing a client's payload, another
// layout) is left to encoding/json.

// resultTypes are the message types of a result in the two protocols.
var resultTypes = map[string]bool{"next": true, "data": true}

// frameLayout is where a message struct keeps its three fields.
type frameLayout struct {
	ok                 bool
	payload, id, mtype int
}

var frameLayouts sync.Map // reflect.Type → frameLayout

func layoutOf(t reflect.Type) frameLayout {
	if l, ok := frameLayouts.Load(t); ok {
		return l.(frameLayout)
	}
	l := frameLayout{payload: -1, id: -1, mtype: -1}
	rawMessage := reflect.TypeFor[json.RawMessage]()
	var order []int
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		switch {
		case f.Name == "Payload" && f.Type == rawMessage && f.Tag.Get("json") == "payload,omitempty":
			l.payload = i
		case f.Name == "ID" && f.Type.Kind() == reflect.String && f.Tag.Get("json") == "id,omitempty":
			l.id = i
		case f.Name == "Type" && f.Type.Kind() == reflect.String && f.Tag.Get("json") == "type":
			l.mtype = i
		default:
			l.payload = -1 // a field this does not know: leave it to encoding/json
		}
		order = append(order, i)
	}
	// encoding/json writes fields in declaration order: payload, id, type.
	l.ok = l.payload >= 0 && l.id >= 0 && l.mtype >= 0 && len(order) == 3 &&
		order[0] == l.payload && order[1] == l.id && order[2] == l.mtype
	frameLayouts.Store(t, l)
	return l
}

// appendResult appends v as encoding/json would if v is a result message
// of gqlgen's layout whose id needs no escaping; else it reports false.
func appendResult(dst []byte, v any) ([]byte, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return dst, false
	}
	rv = rv.Elem()
	l := layoutOf(rv.Type())
	if !l.ok {
		return dst, false
	}
	mtype, id := rv.Field(l.mtype).String(), rv.Field(l.id).String()
	payload := rv.Field(l.payload).Bytes()
	if !resultTypes[mtype] || len(payload) == 0 || !plain(id) {
		return dst, false
	}
	dst = append(dst, `{"payload":`...)
	dst = append(dst, payload...)
	if id != "" {
		dst = append(dst, `,"id":"`...)
		dst = append(dst, id...)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"type":"`...)
	dst = append(dst, mtype...)
	return append(dst, `"}`...), true
}

// plain reports whether s is written in JSON as it is: printable ASCII
// without quotes, backslashes or the characters encoding/json escapes for
// HTML.
func plain(s string) bool {
	for i := range len(s) {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
