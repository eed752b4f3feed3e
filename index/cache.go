package index

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// maxCachedResults bounds the result cache; when full it starts over.
const maxCachedResults = 2048

// resultCache keeps search results of the current index generation, like a search
// engine's request cache: valid until the next refresh. Concurrent identical queries of a
// generation run once; the others wait for its answer. An entry is only ever filled from a
// search that started after its generation began, so it is never older than the index it
// claims to describe.
type resultCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]*cachedResult
}

type cachedResult struct {
	ready chan struct{}
	res   Result
	err   error
}

// do returns the cached result of key in generation gen, or runs search and caches it.
func (c *resultCache) do(ctx context.Context, gen uint64, key string, search func() (Result, error)) (Result, error) {
	c.mu.Lock()
	switch {
	case gen < c.gen:
		// The index moved on while this caller was starting: answer without the cache.
		c.mu.Unlock()
		return search()
	case gen > c.gen || c.m == nil || len(c.m) >= maxCachedResults:
		c.gen, c.m = gen, map[string]*cachedResult{}
	}
	e, ok := c.m[key]
	if !ok {
		e = &cachedResult{ready: make(chan struct{})}
		c.m[key] = e
	}
	c.mu.Unlock()

	if ok {
		select {
		case <-e.ready:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
		if e.err == nil {
			return e.res.clone(), nil
		}
		return search() // the first caller failed (its context, say): try on our own
	}
	e.res, e.err = search()
	if e.err != nil {
		c.mu.Lock()
		if c.m[key] == e {
			delete(c.m, key)
		}
		c.mu.Unlock()
	}
	close(e.ready)
	return e.res.clone(), e.err
}

// clone copies r so a caller may change its result without touching the cached one.
func (r Result) clone() Result {
	out := Result{Total: r.Total, Hits: slices.Clone(r.Hits)}
	for i, h := range out.Hits {
		if h.Highlights != nil {
			out.Hits[i].Highlights = maps.Clone(h.Highlights)
		}
	}
	if r.Facets != nil {
		out.Facets = maps.Clone(r.Facets)
		for k, v := range out.Facets {
			out.Facets[k] = slices.Clone(v)
		}
	}
	return out
}

// key identifies a normalized query in the result cache.
func (q Query) key() string {
	var b strings.Builder
	str := func(s string) {
		b.WriteString(s)
		b.WriteByte(0)
	}
	opt := func(p *int64) {
		if p != nil {
			b.WriteString(strconv.FormatInt(*p, 10))
		}
		b.WriteByte(0)
	}
	for _, s := range []string{q.Text, q.Category, q.Vendor, q.VendorID, q.Status, q.Sort} {
		str(s)
	}
	str(strings.Join(q.Brands, "\x01"))
	str(strings.Join(q.Tags, "\x01"))
	opt(q.MinPrice)
	opt(q.MaxPrice)
	if q.InStock != nil {
		b.WriteString(strconv.FormatBool(*q.InStock))
	}
	b.WriteByte(0)
	if q.RatingMin != nil {
		b.WriteString(strconv.FormatFloat(*q.RatingMin, 'g', -1, 64))
	}
	b.WriteByte(0)
	str(strconv.Itoa(q.Limit))
	str(strconv.Itoa(q.Offset))
	str(strconv.FormatBool(q.Facets))
	b.WriteString(strconv.FormatBool(q.Highlight))
	return b.String()
}
