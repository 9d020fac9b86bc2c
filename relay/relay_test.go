package relay

import (
	"testing"

	"salesgraph/sales"
)

func TestIDRoundTrip(t *testing.T) {
	id := ID("Customer", 42)
	k, err := Key("id", "Customer", id)
	if err != nil || k != 42 {
		t.Fatalf("Key(ID(Customer, 42)) = %d, %v", k, err)
	}
	if _, err := Key("input.customerId", "Product", id); sales.CodeOf(err) != sales.CodeValidation {
		t.Fatalf("a Customer ID taken as a Product: %v, want VALIDATION", err)
	}
	typ, keys, err := Parse("id", CompositeID("StockLevel", 3, 9))
	if err != nil || typ != "StockLevel" || len(keys) != 2 || keys[0] != 3 || keys[1] != 9 {
		t.Fatalf("composite: %s %v %v", typ, keys, err)
	}
	for _, bad := range []string{"", "%%%", "Q3VzdG9tZXI6", "Q3VzdG9tZXI6LTE", "Q3VzdG9tZXI6MDE", "Q3VzdG9tZXI6MHgx"} {
		if _, _, err := Parse("id", bad); sales.CodeOf(err) != sales.CodeValidation {
			t.Errorf("Parse(%q) = %v, want VALIDATION", bad, err)
		}
	}
}

// FuzzParse: any string either parses to keys that encode back to the same
// ID, or is a VALIDATION error naming the field; it never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{ID("Customer", 1), CompositeID("StockLevel", 1, 2), "", "abc", "Q3VzdG9tZXI6OTk5OTk5OTk5OTk5OTk5OTk5OTk5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, keys, err := Parse("id", s)
		if err != nil {
			if e, ok := sales.AsError(err); !ok || e.Code != sales.CodeValidation || e.Field != "id" {
				t.Fatalf("Parse(%q) error %v is not VALIDATION on id", s, err)
			}
			return
		}
		var back string
		if len(keys) == 1 {
			back = ID(typ, keys[0])
		} else {
			back = CompositeID(typ, keys[0], keys[1])
		}
		if back != s {
			t.Fatalf("Parse(%q) = %s %v, which encodes as %q", s, typ, keys, back)
		}
	})
}
