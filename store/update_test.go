package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/internal/poll"
)

func testEvent(t testing.TB, aggregate string) commerce.Event {
	t.Helper()
	ev, err := commerce.NewEvent("test.happened", aggregate, time.Unix(1700000000, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func setKey(key, value string) func(tx *Tx) error {
	return func(tx *Tx) error {
		tx.Set([]byte(key), []byte(value))
		return nil
	}
}

func getKey(t testing.TB, db *DB, key string) (string, error) {
	t.Helper()
	var v []byte
	err := db.View(context.Background(), func(r *Reader) error {
		var err error
		v, err = r.Get([]byte(key))
		return err
	})
	return string(v), err
}

// A failed update (error, panic or a context that ended before it ran) leaves no write and
// no event behind, does not consume an outbox seq, and the store keeps working.
func TestUpdateFailureRollsBack(t *testing.T) {
	errBoom := errors.New("boom")
	cancelled := func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}
	expired := func() context.Context {
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
		t.Cleanup(cancel)
		return ctx
	}
	scenarios := []struct {
		name    string
		ctx     func() context.Context
		fail    func() error // called by fn after it wrote and emitted
		wantErr func(error) bool
		wantRan bool
	}{
		{
			name:    "fn returns an error",
			fail:    func() error { return errBoom },
			wantErr: func(err error) bool { return errors.Is(err, errBoom) },
			wantRan: true,
		},
		{
			name:    "fn panics with a string",
			fail:    func() error { panic("kaboom") },
			wantErr: func(err error) bool { return strings.Contains(err.Error(), "panicked: kaboom") },
			wantRan: true,
		},
		{
			name:    "fn panics with an error",
			fail:    func() error { panic(errBoom) },
			wantErr: func(err error) bool { return strings.Contains(err.Error(), "panicked: boom") },
			wantRan: true,
		},
		{
			name:    "context cancelled before enqueue",
			ctx:     cancelled,
			fail:    func() error { return nil },
			wantErr: func(err error) bool { return errors.Is(err, context.Canceled) },
		},
		{
			name:    "context deadline passed before enqueue",
			ctx:     expired,
			fail:    func() error { return nil },
			wantErr: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			db := openMem(t, vfs.NewMem())
			bg := context.Background()
			must(t, db.Update(bg, func(tx *Tx) error {
				tx.Set([]byte("k/before"), []byte("1"))
				tx.Emit(testEvent(t, "before"))
				return nil
			}))
			ctx := bg
			if sc.ctx != nil {
				ctx = sc.ctx()
			}
			ran := false
			err := db.Update(ctx, func(tx *Tx) error {
				ran = true
				tx.Set([]byte("k/failed"), []byte("x"))
				tx.Delete([]byte("k/before"))
				tx.Emit(testEvent(t, "failed"))
				return sc.fail()
			})
			if err == nil || !sc.wantErr(err) {
				t.Fatalf("Update error = %v", err)
			}
			if ran != sc.wantRan {
				t.Fatalf("fn ran = %v, want %v", ran, sc.wantRan)
			}
			if _, err := getKey(t, db, "k/failed"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("write of the failed update is visible: %v", err)
			}
			if v, err := getKey(t, db, "k/before"); err != nil || v != "1" {
				t.Fatalf("delete of the failed update applied: %q %v", v, err)
			}
			// The store stays usable and the next event gets the next seq.
			must(t, db.Update(bg, func(tx *Tx) error {
				tx.Set([]byte("k/after"), []byte("2"))
				tx.Emit(testEvent(t, "after"))
				return nil
			}))
			evs, err := db.Outbox(bg, 0, 10)
			must(t, err)
			if len(evs) != 2 || evs[0].Aggregate != "before" || evs[1].Aggregate != "after" || evs[1].Seq != 2 {
				t.Fatalf("outbox = %+v", evs)
			}
			if db.LastSeq() != 2 {
				t.Fatalf("LastSeq = %d", db.LastSeq())
			}
		})
	}
}

func TestUpdateCancelledWhileQueued(t *testing.T) {
	db := openMem(t, vfs.NewMem())
	release, wait := holdWriter(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	ran := atomic.Bool{}
	done := make(chan error, 1)
	go func() {
		done <- db.Update(ctx, func(tx *Tx) error {
			ran.Store(true)
			tx.Set([]byte("k/late"), []byte("x"))
			return nil
		})
	}()
	poll.Until(t, "the update to be queued", func() bool { return queued(db) == 1 })
	cancel()
	release()
	must(t, wait())
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Update error = %v", err)
	}
	if ran.Load() {
		t.Fatal("fn ran although its context ended while queued")
	}
	if _, err := getKey(t, db, "k/late"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("k/late: %v", err)
	}
}

// Updates committed in one group are independent: one panicking or failing update does not
// undo its neighbours.
func TestFailuresInsideOneGroup(t *testing.T) {
	var maxGroup atomic.Int64
	db, err := Open(context.Background(), Config{
		Dir: "db", FS: vfs.NewMem(), DiskGuardOff: true, Logger: quietLogger(),
		OnCommit: func(n int, _ time.Duration) {
			for m := maxGroup.Load(); int64(n) > m && !maxGroup.CompareAndSwap(m, int64(n)); m = maxGroup.Load() {
			}
		},
	})
	must(t, err)
	defer db.Close()
	release, wait := holdWriter(t, db)
	const n = 30
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Update(context.Background(), func(tx *Tx) error {
				tx.Set(Key("g/", fmt.Sprintf("%02d", i)), []byte("v"))
				tx.Emit(testEvent(t, fmt.Sprint(i)))
				switch i % 3 {
				case 1:
					panic("bad input")
				case 2:
					return errors.New("refused")
				}
				return nil
			})
		}()
	}
	poll.Until(t, "all updates to be queued", func() bool { return queued(db) == n })
	release()
	must(t, wait())
	wg.Wait()
	if maxGroup.Load() < n {
		t.Fatalf("largest group = %d, want at least %d (all queued updates in one group)", maxGroup.Load(), n)
	}
	for i := range n {
		_, gerr := getKey(t, db, string(Key("g/", fmt.Sprintf("%02d", i))))
		if i%3 == 0 {
			if errs[i] != nil || gerr != nil {
				t.Errorf("update %d: err %v, read %v", i, errs[i], gerr)
			}
		} else if errs[i] == nil || !errors.Is(gerr, ErrNotFound) {
			t.Errorf("update %d: err %v, read %v", i, errs[i], gerr)
		}
	}
	evs, err := db.Outbox(context.Background(), 0, 100)
	must(t, err)
	if len(evs) != n/3 {
		t.Fatalf("%d events, want %d", len(evs), n/3)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
}

