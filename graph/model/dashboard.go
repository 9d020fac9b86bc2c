package model

import (
	"time"

	"salesgraph/db"
)

// DashboardSummary is the live dashboard's figures on Day (dashboard.graphqls).
type DashboardSummary struct {
	Day         time.Time
	OrdersToday int
	OnHold      int
	Currencies  []*db.DashboardLine
}
