package auth

// Permission is one thing a role may do, named "<area>:<action>". Routes and use cases check
// permissions, never roles, so what a role may do is decided in one table (rolePermissions).
type Permission string

// Permissions.
const (
	PermCatalogWrite    Permission = "catalog:write"    // create, change and delete any product and category
	PermCatalogOwn      Permission = "catalog:own"      // create, change and delete the products of one's own (approved) vendor
	PermOrdersManage    Permission = "orders:manage"    // read every order, change status, cancel, add tracking
	PermOrdersVendor    Permission = "orders:vendor"    // read the lines of orders that hold one's own vendor's products
	PermCartsManage     Permission = "carts:manage"     // read and edit every cart
	PermCustomersRead   Permission = "customers:read"   // read every customer account, address and export
	PermUsersManage     Permission = "users:manage"     // list, disable, enable users and reset their second factor
	PermRolesManage     Permission = "roles:manage"     // change a user's role, create staff accounts
	PermVendorsReview   Permission = "vendors:review"   // read vendors and their KYC documents, approve or reject
	PermAuditRead       Permission = "audit:read"       // read the audit log
	PermSystemManage    Permission = "system:manage"    // snapshots, backups, index rebuilds, settings
	PermVendorsApply    Permission = "vendors:apply"    // register a vendor and upload its KYC documents
	PermAccountManage   Permission = "account:manage"   // one's own profile, addresses, sessions, 2FA, export, deletion
	PermReviewsPublish  Permission = "reviews:publish"  // write reviews of bought products
	PermInventoryManage Permission = "inventory:manage" // warehouses, stock levels, adjustments, transfers, reservations
	PermPricingManage   Permission = "pricing:manage"   // price lists, promotions, coupons, tax zones, customer groups
	PermShippingManage  Permission = "shipping:manage"  // shipping zones, methods and carriers
	PermPaymentsManage  Permission = "payments:manage"  // read every payment, record offline payments, refund
	PermLedgerManage    Permission = "ledger:manage"    // issue gift cards, credit and debit wallets, read the ledger
	PermFraudReview     Permission = "fraud:review"     // read the fraud review queue, release or reject held orders
)

// rolePermissions is what each role may do. Higher roles list everything explicitly (no
// inheritance) so the table reads as the whole truth.
var rolePermissions = map[Role][]Permission{
	RoleCustomer: {PermAccountManage, PermVendorsApply, PermReviewsPublish},
	RoleVendor:   {PermAccountManage, PermVendorsApply, PermReviewsPublish, PermCatalogOwn, PermOrdersVendor},
	RoleAdmin: {PermAccountManage, PermCatalogWrite, PermOrdersManage, PermCartsManage, PermCustomersRead,
		PermUsersManage, PermVendorsReview, PermAuditRead,
		PermInventoryManage, PermPricingManage, PermShippingManage, PermPaymentsManage, PermLedgerManage, PermFraudReview},
	RoleSuperAdmin: {PermAccountManage, PermCatalogWrite, PermOrdersManage, PermCartsManage, PermCustomersRead,
		PermUsersManage, PermRolesManage, PermVendorsReview, PermAuditRead, PermSystemManage,
		PermInventoryManage, PermPricingManage, PermShippingManage, PermPaymentsManage, PermLedgerManage, PermFraudReview},
}

// permSets is rolePermissions as sets, built once.
var permSets = func() map[Role]map[Permission]bool {
	m := make(map[Role]map[Permission]bool, len(rolePermissions))
	for r, ps := range rolePermissions {
		m[r] = make(map[Permission]bool, len(ps))
		for _, p := range ps {
			m[r][p] = true
		}
	}
	return m
}()

// Can reports whether the role has the permission. Unknown roles have none.
func (r Role) Can(p Permission) bool { return permSets[r][p] }

// Permissions returns the role's permissions, in table order.
func (r Role) Permissions() []Permission { return append([]Permission(nil), rolePermissions[r]...) }

// Can reports whether the principal's role has the permission.
func (p Principal) Can(perm Permission) bool { return p.Role.Can(perm) }
