package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Order events that change stock, and so a product's in_stock. Their data carries the order
// lines ({"lines":[{"product_id":...,"variant_id":...,"quantity":...}]}); the names are those
// of commerce/orders, repeated here so the index depends on the event contract only.
const (
	eventOrderPlaced    = "orders.placed"
	eventOrderCancelled = "orders.cancelled"
)

// Review events that may move a product's rating summary (names of commerce/reviews): their
// data carries {"product_id":...,"ratings":{...}}, "ratings" only when the summary changed.
const (
	eventReviewApproved = "reviews.approved"
	eventReviewRejected = "reviews.rejected"
	eventReviewUpdated  = "reviews.updated"
	eventReviewDeleted  = "reviews.deleted"
)

// Apply applies a batch of events to the index in one Bleve batch that also stores the new
// high-water mark, so documents and mark are persisted together.
//
// Events name the products they touch: catalog product events their aggregate (or {"id"}),
// order placed and cancelled events the product of every line (stock moved). Each product
// named in the batch is read once from the source, as it is now, and indexed, or deleted
// from the index when the source no longer has it. Reading the current state rather than
// the event's copy keeps stock (which orders change without product events) and the order
// of concurrent writes right. Other event types only advance the mark.
//
// A product whose document equals the one the index holds (compared by fingerprint, see
// docTable) is not written again: an order that moves stock without selling the product out
// changes nothing searches see, so its batch leaves Generation, and the cached results, as
// they were.
//
// Events are taken in Seq order; an event whose Seq is at or below the mark was applied before
// (a redelivery) and is skipped, which makes Apply idempotent; an event with Seq 0 (never
// committed) is logged and skipped. An event whose Data cannot be decoded is logged and
// skipped rather than returned: a poison event must not stall the consumer, and a Rebuild
// repairs the document. A failure to read the source is returned, with the mark unmoved, so
// the batch is delivered again.
func (ix *Index) Apply(ctx context.Context, events []commerce.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	if err := ix.usableLocked(); err != nil {
		return err
	}

	evs := slices.Clone(events)
	slices.SortStableFunc(evs, func(a, b commerce.Event) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})

	mark := ix.hw.Load()
	next := mark
	var ids []string
	seen := map[string]bool{}
	touch := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	categoryEvents := false
	for _, ev := range evs {
		if ev.Seq == 0 {
			// Seq is assigned when the store commits; an event without one is a bug upstream
			// and can never be ordered against the mark.
			ix.skip(ev, "event without seq", nil)
			continue
		}
		if ev.Seq <= next {
			continue
		}
		next = ev.Seq
		switch ev.Type {
		case catalog.EventProductCreated, catalog.EventProductUpdated, catalog.EventProductDeleted:
			id := ev.Aggregate
			if id == "" && len(ev.Data) > 0 {
				var d struct {
					ID string `json:"id"`
				}
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					ix.skip(ev, "undecodable product event", err)
					continue
				}
				id = d.ID
			}
			if id == "" {
				ix.skip(ev, "product event without ID", nil)
				continue
			}
			touch(id)
		case catalog.EventCategoryCreated, catalog.EventCategoryUpdated, catalog.EventCategoryDeleted:
			categoryEvents = true
		case eventReviewApproved, eventReviewRejected, eventReviewUpdated, eventReviewDeleted:
			var d struct {
				ProductID string          `json:"product_id"`
				Ratings   json.RawMessage `json:"ratings"`
			}
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				ix.skip(ev, "undecodable review event", err)
				continue
			}
			if len(d.Ratings) > 0 && string(d.Ratings) != "null" {
				touch(d.ProductID) // its rating changed: re-read it
			}
		case eventOrderPlaced, eventOrderCancelled:
			var d struct {
				Lines []struct {
					ProductID string `json:"product_id"`
				} `json:"lines"`
			}
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				ix.skip(ev, "undecodable order event", err)
				continue
			}
			for _, l := range d.Lines {
				touch(l.ProductID)
			}
		}
	}
	if next == mark {
		return nil
	}
	if categoryEvents {
		// Category names are indexed with the products filed under them: a renamed or
		// deleted category re-indexes its products.
		old, err := ix.loadCategoryNames(ctx)
		if err != nil {
			return err
		}
		now := ix.categoryNames()
		for id, name := range old {
			if now[id] == name {
				continue
			}
			members, err := ix.idsInCategory(ctx, id)
			if err != nil {
				return err
			}
			for _, m := range members {
				touch(m)
			}
		}
	}
	names := namerOf(ix.categoryNames())
	changed := make(map[string]*catalog.Product, len(ids))
	b := ix.bi.NewBatch()
	docs := ix.docs.Load()
	var written []stagedDoc // documents this batch writes (fingerprints, columns)
	// The batch's products, read in one snapshot.
	read, err := ix.productReader(ctx, ids)
	if err != nil {
		return fmt.Errorf("index: read products: %w", err)
	}
	for _, id := range ids {
		p, err := read(id)
		switch {
		case errors.Is(err, catalog.ErrProductNotFound):
			b.Delete(id)
			changed[id] = nil
			written = append(written, stagedDoc{id: id})
		case err != nil:
			return fmt.Errorf("index: read product %s: %w", id, err)
		default:
			changed[id] = &p
			doc, same := docs.skipUnchanged(id, toDocument(p, names))
			if same {
				continue // the index holds this very document (stock moved, say)
			}
			if err := b.Index(id, doc.d); err != nil {
				ix.log.Error("index: product not indexable", "product", id, "err", err)
				continue
			}
			written = append(written, doc)
		}
	}
	b.SetInternal(keyHighWater, encodeUint(next))
	if err := ix.bi.Batch(b); err != nil {
		return fmt.Errorf("index: apply events up to seq %d: %w", next, err)
	}
	ix.hw.Store(next)
	if len(changed) > 0 {
		ix.suggest.update(changed)
	}
	docs.commit(written)
	ready := false
	if docs.pending {
		docs.mu.Lock()
		ready = ix.checkDocsLocked(docs)
		docs.mu.Unlock()
	}
	// Only what searches can see starts a new generation (and so empties the result cache);
	// any product re-read moves the products version.
	if len(written) > 0 || categoryEvents || ready {
		ix.gen.Add(1)
	}
	if len(ids) > 0 || categoryEvents {
		ix.productsVer.Add(1)
	}
	return nil
}

// idsInCategory returns the IDs of the indexed products filed under category id (or under
// one of its descendants).
func (ix *Index) idsInCategory(ctx context.Context, id string) ([]string, error) {
	t := query.NewTermQuery(id)
	t.SetField(fieldCategory)
	n, err := ix.bi.DocCount()
	if err != nil {
		return nil, fmt.Errorf("index: doc count: %w", err)
	}
	req := bleve.NewSearchRequestOptions(t, int(n)+1, 0, false)
	req.SortBy([]string{"_id"})
	sr, err := ix.bi.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("index: products of category %s: %w", id, err)
	}
	ids := make([]string, len(sr.Hits))
	for i, h := range sr.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}

func (ix *Index) skip(ev commerce.Event, why string, err error) {
	attrs := []any{"event_id", ev.ID, "seq", ev.Seq, "type", ev.Type, "aggregate", ev.Aggregate}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	ix.log.Error("index: event skipped: "+why, attrs...)
}
