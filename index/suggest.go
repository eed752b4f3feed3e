package index

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"

	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Suggestion kinds.
const (
	SuggestProduct  = "product"
	SuggestBrand    = "brand"
	SuggestCategory = "category"
)

// Suggest limits.
const (
	MaxSuggestLimit     = 20
	DefaultSuggestLimit = 8
	maxSuggestScan      = 200_000 // index entries one suggestion looks at, at most
	maxGroupSuggestions = 2       // brands, and categories, listed before products
)

// Suggestion is one autocompletion: a product title, a brand or a category name.
type Suggestion struct {
	Kind string // SuggestProduct, SuggestBrand or SuggestCategory
	Text string // as the shop writes it
	ID   string // product or category ID; the brand itself for brands
	Slug string // the product's slug (products only)
}

// Suggest returns up to limit completions of what a shopper is typing: the brands and
// categories (at most two each, most products first) and the active products whose names
// hold every word of text, the last one as a prefix ("app wat" finds "Apple Watch"), best
// rated and most reviewed first, a word at the start of a name ranking higher. When nothing
// starts with the last word, one typo in it (a letter too many, or two swapped) is forgiven.
//
// It reads an in-memory table that Apply and rebuilds keep current, not the Bleve index,
// so it costs microseconds. limit 0 means DefaultSuggestLimit; it is capped at
// MaxSuggestLimit. Until the table is first filled (just after Open) it finds nothing.
func (ix *Index) Suggest(text string, limit int) []Suggestion {
	if limit <= 0 {
		limit = DefaultSuggestLimit
	}
	limit = min(limit, MaxSuggestLimit)
	if len(text) > MaxTextLen {
		text = text[:MaxTextLen]
	}
	ix.WarmSuggestions()
	words := suggestWords(text)
	if len(words) == 0 {
		return []Suggestion{}
	}
	if len(words) > MaxTextTerms {
		words = words[:MaxTextTerms]
	}
	t := ix.suggest.table.Load()
	if t == nil {
		return []Suggestion{}
	}
	return t.find(words, limit)
}

// SuggestVersion returns a number that changes whenever Suggest's answers may change (a new
// suggestion table is published); callers may keep what they derived from Suggest until it
// does.
func (ix *Index) SuggestVersion() uint64 { return ix.suggest.table.Load().version }

// suggestWords normalizes text as suggestion entries are: accents folded, lower case,
// apostrophes unified, split at word boundaries.
func suggestWords(text string) []string {
	b := asciifolding.New().Filter([]byte(text))
	toks := unicode.NewUnicodeTokenizer().Tokenize(b)
	words := make([]string, 0, len(toks))
	for _, t := range toks {
		w := strings.ToLower(string(t.Term))
		w = strings.Map(func(r rune) rune {
			switch r {
			case '‘', '’', 'ʼ', '`', '´', 'ʻ':
				return '\''
			}
			return r
		}, w)
		words = append(words, w)
	}
	return words
}

// suggestEntry is one completion with its normalized words and rank.
type suggestEntry struct {
	Suggestion
	words []string
	score float64
	// for products: what brand and category counts they contribute
	brand string
	cats  []string
}

// suggestPair is one word of an entry; the table is sorted by word, then best score first,
// so a walk can leave a word as soon as its pairs cannot make the list, without reading the
// entries (scattered in memory: reading one costs a cache miss).
type suggestPair struct {
	word  string
	score float64 // e.score
	first bool    // the entry's first word
	e     *suggestEntry
}

// textGroup holds the products of one normalized title; only the best of them (rep) is in the
// table, so a catalog with many products named alike lists each name once and its walks
// stay short.
type textGroup struct {
	members map[string]*suggestEntry
	rep     *suggestEntry
}

func (g *textGroup) best() *suggestEntry {
	var b *suggestEntry
	for _, e := range g.members {
		if b == nil || e.score > b.score || (e.score == b.score && e.ID < b.ID) {
			b = e
		}
	}
	return b
}

func textKey(e *suggestEntry) string { return strings.Join(e.words, " ") }

// suggestTable is an immutable snapshot searched by Suggest.
type suggestTable struct {
	products []suggestPair // sorted by word
	groups   []suggestPair // brands and categories, sorted by word
	// short memoizes the best products of one-word queries of up to maxMemoRunes letters,
	// whose ranges are the longest to walk ("a" holds a large part of the catalog).
	short sync.Map // string -> []*suggestEntry (MaxSuggestLimit of them)
	// version numbers the published tables (see SuggestVersion).
	version uint64
}

const maxMemoRunes = 3

