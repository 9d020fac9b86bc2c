package graph

import (
	"context"
	"time"

	"salesgraph/graph/model"
)

// The live dashboard's figures (dashboard.graphqls, docs/live-feed.md "The
// live dashboard"): one statement (db/dashboard.go), scoped like the orders
// list (a sales rep's own customers only).

// dashboardSummary reads the figures on day (default today, UTC).
func (r *Resolver) dashboardSummary(ctx context.Context, day *time.Time) (*model.DashboardSummary, error) {
	u, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	d := time.Now().UTC()
	if day != nil {
		d = *day
	}
	y, m, dd := d.Date()
	out := &model.DashboardSummary{Day: time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)}
	lines, err := r.Store.Reports.Dashboard(ctx, out.Day, u.CustomerScope())
	if err != nil {
		return nil, err
	}
	out.Currencies = lines
	for _, l := range lines {
		out.OrdersToday += l.OrdersToday
		out.OnHold += l.OnHold
	}
	return out, nil
}
