package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// ErrCorrupt is wrapped by Verify's error when the store breaks an invariant: a value that
// does not decode, a key outside every documented keyspace, or an outbox out of order.
var ErrCorrupt = errors.New("store: verification failed")

// maxVerifyProblems bounds how many problems Verify's error lists; the rest are counted.
const maxVerifyProblems = 50

// valueKind is how Verify checks the values of one keyspace.
type valueKind int

const (
	kindCounter valueKind = iota // version byte + 8 big-endian bytes (encodeUint64)
	kindCodec                    // version byte + body (encode)
	kindEvent                    // kindCodec holding a commerce.Event whose Seq equals the key's
	kindRaw                      // plain bytes, no version byte
)

// verifyKeyspace is one row of the keys.go table as Verify sees it.
type verifyKeyspace struct {
	prefix string
	exact  bool // a single key rather than a prefix
	kind   valueKind
}

// verifyKeyspaces lists every keyspace documented in keys.go. A key matching none of them is
// reported: a new keyspace must be added here (a test checks keys.go against this list).
var verifyKeyspaces = []verifyKeyspace{
	{prefix: keyPricingEpoch, exact: true, kind: kindCounter},
	{prefix: prefixPriceList, kind: kindCodec},
	{prefix: prefixPromotion, kind: kindCodec},
	{prefix: prefixPromoCode, kind: kindRaw},
	{prefix: prefixPromoUsage, kind: kindCounter},
	{prefix: prefixPromoCustomerUsage, kind: kindCounter},
	{prefix: prefixTaxZone, kind: kindCodec},
	{prefix: prefixCustomerGroup, kind: kindRaw},
	{prefix: prefixCartByUser, kind: kindRaw},
	{prefix: prefixCartIdle, kind: kindRaw},
	{prefix: prefixCartRecovery, kind: kindCodec},
	{prefix: keySchemaVersion, exact: true, kind: kindCounter},
	{prefix: keyOutboxSeq, exact: true, kind: kindCounter},
	{prefix: prefixMeta, kind: kindRaw},
	{prefix: prefixOutbox, kind: kindEvent},
	{prefix: prefixProduct, kind: kindCodec},
	{prefix: prefixVariant, kind: kindRaw},
	{prefix: prefixProductSlug, kind: kindRaw},
	{prefix: prefixSKU, kind: kindRaw},
	{prefix: prefixProductList, kind: kindRaw},
	{prefix: prefixProductVariants, kind: kindRaw},
	{prefix: prefixCategory, kind: kindCodec},
	{prefix: prefixCategorySlug, kind: kindRaw},
	{prefix: prefixProductRedirect, kind: kindRaw},
	{prefix: prefixCategoryRedirect, kind: kindRaw},
	{prefix: prefixStock, kind: kindCounter},
	{prefix: prefixWarehouse, kind: kindCodec},
	{prefix: prefixLevel, kind: kindCodec},
	{prefix: prefixWarehouseLevel, kind: kindRaw},
	{prefix: prefixMoveByVariant, kind: kindCodec},
	{prefix: prefixMoveByWarehouse, kind: kindRaw},
	{prefix: prefixInvItem, kind: kindCodec},
	{prefix: prefixReservation, kind: kindCodec},
	{prefix: prefixReservationActive, kind: kindRaw},
	{prefix: prefixUser, kind: kindCodec},
	{prefix: prefixUserEmail, kind: kindRaw},
	{prefix: prefixCart, kind: kindCodec},
	{prefix: prefixOrder, kind: kindCodec},
	{prefix: prefixOrderByUser, kind: kindRaw},
	{prefix: prefixOrderByStatus, kind: kindRaw},
	{prefix: prefixOrderByNumber, kind: kindRaw},
	{prefix: keyOrderNumberSeq, exact: true, kind: kindCounter},
	{prefix: prefixInvoiceSeq, kind: kindCounter},
	{prefix: prefixInvoice, kind: kindRaw},
	{prefix: prefixIdemResponse, kind: kindCodec},
	{prefix: prefixIdemCheckout, kind: kindCodec},
	{prefix: prefixIdemExpiry, kind: kindRaw},
	{prefix: prefixSession, kind: kindCodec},
	{prefix: prefixRefresh, kind: kindCodec},
	{prefix: prefixUserSession, kind: kindRaw},
	{prefix: prefixOneTime, kind: kindCodec},
	{prefix: prefixMailQueue, kind: kindCodec},
	{prefix: prefixCustomerAddress, kind: kindCodec},
	{prefix: prefixAuditEntry, kind: kindCodec},
	{prefix: keyAuditHead, exact: true, kind: kindCodec},
	{prefix: prefixShippingZone, kind: kindCodec},
	{prefix: prefixShippingMethod, kind: kindCodec},
	{prefix: prefixVendor, kind: kindCodec},
	{prefix: prefixVendorByOwner, kind: kindRaw},
	{prefix: prefixVendorSlug, kind: kindRaw},
	{prefix: prefixVendorByStatus, kind: kindRaw},
	{prefix: prefixVendorOrder, kind: kindRaw},
	{prefix: prefixJob, kind: kindCodec},
	{prefix: prefixRecommendBucket, kind: kindCodec},
	{prefix: prefixRecommendPair, kind: kindCounter},
	{prefix: prefixRecommendOrder, kind: kindRaw},
	{prefix: keySearchSynonyms, exact: true, kind: kindCodec},
	{prefix: prefixReview, kind: kindCodec},
	{prefix: prefixReviewByAuthor, kind: kindRaw},
	{prefix: prefixReviewByStatus, kind: kindRaw},
	{prefix: prefixReviewByProduct, kind: kindRaw},
	{prefix: prefixReviewVote, kind: kindRaw},
	{prefix: prefixRating, kind: kindCodec},
	{prefix: prefixLedgerAccount, kind: kindCodec},
	{prefix: prefixLedgerTx, kind: kindCodec},
	{prefix: prefixLedgerEntry, kind: kindRaw},
	{prefix: prefixGiftCard, kind: kindCodec},
	{prefix: prefixGiftCardCode, kind: kindRaw},
	{prefix: prefixFraudVelocity, kind: kindRaw},
	{prefix: prefixFraudHeld, kind: kindRaw},
	{prefix: prefixPayment, kind: kindCodec},
	{prefix: prefixPaymentByOrder, kind: kindRaw},
	{prefix: prefixPaymentByExternal, kind: kindRaw},
	{prefix: prefixPaymentNotified, kind: kindRaw},
	{prefix: prefixPaymentRefundDue, kind: kindRaw},
	{prefix: prefixGatewayState, kind: kindCodec},
	{prefix: prefixGatewayByTime, kind: kindRaw},
	{prefix: prefixGatewayAlias, kind: kindRaw},
}

