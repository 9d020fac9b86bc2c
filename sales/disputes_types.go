package sales

// The dispute's document type (migration 0014): a customer's refusal to pay
// all or some lines of an issued invoice, numbered from the DSP series. Only
// its description lives here, so the lookup tables and sales.DocumentTypes
// agree; the dispute's rules, types and state machine are in disputes.go.

// DocDispute is the dispute's document type.
const DocDispute DocumentType = "DISPUTE"

// DisputeStatus is where a dispute stands.
type DisputeStatus string

// Dispute states.
const (
	DisputeOpen     DisputeStatus = "OPEN"
	DisputeResolved DisputeStatus = "RESOLVED"
)

// DisputeStatuses lists every dispute state.
var DisputeStatuses = []DisputeStatus{DisputeOpen, DisputeResolved}

var disputeDocument = describe(DocumentDescription{
	Type: DocDispute, Name: "dispute", Table: "disputes", Series: "DSP",
	NodeType: "Dispute", States: names(DisputeStatuses),
	Children: []ChildType{{Table: "dispute_lines", NodeType: "DisputeLine"}},
})
