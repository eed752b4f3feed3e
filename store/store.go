// Package store is UltraMarket's system of record on Pebble: the key schema (keys.go), the
// versioned value codec, serialized group-committed writes (Update), snapshot reads (View),
// ordered migrations run at open, the transactional outbox, checkpoints, and the domains'
// repository implementations. Engine types never leave this package: callers see
// commerce errors and plain Go values.
package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/audit"
)

// Config configures a DB.
type Config struct {
	Dir          string                           // directory of the Pebble store (required); the app uses <data>/kv
	FS           vfs.FS                           // file system; nil means the real disk (tests pass vfs.NewMem / NewCrashableMem)
	CacheBytes   int64                            // block cache size; 0 means 64 MiB
	MinFreeBytes uint64                           // refuse writes (EUnavailable) when the disk has less free space; 0 means 256 MiB
	DiskGuardOff bool                             // never refuse writes for lack of space (tests, or a disk watched otherwise)
	MaxGroup     int                              // most updates committed in one group; 0 means 256
	Logger       *slog.Logger                     // nil means slog.Default()
	ReadOnly     bool                             // open without writing (verify); Update returns an error
	OnCommit     func(group int, d time.Duration) // optional hook for metrics, called after each synced group
}

func (c *Config) ensureDefaults() {
	if c.FS == nil {
		c.FS = vfs.Default
	}
	if c.CacheBytes <= 0 {
		c.CacheBytes = 64 << 20
	}
	if c.MinFreeBytes == 0 {
		c.MinFreeBytes = 256 << 20
	}
	if c.MaxGroup <= 0 {
		c.MaxGroup = 256
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Sentinel errors.
var (
	ErrNotFound = errors.New("store: not found")
	ErrClosed   = &commerce.Error{Kind: commerce.EUnavailable, Code: "store_closed", Message: "store: closed"}
	ErrDiskFull = &commerce.Error{Kind: commerce.EUnavailable, Code: "disk_reserve", Message: "store: free disk space is below the configured reserve; writes are refused"}
	ErrReadOnly = errors.New("store: opened read-only")
)

// DB is an open store. It is safe for concurrent use.
type DB struct {
	cfg   Config
	pdb   *pebble.DB
	cache *pebble.Cache

	reqs      chan *request
	syncs     chan *group   // applied groups, in order, for the syncer
	synced    chan struct{} // one token per group the syncer is done with
	stop      chan struct{}
	wg        sync.WaitGroup
	closeMu   sync.RWMutex // held for reading by Update while enqueuing, for writing by Close
	closed    bool
	closeOnce sync.Once
	closeErr  error

	seq   uint64      // last assigned outbox seq; owned by the writer goroutine
	audit audit.Head  // last audit entry applied to Pebble; owned by the writer goroutine (audit.go)
	stock *stockCache // mirror of the stock rows; nil in read-only mode
	// productEpoch counts the groups that wrote product records, bumped once each is
	// visible: a cached product validated at the current epoch needs no read (catalog_doc.go).
	productEpoch atomic.Uint64
	notify       chan struct{}
	lastSeq      atomic.Uint64 // last durable outbox seq, for readers
	diskOK       atomic.Bool
	diskCheck    atomic.Int64 // unix nanos of the last free-space check
	fraudRules   atomic.Value // fraud.Rules the store applies on a payment's capture (Fraud.SetRules)
	commitFault  func() error // tests only: an error Pebble's apply of a group is to fail with
	rows         []kv         // the writer's scratch for Tx.applyTo

	shipping shippingCache // zones and methods for quotes and checkout (shipping.go)
}

type request struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

type group struct {
	batch   *pebble.Batch
	reqs    []*request
	errs    []error
	writes  int        // updates that succeeded
	events  bool       // the group appended outbox events
	applied bool       // handed to Pebble; the syncer must wait for its fsync
	seq     uint64     // last outbox seq after this group
	audit   audit.Head // last audit entry after this group
	start   time.Time
	stock   []stockWrite // the group's writes to stock rows, for the mirror
	product bool         // the group writes product records (cached product pages revalidate)
}

// memTableBytes is the size of Pebble's memtable (its default is 4 MiB).
const memTableBytes = 32 << 20

// maxInflight bounds the groups applied to Pebble and not yet acknowledged. Normally one
// group syncs while the next one fills; more are applied only when a group reaches MaxGroup.
const maxInflight = 4

// Open opens (creating if needed) the store in cfg.Dir and runs pending migrations.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Dir == "" {
		return nil, errors.New("store: Config.Dir is required")
	}
	cfg.ensureDefaults()
	if cfg.FS == vfs.Default {
		if fi, err := os.Stat(cfg.Dir); err == nil && !fi.IsDir() {
			return nil, fmt.Errorf("store: %s is not a directory", cfg.Dir)
		}
	}
	cache := pebble.NewCache(cfg.CacheBytes)
	opts := &pebble.Options{
		FS:                 cfg.FS,
		Cache:              cache,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{cfg.Logger},
		ReadOnly:           cfg.ReadOnly,
		// Writes read many keys that do not exist yet (a new product's slug, SKUs, variant
		// and stock rows): bloom filters answer those without reading the tables' blocks.
		// Larger memtables keep a bulk update (an import chunk of a few MB) out of Pebble's
		// large-batch path, which flushes a memtable per batch and piles up L0 files.
		MemTableSize: memTableBytes,
	}
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	if n := runtime.GOMAXPROCS(0); n > 1 {
		// Compactions keep up with bulk loads when they may use a second core.
		opts.CompactionConcurrencyRange = func() (int, int) { return 1, min(n, 4) }
	}
	pdb, err := pebble.Open(cfg.Dir, opts)
	cache.Unref()
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", cfg.Dir, err)
	}
	db := &DB{
		cfg:    cfg,
		pdb:    pdb,
		reqs:   make(chan *request, cfg.MaxGroup),
		syncs:  make(chan *group, maxInflight),
		synced: make(chan struct{}, maxInflight),
		stop:   make(chan struct{}),
		notify: make(chan struct{}, 1),
	}
	db.diskOK.Store(true)
	if v, err := db.readUint64(keyOutboxSeq); err != nil && !errors.Is(err, ErrNotFound) {
		pdb.Close()
		return nil, err
	} else {
		db.seq = v
		db.lastSeq.Store(v)
	}
	if db.audit, err = db.readAuditHead(); err != nil {
		pdb.Close()
		return nil, err
	}
	if !cfg.ReadOnly {
		db.wg.Add(2)
		go db.writer()
		go db.syncer()
		if err := db.migrate(ctx, migrations); err != nil {
			db.Close()
			return nil, err
		}
		if err := db.loadStock(ctx); err != nil {
			db.Close()
			return nil, err
		}
	} else if err := db.checkSchema(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close stops accepting updates, waits for queued ones to commit, and closes Pebble.
// It is idempotent.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.closeMu.Lock()
		db.closed = true
		db.closeMu.Unlock()
		close(db.stop)
		db.wg.Wait()
		if err := db.pdb.Close(); err != nil {
			db.closeErr = fmt.Errorf("store: close: %w", err)
		}
	})
	// Every caller returns only once the store is closed.
	return db.closeErr
}

