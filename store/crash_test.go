package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/internal/poll"
)

const (
	crashWriters  = 32
	crashCounters = 8
	crashStart    = 1000 // initial units in every counter
)

// transfer is the event payload of one crash-test update.
type transfer struct {
	ID     string `json:"id"`
	From   int    `json:"from"`
	To     int    `json:"to"`
	Amount uint64 `json:"amount"`
}

func counterKey(i int) []byte { return Key("crash/counter/", fmt.Sprintf("%02d", i)) }

func partKey(id, part string) []byte { return Key("crash/rec/", id, part) }

var crashParts = []string{"a", "b", "c"}

// TestCrashRecovery runs concurrent updates, takes a crash image of the file system at a
// random moment while they run, and checks the store opened on that image: every update
// acknowledged before the crash is fully there, every other update is wholly there or wholly
// absent, counter transfers conserve units and replaying the outbox gives the stored
// balances, outbox seqs are dense, and new updates continue the seq. Each run chains several
// crashes, acknowledging part of the outbox in between as the relay would.
func TestCrashRecovery(t *testing.T) {
	scenarios := []struct {
		name     string
		unsynced int // UnsyncedDataPercent of the crash image
		pad      int // extra bytes per record; large records make Pebble flush memtables
		most     int // the crash comes after 20 to most acknowledged updates
	}{
		{name: "only synced data survives", unsynced: 0, most: 400},
		{name: "half of unsynced data survives", unsynced: 50, most: 400},
		{name: "most unsynced data survives", unsynced: 90, most: 400},
		{name: "large records with flushes", unsynced: 50, pad: 2000, most: 1500},
	}
	seeds := []uint64{1, 2, 3, 4}
	rounds := 3
	if testing.Short() {
		seeds, rounds = seeds[:1], 2
	}
	for _, sc := range scenarios {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", sc.name, seed), func(t *testing.T) {
				crashRounds(t, seed, rounds, sc.unsynced, sc.pad, sc.most)
			})
		}
	}
}

// crashModel is what the test knows must hold in a crash image.
type crashModel struct {
	mustHave  map[string]bool // acknowledged before a crash image was taken
	refused   map[string]bool // returned an error on purpose: never present
	relayed   map[string]bool // transfers whose events were acknowledged off the outbox
	ackedUpTo uint64          // outbox rows <= this were deleted by AckOutbox
	base      [crashCounters]uint64
}

func crashRounds(t *testing.T, seed uint64, rounds, unsynced, pad, most int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, uint64(unsynced)))
	m := &crashModel{mustHave: map[string]bool{}, refused: map[string]bool{}, relayed: map[string]bool{}}
	for i := range m.base {
		m.base[i] = crashStart
	}
	fs := vfs.NewCrashableMem()
	db, err := Open(ctx, Config{Dir: "kv", FS: fs, DiskGuardOff: true, Logger: quietLogger()})
	must(t, err)
	must(t, db.Update(ctx, func(tx *Tx) error {
		for i := range crashCounters {
			tx.Set(counterKey(i), encodeUint64(crashStart))
		}
		return nil
	}))
	for round := range rounds {
		crashed := runUntilCrash(t, db, fs, m, rng, seed, round, unsynced, pad, 20+rng.IntN(most-19))
		must(t, db.Close())
		fs = crashed
		db, err = Open(ctx, Config{Dir: "kv", FS: fs, DiskGuardOff: true, Logger: quietLogger()})
		if err != nil {
			t.Fatalf("round %d: open after crash: %v", round, err)
		}
		present := m.check(t, db)
		for id := range m.mustHave {
			if !present[id] {
				t.Errorf("round %d: acknowledged update %s lost in the crash", round, id)
			}
		}
		for id := range m.refused {
			if present[id] {
				t.Errorf("round %d: refused update %s present after the crash", round, id)
			}
		}

		// The reopened store takes new updates and continues the seq after the durable one.
		last := db.LastSeq()
		marker := transfer{ID: fmt.Sprintf("r%d-reopened", round), From: 0, To: 1, Amount: 1}
		must(t, db.Update(ctx, func(tx *Tx) error { return applyTransfer(tx, marker, false, nil, pad) }))
		m.mustHave[marker.ID] = true
		if db.LastSeq() != last+1 {
			t.Fatalf("round %d: LastSeq after a new update = %d, want %d", round, db.LastSeq(), last+1)
		}
		evs, err := db.Outbox(ctx, last, 10)
		must(t, err)
		if len(evs) != 1 || evs[0].Seq != last+1 || evs[0].Aggregate != marker.ID {
			t.Fatalf("round %d: event after reopen = %+v, want seq %d", round, evs, last+1)
		}

		// Relay half of the pending outbox so the next image starts after an acked point.
		m.ack(t, db, m.ackedUpTo+(db.LastSeq()-m.ackedUpTo)/2)
		m.check(t, db)
	}
	must(t, db.Close())
}

