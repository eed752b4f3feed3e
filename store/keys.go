package store

import (
	"encoding/binary"
	"strings"
)

// Key schema. Every key starts with a keyspace prefix ending in '/'; parts after it are either
// fixed-width big-endian integers or time-ordered IDs (commerce.NewID), so bytewise order is
// the order scans want. Every scan has both bounds (a keyspace prefix and PrefixEnd of it).
//
//	prefix               key parts                 value (codec v1 JSON)   written by
//	sys/schema_version   —                         uint64 big-endian       migrations at Open
//	sys/outbox_seq       —                         uint64 big-endian       the writer, with every group that emits events
//	sys/meta/<name>      name                      raw bytes               DB.Secret (generated secrets, e.g. jwt_secret)
//	outbox/              seq (uint64 BE)           commerce.Event          Tx.Emit in the use case's batch; deleted by AckOutbox
//	catalog/product/     product ID                catalog.Product         catalog repository (variants' Stock stored as 0)
//	catalog/variant/     variant ID                product ID (raw)        catalog repository, same batch as the product
//	catalog/slug/        product slug              product ID (raw)        catalog repository, same batch as the product
//	catalog/sku/         upper-cased SKU           variant ID (raw)        catalog repository, same batch as the product
//	catalog/plist/       status/scope/order/sort key+product ID   price, product ID (raw, see store/catalog.go)   catalog repository, same batch as the product
//	catalog/pvariants/   product ID                variant IDs, comma-separated (raw)   catalog repository, same batch as the product
//	catalog/category/    category ID               catalog.Category        catalog repository (categories)
//	catalog/catslug/     category slug             category ID (raw)       catalog repository, same batch as the category
//	catalog/slug_redirect/     former product slug   product ID (raw)  catalog repository, same batch as the slug change; dropped when a product takes the slug
//	catalog/catslug_redirect/  former category slug  category ID (raw) catalog repository, same batch as the slug change; dropped when a category takes the slug
//	inventory/stock/     variant ID                uint64 big-endian       the variant's sellable units (sum of available over warehouses), rewritten in the batch of every level change (store/inventory_store.go) and by the catalog's stock field; mirrored in memory for readers (inventory.go)
//	inventory/warehouse/   warehouse code          inventory.Warehouse     inventory admin (warehouses); "main" is implied until stored; cached in memory per DB
//	inventory/level/     variant ID / warehouse    inventory.Level         every level change (checkout reserve, commit, release, adjustments, transfers, catalog stock), same batch as the stock row
//	inventory/wlevel/    warehouse / variant ID    empty (raw)             with a level's first row: a warehouse's levels
//	inventory/move_v/    variant ID / movement ID  inventory.Movement      same batch as the level change: a variant's movement history
//	inventory/move_w/    warehouse / movement ID   variant ID (raw)        same batch: a warehouse's movement history (the movement is the variant's row)
//	inventory/item/      variant ID                inventory.Item          inventory admin: a SKU's backorder policy and low-stock threshold
//	inventory/reservation/  order ID               inventory.Reservation   checkout (reserve step), same batch as the order; commit and release mark it
//	inventory/res_active/   expiry (unix ns BE; max = none) / order ID   empty (raw)   with an active reservation: the sweeper scans it up to now
//	auth/user/           user ID                   auth user record        auth repository
//	auth/email/          lower-cased email         user ID (raw)           auth repository, same batch as the user
//	carts/cart/          cart ID (secret)          cart.Cart               cart repository; checkout marks it checked out
//	orders/order/        order ID                  orders.Order            checkout (new order), order status changes
//	orders/by_user/      user ID / order ID        empty (raw)             same batch as the order: a customer's orders, newest last
//	orders/by_status/    status / order ID         empty (raw)             same batch as the order; moved on every status change
//	orders/by_number/    number (uint64 BE)        order ID (raw)          checkout, same batch as the order
//	orders/number_seq    —                         uint64 big-endian       checkout: last order number given (gap-free)
//	orders/invoice_seq/  year (uint64 BE)          uint64 big-endian       issuing an invoice: last invoice number of that year (gap-free)
//	orders/invoice/      year (uint64 BE) + seq (uint64 BE)   order ID (raw)   issuing an invoice, same batch as the order
//	idem/response/       hex SHA-256 of scope+key  stored response         Idempotency-Key middleware (store/idempotency.go)
//	idem/checkout/       hex SHA-256 of scope+key  checkout.Receipt        checkout, same batch as the order
//	idem/expiry/         expiry (unix ns BE) / key the row's key (raw)     with each idem row; the purge scans it up to now
//	auth/session/        session ID                auth.Session            session repository: sign-in, refresh, logout, revocation
//	auth/refresh/        hex SHA-256 of the token  auth.RefreshToken       session repository, same batch as its session (kept after rotation until it expires)
//	auth/user_session/   user ID / session ID      empty (raw)             session repository, same batch as the session
//	auth/onetime/        hex SHA-256 of the token  auth.OneTimeToken       recovery repository: reset/verify token, same batch as its mail (kept, marked used, until it expires)
//	mail/queue/          mail ID                   queued mail (mail.go)   recovery repository, same batch as its cause; mailer deletes it once delivered
//	customers/address/   user ID / address ID      customers.Address       customers repository: address books; deleted with the account (customers.go)
//	audit/entry/         seq (uint64 BE)           audit.Entry             the writer (Tx.applyTo), same batch as the audited event; never changed (audit.go)
//	audit/head           —                         audit.Head              the writer, with every group that appends audit entries
//	vendors/vendor/      vendor ID                 vendors.Vendor          vendors repository (vendors.go)
//	vendors/by_owner/    user ID                   vendor ID (raw)         vendors repository, same batch as the vendor: one vendor per user
//	vendors/slug/        vendor slug               vendor ID (raw)         vendors repository, same batch as the vendor
//	vendors/by_status/   status / vendor ID        empty (raw)             vendors repository, same batch; moved on every status change
//	vendors/order/       vendor ID / order ID      empty (raw)             checkout, same batch as the order: one row per vendor with a line in it
//	jobs/job/            job ID                    catalog.Job             jobs repository (jobs.go): background imports, exports and bulk changes, rewritten as they progress
//	recommend/bucket/    hour (YYYYMMDDHH, UTC) / product ID   views and units sold that hour   recommendations: view flush and orders.placed consumer; pruned when out of the trending window (recommend.go)
//	recommend/pair/      product ID / product ID   counter (uint64 BE)     orders.placed consumer: orders holding both products (both ways); rebuilt from orders
//	recommend/order/     order ID                  empty (raw)             orders.placed consumer, same batch as its counts: the order was counted (idempotency)
//	search/synonyms      —                         search synonyms (synonyms.go)   admin API PUT /api/v1/admin/search/synonyms, with its search.synonyms_updated event
//	reviews/review/      review ID                 reviews.Review          reviews repository (store/reviews.go)
//	reviews/by_author/   product ID / user ID      review ID (raw)         reviews repository, same batch as the review: one review per product and author
//	reviews/by_status/   status / review ID        empty (raw)             reviews repository, same batch; moved on every status change (moderation queues)
//	reviews/by_product/  product ID / order / sort key+review ID   review ID (raw)   reviews repository, same batch; APPROVED reviews only (t: ID, h: helpful count, r: rating)
//	reviews/vote/        review ID / user ID       empty (raw)             reviews repository: one helpful mark per user and review, same batch as the review's count
//	catalog/rating/      product ID                reviews.Summary         reviews repository, same batch as the review change that moves it; read into Product.Ratings (counts as a product write for the page cache)
//	ledger/account/      account ("wallet:<user ID>", "gift_card:<card ID>", "shop:<name>:<currency>")   ledger.Account   ledger posting (store/ledger.go), same batch as the transaction that moves it: the balance
//	ledger/tx/           transaction ID            ledger.Transaction      ledger posting: gift card issue, wallet adjustments, payments' spends and credits (never changed)
//	ledger/entry/        account / transaction ID  empty (raw)             same batch as the transaction: an account's history, newest last
//	ledger/giftcard/     gift card ID              ledger.GiftCard         gift card issue and disable (store/ledger.go)
//	ledger/giftcard_code/  hex SHA-256 of the normalized code   gift card ID (raw)   same batch as the issued card: the code is kept only hashed
//	fraud/velocity/      rule / value (user ID, IP, card fingerprint)   recent order times (unix ns BE, 8 bytes each)   checkout's screen step, same batch as the order (store/checkout_screen.go); stale rows purged (store/fraud.go)
//	fraud/held/          order ID                  empty (raw)             checkout, same batch as the held order: the fraud review queue; deleted by the review decision
//	payments/payment/    payment ID                payment record (payments.go)   checkout (pay step), payment process/capture/refund/notify updates (store/payments.go)
//	payments/by_order/   order ID / payment ID     empty (raw)             same batch as the payment: an order's payments, oldest first
//	payments/by_external/  method / gateway payment ID   payment ID (raw)   same batch as the payment that got the gateway ID (notifications without our ID)
//	payments/notified/   provider / event ID       payment ID (raw)        same batch as the notification's effect: each gateway event is applied once
//	payments/refund_due/  payment ID / refund ID   empty (raw)             same batch as an automatic refund (a capture for a cancelled order): due at its gateway; deleted with the gateway's answer (store/payments.go)
//	shipping/zone/      zone ID                   shipping.Zone           shipping repository (store/shipping.go): admin zone changes; cached in memory for quotes and checkout
//	shipping/method/    method ID                 shipping.Method         shipping repository, same cache: admin method changes (a method names its zone)
//	gateways/state/      gateway / key             {at, value: adapter JSON}   gateway adapters through DB.GatewayState (gateway_state.go): Payme transactions by Payme ID, Click transactions
//	gateways/by_time/    gateway / time (unix ms BE) / key   empty (raw)   same update as the state row it indexes (Payme GetStatement)
//	gateways/alias/      gateway / alias           state key (raw)         same update as the state row: e.g. a payment's active Payme transaction
//	pricing/epoch        —                         uint64 big-endian       every price list, promotion and tax zone write: cached pricing books reload when it moves (pricing.go)
//	pricing/list/        price list ID             pricing.PriceList       pricing repository (pricing.go)
//	pricing/promo/       promotion ID              pricing.PromotionRecord pricing repository
//	pricing/promo_code/  normalized coupon code    promotion ID (raw)      pricing repository, same batch as the promotion: codes are unique
//	pricing/usage/       promotion ID              uint64 big-endian       checkout, same batch as the order: redemptions of an applied promotion
//	pricing/usage_customer/  promotion ID / customer ("user:<id>" or "email:<addr>")   uint64 big-endian   checkout, same batch: per-customer redemptions (promotions with a per-customer limit)
//	pricing/zone/        tax zone ID               pricing.TaxZone         pricing repository
//	pricing/group/       user ID                   customer group (raw)    pricing repository: PUT /api/v1/admin/customer-groups/:user_id
//	carts/by_user/       user ID / cart ID         empty (raw)             cart repository, with every account cart write (carts.go)
//	carts/idle/          updated at (unix ns BE) / cart ID   empty (raw)   cart repository: open account carts with lines, not flagged abandoned; moved on every write (abandoned-cart sweep)
//	carts/recovery/      hex SHA-256 of the token  cart ID and expiry      abandoned-cart sweep, same batch as the flag; expires with the cart
const (
	keySchemaVersion      = "sys/schema_version"
	keyOutboxSeq          = "sys/outbox_seq"
	prefixMeta            = "sys/meta/"
	prefixOutbox          = "outbox/"
	prefixProduct         = "catalog/product/"
	prefixVariant         = "catalog/variant/"
	prefixProductSlug     = "catalog/slug/"
	prefixSKU             = "catalog/sku/"
	prefixProductList     = "catalog/plist/"
	prefixProductVariants = "catalog/pvariants/"
	prefixCategory        = "catalog/category/"
	prefixCategorySlug    = "catalog/catslug/"
	prefixStock           = "inventory/stock/"
	prefixUser            = "auth/user/"
	prefixUserEmail       = "auth/email/"
)