// Update runs fn as one atomic, durable write. fn sees its own writes and every write
// committed before it (including those of earlier updates in the same group); it must not
// keep references to the Tx after returning. If fn returns an error nothing it wrote is
// applied. Update returns after the write is synced to disk.
//
// Concurrent updates are run one after another by a single writer and committed together
// with one fsync, so their logic is serializable.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if db.cfg.ReadOnly {
		return ErrReadOnly
	}
	if err := db.checkDisk(); err != nil {
		return err
	}
	req := &request{ctx: ctx, fn: fn, done: make(chan error, 1)}
	db.closeMu.RLock()
	if db.closed {
		db.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case db.reqs <- req:
	case <-ctx.Done():
		db.closeMu.RUnlock()
		return ctx.Err()
	}
	db.closeMu.RUnlock()
	// Once queued the update may commit, so wait for its outcome even if ctx ends.
	return <-req.done
}

// writer runs queued updates into the open group and applies the group to Pebble when no
// earlier group is waiting for its fsync (or when it is full); the syncer waits for the fsync
// and acknowledges. While a group syncs, arriving updates run at once and join the next group,
// so the next fsync covers all of them. Pebble makes an applied batch visible before its WAL
// sync, so updates of the next group read the syncing group's writes.
func (db *DB) writer() {
	defer db.wg.Done()
	defer close(db.syncs)
	var open *group // updates that ran but are not applied yet
	inflight := 0   // groups handed to the syncer and not reported back
	stop := db.stop
	for {
		if open != nil {
			full := len(open.reqs) >= db.cfg.MaxGroup
			if inflight == 0 || (full && inflight < cap(db.syncs)) {
				db.fill(open)
				db.commitGroup(open)
				db.syncs <- open
				open = nil
				inflight++
				continue
			}
		}
		if stop == nil && open == nil && inflight == 0 && len(db.reqs) == 0 {
			return // closed, and everything queued before Close is acknowledged
		}
		in := db.reqs
		if open != nil && len(open.reqs) >= db.cfg.MaxGroup {
			in = nil // full: wait for a sync before taking more
		}
		select {
		case r := <-in:
			if open == nil {
				open = db.newGroup()
			}
			db.runRequest(open, r)
		case <-db.synced:
			inflight--
		case <-stop:
			stop = nil // Update no longer enqueues: drain what is queued, then return
		}
	}
}

