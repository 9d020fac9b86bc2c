// Package demo loads a small, believable company — users for every role,
// warehouses, products with stock, price lists with quantity breaks and
// customers in several currencies — through the same stores (and so the same
// validation) as the API. It grows with each document the API learns.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/sales"
)

// AdminEmail is the demo administrator; `go run .` prints a token for them.
const AdminEmail = "admin@demo.salesgraph.example"

// Users are the demo staff, one or more per role.
var Users = []sales.User{
	{Email: AdminEmail, Name: "Ada Admin", Role: sales.RoleAdmin},
	{Email: "manager@demo.salesgraph.example", Name: "Mara Manager", Role: sales.RoleSalesManager},
	{Email: "rep.north@demo.salesgraph.example", Name: "Nils North", Role: sales.RoleSalesRep},
	{Email: "rep.south@demo.salesgraph.example", Name: "Sofia South", Role: sales.RoleSalesRep},
	{Email: "rep.west@demo.salesgraph.example", Name: "Wes West", Role: sales.RoleSalesRep},
	{Email: "warehouse@demo.salesgraph.example", Name: "Walt Warehouse", Role: sales.RoleWarehouse},
	{Email: "accounts@demo.salesgraph.example", Name: "Alma Accounts", Role: sales.RoleAccountant},
	{Email: "ceo@demo.salesgraph.example", Name: "Vera Viewer", Role: sales.RoleViewer},
}

var warehouses = []sales.Warehouse{
	{Code: "BER", Name: "Berlin central warehouse", Address: &sales.Address{Line1: "Lagerstraße 12", City: "Berlin", PostalCode: "10117", Country: "DE"}},
	{Code: "RTM", Name: "Rotterdam port hub", Address: &sales.Address{Line1: "Waalhaven 4", City: "Rotterdam", PostalCode: "3089", Country: "NL"}},
	{Code: "CHI", Name: "Chicago distribution center", Address: &sales.Address{Line1: "2200 W Pershing Rd", City: "Chicago", Region: "IL", PostalCode: "60609", Country: "US"}},
}

// The catalogue: families × variants gives about 200 products.
var families = []struct {
	prefix, name, uom string
	base              float64
	tax               string
}{
	{"BOLT", "Hex bolt", "EA", 0.12, "0.19"},
	{"NUT", "Lock nut", "EA", 0.05, "0.19"},
	{"WSH", "Flat washer", "EA", 0.02, "0.19"},
	{"BRK", "Steel bracket", "EA", 3.40, "0.19"},
	{"CBL", "Copper cable", "M", 1.85, "0.19"},
	{"PIP", "PVC pipe", "M", 2.10, "0.19"},
	{"VLV", "Ball valve", "EA", 14.90, "0.19"},
	{"PMP", "Circulation pump", "EA", 189.00, "0.19"},
	{"GLV", "Work gloves", "PR", 4.25, "0.07"},
	{"HLM", "Safety helmet", "EA", 19.50, "0.07"},
	{"LUB", "Machine lubricant", "L", 7.80, "0.19"},
	{"TAP", "Sealing tape", "ROLL", 1.60, "0.19"},
	{"FLT", "Air filter", "EA", 11.20, "0.19"},
}

var sizes = []string{"S", "M", "L", "XL", "6", "8", "10", "12", "16", "20", "24", "32", "40", "50", "63", "75"}

var companyWords = struct{ first, second, form []string }{
	first:  []string{"Acme", "Nordic", "Baltic", "Alpine", "Atlas", "Delta", "Harbor", "Summit", "Pioneer", "Crown", "Meridian", "Granite", "Falcon", "Orion", "Cedar", "Iron", "Silver", "Blue", "Union", "Vector"},
	second: []string{"Building", "Plumbing", "Industrial", "Machines", "Supplies", "Engineering", "Facilities", "Installations", "Hardware", "Tools"},
	form:   []string{"GmbH", "B.V.", "Ltd", "Inc.", "AG", "LLC"},
}

var cities = []struct{ city, country, currency string }{
	{"Hamburg", "DE", "EUR"}, {"Munich", "DE", "EUR"}, {"Amsterdam", "NL", "EUR"}, {"Vienna", "AT", "EUR"},
	{"Milan", "IT", "EUR"}, {"London", "GB", "GBP"}, {"Manchester", "GB", "GBP"}, {"Boston", "US", "USD"},
	{"Denver", "US", "USD"}, {"Austin", "US", "USD"},
}