// Slug redirect keyspaces (store/catalog.go): a former slug names the entity that had it.
const (
	prefixProductRedirect  = "catalog/slug_redirect/"
	prefixCategoryRedirect = "catalog/catslug_redirect/"
)

// Job keyspace (store/jobs.go).
const prefixJob = "jobs/job/"

// Session keyspaces (store/sessions.go).
const (
	prefixSession     = "auth/session/"
	prefixRefresh     = "auth/refresh/"
	prefixUserSession = "auth/user_session/"
)

// Key joins a keyspace prefix and string parts with '/'.
func Key(prefix string, parts ...string) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, prefix...)
	for i, p := range parts {
		if i > 0 {
			b = append(b, '/')
		}
		b = append(b, p...)
	}
	return b
}

// PrefixEnd returns the smallest key greater than every key starting with prefix: the upper
// bound of a prefix scan.
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil // every byte is 0xff: no upper bound
}

// Uint64Key returns prefix followed by v as 8 big-endian bytes.
func Uint64Key(prefix string, v uint64) []byte {
	b := make([]byte, len(prefix)+8)
	copy(b, prefix)
	binary.BigEndian.PutUint64(b[len(prefix):], v)
	return b
}

func outboxKey(seq uint64) []byte { return Uint64Key(prefixOutbox, seq) }