// Many concurrent read-modify-write updates of one counter give the exact total: each
// update sees every update ordered before it, including those in its own group.
func TestConcurrentIncrementsAreSerializable(t *testing.T) {
	scenarios := []struct {
		name     string
		maxGroup int
		workers  int
		each     int
		oneGroup bool // queue everything behind a held writer so it commits as one group
	}{
		{name: "free running", workers: 32, each: 40},
		{name: "one group", workers: 200, each: 1, oneGroup: true},
		{name: "small groups", maxGroup: 4, workers: 16, each: 20},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var groups, maxGroup atomic.Int64
			db, err := Open(context.Background(), Config{
				Dir: "db", FS: vfs.NewMem(), DiskGuardOff: true, Logger: quietLogger(), MaxGroup: sc.maxGroup,
				OnCommit: func(n int, _ time.Duration) {
					groups.Add(1)
					for m := maxGroup.Load(); int64(n) > m && !maxGroup.CompareAndSwap(m, int64(n)); m = maxGroup.Load() {
					}
				},
			})
			must(t, err)
			defer db.Close()
			key := []byte("counter/total")
			incr := func(tx *Tx) error {
				var v uint64
				b, err := tx.Get(key)
				switch {
				case errors.Is(err, ErrNotFound):
				case err != nil:
					return err
				default:
					if v, err = decodeUint64(b); err != nil {
						return err
					}
				}
				tx.Set(key, encodeUint64(v+1))
				// Read-your-writes inside the update.
				if b, err := tx.Get(key); err != nil || !bytesEqual(b, encodeUint64(v+1)) {
					return fmt.Errorf("own write not visible: %v", err)
				}
				tx.Emit(testEvent(t, "counter"))
				return nil
			}
			var release func()
			var wait func() error
			if sc.oneGroup {
				release, wait = holdWriter(t, db)
			}
			var wg sync.WaitGroup
			var failed atomic.Int64
			for range sc.workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range sc.each {
						if err := db.Update(context.Background(), incr); err != nil {
							failed.Add(1)
							t.Error(err)
						}
					}
				}()
			}
			if sc.oneGroup {
				poll.Until(t, "all increments to be queued", func() bool { return queued(db) == sc.workers })
				release()
				must(t, wait())
			}
			wg.Wait()
			want := uint64(sc.workers * sc.each)
			b, err := getKey(t, db, string(key))
			must(t, err)
			got, err := decodeUint64([]byte(b))
			must(t, err)
			if got != want || db.LastSeq() != want {
				t.Fatalf("counter = %d, LastSeq = %d, want %d", got, db.LastSeq(), want)
			}
			if sc.oneGroup && maxGroup.Load() < int64(sc.workers) {
				t.Fatalf("largest group = %d, want at least %d", maxGroup.Load(), sc.workers)
			}
			if sc.maxGroup > 0 && maxGroup.Load() > int64(sc.maxGroup) {
				t.Fatalf("largest group = %d, over MaxGroup %d", maxGroup.Load(), sc.maxGroup)
			}
		})
	}
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// A View sees the snapshot taken when it started, even while updates commit.
func TestViewSnapshotIsolation(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	must(t, db.Update(ctx, func(tx *Tx) error {
		tx.Set([]byte("s/a"), []byte("old"))
		tx.Set([]byte("s/b"), []byte("old"))
		return nil
	}))
	err := db.View(ctx, func(r *Reader) error {
		must(t, db.Update(ctx, func(tx *Tx) error {
			tx.Set([]byte("s/a"), []byte("new"))
			tx.Delete([]byte("s/b"))
			tx.Set([]byte("s/c"), []byte("new"))
			return nil
		}))
		var got []string
		must(t, r.Scan([]byte("s/"), PrefixEnd([]byte("s/")), func(k, v []byte) error {
			got = append(got, string(k)+"="+string(v))
			return nil
		}))
		if strings.Join(got, ",") != "s/a=old,s/b=old" {
			t.Errorf("view started before the update sees %v", got)
		}
		if _, err := r.Get([]byte("s/c")); !errors.Is(err, ErrNotFound) {
			t.Errorf("s/c visible in the older view: %v", err)
		}
		return nil
	})
	must(t, err)
	if v, err := getKey(t, db, "s/a"); err != nil || v != "new" {
		t.Fatalf("a new view does not see the update: %q %v", v, err)
	}
}