// VerifyReport is what Verify found in a store that passed.
type VerifyReport struct {
	Dir           string
	SchemaVersion uint64         // stored schema version
	OutboxSeq     uint64         // sys/outbox_seq; 0 when no event was ever emitted
	OutboxRows    int            // pending outbox rows
	Keys          int            // every key
	Bytes         int64          // keys and values together
	Keyspaces     map[string]int // keys per keyspace prefix (or exact key) of keys.go
}

// Verify opens the Pebble store in dir read-only and checks, without writing, that the
// schema version is present and not newer than this build's, that every key belongs to a
// keyspace documented in keys.go and its value decodes by its codec version byte, and that
// the outbox rows have strictly increasing seqs, none above sys/outbox_seq, each holding an
// event whose Seq equals its key. Problems are collected and returned together, each naming
// its key, in an error wrapping ErrCorrupt.
//
// Opening read-only creates dir/LOCK when it is missing; nothing else in dir is touched.
func Verify(ctx context.Context, dir string) (VerifyReport, error) {
	rep := VerifyReport{Dir: dir, Keyspaces: map[string]int{}}
	db, err := Open(ctx, Config{Dir: dir, ReadOnly: true})
	if errors.Is(err, ErrCodec) {
		// Open reads only the sys/ counters.
		return rep, fmt.Errorf("%w: %s: %s or %s does not decode: %w", ErrCorrupt, dir, keySchemaVersion, keyOutboxSeq, err)
	}
	if err != nil {
		return rep, fmt.Errorf("store: verify %s: %w", dir, err)
	}
	defer db.Close()

	var problems []string
	more := 0
	report := func(format string, args ...any) {
		if len(problems) < maxVerifyProblems {
			problems = append(problems, fmt.Sprintf(format, args...))
		} else {
			more++
		}
	}

	var lastOutbox uint64
	var seenSchema bool
	err = db.View(ctx, func(r *Reader) error {
		// Read the counter first: outbox/ sorts before sys/.
		if v, err := r.Get([]byte(keyOutboxSeq)); err == nil {
			if n, err := decodeUint64(v); err == nil {
				rep.OutboxSeq = n
			}
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		n := 0
		// A full scan on purpose: every key must belong to a known keyspace.
		return r.Scan(nil, nil, func(k, v []byte) error {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			rep.Keys++
			rep.Bytes += int64(len(k) + len(v))
			ks, ok := keyspaceOf(k)
			if !ok {
				report("key %s: outside every keyspace documented in keys.go", keyString(k))
				return nil
			}
			rep.Keyspaces[ks.prefix]++
			switch ks.kind {
			case kindCounter:
				c, err := decodeUint64(v)
				if err != nil {
					report("key %s: %v", keyString(k), err)
					return nil
				}
				if ks.prefix == keySchemaVersion {
					seenSchema = true
					rep.SchemaVersion = c
					if c == 0 || c > SchemaVersion() {
						report("key %s: schema version %d is outside 1..%d known to this build", keyString(k), c, SchemaVersion())
					}
				}
			case kindCodec:
				if !ks.exact && len(k) == len(ks.prefix) {
					report("key %s: no ID after the keyspace prefix", keyString(k))
				}
				var body json.RawMessage
				if err := decode(v, &body); err != nil {
					report("key %s: %v", keyString(k), err)
				}
			case kindEvent:
				if len(k) != len(prefixOutbox)+8 {
					report("key %s: outbox key is not an 8-byte seq", keyString(k))
					return nil
				}
				seq := outboxSeqOf(k)
				rep.OutboxRows++
				if seq <= lastOutbox {
					report("key %s: seq not above the previous row's %d", keyString(k), lastOutbox)
				}
				lastOutbox = seq
				if seq > rep.OutboxSeq {
					report("key %s: seq above %s = %d", keyString(k), keyOutboxSeq, rep.OutboxSeq)
				}
				var ev commerce.Event
				if err := decode(v, &ev); err != nil {
					report("key %s: %v", keyString(k), err)
				} else if ev.Seq != seq {
					report("key %s: event %s holds seq %d", keyString(k), ev.ID, ev.Seq)
				}
			case kindRaw:
				if ks.prefix == prefixUserEmail && len(v) == 0 {
					report("key %s: empty user ID", keyString(k))
				}
			}
			return nil
		})
	})
	if err != nil {
		return rep, fmt.Errorf("store: verify %s: %w", dir, err)
	}
	if !seenSchema {
		report("key %s: missing", keySchemaVersion)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		msg := strings.Join(problems, "; ")
		if more > 0 {
			msg += fmt.Sprintf("; and %d more", more)
		}
		return rep, fmt.Errorf("%w: %s: %d problems: %s", ErrCorrupt, dir, len(problems)+more, msg)
	}
	return rep, nil
}

// keyspaceOf returns the keyspace k belongs to, preferring the longest matching prefix.
func keyspaceOf(k []byte) (verifyKeyspace, bool) {
	var best verifyKeyspace
	found := false
	for _, ks := range verifyKeyspaces {
		var match bool
		if ks.exact {
			match = string(k) == ks.prefix
		} else {
			match = bytes.HasPrefix(k, []byte(ks.prefix))
		}
		if match && (!found || len(ks.prefix) > len(best.prefix)) {
			best, found = ks, true
		}
	}
	return best, found
}

// keyString renders k for an error message: outbox and audit seqs as numbers, anything else quoted.
func keyString(k []byte) string {
	if bytes.HasPrefix(k, []byte(prefixOutbox)) && len(k) == len(prefixOutbox)+8 {
		return prefixOutbox + strconv.FormatUint(outboxSeqOf(k), 10)
	}
	if seq, ok := auditSeqOf(k); ok && bytes.HasPrefix(k, []byte(prefixAuditEntry)) {
		return prefixAuditEntry + strconv.FormatUint(seq, 10)
	}
	return strconv.Quote(string(k))
}
