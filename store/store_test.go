package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
)

func openMem(t testing.TB, fs vfs.FS) *DB {
	t.Helper()
	db, err := Open(context.Background(), Config{Dir: "db", FS: fs, DiskGuardOff: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestUpdateRollsBackOnlyFailingUpdate(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	var wg sync.WaitGroup
	errBoom := errors.New("boom")
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Update(ctx, func(tx *Tx) error {
				tx.Set(Key("t/", fmt.Sprintf("%04d", i)), []byte("v"))
				ev, _ := commerce.NewEvent("test.done", fmt.Sprint(i), commerce.SystemClock{}.Now(), nil)
				tx.Emit(ev)
				if i%3 == 0 {
					return errBoom
				}
				return nil
			})
			if (i%3 == 0) != errors.Is(err, errBoom) {
				t.Errorf("update %d: err %v", i, err)
			}
		}()
	}
	wg.Wait()
	n := 0
	err := db.View(ctx, func(r *Reader) error {
		return r.Scan([]byte("t/"), PrefixEnd([]byte("t/")), func(k, v []byte) error {
			var i int
			fmt.Sscanf(string(k[2:]), "%d", &i)
			if i%3 == 0 {
				t.Errorf("rolled-back key %s present", k)
			}
			n++
			return nil
		})
	})
	if err != nil || n != 133 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	evs, err := db.Outbox(ctx, 0, 1000)
	if err != nil || len(evs) != 133 {
		t.Fatalf("outbox %d %v", len(evs), err)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("seq %d at %d", ev.Seq, i)
		}
	}
	if err := db.AckOutbox(ctx, 100); err != nil {
		t.Fatal(err)
	}
	evs, _ = db.Outbox(ctx, 0, 1000)
	if len(evs) != 33 || evs[0].Seq != 101 {
		t.Fatalf("after ack: %d", len(evs))
	}
}

func TestTxScanMergesOwnWrites(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	must(t, db.Update(ctx, func(tx *Tx) error {
		for _, k := range []string{"a", "c", "e"} {
			tx.Set(Key("s/", k), []byte(k))
		}
		return nil
	}))
	must(t, db.Update(ctx, func(tx *Tx) error {
		tx.Set(Key("s/", "b"), []byte("b"))
		tx.Delete(Key("s/", "c"))
		tx.Set(Key("s/", "e"), []byte("E"))
		tx.Set(Key("s/", "f"), []byte("f"))
		for _, rev := range []bool{false, true} {
			var got string
			fn := func(k, v []byte) error { got += string(v); return nil }
			if rev {
				must(t, tx.ScanReverse([]byte("s/"), PrefixEnd([]byte("s/")), fn))
			} else {
				must(t, tx.Scan([]byte("s/"), PrefixEnd([]byte("s/")), fn))
			}
			want := "abEf"
			if rev {
				want = "fEba"
			}
			if got != want {
				t.Errorf("reverse=%v got %q want %q", rev, got, want)
			}
		}
		return nil
	}))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// quietLogger drops store and engine log lines so test output stays readable.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// holdWriter occupies the writer goroutine with an update that blocks until release is
// called, so that updates queued meanwhile are committed together as the next group. The
// returned wait reports the held update's outcome.
func holdWriter(t testing.TB, db *DB) (release func(), wait func() error) {
	t.Helper()
	running := make(chan struct{})
	gate := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Update(context.Background(), func(tx *Tx) error {
			close(running)
			<-gate
			return nil
		})
	}()
	select {
	case <-running:
	case err := <-done:
		t.Fatalf("holding update did not run: %v", err)
	}
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)
	return release, func() error { return <-done }
}

// queued reports how many updates wait for the writer.
func queued(db *DB) int { return len(db.reqs) }