// suggester keeps the active products' entries and publishes tables built from them.
type suggester struct {
	mu       sync.Mutex
	products map[string]*suggestEntry
	texts    map[string]*textGroup // products by normalized title
	names    map[string]string     // category names by ID
	pairs    []suggestPair         // products' pairs, sorted; shared with the published table
	// loading is set while the first fill scans the store; Apply's changes meanwhile are
	// remembered in touched and win over the scan's older copies.
	loading bool
	touched map[string]bool
	epoch   uint64 // bumped by replace: a fill that started before it is stale
	table   atomic.Pointer[suggestTable]
	tables  uint64 // tables published
}

func newSuggester() *suggester {
	s := &suggester{products: map[string]*suggestEntry{}, texts: map[string]*textGroup{}}
	s.table.Store(&suggestTable{})
	return s
}

// productEntry returns p's entry, or nil when shoppers cannot see p.
func productEntry(p catalog.Product) *suggestEntry {
	if p.Status != catalog.StatusActive || strings.TrimSpace(p.Title) == "" {
		return nil
	}
	score := p.Rating + 0.5*math.Log1p(float64(p.Ratings.Count))
	if p.Featured {
		score++
	}
	path := p.CategoryPath
	if len(path) == 0 && p.CategoryID != "" {
		path = []string{p.CategoryID}
	}
	return &suggestEntry{
		Suggestion: Suggestion{Kind: SuggestProduct, Text: p.Title, ID: p.ID, Slug: p.Slug},
		words:      suggestWords(p.Title),
		score:      score,
		brand:      p.Brand,
		cats:       path,
	}
}

func sameEntry(a, b *suggestEntry) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Suggestion == b.Suggestion && a.score == b.score && a.brand == b.brand && slices.Equal(a.cats, b.cats)
}

func pairsOf(e *suggestEntry) []suggestPair {
	ps := make([]suggestPair, 0, len(e.words))
	for i, w := range e.words {
		if slices.Contains(e.words[:i], w) {
			continue
		}
		ps = append(ps, suggestPair{word: w, score: e.score, first: i == 0, e: e})
	}
	return ps
}

func cmpPairs(a, b suggestPair) int {
	if c := strings.Compare(a.word, b.word); c != 0 {
		return c
	}
	switch {
	case a.score > b.score:
		return -1
	case a.score < b.score:
		return 1
	}
	return strings.Compare(a.e.ID, b.e.ID)
}

func sortPairs(ps []suggestPair) { slices.SortFunc(ps, cmpPairs) }

// update applies changed products (nil: deleted or not found) and publishes a new table when
// a suggestion changed. It costs one pass over the table per call, so Apply calls it once
// per batch.
func (s *suggester) update(changed map[string]*catalog.Product) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// affected: the groups whose members change, with their representative before.
	affected := map[string]*suggestEntry{}
	group := func(k string) *textGroup {
		g := s.texts[k]
		if g == nil {
			g = &textGroup{members: map[string]*suggestEntry{}}
			s.texts[k] = g
		}
		if _, seen := affected[k]; !seen {
			affected[k] = g.rep
		}
		return g
	}
	for id, p := range changed {
		if s.loading {
			s.touched[id] = true
		}
		var e *suggestEntry
		if p != nil {
			e = productEntry(*p)
		}
		old := s.products[id]
		if sameEntry(old, e) {
			continue
		}
		if old != nil {
			delete(group(textKey(old)).members, id)
			delete(s.products, id)
		}
		if e != nil {
			group(textKey(e)).members[id] = e
			s.products[id] = e
		}
	}
	gone := map[*suggestEntry]bool{}
	var added []suggestPair
	for k, before := range affected {
		g := s.texts[k]
		now := g.best()
		if now == nil {
			delete(s.texts, k)
		}
		g.rep = now
		if before == now {
			continue
		}
		if before != nil {
			gone[before] = true
		}
		if now != nil {
			added = append(added, pairsOf(now)...)
		}
	}
	if len(gone) == 0 && len(added) == 0 {
		return
	}
	sortPairs(added)
	next := make([]suggestPair, 0, len(s.pairs)+len(added))
	i := 0
	for _, p := range s.pairs {
		if gone[p.e] {
			continue
		}
		for i < len(added) && cmpPairs(added[i], p) < 0 {
			next = append(next, added[i])
			i++
		}
		next = append(next, p)
	}
	next = append(next, added[i:]...)
	s.pairs = next
	s.publishLocked()
}

// replace swaps in every entry at once (a rebuild's scan).
func (s *suggester) replace(entries map[string]*suggestEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch++
	s.products = entries
	s.rebuildLocked()
}

// setNames sets the category names and republishes the category suggestions.
func (s *suggester) setNames(names map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names = names
	s.publishLocked()
}

