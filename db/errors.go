package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

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

	// Documents (migration 0005). The application checks these under row
	// locks; the entries catch what a race or a missed lock lets through.
	"quotes_customer_fkey":                       {Code: sales.CodeNotFound, Field: "input.customerId", Message: "no such customer"},
	"quotes_number_revision_key":                 {Code: sales.CodeConflict, Field: "id", Message: "this quote was revised at the same time by another request; reload it and try again"},
	"quotes_superseded_by_fkey":                  {Code: sales.CodeConflict, Field: "id", Message: "this quote changed while it was being revised; reload it and try again"},
	"quote_lines_product_fkey":                   {Code: sales.CodeNotFound, Field: "input.lines", Message: "a line names a product that does not exist"},
	"sales_orders_customer_fkey":                 {Code: sales.CodeNotFound, Field: "input.customerId", Message: "no such customer"},
	"sales_orders_warehouse_fkey":                {Code: sales.CodeNotFound, Field: "input.warehouseId", Message: "no such warehouse"},
	"sales_orders_quote_fkey":                    {Code: sales.CodeNotFound, Field: "quoteId", Message: "no such quote"},
	"sales_orders_quote_key":                     {Code: sales.CodeConflict, Field: "quoteId", Message: "this quote has already been converted to an order"},
	"order_lines_product_fkey":                   {Code: sales.CodeNotFound, Field: "input.lines", Message: "a line names a product that does not exist"},
	"order_lines_quote_line_fkey":                {Code: sales.CodeConflict, Field: "quoteId", Message: "the quote changed while it was being converted; reload it and try again"},
	"order_lines_delivered_within_ordered":       {Code: sales.CodeConflict, Field: "input.lines", Message: "more would be delivered than was ordered; another delivery may have been recorded meanwhile"},
	"order_lines_reserved_within_open":           {Code: sales.CodeConflict, Field: "input.lines", Message: "more would be reserved than is still to deliver; the order changed meanwhile, reload it and try again"},
	"order_lines_returned_within_delivered":      {Code: sales.CodeConflict, Field: "input.lines", Message: "more would be returned than was delivered; another return may have been recorded meanwhile"},
	"order_lines_reserved_nonnegative":           {Code: sales.CodeConflict, Field: "", Message: "the order's reservations changed meanwhile; reload it and try again"},
	"deliveries_order_fkey":                      {Code: sales.CodeNotFound, Field: "input.orderId", Message: "no such order"},
	"deliveries_warehouse_fkey":                  {Code: sales.CodeNotFound, Field: "input.warehouseId", Message: "no such warehouse"},
	"delivery_lines_order_line_fkey":             {Code: sales.CodeConflict, Field: "input.lines", Message: "a line names an order line that no longer exists; reload the order and try again"},
	"delivery_lines_order_line_key":              {Code: sales.CodeValidation, Field: "input.lines", Message: "each order line may appear only once in a delivery"},
	"delivery_lines_outcome_within_quantity":     {Code: sales.CodeValidation, Field: "input.lines", Message: "accepted and refused quantities together cannot exceed the quantity shipped"},
	"returns_order_fkey":                         {Code: sales.CodeNotFound, Field: "input.orderId", Message: "no such order"},
	"returns_delivery_fkey":                      {Code: sales.CodeNotFound, Field: "input.deliveryId", Message: "no such delivery"},
	"returns_warehouse_fkey":                     {Code: sales.CodeNotFound, Field: "input.warehouseId", Message: "no such warehouse"},
	"return_lines_order_line_fkey":               {Code: sales.CodeConflict, Field: "input.lines", Message: "a line names an order line that no longer exists; reload the order and try again"},
	"return_lines_order_line_key":                {Code: sales.CodeValidation, Field: "input.lines", Message: "each order line may appear only once in a return"},
	"stock_levels_reserved_nonnegative":          {Code: sales.CodeConflict, Field: "", Message: "stock reservations changed meanwhile; try again"},
	"stock_movements_reserved_after_nonnegative": {Code: sales.CodeConflict, Field: "", Message: "stock reservations changed meanwhile; try again"},
	"stock_movements_order_fkey":                 {Code: sales.CodeNotFound, Field: "", Message: "no such order"},
	"customer_addresses_customer_fkey":           {Code: sales.CodeNotFound, Field: "id", Message: "no such customer"},
	"price_list_items_price_list_fkey":           {Code: sales.CodeNotFound, Field: "input.priceListId", Message: "no such price list"},
	"idempotency_keys_user_fkey":                 {Code: sales.CodeUnauthenticated, Field: "", Message: "the signed-in user no longer exists"},
}