// fill runs the updates already queued into g, up to MaxGroup.
func (db *DB) fill(g *group) {
	for len(g.reqs) < db.cfg.MaxGroup {
		select {
		case r := <-db.reqs:
			db.runRequest(g, r)
		default:
			return
		}
	}
}

func (db *DB) newGroup() *group {
	return &group{batch: db.pdb.NewIndexedBatch(), seq: db.seq, audit: db.audit, start: time.Now()}
}

// runRequest runs r's update on top of the group's batch and, if it succeeds, adds its
// writes and events to the batch.
func (db *DB) runRequest(g *group, r *request) {
	g.reqs = append(g.reqs, r)
	g.errs = append(g.errs, nil)
	i := len(g.errs) - 1
	if err := r.ctx.Err(); err != nil {
		g.errs[i] = err
		return
	}
	tx := &Tx{db: db, batch: g.batch, ctx: r.ctx}
	err := runFn(r.fn, tx)
	tx.done = true
	var stock []stockWrite
	var product bool
	if err == nil {
		stock, product, err = readerCacheChanges(g.stock, tx.writes)
	}
	if err == nil {
		err = tx.applyTo(g.batch, &g.seq, &g.audit)
	}
	if err != nil {
		g.errs[i] = err
		return
	}
	g.stock = stock
	g.product = g.product || product
	g.writes++
}

// commitGroup hands the group's batch to Pebble without waiting for the fsync.
func (db *DB) commitGroup(g *group) {
	if g.seq != db.seq {
		g.events = true
		if err := g.batch.Set([]byte(keyOutboxSeq), encodeUint64(g.seq), nil); err != nil {
			g.fail(err)
			return
		}
	}
	if g.audit != db.audit {
		if err := g.batch.Set([]byte(keyAuditHead), encodeAuditHead(g.audit), nil); err != nil {
			g.fail(err)
			return
		}
	}
	if g.writes == 0 && !g.events {
		return // nothing to write: errors only
	}
	if db.commitFault != nil {
		if err := db.commitFault(); err != nil {
			g.fail(fmt.Errorf("store: commit: %w", err))
			return
		}
	}
	if err := db.pdb.ApplyNoSyncWait(g.batch, pebble.Sync); err != nil {
		g.fail(fmt.Errorf("store: commit: %w", err))
		return
	}
	// Only an applied group moves the counters on: a group Pebble refused leaves them at
	// the last applied group, so the next one reuses its seqs and extends the chain from there.
	db.seq = g.seq
	db.audit = g.audit
	g.applied = true
	if db.stock != nil { // nil only read-only, which never writes
		db.stock.apply(g.stock) // visible to readers from now on, like the batch
	}
	if g.product {
		db.productEpoch.Add(1)
	}
}

