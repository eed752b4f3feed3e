package index

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Apply applies a batch of events to the index in one Bleve batch that also stores the new
// high-water mark, so documents and mark are persisted together. Product created and updated
// events upsert the product carried in Data; deleted events remove the product named by
// {"id"} (or the event's Aggregate). Other event types only advance the mark.
//
// Events are taken in Seq order; an event whose Seq is at or below the mark was applied before
// (a redelivery) and is skipped, which makes Apply idempotent; an event with Seq 0 (never
// committed) is logged and skipped. An event whose Data cannot be
// decoded is logged and skipped rather than returned: a poison event must not stall the
// consumer, and a Rebuild repairs the document.
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
	b := ix.bi.NewBatch()
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
		case catalog.EventProductCreated, catalog.EventProductUpdated:
			var p catalog.Product
			if err := json.Unmarshal(ev.Data, &p); err != nil {
				ix.skip(ev, "undecodable product", err)
				continue
			}
			id := p.ID
			if id == "" {
				id = ev.Aggregate
			}
			if id == "" {
				ix.skip(ev, "product without ID", nil)
				continue
			}
			if err := b.Index(id, toDocument(p)); err != nil {
				ix.skip(ev, "product not indexable", err)
				continue
			}
		case catalog.EventProductDeleted:
			var d struct {
				ID string `json:"id"`
			}
			if len(ev.Data) > 0 {
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					ix.skip(ev, "undecodable delete", err)
					continue
				}
			}
			if d.ID == "" {
				d.ID = ev.Aggregate
			}
			if d.ID == "" {
				ix.skip(ev, "delete without ID", nil)
				continue
			}
			b.Delete(d.ID)
		}
	}
	if next == mark {
		return nil
	}
	b.SetInternal(keyHighWater, encodeUint(next))
	if err := ix.bi.Batch(b); err != nil {
		return fmt.Errorf("index: apply events up to seq %d: %w", next, err)
	}
	ix.hw.Store(next)
	return nil
}

func (ix *Index) skip(ev commerce.Event, why string, err error) {
	attrs := []any{"event_id", ev.ID, "seq", ev.Seq, "type", ev.Type, "aggregate", ev.Aggregate}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	ix.log.Error("index: event skipped: "+why, attrs...)
}
