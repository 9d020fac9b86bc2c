package relay

import (
	"testing"

	"salesgraph/sales"
)

// Cursors handed out before they moved here must keep decoding to the same
// position: these texts were written by the former encoder (db/keyset.go
// and graph's orderEventCursor), not by the code under test.
func TestCursorFormatUnchanged(t *testing.T) {
	const old = "eyJsIjoiY3VzdG9tZXJzIiwicyI6IkNPREUiLCJkIjpmYWxzZSwidiI6IkFDTUUiLCJrIjpbNV19"
	c, err := ParseCursor("after", old)
	if err != nil {
		t.Fatalf("ParseCursor(old cursor) = %v", err)
	}
	if c.List != "customers" || c.Sort != "CODE" || c.Desc || c.Value == nil || *c.Value != "ACME" || len(c.Key) != 1 || c.Key[0] != 5 {
		t.Fatalf("old cursor decoded to %+v", c)
	}
	if c.String() != old {
		t.Fatalf("re-encoded as %q, want %q", c.String(), old)
	}
	if got := FeedCursor("OrderEvent", 17); got != "T3JkZXJFdmVudDoxNw" {
		t.Fatalf("FeedCursor(OrderEvent, 17) = %q, want the former T3JkZXJFdmVudDoxNw", got)
	}
}

func TestCursorCheck(t *testing.T) {
	v := "2026-01-31"
	order := Order{List: "deliveries", Sort: "SHIP_DATE", Desc: true, Value: ValueDate, Nullable: true, KeyLen: 1}
	good := Cursor{List: "deliveries", Sort: "SHIP_DATE", Desc: true, Value: &v, Key: []int64{3}}
	if err := order.Check("after", good); err != nil {
		t.Fatalf("Check(its own cursor) = %v", err)
	}
	back, err := ParseCursor("after", good.String())
	if err != nil || order.Check("after", back) != nil {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	bad := "2026-1-31"
	for why, c := range map[string]Cursor{
		"another list":          {List: "returns", Sort: "SHIP_DATE", Desc: true, Value: &v, Key: []int64{3}},
		"another sort":          {List: "deliveries", Sort: "NUMBER", Desc: true, Value: &v, Key: []int64{3}},
		"another direction":     {List: "deliveries", Sort: "SHIP_DATE", Value: &v, Key: []int64{3}},
		"a short key":           {List: "deliveries", Sort: "SHIP_DATE", Desc: true, Value: &v},
		"a value not canonical": {List: "deliveries", Sort: "SHIP_DATE", Desc: true, Value: &bad, Key: []int64{3}},
	} {
		if err := order.Check("after", c); sales.CodeOf(err) != sales.CodeValidation {
			t.Errorf("%s: Check = %v, want VALIDATION", why, err)
		}
	}
	for _, text := range []string{"", "not a cursor!", ID("Customer", 1), good.String() + "A"} {
		if _, err := ParseCursor("before", text); sales.CodeOf(err) != sales.CodeValidation {
			t.Errorf("ParseCursor(%q) = %v, want VALIDATION", text, err)
		}
	}
}
