package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// The benchmarks run on the real disk (b.TempDir) because the cost of fsync is what they
// measure. Every op is one durable commit of one record.

var benchWriters = []int{1, 16, 64}

// runWriters calls op(i) for i in [0, b.N) from n goroutines and reports commits per second.
func runWriters(b *testing.B, n int, op func(i int64) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
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
			db, err := Open(ctx, Config{Dir: b.TempDir(), MinFreeBytes: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			val := benchValue()
			runWriters(b, n, func(i int64) error {
				return db.Update(ctx, func(tx *Tx) error {
					tx.Set(Uint64Key("bench/", uint64(i)), val)
					return nil
				})
			})
		})
	}
}

func BenchmarkRawPebbleSet(b *testing.B) {
	for _, n := range []int{64} {
		b.Run(fmt.Sprintf("writers=%d", n), func(b *testing.B) {
			pdb, err := pebble.Open(b.TempDir(), &pebble.Options{FormatMajorVersion: pebble.FormatNewest})
			if err != nil {
				b.Fatal(err)
			}
			defer pdb.Close()
			val := benchValue()
			runWriters(b, n, func(i int64) error {
				return pdb.Set(Uint64Key("bench/", uint64(i)), val, pebble.Sync)
			})
		})
	}
}