// Load creates the demo company and returns a summary naming the demo users.
// It refuses to load twice (the admin exists) rather than duplicate anything.
func Load(ctx context.Context, s *db.Store) (string, error) {
	if _, err := s.Users.ByEmail(ctx, AdminEmail); err == nil {
		return "", fmt.Errorf("the demo company is already loaded (%s exists)", AdminEmail)
	}
	rng := rand.New(rand.NewPCG(2026, 11)) // fixed seed: every demo is the same company
	var b strings.Builder

	users := map[sales.Role][]*sales.User{}
	var admin *sales.User
	for _, u := range Users {
		u.Active = true
		created, err := s.Users.Create(ctx, nil, u, nil)
		if err != nil {
			return "", fmt.Errorf("demo user %s: %w", u.Email, err)
		}
		users[u.Role] = append(users[u.Role], created)
		if u.Role == sales.RoleAdmin {
			admin = created
		}
	}

	var whs []*sales.Warehouse
	for _, w := range warehouses {
		created, err := s.Warehouses.Create(ctx, admin, w, nil)
		if err != nil {
			return "", fmt.Errorf("demo warehouse %s: %w", w.Code, err)
		}
		whs = append(whs, created)
	}

	var products []*sales.Product
	var basePrices []decimal.Decimal
	for fi, f := range families {
		for si := 0; si < 16 && len(products) < 200; si++ {
			size := sizes[(si+fi)%len(sizes)]
			p := sales.Product{SKU: fmt.Sprintf("%s-%s-%02d", f.prefix, size, si+1), Name: fmt.Sprintf("%s %s", f.name, size),
				Description: fmt.Sprintf("%s, size %s. Demo catalogue item.", f.name, size), UnitOfMeasure: f.uom,
				TaxRate: decimal.RequireFromString(f.tax), Active: si != 15}
			created, err := s.Products.Create(ctx, admin, p, nil)
			if err != nil {
				return "", fmt.Errorf("demo product %s: %w", p.SKU, err)
			}
			products = append(products, created)
			price := decimal.NewFromFloat(f.base * (1 + float64(si)*0.15)).Round(2)
			basePrices = append(basePrices, price)
		}
	}

	// Stock: most products in most warehouses; a few out of stock for realism.
	for i, p := range products {
		for wi, w := range whs {
			if (i+wi)%7 == 0 {
				continue
			}
			qty := decimal.NewFromInt(int64(20 + rng.IntN(480)))
			if _, err := s.Stock.Receive(ctx, users[sales.RoleWarehouse][0],
				db.StockChange{ProductID: p.ID, WarehouseID: w.ID, Quantity: qty, Reference: fmt.Sprintf("PO-2026-%05d", 1000+i*3+wi)}, nil); err != nil {
				return "", fmt.Errorf("demo stock %s: %w", p.SKU, err)
			}
		}
	}

	// Price lists: a default per currency with quantity breaks, and two customer lists.
	rates := map[string]decimal.Decimal{"EUR": decimal.NewFromInt(1), "USD": decimal.RequireFromString("1.08"), "GBP": decimal.RequireFromString("0.86")}
	lists := map[string]*sales.PriceList{}
	for _, spec := range []struct {
		code, name, currency string
		isDefault            bool
		discount             string
	}{
		{"STD-EUR", "Standard prices EUR", "EUR", true, "1"},
		{"STD-USD", "Standard prices USD", "USD", true, "1"},
		{"STD-GBP", "Standard prices GBP", "GBP", true, "1"},
		{"WHOLESALE-EUR", "Wholesale partners EUR", "EUR", false, "0.88"},
		{"KEY-USD", "Key accounts USD", "USD", false, "0.92"},
	} {
		var items []sales.PriceListItem
		factor := rates[spec.currency].Mul(decimal.RequireFromString(spec.discount))
		for i, p := range products {
			unit := basePrices[i].Mul(factor).Round(2)
			items = append(items,
				sales.PriceListItem{ProductID: p.ID, MinQuantity: decimal.NewFromInt(1), UnitPrice: unit},
				sales.PriceListItem{ProductID: p.ID, MinQuantity: decimal.NewFromInt(100), UnitPrice: unit.Mul(decimal.RequireFromString("0.95")).Round(2)},
				sales.PriceListItem{ProductID: p.ID, MinQuantity: decimal.NewFromInt(1000), UnitPrice: unit.Mul(decimal.RequireFromString("0.90")).Round(2)})
		}
		l, err := s.PriceLists.Create(ctx, admin, sales.PriceList{Code: spec.code, Name: spec.name, Currency: spec.currency, IsDefault: spec.isDefault}, items, nil)
		if err != nil {
			return "", fmt.Errorf("demo price list %s: %w", spec.code, err)
		}
		lists[spec.code] = l
	}

	// Customers: ~100 across currencies, spread over the reps; some on
	// their own lists, some on credit hold, a few archived.
	reps := users[sales.RoleSalesRep]
	manager := users[sales.RoleSalesManager][0]
	var customers []*sales.Customer
	for i := 0; i < 100; i++ {
		c := cities[i%len(cities)]
		name := fmt.Sprintf("%s %s %s", companyWords.first[i%len(companyWords.first)],
			companyWords.second[(i/2)%len(companyWords.second)], companyWords.form[i%len(companyWords.form)])
		email := fmt.Sprintf("orders@%s%d.example", strings.ToLower(companyWords.first[i%len(companyWords.first)]), i+1)
		phone := fmt.Sprintf("+%d %03d %04d", 30+i%20, 100+i, 1000+i*7)
		rep := reps[i%len(reps)]
		cust := sales.Customer{
			Code: fmt.Sprintf("C%04d", i+1), Name: name, Email: &email, Phone: &phone,
			BillingAddress: &sales.Address{Line1: fmt.Sprintf("%d Market Street", 1+i), City: c.city, Country: c.country, PostalCode: fmt.Sprintf("%05d", 10000+i*37)},
			Currency:       c.currency, PaymentTermsDays: []int{14, 30, 30, 45, 60}[i%5],
			CreditLimit: decimal.NewFromInt(int64(5000 + 2500*(i%12))), CreditHold: i%17 == 0,
			SalesRepID: &rep.ID, Notes: "Demo customer.",
		}
		switch {
		case c.currency == "EUR" && i%4 == 0:
			cust.PriceListID = &lists["WHOLESALE-EUR"].ID
		case c.currency == "USD" && i%3 == 0:
			cust.PriceListID = &lists["KEY-USD"].ID
		}
		addrs := []sales.ShippingAddress{{Label: "Main site", Line1: cust.BillingAddress.Line1, City: c.city, Country: c.country, PostalCode: cust.BillingAddress.PostalCode, IsDefault: true}}
		for k := 1; k < 1+i%3; k++ {
			addrs = append(addrs, sales.ShippingAddress{Label: fmt.Sprintf("Site %d", k+1), Line1: fmt.Sprintf("%d Dock Road", 10*k+i), City: c.city, Country: c.country})
		}
		created, err := s.Customers.Create(ctx, manager, cust, addrs, nil)
		if err != nil {
			return "", fmt.Errorf("demo customer %s: %w", cust.Code, err)
		}
		if i%23 != 22 {
			customers = append(customers, created)
		}
		if i%23 == 22 {
			if _, err := s.Customers.Update(ctx, manager, created.ID, created.Version, func(c *sales.Customer) { c.Archived = true }); err != nil {
				return "", fmt.Errorf("archive demo customer %s: %w", cust.Code, err)
			}
		}
	}

	var active []*sales.Product
	for _, p := range products {
		if p.Active {
			active = append(active, p)
		}
	}
	docs, err := loadDocuments(ctx, s, manager, users[sales.RoleWarehouse][0], customers, active, whs)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "Loaded the demo company: %d users, %d warehouses, %d products, %d price lists, 100 customers.\n",
		len(Users), len(whs), len(products), len(lists))
	b.WriteString(docs)
	fmt.Fprintln(&b, "Demo users (mint a token with: salesgraph token --user EMAIL):")
	for _, u := range Users {
		fmt.Fprintf(&b, "  %-14s %s\n", u.Role, u.Email)
	}
	return b.String(), nil
}
