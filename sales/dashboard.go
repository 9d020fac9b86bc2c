package sales

// The live dashboard's figures (docs/live-feed.md, "The live dashboard"):
// which order states each figure counts. db/dashboard.go passes them to SQL.

// DashboardNotTaken are the states of an order that does not count as
// taken on its day: a draft is not yet an order, a cancelled one no longer.
func DashboardNotTaken() []OrderStatus { return []OrderStatus{OrderDraft, OrderCancelled} }

// DashboardBacklog are the states of an order whose undelivered lines are
// the open backlog. An order on hold is counted as on hold, not as backlog.
func DashboardBacklog() []OrderStatus {
	return []OrderStatus{OrderConfirmed, OrderPartiallyDelivered}
}