func outboxSeqOf(key []byte) uint64 {
	return binary.BigEndian.Uint64(key[len(prefixOutbox):])
}

func emailKey(email string) []byte { return Key(prefixUserEmail, strings.ToLower(email)) }

// Cart, order and idempotency keyspaces (store/carts.go, store/orders.go, store/idempotency.go).
const (
	prefixCart          = "carts/cart/"
	prefixOrder         = "orders/order/"
	prefixOrderByUser   = "orders/by_user/"
	prefixOrderByStatus = "orders/by_status/"
	prefixOrderByNumber = "orders/by_number/"
	keyOrderNumberSeq   = "orders/number_seq"
	prefixIdemResponse  = "idem/response/"
	prefixIdemCheckout  = "idem/checkout/"
	prefixIdemExpiry    = "idem/expiry/"
)

// Audit log keyspaces (store/audit.go).
const (
	prefixAuditEntry = "audit/entry/"
	keyAuditHead     = "audit/head"
)

// Customer keyspaces (store/customers.go).
const prefixCustomerAddress = "customers/address/"

// Recovery keyspaces (store/onetime.go, store/mail.go).
const (
	prefixOneTime   = "auth/onetime/"
	prefixMailQueue = "mail/queue/"
)

// Vendor keyspaces. A vendor lives at vendors/vendor/<id>; its owner, slug and status rows
// are written in the same update. vendors/order/<vendor ID>/<order ID> is written by
// checkout with the order (one row per vendor whose products the order holds), so a
// vendor's orders are one reverse range scan.
const (
	prefixVendor         = "vendors/vendor/"
	prefixVendorByOwner  = "vendors/by_owner/"
	prefixVendorSlug     = "vendors/slug/"
	prefixVendorByStatus = "vendors/by_status/"
	prefixVendorOrder    = "vendors/order/"
)