func runFn(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: update panicked: %v", p)
		}
	}()
	return fn(tx)
}

func (g *group) fail(err error) {
	for i := range g.errs {
		if g.errs[i] == nil {
			g.errs[i] = err
		}
	}
}

func (db *DB) syncer() {
	defer db.wg.Done()
	var broken error
	for g := range db.syncs {
		if g.applied {
			err := g.batch.SyncWait()
			if err == nil && broken != nil {
				err = broken
			}
			if err != nil {
				broken = fmt.Errorf("store: sync: %w", err)
				g.fail(broken)
			}
		}
		// Let the writer apply the next group before this group's callers are woken, so the
		// next fsync starts at once: the send makes the writer this P's next goroutine, and
		// yielding runs it now instead of after the callers.
		db.synced <- struct{}{}
		runtime.Gosched()
		if g.applied && broken == nil {
			if g.events {
				db.lastSeq.Store(g.seq)
				select {
				case db.notify <- struct{}{}:
				default:
				}
			}
			if db.cfg.OnCommit != nil {
				db.cfg.OnCommit(len(g.reqs), time.Since(g.start))
			}
		}
		g.batch.Close()
		for i, r := range g.reqs {
			r.done <- g.errs[i]
		}
	}
}

// View runs fn against a consistent snapshot of the store.
func (db *DB) View(ctx context.Context, fn func(r *Reader) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	snap := db.pdb.NewSnapshot()
	defer snap.Close()
	return fn(&Reader{r: snap, db: db})
}

// OutboxNotify is signalled (without blocking) after each commit that appended events.
func (db *DB) OutboxNotify() <-chan struct{} { return db.notify }

// LastSeq returns the seq of the last durable event.
func (db *DB) LastSeq() uint64 { return db.lastSeq.Load() }

// Checkpoint writes a consistent, openable copy of the store into dir, which must not exist.
func (db *DB) Checkpoint(ctx context.Context, dir string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := db.pdb.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("store: checkpoint to %s: %w", dir, err)
	}
	return nil
}

func (db *DB) checkDisk() error {
	if db.cfg.DiskGuardOff {
		return nil
	}
	now := time.Now().UnixNano()
	last := db.diskCheck.Load()
	if now-last > int64(time.Second) && db.diskCheck.CompareAndSwap(last, now) {
		u, err := db.cfg.FS.GetDiskUsage(db.cfg.Dir)
		db.diskOK.Store(err != nil || u.AvailBytes >= db.cfg.MinFreeBytes)
	}
	if !db.diskOK.Load() {
		return ErrDiskFull
	}
	return nil
}

func (db *DB) readUint64(key string) (uint64, error) {
	v, err := get(db.pdb, []byte(key))
	if err != nil {
		return 0, err
	}
	return decodeUint64(v)
}

// reader is what both Tx and Reader read through.
type reader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

// Reader reads a consistent snapshot. Values passed to scan callbacks are valid only during
// the callback.
type Reader struct {
	r  reader
	db *DB
}

func (r *Reader) stockCache() *stockCache {
	if r.db == nil {
		return nil
	}
	return r.db.stock
}

// Get returns a copy of the value at key, or ErrNotFound.
func (r *Reader) Get(key []byte) ([]byte, error) { return get(r.r, key) }

