package recommend

import (
	"hash/maphash"
	"strings"
	"sync"
)

// viewShards spreads concurrent product page reads over independent locks; a power of two.
const viewShards = 64

// ViewCounter counts product page views in memory, for the product page's hot path: Add takes
// one uncontended lock out of viewShards and allocates only for the first view of a product
// since the last Drain. Counts are best effort: views counted since the last flush are lost
// when the process dies.
type ViewCounter struct {
	seed   maphash.Seed
	shards [viewShards]viewShard
}

type viewShard struct {
	mu sync.Mutex
	m  map[string]*int64 // a pointer: a repeat view costs one map lookup
	_  [40]byte          // keeps shards on separate cache lines
}

// NewViewCounter returns an empty counter.
func NewViewCounter() *ViewCounter { return &ViewCounter{seed: maphash.MakeSeed()} }

// Add counts one view of the product.
func (c *ViewCounter) Add(productID string) {
	if c == nil || productID == "" {
		return
	}
	s := &c.shards[maphash.String(c.seed, productID)&(viewShards-1)]
	s.mu.Lock()
	if n := s.m[productID]; n != nil {
		*n++
	} else {
		if s.m == nil {
			s.m = map[string]*int64{}
		}
		// The ID may point into the request's memory: keep a copy of its own.
		one := int64(1)
		s.m[strings.Clone(productID)] = &one
	}
	s.mu.Unlock()
}

// Drain returns the views counted since the last Drain, by product, and starts again from zero.
func (c *ViewCounter) Drain() map[string]int64 {
	out := map[string]int64{}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		m := s.m
		s.m = nil
		s.mu.Unlock()
		for id, n := range m {
			out[id] += *n
		}
	}
	return out
}

// Restore adds views back (a flush that could not be written keeps them for the next one).
func (c *ViewCounter) Restore(views map[string]int64) {
	for id, n := range views {
		s := &c.shards[maphash.String(c.seed, id)&(viewShards-1)]
		s.mu.Lock()
		if s.m == nil {
			s.m = map[string]*int64{}
		}
		if p := s.m[id]; p != nil {
			*p += n
		} else {
			v := n
			s.m[id] = &v
		}
		s.mu.Unlock()
	}
}
