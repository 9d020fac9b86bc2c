package sales

// DocDispute is the dispute's document type: a customer's refusal to pay
// all or some of an invoice (sales/disputes.go).
const DocDispute DocumentType = "DISPUTE"

var disputeDocument = describe(DocumentDescription{
	Type: DocDispute, Name: "dispute", Table: "disputes", Series: "DSP",
	NodeType: "Dispute", States: names(DisputeStatuses),
	Children: []ChildType{{Table: "dispute_lines", NodeType: "DisputeLine"}},
})