// Scan calls fn for every key in [lower, upper) in ascending order until fn returns an error.
func (r *Reader) Scan(lower, upper []byte, fn func(key, value []byte) error) error {
	return scan(r.r, lower, upper, false, fn)
}

// ScanReverse is Scan in descending order.
func (r *Reader) ScanReverse(lower, upper []byte, fn func(key, value []byte) error) error {
	return scan(r.r, lower, upper, true, fn)
}

func get(r reader, key []byte) ([]byte, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get: %w", err)
	}
	out := bytes.Clone(v)
	closer.Close()
	return out, nil
}

// ErrStop may be returned by a scan callback to end the scan early without an error.
var ErrStop = errors.New("store: stop scan")

func scan(r reader, lower, upper []byte, reverse bool, fn func(key, value []byte) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("store: iterate: %w", err)
	}
	var ok bool
	if reverse {
		ok = it.Last()
	} else {
		ok = it.First()
	}
	for ; ok; ok = step(it, reverse) {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return fmt.Errorf("store: iterate: %w", err)
		}
		if err := fn(it.Key(), v); err != nil {
			it.Close()
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("store: iterate: %w", err)
	}
	return nil
}

func step(it *pebble.Iterator, reverse bool) bool {
	if reverse {
		return it.Prev()
	}
	return it.Next()
}

// Tx is one update's view of the store: reads see the committed state, earlier updates of
// the same group and this update's own writes. Writes are buffered until fn returns nil.
type Tx struct {
	db     *DB
	ctx    context.Context // the update's context: its commerce.Actor fills events and audit entries
	batch  *pebble.Batch   // the group's batch: committed state plus earlier updates of the group
	writes map[string]op
	events []commerce.Event
	done   bool
	// auditData holds, by event ID, the Data of an event's audit entry when it is not the
	// event's own (a bulk import audits a summary of each product: catalog_import.go).
	auditData map[string][]byte
}

type op struct {
	value []byte
	del   bool
}

// Get returns a copy of the value at key, or ErrNotFound.
func (tx *Tx) Get(key []byte) ([]byte, error) {
	if o, ok := tx.writes[string(key)]; ok {
		if o.del {
			return nil, ErrNotFound
		}
		return bytes.Clone(o.value), nil
	}
	return get(tx.batch, key)
}

// Set writes value at key. The slices may be reused after Set returns.
func (tx *Tx) Set(key, value []byte) {
	tx.put(key, op{value: bytes.Clone(value)})
}

// Delete removes key.
func (tx *Tx) Delete(key []byte) { tx.put(key, op{del: true}) }

func (tx *Tx) put(key []byte, o op) {
	if tx.done {
		panic("store: Tx used after its update returned")
	}
	if tx.writes == nil {
		tx.writes = make(map[string]op)
	}
	tx.writes[string(key)] = o
}

// Emit appends ev to the outbox in this update's batch. Its Seq is assigned at commit.
func (tx *Tx) Emit(ev commerce.Event) {
	if tx.done {
		panic("store: Tx used after its update returned")
	}
	tx.events = append(tx.events, ev)
}

// Scan calls fn for every key in [lower, upper) in ascending order, including this update's
// own writes, until fn returns an error (ErrStop ends it without one).
func (tx *Tx) Scan(lower, upper []byte, fn func(key, value []byte) error) error {
	return tx.scan(lower, upper, false, fn)
}

// ScanReverse is Scan in descending order.
func (tx *Tx) ScanReverse(lower, upper []byte, fn func(key, value []byte) error) error {
	return tx.scan(lower, upper, true, fn)
}