func (s *suggester) rebuildLocked() {
	s.texts = make(map[string]*textGroup, len(s.products))
	for id, e := range s.products {
		k := textKey(e)
		g := s.texts[k]
		if g == nil {
			g = &textGroup{members: map[string]*suggestEntry{}}
			s.texts[k] = g
		}
		g.members[id] = e
	}
	n := 0
	for _, g := range s.texts {
		g.rep = g.best()
		n += len(g.rep.words)
	}
	pairs := make([]suggestPair, 0, n)
	for _, g := range s.texts {
		pairs = append(pairs, pairsOf(g.rep)...)
	}
	sortPairs(pairs)
	s.pairs = pairs
	s.publishLocked()
}

// publishLocked publishes the product pairs with brand and category entries counted from
// the products.
func (s *suggester) publishLocked() {
	brands := map[string]int{}
	cats := map[string]int{}
	for _, e := range s.products {
		if e.brand != "" {
			brands[e.brand]++
		}
		for _, c := range e.cats {
			cats[c]++
		}
	}
	var groups []suggestPair
	for b, n := range brands {
		e := &suggestEntry{Suggestion: Suggestion{Kind: SuggestBrand, Text: b, ID: b}, words: suggestWords(b), score: float64(n)}
		groups = append(groups, pairsOf(e)...)
	}
	for id, n := range cats {
		name := s.names[id]
		if name == "" {
			continue
		}
		e := &suggestEntry{Suggestion: Suggestion{Kind: SuggestCategory, Text: name, ID: id}, words: suggestWords(name), score: float64(n)}
		groups = append(groups, pairsOf(e)...)
	}
	sortPairs(groups)
	s.tables++
	s.table.Store(&suggestTable{products: s.pairs, groups: groups, version: s.tables})
}

// loadingNow reports whether the first fill is running.
func (s *suggester) loadingNow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loading
}