func TestCloseDrainsQueuedUpdates(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db, err := Open(ctx, Config{Dir: "db", FS: fs, DiskGuardOff: true, Logger: quietLogger()})
	must(t, err)
	release, wait := holdWriter(t, db)
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- db.Update(ctx, setKey(fmt.Sprintf("q/%02d", i), "v")) }()
	}
	poll.Until(t, "updates to be queued", func() bool { return queued(db) == n })
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	poll.Until(t, "Close to stop accepting updates", func() bool {
		db.closeMu.RLock()
		defer db.closeMu.RUnlock()
		return db.closed
	})
	if err := db.Update(ctx, setKey("q/late", "v")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Update during Close = %v, want ErrClosed", err)
	}
	release()
	must(t, wait())
	must(t, <-closed)
	for range n {
		must(t, <-errs) // every update queued before Close committed
	}
	err = db.Update(ctx, setKey("q/after", "v"))
	if !errors.Is(err, ErrClosed) || commerce.KindOf(err) != commerce.EUnavailable {
		t.Fatalf("Update after Close = %v (kind %s)", err, commerce.KindOf(err))
	}
	must(t, db.Close()) // idempotent
	must(t, db.Close())

	db = openMem(t, fs)
	for i := range n {
		if _, err := getKey(t, db, fmt.Sprintf("q/%02d", i)); err != nil {
			t.Errorf("q/%02d after reopen: %v", i, err)
		}
	}
	for _, k := range []string{"q/late", "q/after"} {
		if _, err := getKey(t, db, k); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s after reopen: %v", k, err)
		}
	}
}