// describeConstraints adds constraints declared beside the SQL that writes
// their tables (the document types' in documents.go; a new document type's
// in its store file): mapped ones to constraintErrors, internal ones (name →
// why) to internalConstraints. Call it from a package-level variable's
// initializer, so every entry is in place before the first query.
func describeConstraints(mapped map[string]*sales.Error, internal map[string]string) bool {
	for name, e := range mapped {
		constraintErrors[name] = e
	}
	for name, why := range internal {
		internalConstraints[name] = why
	}
	return true
}

// internalConstraints are the constraints that stay INTERNAL on purpose, with
// why. Value checks (shapes, ranges, not-blank) are validated in sales/
// before any write and cannot be reached by a race, so reaching one is a bug
// to fix, not a client error to word. TestEveryConstraintIsMapped keeps this
// list and constraintErrors complete.
var internalConstraints = map[string]string{}

func init() {
	reasons := map[string][]string{
		"generated key: the database assigns it": {
			"customer_addresses_pkey", "customers_pkey", "deliveries_pkey", "delivery_lines_pkey", "document_counters_pkey",
			"document_events_pkey", "goose_db_version_pkey", "idempotency_keys_pkey", "order_events_pkey", "order_lines_pkey",
			"price_list_items_pkey", "price_lists_pkey", "products_pkey", "quote_lines_pkey", "quotes_pkey", "return_lines_pkey",
			"returns_pkey", "sales_orders_pkey", "stock_levels_pkey", "stock_movements_pkey", "users_pkey", "warehouses_pkey",
			"deliveries_number_key", "deliveries_bol_number_key", "returns_number_key", "sales_orders_number_key",
			"order_lines_line_no_key", "quote_lines_line_no_key", "order_lines_line_no_positive", "quote_lines_line_no_positive",
			"document_counters_last_positive", "document_counters_year_range", "quotes_revision_positive",
		},
		"parent or actor written in the same transaction, or taken from the session": {
			"quote_lines_quote_fkey", "order_lines_order_fkey", "order_events_order_fkey", "delivery_lines_delivery_fkey",
			"return_lines_return_fkey", "stock_movements_stock_level_fkey", "document_events_actor_fkey", "order_events_actor_fkey",
			"quotes_created_by_fkey", "sales_orders_created_by_fkey", "deliveries_created_by_fkey", "returns_created_by_fkey",
			"stock_movements_actor_fkey",
		},
		"computed by the application (totals, states, kinds), never taken from input": {
			"quotes_total_adds_up", "quote_lines_total_adds_up", "sales_orders_total_adds_up", "order_lines_total_adds_up",
			"quotes_status_known", "sales_orders_status_known", "deliveries_status_known", "returns_status_known",
			"stock_movements_kind_known", "stock_movements_changes_something",
			"sales_orders_hold_reason_known", "sales_orders_hold_reason_when_held", "sales_orders_invoicing_policy_known",
			"deliveries_shipped_has_date", "deliveries_delivered_has_date", "returns_received_has_warehouse",
			"order_lines_delivered_nonnegative", "order_lines_returned_nonnegative", "users_role_known",
			"customers_billing_address_object", "warehouses_address_object", "sales_orders_ship_to_object", "deliveries_ship_to_object",
		},
		"input value validated in sales/ before any write; no race can change it": {
			"customer_addresses_city_not_blank", "customer_addresses_country_shape", "customer_addresses_line1_not_blank",
			"customers_code_shape", "customers_credit_limit_nonnegative", "customers_currency_shape", "customers_name_not_blank",
			"customers_payment_terms_range", "delivery_lines_accepted_nonnegative", "delivery_lines_quantity_positive",
			"delivery_lines_refused_nonnegative", "idempotency_keys_key_length", "order_lines_discount_range",
			"order_lines_quantity_positive", "order_lines_tax_rate_range", "order_lines_unit_price_nonnegative", "order_lines_override_reason",
			"price_list_items_min_quantity_positive", "price_list_items_unit_price_nonnegative", "price_list_items_validity",
			"price_lists_code_shape", "price_lists_currency_shape", "price_lists_name_not_blank", "price_lists_validity",
			"products_name_not_blank", "products_sku_shape", "products_tax_rate_range", "products_uom_not_blank",
			"quote_lines_discount_range", "quote_lines_override_reason", "quote_lines_quantity_positive", "quote_lines_tax_rate_range",
			"quote_lines_unit_price_nonnegative", "quotes_currency_shape", "return_lines_quantity_positive", "returns_reason_not_blank",
			"sales_orders_currency_shape", "sales_orders_payment_terms_range", "users_email_shape", "users_name_not_blank",
			"warehouses_code_shape", "warehouses_name_not_blank", "stock_movements_adjustment_reason",
		},
	}
	for why, names := range reasons {
		for _, n := range names {
			internalConstraints[n] = why
		}
	}
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
		switch code := string(pqErr.Code); {
		case code == "57014": // query_canceled: statement_timeout (or a cancelled request)
			return &sales.Error{Code: sales.CodeTimeout, Message: "the request took too long and was cancelled", Err: err}
		case code == "22003": // numeric_value_out_of_range
			return &sales.Error{Code: sales.CodeValidation, Message: "a number is too large to store", Err: err}
		case code == "22P05" || code == "22021": // untranslatable_character, character_not_in_repertoire
			return &sales.Error{Code: sales.CodeValidation, Message: "text may not contain NUL characters or invalid UTF-8", Err: err}
		case code == "54000": // program_limit_exceeded: a value too large to index
			return &sales.Error{Code: sales.CodeValidation, Message: "a value is too long", Err: err}
		case strings.HasPrefix(code, "08"), // connection exceptions
			code == "57P01", code == "57P02", code == "57P03", // shutting down, crashed, starting up
			code == "53300", code == "53400": // too many connections, configuration limit
			return unavailable(err)
		}
		return err
	}
	if isConnectionError(err) {
		return unavailable(err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &sales.Error{Code: sales.CodeTimeout, Message: "the request took too long and was cancelled", Err: err}
	}
	return err
}

// Translate is translate for the error presenter, which applies it to every
// error a resolver returns, reads included: a database that went away is
// UNAVAILABLE wherever it shows.
func Translate(err error) error { return translate(err) }

func unavailable(err error) error {
	return &sales.Error{Code: sales.CodeUnavailable, Message: "the database is unavailable; try again shortly", Err: err}
}

// isConnectionError reports a failure to reach the server or a connection
// that broke, as opposed to an error the server returned.
func isConnectionError(err error) bool {
	// Not io.EOF: lib/pq turns a closed connection into ErrBadConn itself, and
	// a bare EOF from elsewhere must not pass for a database outage.
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	// lib/pq reports a connection that closed mid-conversation with bare strings.
	msg := err.Error()
	return strings.Contains(msg, "pq: unexpected EOF") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "broken pipe")
}

// notFound turns sql.ErrNoRows into a NOT_FOUND naming what was missing.
func notFound(err error, field, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return sales.Errorf(sales.CodeNotFound, field, "%s not found", what)
	}
	return err
}
