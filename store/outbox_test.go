package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// syncGateFS is a vfs.FS whose WAL syncs block while the gate is shut, holding a committed
// group in the window between "applied and visible" and "durable".
type syncGateFS struct {
	vfs.FS
	mu     sync.Mutex
	open   chan struct{} // closed while syncs may proceed
	paused int           // WAL syncs waiting at the gate
}

func newSyncGateFS(fs vfs.FS) *syncGateFS {
	g := &syncGateFS{FS: fs, open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *syncGateFS) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = make(chan struct{})
}

func (g *syncGateFS) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

func (g *syncGateFS) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused
}

func (g *syncGateFS) pass() {
	g.mu.Lock()
	ch := g.open
	g.paused++
	g.mu.Unlock()
	<-ch
	g.mu.Lock()
	g.paused--
	g.mu.Unlock()
}

func (g *syncGateFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &gatedFile{File: f, g: g}, nil
}

func (g *syncGateFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := g.FS.Create(name, c)
	return g.wrap(name, f, err)
}

func (g *syncGateFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := g.FS.ReuseForWrite(oldname, newname, c)
	return g.wrap(newname, f, err)
}

func (g *syncGateFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := g.FS.OpenReadWrite(name, c, opts...)
	return g.wrap(name, f, err)
}

type gatedFile struct {
	vfs.File
	g *syncGateFS
}

func (f *gatedFile) Sync() error { f.g.pass(); return f.File.Sync() }

func (f *gatedFile) SyncData() error { f.g.pass(); return f.File.SyncData() }

func (f *gatedFile) SyncTo(n int64) (bool, error) { f.g.pass(); return f.File.SyncTo(n) }

// Pebble publishes an applied batch before its WAL sync, so a group is readable before it is
// durable. The outbox must not hand such events to the relay: after a crash their seqs
// would be reused by different events while the bus already holds the lost ones.
func TestOutboxOnlyReturnsDurableEvents(t *testing.T) {
	ctx := context.Background()
	gate := newSyncGateFS(vfs.NewMem())
	db := openMem(t, gate)
	t.Cleanup(gate.release) // runs before the Close registered by openMem
	must(t, db.Update(ctx, func(tx *Tx) error {
		tx.Emit(testEvent(t, "durable"))
		return nil
	}))

	gate.shut()
	done := make(chan error, 1)
	go func() {
		done <- db.Update(ctx, func(tx *Tx) error {
			tx.Set([]byte("o/pending"), []byte("x"))
			tx.Emit(testEvent(t, "pending"))
			return nil
		})
	}()
	poll.Until(t, "the group to wait for its fsync", func() bool { return gate.waiting() > 0 })
	poll.Until(t, "the applied group to be readable", func() bool {
		_, err := getKey(t, db, "o/pending")
		return err == nil
	})
	select {
	case err := <-done:
		t.Fatalf("Update returned before its fsync: %v", err)
	default:
	}
	if db.LastSeq() != 1 {
		t.Fatalf("LastSeq = %d before the fsync", db.LastSeq())
	}
	evs, err := db.Outbox(ctx, 0, 10)
	must(t, err)
	if len(evs) != 1 || evs[0].Aggregate != "durable" {
		t.Fatalf("outbox before the fsync = %+v, want only the durable event", evs)
	}
	if n, err := db.OutboxBacklog(ctx); err != nil || n != 1 {
		t.Fatalf("OutboxBacklog before the fsync = %d %v", n, err)
	}

	gate.release()
	must(t, <-done)
	if db.LastSeq() != 2 {
		t.Fatalf("LastSeq = %d after the fsync", db.LastSeq())
	}
	evs, err = db.Outbox(ctx, 0, 10)
	must(t, err)
	if len(evs) != 2 || evs[1].Aggregate != "pending" || evs[1].Seq != 2 {
		t.Fatalf("outbox after the fsync = %+v", evs)
	}
	select {
	case <-db.OutboxNotify():
	default:
		t.Fatal("no outbox notification after a commit with events")
	}
}

func TestOutboxPaging(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	for i := range 25 {
		must(t, db.Update(ctx, func(tx *Tx) error {
			tx.Emit(testEvent(t, string(rune('a'+i))))
			return nil
		}))
	}
	scenarios := []struct {
		name         string
		after        uint64
		limit        int
		first, count uint64
	}{
		{name: "from start", after: 0, limit: 10, first: 1, count: 10},
		{name: "middle", after: 10, limit: 10, first: 11, count: 10},
		{name: "tail", after: 20, limit: 10, first: 21, count: 5},
		{name: "past end", after: 25, limit: 10, count: 0},
		{name: "far past end", after: 1000, limit: 10, count: 0},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			evs, err := db.Outbox(ctx, sc.after, sc.limit)
			must(t, err)
			if uint64(len(evs)) != sc.count {
				t.Fatalf("%d events, want %d", len(evs), sc.count)
			}
			for i, ev := range evs {
				if ev.Seq != sc.first+uint64(i) {
					t.Fatalf("event %d has seq %d", i, ev.Seq)
				}
			}
		})
	}
	must(t, db.AckOutbox(ctx, 25))
	if n, err := db.OutboxBacklog(ctx); err != nil || n != 0 {
		t.Fatalf("OutboxBacklog after ack = %d %v", n, err)
	}
	// Seqs continue after acknowledged rows are deleted.
	must(t, db.Update(ctx, func(tx *Tx) error { tx.Emit(testEvent(t, "z")); return nil }))
	evs, err := db.Outbox(ctx, 0, 10)
	must(t, err)
	if len(evs) != 1 || evs[0].Seq != 26 {
		t.Fatalf("after ack: %+v", evs)
	}
}

func TestOutboxBacklogCountsPendingEvents(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	if n, err := db.OutboxBacklog(ctx); err != nil || n != 0 {
		t.Fatalf("empty store: %d %v", n, err)
	}
	for i := range 5 {
		must(t, db.Update(ctx, func(tx *Tx) error {
			ev, err := commerce.NewEvent("test.made", fmt.Sprint(i), time.Now(), nil)
			tx.Emit(ev)
			return err
		}))
	}
	scenarios := []struct {
		ackUpTo uint64
		want    uint64
	}{{0, 5}, {2, 3}, {5, 0}}
	for _, s := range scenarios {
		if s.ackUpTo > 0 {
			must(t, db.AckOutbox(ctx, s.ackUpTo))
		}
		if n, err := db.OutboxBacklog(ctx); err != nil || n != s.want {
			t.Errorf("after ack up to %d: backlog %d %v, want %d", s.ackUpTo, n, err, s.want)
		}
	}
}