func TestReadOnlyOpen(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db, err := Open(ctx, Config{Dir: "db", FS: fs, DiskGuardOff: true, Logger: quietLogger()})
	must(t, err)
	must(t, db.Update(ctx, setKey("r/a", "1")))
	must(t, db.Close())

	ro, err := Open(ctx, Config{Dir: "db", FS: fs, ReadOnly: true, Logger: quietLogger()})
	must(t, err)
	if err := ro.Update(ctx, setKey("r/b", "2")); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Update on a read-only store = %v", err)
	}
	if v, err := getKey(t, ro, "r/a"); err != nil || v != "1" {
		t.Fatalf("read-only View: %q %v", v, err)
	}
	must(t, ro.Close())
	must(t, ro.Close())
}

// Below the free-space reserve updates are refused with an EUnavailable error before fn
// runs; above it (or with the reserve disabled) they go through.
func TestDiskReserve(t *testing.T) {
	const gib = 1 << 30
	scenarios := []struct {
		name    string
		minFree uint64
		off     bool
		avail   uint64
		wantErr bool
	}{
		{name: "below reserve", minFree: 64 << 20, avail: 1 << 20, wantErr: true},
		{name: "at reserve", minFree: 64 << 20, avail: 64 << 20},
		{name: "above reserve", minFree: 64 << 20, avail: gib},
		{name: "reserve disabled", off: true, avail: 0},
		{name: "default reserve", minFree: 0, avail: 100 << 20, wantErr: true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			fs := vfs.NewMem()
			db, err := Open(ctx, Config{Dir: "db", FS: fs, MinFreeBytes: sc.minFree, DiskGuardOff: sc.off, Logger: quietLogger()})
			must(t, err)
			defer db.Close()
			fs.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: sc.avail, TotalBytes: 2 * gib, UsedBytes: 2*gib - sc.avail})
			db.diskCheck.Store(0) // forget the cached check so the next Update looks again
			ran := false
			err = db.Update(ctx, func(tx *Tx) error { ran = true; return setKey("d/a", "1")(tx) })
			if !sc.wantErr {
				must(t, err)
				return
			}
			if !errors.Is(err, ErrDiskFull) || commerce.KindOf(err) != commerce.EUnavailable || ran {
				t.Fatalf("Update = %v (kind %s, ran %v), want disk reserve refusal", err, commerce.KindOf(err), ran)
			}
			// Space freed: writes resume once the check runs again.
			fs.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: gib, TotalBytes: 2 * gib, UsedBytes: gib})
			db.diskCheck.Store(0)
			must(t, db.Update(ctx, setKey("d/a", "1")))
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kv")
	must(t, os.WriteFile(file, []byte("not a store"), 0o600))
	scenarios := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "no dir", cfg: Config{}, want: "Config.Dir is required"},
		{name: "dir is a regular file", cfg: Config{Dir: file}, want: file},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			sc.cfg.Logger = quietLogger()
			db, err := Open(context.Background(), sc.cfg)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), sc.want) {
				t.Fatalf("Open error %q does not mention %q", err, sc.want)
			}
		})
	}
}