// runUntilCrash runs crashWriters goroutines of transfers on db until target updates were
// acknowledged, takes a crash image while they still run, then stops them.
func runUntilCrash(t *testing.T, db *DB, fs *vfs.MemFS, m *crashModel, rng *rand.Rand, seed uint64, round, unsynced, pad, target int) *vfs.MemFS {
	ctx := context.Background()
	var (
		mu      sync.Mutex
		acked   []string
		refused []string
		stop    atomic.Bool
		wg      sync.WaitGroup
	)
	errRefused := errors.New("refused")
	for w := range crashWriters {
		wrng := rand.New(rand.NewPCG(seed, uint64(round*1000+w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				tr := transfer{
					ID:     fmt.Sprintf("r%d-w%02d-%05d", round, w, n),
					From:   wrng.IntN(crashCounters),
					To:     wrng.IntN(crashCounters),
					Amount: 1 + wrng.Uint64N(20),
				}
				refuse := wrng.IntN(10) == 0
				err := db.Update(ctx, func(tx *Tx) error { return applyTransfer(tx, tr, refuse, errRefused, pad) })
				mu.Lock()
				switch {
				case err == nil:
					acked = append(acked, tr.ID)
				case errors.Is(err, errRefused):
					refused = append(refused, tr.ID)
				default:
					t.Errorf("update %s: %v", tr.ID, err)
				}
				mu.Unlock()
			}
		}()
	}
	poll.Until(t, "updates to be acknowledged", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= target
	})
	// Everything acknowledged so far was synced before the image is taken.
	mu.Lock()
	for _, id := range acked {
		m.mustHave[id] = true
	}
	before := len(acked)
	mu.Unlock()
	crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: unsynced, RNG: rng})
	stop.Store(true)
	wg.Wait()
	for _, id := range refused {
		m.refused[id] = true
	}
	t.Logf("round %d: crash image after %d acknowledged updates (%d by the end)", round, before, len(acked))
	return crashed
}

// applyTransfer writes the three records of tr, moves tr.Amount units between two counters
// and emits the transfer event; with refuse it returns errRefused after doing all that.
func applyTransfer(tx *Tx, tr transfer, refuse bool, errRefused error, pad int) error {
	val := []byte(tr.ID + strings.Repeat(".", pad))
	for _, p := range crashParts {
		tx.Set(partKey(tr.ID, p), val)
	}
	from, err := readCounter(tx, tr.From)
	if err != nil {
		return err
	}
	tx.Set(counterKey(tr.From), encodeUint64(from-tr.Amount)) // may wrap: the sum still holds mod 2^64
	to, err := readCounter(tx, tr.To)
	if err != nil {
		return err
	}
	tx.Set(counterKey(tr.To), encodeUint64(to+tr.Amount))
	ev, err := commerce.NewEvent("test.transferred", tr.ID, commerce.SystemClock{}.Now(), tr)
	if err != nil {
		return err
	}
	tx.Emit(ev)
	if refuse {
		return errRefused
	}
	return nil
}

func readCounter(tx *Tx, i int) (uint64, error) {
	b, err := tx.Get(counterKey(i))
	if err != nil {
		return 0, err
	}
	return decodeUint64(b)
}

// crashImage is the raw content of a store written by crashRounds.
type crashImage struct {
	parts     map[string]int // records per transfer ID
	balances  [crashCounters]uint64
	events    []commerce.Event // every outbox row, in seq order
	storedSeq uint64
}

