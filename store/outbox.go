package store

import (
	"context"
	"fmt"

	"github.com/ultramarket/ultramarket/commerce"
)

// Outbox returns up to limit pending events with Seq > after, in Seq order. Only durable
// events (Seq <= LastSeq) are returned: Pebble makes a group readable before its fsync, and an
// event relayed then lost in a crash would have its seq reused by a different event.
func (db *DB) Outbox(ctx context.Context, after uint64, limit int) ([]commerce.Event, error) {
	last := db.LastSeq()
	if after >= last {
		return nil, ctx.Err()
	}
	var out []commerce.Event
	err := db.View(ctx, func(r *Reader) error {
		return r.Scan(outboxKey(after+1), outboxKey(last+1), func(k, v []byte) error {
			var ev commerce.Event
			if err := decode(v, &ev); err != nil {
				return fmt.Errorf("store: outbox row %d: %w", outboxSeqOf(k), err)
			}
			out = append(out, ev)
			if len(out) >= limit {
				return ErrStop
			}
			return nil
		})
	})
	return out, err
}

// AckOutbox deletes the outbox rows with Seq <= upTo: the bus holds them now.
func (db *DB) AckOutbox(ctx context.Context, upTo uint64) error {
	return db.Update(ctx, func(tx *Tx) error {
		return tx.Scan([]byte(prefixOutbox), outboxKey(upTo+1), func(k, _ []byte) error {
			tx.Delete(k)
			return nil
		})
	})
}

// OutboxBacklog is how many events the bus has not yet acknowledged: the outbox rows from
// the oldest pending one to the last durable seq (seqs are dense). It reads one key.
func (db *DB) OutboxBacklog(ctx context.Context) (uint64, error) {
	first, err := db.Outbox(ctx, 0, 1)
	if err != nil || len(first) == 0 {
		return 0, err
	}
	return db.LastSeq() - first[0].Seq + 1, nil
}
