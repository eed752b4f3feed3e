package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// The benchmarks run on the real disk (b.TempDir) because the cost of fsync is what they
// measure. Every op is one durable commit of one record. Besides commits/s they report
// commits/fsync (commits sharing one WAL sync), which depends far less on how fast the disk
// happens to be during the run.
//
//	go test ./store -run '^$' -bench 'Update|RawPebble' -benchtime 3s

var benchWriters = []int{1, 16, 64}

// runWriters calls op(i) for i in [0, b.N) from n goroutines and reports commits per second.
func runWriters(b *testing.B, n int, fs *walSyncCounter, op func(i int64) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	fs.syncs.Store(0)
	b.ResetTimer()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := op(i); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	if s := fs.syncs.Load(); s > 0 {
		b.ReportMetric(float64(b.N)/float64(s), "commits/fsync")
	}
}

func benchValue() []byte {
	v := make([]byte, 128)
	for i := range v {
		v[i] = byte('a' + i%26)
	}
	return v
}

func BenchmarkUpdate(b *testing.B) {
	for _, n := range benchWriters {
		b.Run(fmt.Sprintf("writers=%d", n), func(b *testing.B) {
			ctx := context.Background()
			fs := &walSyncCounter{FS: vfs.Default}
			var groups, updates atomic.Int64
			db, err := Open(ctx, Config{
				Dir: b.TempDir(), FS: fs, DiskGuardOff: true, Logger: quietLogger(),
				OnCommit: func(n int, _ time.Duration) { groups.Add(1); updates.Add(int64(n)) },
			})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			val := benchValue()
			groups.Store(0)
			updates.Store(0)
			runWriters(b, n, fs, func(i int64) error {
				return db.Update(ctx, func(tx *Tx) error {
					tx.Set(Uint64Key("bench/", uint64(i)), val)
					return nil
				})
			})
			if g := groups.Load(); g > 0 {
				b.ReportMetric(float64(updates.Load())/float64(g), "updates/group")
			}
		})
	}
}

// BenchmarkRawPebbleSet is the ceiling: synced single-key commits straight into Pebble.
func BenchmarkRawPebbleSet(b *testing.B) {
	for _, n := range []int{64} {
		b.Run(fmt.Sprintf("writers=%d", n), func(b *testing.B) {
			fs := &walSyncCounter{FS: vfs.Default}
			pdb, err := pebble.Open(b.TempDir(), &pebble.Options{
				FS: fs, FormatMajorVersion: pebble.FormatNewest, Logger: pebbleLogger{quietLogger()},
			})
			if err != nil {
				b.Fatal(err)
			}
			defer pdb.Close()
			val := benchValue()
			runWriters(b, n, fs, func(i int64) error {
				return pdb.Set(Uint64Key("bench/", uint64(i)), val, pebble.Sync)
			})
		})
	}
}

// walSyncCounter is a vfs.FS that counts syncs of WAL files.
type walSyncCounter struct {
	vfs.FS
	syncs atomic.Int64
}

func (c *walSyncCounter) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &countedFile{File: f, n: &c.syncs}, nil
}

func (c *walSyncCounter) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := c.FS.Create(name, cat)
	return c.wrap(name, f, err)
}

func (c *walSyncCounter) ReuseForWrite(oldname, newname string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := c.FS.ReuseForWrite(oldname, newname, cat)
	return c.wrap(newname, f, err)
}

type countedFile struct {
	vfs.File
	n *atomic.Int64
}

func (f *countedFile) Sync() error { f.n.Add(1); return f.File.Sync() }

func (f *countedFile) SyncData() error { f.n.Add(1); return f.File.SyncData() }

func (f *countedFile) SyncTo(length int64) (bool, error) { f.n.Add(1); return f.File.SyncTo(length) }
