package db

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// The live dashboard's figures (docs/live-feed.md, "The live dashboard"):
// three aggregates in one statement, each bounded by an index, so the page
// may ask again after every status change:
//
//   - the day's orders: sales_orders_date_idx (order_date, id), one day's
//     range only;
//   - orders on hold: sales_orders_status_created_idx (status, created_at, id);
//   - the backlog: the confirmed and partially delivered orders through the
//     same status index, and their lines through order_lines_order_idx.
//
// A sales rep's figures start from their customers (customers_sales_rep_idx)
// and those customers' orders (sales_orders_customer_idx).

// DashboardLine is the dashboard's figures in one currency.
type DashboardLine struct {
	Currency         string          `db:"currency"`
	OrdersToday      int             `db:"orders_today"`
	OrdersTodayValue decimal.Decimal `db:"orders_today_value"`
	OnHold           int             `db:"on_hold"`
	OnHoldValue      decimal.Decimal `db:"on_hold_value"`
	BacklogOrders    int             `db:"backlog_orders"`
	// BacklogValue is exact (a line's total prorated to its open quantity has
	// more decimals than money); the API rounds it to the currency's minor units.
	BacklogValue decimal.Decimal `db:"backlog_value"`
}

// dashboardSQL is the statement; %OWNER% is replaced by the sales rep's
// condition on o (or nothing). $1 the day, $2 the states not taken, $3 the
// on-hold state, $4 the backlog states, $5 the rep.
const dashboardSQL = `
WITH taken AS (
  SELECT o.currency::text AS currency, count(*) AS n, sum(o.total) AS v
  FROM sales_orders o
  WHERE o.order_date = $1::date AND o.status <> ALL($2::text[]) %OWNER%
  GROUP BY 1
), held AS (
  SELECT o.currency::text AS currency, count(*) AS n, sum(o.total) AS v
  FROM sales_orders o
  WHERE o.status = $3 %OWNER%
  GROUP BY 1
), open_orders AS (
  SELECT o.id, o.currency::text AS currency
  FROM sales_orders o
  WHERE o.status = ANY($4::text[]) %OWNER%
), backlog AS (
  SELECT x.currency, count(*) AS n, COALESCE(sum(x.v), 0) AS v
  FROM (SELECT oo.currency,
          (SELECT sum(l.total * (l.quantity - l.delivered_quantity) / l.quantity)
           FROM order_lines l WHERE l.order_id = oo.id AND l.delivered_quantity < l.quantity) AS v
        FROM open_orders oo) x
  GROUP BY 1
)
SELECT currency,
  COALESCE(t.n, 0) AS orders_today, COALESCE(t.v, 0) AS orders_today_value,
  COALESCE(h.n, 0) AS on_hold, COALESCE(h.v, 0) AS on_hold_value,
  COALESCE(b.n, 0) AS backlog_orders, COALESCE(b.v, 0) AS backlog_value
FROM taken t FULL JOIN held h USING (currency) FULL JOIN backlog b USING (currency)
ORDER BY currency`

const dashboardOwner = `AND o.customer_id IN (SELECT c.id FROM customers c WHERE c.sales_rep_id = $5)`

// Dashboard returns the figures on day, one line per currency that has any,
// by currency; owner limits them to a sales rep's customers.
func (s *ReportStore) Dashboard(ctx context.Context, day time.Time, owner *int64) (_ []*DashboardLine, err error) {
	defer wrap(&err, "Reports.Dashboard")
	query := dashboardSQL
	args := []any{day.Format(time.DateOnly), statusArray(sales.DashboardNotTaken()), string(sales.OrderOnHold),
		statusArray(sales.DashboardBacklog())}
	if owner != nil {
		query = strings.ReplaceAll(query, "%OWNER%", dashboardOwner)
		args = append(args, *owner)
	} else {
		query = strings.ReplaceAll(query, "%OWNER%", "")
	}
	var rows []*DashboardLine
	err = selectContext(ctx, s.db, &rows, query, args...)
	return rows, err
}
