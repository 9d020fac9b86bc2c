package sales

// A business document is a quote, a sales order, a delivery or a return
// (and, with billing, an invoice): it has a number, states and a history.
// Each type is described once, beside its state machine (describe); the
// database's lookup table, the numbering, the graph's node lookup and the
// tests read these descriptions instead of keeping lists of their own
// (docs/adding-a-document-type.md).

// DocumentType names a kind of business document: its code in the
// document_types lookup table and in each document event.
type DocumentType string

// Document types.
const (
	DocQuote    DocumentType = "QUOTE"
	DocOrder    DocumentType = "ORDER"
	DocDelivery DocumentType = "DELIVERY"
	DocReturn   DocumentType = "RETURN"
)

// NumberSeries is a gapless run of document numbers per year, named by its
// prefix: QT-2026-000123.
type NumberSeries string

// SeriesBillOfLading numbers a delivery's bill of lading: a second number
// the delivery carries, not a document type of its own.
const SeriesBillOfLading NumberSeries = "BOL"

// DocumentDescription is everything outside a document type's own files
// needs to know about it.
type DocumentDescription struct {
	Type         DocumentType   // code in document_types and document_events
	Name         string         // what messages and docs call it: "sales order"
	Table        string         // the table of its rows
	Series       NumberSeries   // the series of its own number
	OtherNumbers []NumberSeries // further numbers it carries (a delivery's bill of lading)
	NodeType     string         // its global-ID type name, which is also its GraphQL type
	States       []string       // every state, from its state machine's list
	Children     []ChildType    // the rows that live inside it (its lines)
}

// ChildType is a kind of row inside a document, such as its lines: it has a
// global ID of its own, and whoever may see the document may see it.
type ChildType struct {
	Table    string
	NodeType string
}

// DocumentTypes describes every document type, in the order they were
// described. Each type describes itself beside its state machine (the first
// four in states.go) by calling describe from a package-level variable, so a
// new type adds its description in its own file, not to a list here.
var DocumentTypes []DocumentDescription

// describe adds d to DocumentTypes. Call it only from a package-level
// variable's initializer: it runs once, before anything reads the list.
func describe(d DocumentDescription) DocumentDescription {
	DocumentTypes = append(DocumentTypes, d)
	return d
}

// Describe returns the type's description; ok is false for a type that
// DocumentTypes does not describe.
func (t DocumentType) Describe() (d DocumentDescription, ok bool) {
	for _, d := range DocumentTypes {
		if d.Type == t {
			return d, true
		}
	}
	return DocumentDescription{}, false
}

// Series is the number series of the type's own numbers. It panics for a
// type DocumentTypes does not describe: that is a programming error the
// tests catch, never input.
func (t DocumentType) Series() NumberSeries {
	d, ok := t.Describe()
	if !ok {
		panic("sales: undescribed document type " + string(t))
	}
	return d.Series
}

// AllSeries is the type's own number series, then the ones it carries.
func (d DocumentDescription) AllSeries() []NumberSeries {
	return append([]NumberSeries{d.Series}, d.OtherNumbers...)
}

func names[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}
