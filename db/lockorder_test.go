package db_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"salesgraph/db"
)

// One check of the documented lock order (docs/domain.md) for every
// mutation's recorded statements: customer, order, its lines, the delivery
// or return, then stock levels by ascending product id.

// lock is one statement that takes row locks: an explicit SELECT … FOR
// UPDATE/SHARE, or an UPDATE of a table the transaction had not locked yet.
type lock struct {
	table     string
	products  []int64 // for stock_levels: the product ids, in the order locked
	warehouse int64   // for stock_levels: the warehouse
}

var (
	lockingStatement  = regexp.MustCompile(`(?is)\bFROM\s+(\w+)\b.*\bFOR\s+(NO\s+KEY\s+)?(UPDATE|SHARE)\b`)
	updateStatement   = regexp.MustCompile(`(?is)^\s*UPDATE\s+(\w+)\b`)
	warehouseArg      = regexp.MustCompile(`warehouse_id = \$(\d+)`)
	ascendingProducts = regexp.MustCompile(`(?i)ORDER BY (\w+\.)?product_id(\s+ASC)?\b`)
)

// lockRank is the documented lock order. Payments rank with invoices: a
// payment action locks the payment, then its invoices by id; issuing an
// invoice locks the order's deposits after the invoice; both hold the
// customer's lock first, so they never run at once.
var lockRank = map[string]int{"customers": 0, "sales_orders": 1, "order_lines": 2, "deliveries": 3, "returns": 3, "invoices": 3, "payments": 3, "payment_allocations": 3, "credit_allocations": 3,
	"disputes": 3, "stock_levels": 4}

// checkLockOrder returns an error unless the statements take their row
// locks in the documented order, stock levels by ascending product id, and
// lock each table of want.
func checkLockOrder(stmts []db.Statement, want ...string) ([]lock, error) {
	var locks []lock
	locked := map[string]bool{}
	for _, s := range stmts {
		var table string
		if m := lockingStatement.FindStringSubmatch(s.Query); m != nil {
			table = strings.ToLower(m[1])
		} else if m := updateStatement.FindStringSubmatch(s.Query); m != nil && !locked[strings.ToLower(m[1])] {
			table = strings.ToLower(m[1]) // an UPDATE locks the rows it changes
		} else {
			continue
		}
		if _, known := lockRank[table]; !known {
			return nil, fmt.Errorf("locks %s, which the lock order does not name: %s", table, s.Query)
		}
		l := lock{table: table}
		if table == "stock_levels" {
			var err error
			if l.products, err = productArgs(s); err != nil {
				return nil, err
			}
			if m := warehouseArg.FindStringSubmatch(s.Query); m != nil {
				n, _ := strconv.Atoi(m[1])
				l.warehouse, _ = s.Args[n-1].(int64)
			}
		}
		locks = append(locks, l)
		locked[table] = true
	}
	held := map[int64]bool{}
	var lastProduct int64
	for i, l := range locks {
		if i > 0 && lockRank[l.table] < lockRank[locks[i-1].table] {
			return nil, fmt.Errorf("locks %s after %s: %v", l.table, locks[i-1].table, tables(locks))
		}
		for _, p := range l.products {
			if held[p] {
				continue // locking a level again takes no new lock
			}
			if p < lastProduct {
				return nil, fmt.Errorf("locks the stock level of product %d after product %d", p, lastProduct)
			}
			held[p], lastProduct = true, p
		}
	}
	for _, w := range want {
		if !locked[w] {
			return nil, fmt.Errorf("never locks %s: %v", w, tables(locks))
		}
	}
	return locks, nil
}

// productArgs reads the product ids a stock_levels statement locks: the
// argument compared with product_id, or an array of them (which must then
// be locked in product order).
func productArgs(s db.Statement) ([]int64, error) {
	var ids []int64
	for i, a := range s.Args {
		if !strings.Contains(s.Query, fmt.Sprintf("product_id = $%d", i+1)) && !strings.Contains(s.Query, fmt.Sprintf("product_id = ANY($%d)", i+1)) {
			continue
		}
		switch v := a.(type) {
		case int64:
			ids = append(ids, v)
		case string, []byte:
			if !ascendingProducts.MatchString(s.Query) {
				return nil, fmt.Errorf("stock levels locked in one statement without ORDER BY product_id: %q", s.Query)
			}
			for _, f := range strings.Split(strings.Trim(fmt.Sprintf("%s", v), "{}"), ",") {
				n, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("product ids %q: %v", v, err)
				}
				ids = append(ids, n)
			}
		default:
			return nil, fmt.Errorf("product id argument %T %v in %q", a, a, s.Query)
		}
	}
	return ids, nil
}

func tables(locks []lock) []string {
	out := make([]string, len(locks))
	for i, l := range locks {
		out[i] = l.table
	}
	return out
}

// TestCheckLockOrder_Refuses: the check fails a transaction that locks out
// of order (so the lock-order tests can fail).
func TestCheckLockOrder_Refuses(t *testing.T) {
	for name, stmts := range map[string][]db.Statement{
		"LevelsDescending": {
			{Query: `SELECT 1 FROM stock_levels WHERE product_id = $1 AND warehouse_id = $2 FOR UPDATE`, Args: []any{int64(2), int64(1)}},
			{Query: `SELECT 1 FROM stock_levels WHERE product_id = $1 AND warehouse_id = $2 FOR UPDATE`, Args: []any{int64(1), int64(1)}},
		},
		"BatchWithoutOrder": {
			{Query: `SELECT 1 FROM stock_levels WHERE product_id = ANY($1) AND warehouse_id = $2 FOR UPDATE`, Args: []any{"{2,1}", int64(1)}},
		},
		"OrderAfterDelivery": {
			{Query: `SELECT 1 FROM deliveries WHERE id = $1 FOR UPDATE`, Args: []any{int64(1)}},
			{Query: `SELECT 1 FROM sales_orders WHERE id = $1 FOR UPDATE`, Args: []any{int64(1)}},
		},
		"UpdateAfterStock": {
			{Query: `SELECT 1 FROM stock_levels WHERE product_id = $1 AND warehouse_id = $2 FOR UPDATE`, Args: []any{int64(1), int64(1)}},
			{Query: `UPDATE deliveries SET status = 'CANCELLED' WHERE id = $1`, Args: []any{int64(1)}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := checkLockOrder(stmts); err == nil {
				t.Fatal("checkLockOrder passed statements out of the lock order")
			}
		})
	}
}