func readCrashImage(t *testing.T, db *DB) crashImage {
	t.Helper()
	img := crashImage{parts: map[string]int{}}
	err := db.View(context.Background(), func(r *Reader) error {
		rec := []byte("crash/rec/")
		if err := r.Scan(rec, PrefixEnd(rec), func(k, v []byte) error {
			id, _, ok := strings.Cut(string(k[len(rec):]), "/")
			if !ok || !strings.HasPrefix(string(v), id) {
				return fmt.Errorf("bad record %q = %.40q", k, v)
			}
			img.parts[id]++
			return nil
		}); err != nil {
			return err
		}
		for i := range crashCounters {
			b, err := r.Get(counterKey(i))
			if err != nil {
				return err
			}
			if img.balances[i], err = decodeUint64(b); err != nil {
				return err
			}
		}
		// A raw scan of the keyspace, not Outbox: rows past the stored seq must not exist.
		if err := r.Scan([]byte(prefixOutbox), PrefixEnd([]byte(prefixOutbox)), func(k, v []byte) error {
			var ev commerce.Event
			if err := decode(v, &ev); err != nil {
				return err
			}
			if ev.Seq != outboxSeqOf(k) {
				return fmt.Errorf("outbox row %d holds event seq %d", outboxSeqOf(k), ev.Seq)
			}
			img.events = append(img.events, ev)
			return nil
		}); err != nil {
			return err
		}
		b, err := r.Get([]byte(keyOutboxSeq))
		if err != nil {
			return err
		}
		img.storedSeq, err = decodeUint64(b)
		return err
	})
	must(t, err)
	return img
}

func eventTransfer(t *testing.T, ev commerce.Event) transfer {
	t.Helper()
	var tr transfer
	if err := json.Unmarshal(ev.Data, &tr); err != nil {
		t.Fatalf("event %d: %v", ev.Seq, err)
	}
	if tr.ID != ev.Aggregate {
		t.Fatalf("event %d: transfer %s under aggregate %s", ev.Seq, tr.ID, ev.Aggregate)
	}
	return tr
}

// check verifies the invariants of the store's content and returns the IDs of the transfers
// it holds.
func (m *crashModel) check(t *testing.T, db *DB) map[string]bool {
	t.Helper()
	img := readCrashImage(t, db)
	present := map[string]bool{}
	for id, n := range img.parts {
		if n != len(crashParts) {
			t.Errorf("transfer %s partially present: %d of %d records", id, n, len(crashParts))
		}
		present[id] = true
	}

	// Outbox: dense from the acked point to the stored seq, one event per present transfer.
	if db.LastSeq() != img.storedSeq || uint64(len(img.events)) != img.storedSeq-m.ackedUpTo {
		t.Fatalf("%d outbox rows after acked seq %d, stored seq %d, LastSeq %d",
			len(img.events), m.ackedUpTo, img.storedSeq, db.LastSeq())
	}
	replay := m.base
	seen := map[string]bool{}
	for i, ev := range img.events {
		if ev.Seq != m.ackedUpTo+uint64(i+1) {
			t.Fatalf("outbox seq %d at position %d: not dense after %d", ev.Seq, i, m.ackedUpTo)
		}
		tr := eventTransfer(t, ev)
		if seen[tr.ID] || m.relayed[tr.ID] {
			t.Fatalf("event %d: second event for transfer %s", ev.Seq, tr.ID)
		}
		seen[tr.ID] = true
		if !present[tr.ID] {
			t.Errorf("event %d for transfer %s whose records are missing", ev.Seq, tr.ID)
		}
		replay[tr.From] -= tr.Amount
		replay[tr.To] += tr.Amount
	}
	for id := range present {
		if !seen[id] && !m.relayed[id] {
			t.Errorf("transfer %s present without its event", id)
		}
	}

	// Conservation, and serializability: replaying the events in seq order gives exactly the
	// stored balances.
	var sum uint64
	for i, b := range img.balances {
		sum += b
		if b != replay[i] {
			t.Errorf("counter %d = %d, replay of the outbox gives %d", i, b, replay[i])
		}
	}
	if sum != crashCounters*crashStart {
		t.Errorf("counters sum to %d, want %d", sum, crashCounters*crashStart)
	}
	return present
}

// ack deletes the outbox rows up to upTo as the relay does once the bus holds them, folding
// their transfers into the model's base balances.
func (m *crashModel) ack(t *testing.T, db *DB, upTo uint64) {
	t.Helper()
	ctx := context.Background()
	evs, err := db.Outbox(ctx, m.ackedUpTo, int(upTo-m.ackedUpTo)+1)
	must(t, err)
	for _, ev := range evs {
		if ev.Seq > upTo {
			break
		}
		tr := eventTransfer(t, ev)
		m.base[tr.From] -= tr.Amount
		m.base[tr.To] += tr.Amount
		m.relayed[tr.ID] = true
	}
	must(t, db.AckOutbox(ctx, upTo))
	m.ackedUpTo = upTo
}
