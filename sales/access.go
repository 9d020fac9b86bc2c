package sales

import "slices"

// HasRole reports whether u holds one of roles.
func (u *User) HasRole(roles ...Role) bool { return u != nil && slices.Contains(roles, u.Role) }

// CanSeeCustomer reports whether u may read c: everyone but a sales rep sees
// every customer; a rep sees their own (DESIGN.md, "Auth").
func (u *User) CanSeeCustomer(c *Customer) bool {
	if c == nil {
		return false
	}
	if u.Role != RoleSalesRep {
		return true
	}
	return c.SalesRepID != nil && *c.SalesRepID == u.ID
}

// CustomerScope returns the owner a customer list must be limited to for u, if any.
func (u *User) CustomerScope() *int64 {
	if u.Role == RoleSalesRep {
		id := u.ID
		return &id
	}
	return nil
}

// CheckCustomerChange decides whether u may change customer before into after.
// A rep may change only their own customers (another's is NOT_FOUND, as if
// unseen), may not give one to another rep, and may not touch credit terms:
// those belong to managers and accounting. Returns FORBIDDEN or NOT_FOUND.
func (u *User) CheckCustomerChange(before, after *Customer) error {
	if before != nil && !u.CanSeeCustomer(before) {
		return Errorf(CodeNotFound, "id", "customer not found")
	}
	if u.Role == RoleSalesRep && (after.SalesRepID == nil || *after.SalesRepID != u.ID) {
		return Errorf(CodeForbidden, "input.salesRepId", "a sales rep may only keep customers assigned to themselves")
	}
	creditChanged := before == nil && (!after.CreditLimit.IsZero() || after.CreditHold) ||
		before != nil && (!before.CreditLimit.Equal(after.CreditLimit) || before.CreditHold != after.CreditHold ||
			before.PaymentTermsDays != after.PaymentTermsDays)
	if creditChanged && !u.HasRole(RoleAdmin, RoleSalesManager, RoleAccountant) {
		return Errorf(CodeForbidden, "input.creditLimit", "only a sales manager, an accountant or an admin may set credit terms")
	}
	if before != nil && u.Role == RoleAccountant && !onlyCreditChanged(before, after) {
		return Errorf(CodeForbidden, "input", "an accountant may change only a customer's credit terms")
	}
	return nil
}

func onlyCreditChanged(before, after *Customer) bool {
	b, a := *before, *after
	b.CreditLimit, b.CreditHold, b.PaymentTermsDays = a.CreditLimit, a.CreditHold, a.PaymentTermsDays
	return b.Code == a.Code && b.Name == a.Name && ptrEq(b.Email, a.Email) && ptrEq(b.Phone, a.Phone) &&
		addrEq(b.BillingAddress, a.BillingAddress) && b.Currency == a.Currency && ptrEq(b.PriceListID, a.PriceListID) &&
		ptrEq(b.SalesRepID, a.SalesRepID) && b.Notes == a.Notes && b.Archived == a.Archived
}

func ptrEq[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func addrEq(a, b *Address) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