// Review keyspaces (store/reviews.go). A product's rating summary lives under catalog/ next
// to the product, apart from its record, like its stock.
const (
	prefixReview          = "reviews/review/"
	prefixReviewByAuthor  = "reviews/by_author/"
	prefixReviewByStatus  = "reviews/by_status/"
	prefixReviewByProduct = "reviews/by_product/"
	prefixReviewVote      = "reviews/vote/"
	prefixRating          = "catalog/rating/"
)

// Recommendation keyspaces (store/recommend.go): derived state, rebuilt from orders (views
// are best effort and are not).
const (
	prefixRecommendBucket = "recommend/bucket/"
	prefixRecommendPair   = "recommend/pair/"
	prefixRecommendOrder  = "recommend/order/"
)

// Search keyspaces (store/synonyms.go).
const keySearchSynonyms = "search/synonyms"

// The commerce engine's keyspaces, one block per domain (each block's rows are also in the
// table at the top and in verifyKeyspaces).

// Inventory keyspaces (store/inventory*.go).
const (
	prefixWarehouse         = "inventory/warehouse/"
	prefixLevel             = "inventory/level/"
	prefixWarehouseLevel    = "inventory/wlevel/"
	prefixMoveByVariant     = "inventory/move_v/"
	prefixMoveByWarehouse   = "inventory/move_w/"
	prefixInvItem           = "inventory/item/"
	prefixReservation       = "inventory/reservation/"
	prefixReservationActive = "inventory/res_active/"
)

// Pricing and cart keyspaces (store/pricing*.go, store/carts*.go).
const (
	keyPricingEpoch          = "pricing/epoch"
	prefixPriceList          = "pricing/list/"
	prefixPromotion          = "pricing/promo/"
	prefixPromoCode          = "pricing/promo_code/"
	prefixPromoUsage         = "pricing/usage/"
	prefixPromoCustomerUsage = "pricing/usage_customer/"
	prefixTaxZone            = "pricing/zone/"
	prefixCustomerGroup      = "pricing/group/"
	prefixCartByUser         = "carts/by_user/"
	prefixCartIdle           = "carts/idle/"
	prefixCartRecovery       = "carts/recovery/"
)

// Shipping keyspaces (store/shipping*.go).
const (
	prefixShippingZone   = "shipping/zone/"
	prefixShippingMethod = "shipping/method/"
)

// Ledger, gift card, wallet and fraud keyspaces (store/ledger*.go, store/fraud*.go).
const (
	prefixLedgerAccount = "ledger/account/"
	prefixLedgerTx      = "ledger/tx/"
	prefixLedgerEntry   = "ledger/entry/"
	prefixGiftCard      = "ledger/giftcard/"
	prefixGiftCardCode  = "ledger/giftcard_code/"
	prefixFraudVelocity = "fraud/velocity/"
	prefixFraudHeld     = "fraud/held/"
)

// Payment keyspaces (store/payments*.go).
const (
	prefixPayment           = "payments/payment/"
	prefixPaymentByOrder    = "payments/by_order/"
	prefixPaymentByExternal = "payments/by_external/"
	prefixPaymentNotified   = "payments/notified/"
	prefixPaymentRefundDue  = "payments/refund_due/"
)

// Order lifecycle keyspaces: invoices (store/orders*.go). Fulfilments, returns and notes
// live inside the order record.
const (
	prefixInvoiceSeq = "orders/invoice_seq/"
	prefixInvoice    = "orders/invoice/"
)

// Gateway adapters' keyspaces (store/gateway*.go).
const (
	prefixGatewayState  = "gateways/state/"
	prefixGatewayByTime = "gateways/by_time/"
	prefixGatewayAlias  = "gateways/alias/"
)