func (tx *Tx) scan(lower, upper []byte, reverse bool, fn func(key, value []byte) error) error {
	// Merge the update's own writes (few) with the group's view.
	var local []string
	for k := range tx.writes {
		kb := []byte(k)
		if bytes.Compare(kb, lower) >= 0 && (upper == nil || bytes.Compare(kb, upper) < 0) {
			local = append(local, k)
		}
	}
	if len(local) == 0 {
		return scan(tx.batch, lower, upper, reverse, fn)
	}
	sort.Strings(local)
	if reverse {
		for i, j := 0, len(local)-1; i < j; i, j = i+1, j-1 {
			local[i], local[j] = local[j], local[i]
		}
	}
	before := func(a, b []byte) bool { // a comes before b in scan order
		if reverse {
			return bytes.Compare(a, b) > 0
		}
		return bytes.Compare(a, b) < 0
	}
	stopped := false
	emitLocal := func(k string) error {
		o := tx.writes[k]
		if o.del {
			return nil
		}
		err := fn([]byte(k), o.value)
		if errors.Is(err, ErrStop) {
			stopped = true
		}
		return err
	}
	i := 0
	err := scan(tx.batch, lower, upper, reverse, func(key, value []byte) error {
		for i < len(local) && before([]byte(local[i]), key) {
			if err := emitLocal(local[i]); err != nil {
				return err
			}
			i++
		}
		if i < len(local) && local[i] == string(key) {
			i++
			if err := emitLocal(string(key)); err != nil {
				return err
			}
			return nil
		}
		err := fn(key, value)
		if errors.Is(err, ErrStop) {
			stopped = true
		}
		return err
	})
	if err != nil || stopped {
		return err
	}
	for ; i < len(local); i++ {
		if err := emitLocal(local[i]); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

// applyTo adds the update's writes, its events (numbered from *seq, their empty Actor filled
// from the context's actor) and the audit entries of the events audit.Records selects
// (chained from *head) to b, and advances *seq and *head. Everything is encoded before the
// batch is touched, so a failure adds nothing of this update.
func (tx *Tx) applyTo(b *pebble.Batch, seq *uint64, head *audit.Head) error {
	next, h := *seq, *head
	rows := tx.db.rows[:0] // outbox rows and audit entries, in order; reused: applyTo runs in the writer
	defer func() {
		clear(rows)
		tx.db.rows = rows[:0]
	}()
	if len(tx.events) > 0 {
		actor, hasActor := commerce.ActorFrom(tx.ctx)
		for _, ev := range tx.events {
			next++
			ev.Seq = next
			if ev.Actor == "" && hasActor {
				ev.Actor = actor.ID
			}
			v, err := encode(ev)
			if err != nil {
				return err
			}
			rows = append(rows, kv{outboxKey(next), v})
			if audit.Records(ev.Type, actor, hasActor) {
				a := ev
				if d, ok := tx.auditData[ev.ID]; ok {
					a.Data = d
				}
				row, err := auditRow(a, actor, hasActor, &h)
				if err != nil {
					return err
				}
				rows = append(rows, row)
			}
		}
	}
	for k, o := range tx.writes {
		var err error
		if o.del {
			err = b.Delete([]byte(k), nil)
		} else {
			err = b.Set([]byte(k), o.value, nil)
		}
		if err != nil {
			return fmt.Errorf("store: batch: %w", err)
		}
	}
	for _, r := range rows {
		if err := b.Set(r.key, r.value, nil); err != nil {
			return fmt.Errorf("store: batch: %w", err)
		}
	}
	*seq, *head = next, h
	return nil
}

type kv struct{ key, value []byte }

// getJSON decodes the value at key into v through r (a Tx or Reader).
func getJSON(r interface{ Get([]byte) ([]byte, error) }, key []byte, v any) error {
	b, err := r.Get(key)
	if err != nil {
		return err
	}
	return decode(b, v)
}

// putJSON encodes v and writes it at key.
func putJSON(tx *Tx, key []byte, v any) error {
	b, err := encode(v)
	if err != nil {
		return err
	}
	tx.Set(key, b)
	return nil
}

type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...), "engine", "pebble")
}
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "engine", "pebble")
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "engine", "pebble")
	os.Exit(1)
}