// WarmSuggestions starts filling the suggestion table and the search columns (docTable)
// from the source in the background, unless they were filled or are being filled already;
// Suggest starts it too. The app calls it after Open: until the columns are filled, searches
// count facets with Bleve (slow at scale). Close waits for it. A rebuild fills both with its
// own scan.
func (ix *Index) WarmSuggestions() {
	if ix.suggestFilled.Load() {
		return
	}
	ix.bgMu.Lock()
	defer ix.bgMu.Unlock()
	if ix.stop.Err() != nil || !ix.suggestFilled.CompareAndSwap(false, true) {
		return
	}
	s := ix.suggest
	s.mu.Lock()
	s.loading, s.touched = true, map[string]bool{}
	epoch := s.epoch
	s.mu.Unlock()
	docs := ix.docs.Load()
	docs.mu.Lock()
	docs.loading, docs.touched = true, map[string]bool{}
	docs.mu.Unlock()
	ix.bg.Add(1)
	go func() {
		defer ix.bg.Done()
		entries := map[string]*suggestEntry{}
		scanned := newDocTable()
		names := namerOf(ix.categoryNames())
		err := ix.src.ScanProducts(ix.stop, func(p catalog.Product) error {
			if e := productEntry(p); e != nil {
				entries[p.ID] = e
			}
			if p.ID != "" {
				d := toDocument(p, names)
				scanned.put(p.ID, d, fingerprint(d), false)
			}
			return nil
		})
		if err == nil {
			ix.fillDocs(docs, scanned)
		} else {
			docs.mu.Lock()
			docs.loading, docs.touched = false, nil
			docs.mu.Unlock()
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.loading = false
		if err != nil {
			if ix.stop.Err() == nil {
				ix.log.Error("index: fill suggestions", "err", err)
			}
			return
		}
		if s.epoch != epoch {
			return // a rebuild replaced everything meanwhile
		}
		for id, e := range s.products {
			if s.touched[id] {
				entries[id] = e
			}
		}
		for id := range s.touched {
			if s.products[id] == nil {
				delete(entries, id) // deleted (or hidden) since the scan read it
			}
		}
		s.touched = nil
		s.products = entries
		s.rebuildLocked()
	}()
}

// find returns the best completions of words in t.
func (t *suggestTable) find(words []string, limit int) []Suggestion {
	last, rest := words[len(words)-1], words[:len(words)-1]
	out := make([]Suggestion, 0, limit)
	groups := topEntries(t.groups, last, rest, min(maxGroupSuggestions, limit), false)
	if len(groups) == 0 && utf8.RuneCountInString(last) >= 4 {
		groups = topEntriesTypo(t.groups, last, rest, min(maxGroupSuggestions, limit))
	}
	// Brands and categories are grouped by kind: brands first.
	slices.SortStableFunc(groups, func(a, b *suggestEntry) int { return strings.Compare(a.Kind, b.Kind) })
	for _, e := range groups {
		out = append(out, e.Suggestion)
	}
	var products []*suggestEntry
	if len(rest) == 0 && utf8.RuneCountInString(last) <= maxMemoRunes {
		v, ok := t.short.Load(last)
		if !ok {
			v, _ = t.short.LoadOrStore(last, topEntries(t.products, last, nil, MaxSuggestLimit, true))
		}
		products = v.([]*suggestEntry)
		products = products[:min(len(products), limit-len(out))]
	} else {
		products = topEntries(t.products, last, rest, limit-len(out), true)
	}
	if len(products) == 0 && utf8.RuneCountInString(last) >= 4 {
		products = topEntriesTypo(t.products, last, rest, limit-len(out))
	}
	for _, e := range products {
		out = append(out, e.Suggestion)
	}
	return out
}

// topEntriesTypo is topEntries for each variant of last with one letter removed or two
// neighbours swapped: a mistyped last word that is a few binary searches away.
func topEntriesTypo(pairs []suggestPair, last string, rest []string, k int) []*suggestEntry {
	rs := []rune(last)
	var best []*suggestEntry
	seen := map[string]bool{}
	try := func(v string) {
		if seen[v] {
			return
		}
		seen[v] = true
		for _, e := range topEntries(pairs, v, rest, k, true) {
			best = insertTop(best, e, k)
		}
	}
	for i := range rs {
		try(string(rs[:i]) + string(rs[i+1:]))
	}
	for i := 0; i+1 < len(rs); i++ {
		v := slices.Clone(rs)
		v[i], v[i+1] = v[i+1], v[i]
		try(string(v))
	}
	return best
}

// prefixRange returns the range of pairs whose word starts with prefix.
func prefixRange(pairs []suggestPair, prefix string) (lo, hi int) {
	lo = sort.Search(len(pairs), func(i int) bool { return pairs[i].word >= prefix })
	hi = lo + sort.Search(len(pairs)-lo, func(i int) bool { return !strings.HasPrefix(pairs[lo+i].word, prefix) })
	return lo, hi
}

// topEntries returns the k best entries having, for every word of rest and for last, a word
// starting with it. It walks the pairs of the most selective of those words only.
// firstBonus ranks entries whose first word starts with the query's first word higher.
func topEntries(pairs []suggestPair, last string, rest []string, k int, firstBonus bool) []*suggestEntry {
	if k <= 0 {
		return nil
	}
	lo, hi := prefixRange(pairs, last)
	for _, w := range rest {
		if l, h := prefixRange(pairs, w); h-l < hi-lo {
			lo, hi = l, h
		}
	}
	all := append(rest[:len(rest):len(rest)], last)
	first := all[0]
	var best []*suggestEntry
	var bestRank []float64
	for i := lo; i < hi && i-lo < maxSuggestScan; i++ {
		p := pairs[i]
		upper := p.score
		if firstBonus {
			upper += 2
		}
		if len(best) == k && upper <= bestRank[k-1] {
			// The rest of this word's pairs score no more (best first): go to the next word.
			i += sort.Search(hi-i, func(j int) bool { return pairs[i+j].word != p.word }) - 1
			continue
		}
		e := p.e
		if len(all) > 1 && !hasWordsPrefixed(e.words, all) {
			continue
		}
		rank := e.score
		if firstBonus && strings.HasPrefix(e.words[0], first) {
			rank += 2
		}
		if len(best) == k && rank <= bestRank[k-1] {
			continue
		}
		// The same entry (two words with the prefix) or the same text (two products named
		// alike) is listed once, at its best rank.
		dup := -1
		for j, b := range best {
			if b == e || b.Text == e.Text {
				dup = j
				break
			}
		}
		if dup >= 0 {
			if rank <= bestRank[dup] {
				continue
			}
			best = slices.Delete(best, dup, dup+1)
			bestRank = slices.Delete(bestRank, dup, dup+1)
		}
		at := sort.Search(len(bestRank), func(j int) bool { return bestRank[j] < rank })
		best = slices.Insert(best, at, e)
		bestRank = slices.Insert(bestRank, at, rank)
		if len(best) > k {
			best, bestRank = best[:k], bestRank[:k]
		}
	}
	return best
}

// insertTop merges e into best (kept by score, at most k, no duplicate text).
func insertTop(best []*suggestEntry, e *suggestEntry, k int) []*suggestEntry {
	for _, b := range best {
		if b == e || b.Text == e.Text {
			return best
		}
	}
	at := sort.Search(len(best), func(j int) bool { return best[j].score < e.score })
	best = slices.Insert(best, at, e)
	if len(best) > k {
		best = best[:k]
	}
	return best
}

func hasWordsPrefixed(words, prefixes []string) bool {
	for _, p := range prefixes {
		found := false
		for _, w := range words {
			if strings.HasPrefix(w, p) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// suggestEntries builds the entries of a rebuild's scan.
type suggestCollector map[string]*suggestEntry

func (c suggestCollector) add(p catalog.Product) {
	if e := productEntry(p); e != nil {
		c[p.ID] = e
	}
}
