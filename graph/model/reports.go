package model

import "time"

// ReceivablesAging is the aging report asked for: its day, and whose
// customers it covers (a sales rep's own, when OwnerID is set). Its lines
// are read by its resolvers.
type ReceivablesAging struct {
	AsOf    time.Time
	OwnerID *int64
}
