package db

import (
	"context"
	"database/sql"
	"errors"

	"github.com/lib/pq"

	"salesgraph/sales"
)

// constraintErrors turns a violated constraint into a client-safe error. The
// database is the last guard: validation in sales/ should catch these first,
// but when two requests race (two customers with one code) only the
// constraint sees it. Anything not listed stays internal.
var constraintErrors = map[string]*sales.Error{
	"users_email_key":                           {Code: sales.CodeConflict, Field: "input.email", Message: "a user with this email already exists"},
	"customers_code_key":                        {Code: sales.CodeConflict, Field: "input.code", Message: "a customer with this code already exists"},
	"customers_price_list_fkey":                 {Code: sales.CodeNotFound, Field: "input.priceListId", Message: "no such price list"},
	"customers_sales_rep_fkey":                  {Code: sales.CodeNotFound, Field: "input.salesRepId", Message: "no such user"},
	"customer_addresses_one_default_key":        {Code: sales.CodeValidation, Field: "addresses", Message: "only one shipping address may be the default"},
	"products_sku_key":                          {Code: sales.CodeConflict, Field: "input.sku", Message: "a product with this SKU already exists"},
	"warehouses_code_key":                       {Code: sales.CodeConflict, Field: "input.code", Message: "a warehouse with this code already exists"},
	"price_lists_code_key":                      {Code: sales.CodeConflict, Field: "input.code", Message: "a price list with this code already exists"},
	"price_lists_default_per_currency_key":      {Code: sales.CodeConflict, Field: "input.isDefault", Message: "this currency already has a default price list"},
	"price_list_items_break_key":                {Code: sales.CodeConflict, Field: "input.minQuantity", Message: "this list already prices the product at this minimum quantity"},
	"price_list_items_product_fkey":             {Code: sales.CodeNotFound, Field: "input.productId", Message: "no such product"},
	"stock_levels_product_fkey":                 {Code: sales.CodeNotFound, Field: "input.productId", Message: "no such product"},
	"stock_levels_warehouse_fkey":               {Code: sales.CodeNotFound, Field: "input.warehouseId", Message: "no such warehouse"},
	"stock_levels_on_hand_nonnegative":          {Code: sales.CodeInsufficientStock, Field: "input.quantity", Message: "stock on hand cannot go below zero"},
	"stock_levels_available_nonnegative":        {Code: sales.CodeInsufficientStock, Field: "input.quantity", Message: "stock on hand cannot go below what is reserved"},
	"stock_movements_on_hand_after_nonnegative": {Code: sales.CodeInsufficientStock, Field: "input.quantity", Message: "stock on hand cannot go below zero"},
}

// translate maps driver errors to domain errors where it safely can, and
// leaves the rest as they are (internal: logged, never shown).
func translate(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := sales.AsError(err); ok {
		return err
	}
	if pqErr, ok := errors.AsType[*pq.Error](err); ok {
		if known, ok := constraintErrors[pqErr.Constraint]; ok {
			e := *known
			e.Err = err
			return &e
		}
		switch pqErr.Code {
		case "57014": // query_canceled: statement_timeout or a cancelled request
			return &sales.Error{Code: sales.CodeUnavailable, Message: "the request took too long and was cancelled", Err: err}
		case "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004":
			return &sales.Error{Code: sales.CodeUnavailable, Message: "the database is unavailable; try again shortly", Err: err}
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &sales.Error{Code: sales.CodeUnavailable, Message: "the request took too long and was cancelled", Err: err}
	}
	return err
}

// notFound turns sql.ErrNoRows into a NOT_FOUND naming what was missing.
func notFound(err error, field, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return sales.Errorf(sales.CodeNotFound, field, "%s not found", what)
	}
	return err
}
