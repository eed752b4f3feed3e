package index

import (
	"context"
	"html"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
)

// Highlight fragments.
const (
	fragmentLen    = 180 // bytes of a description fragment, about
	fragmentBefore = 60  // bytes of context before the first match
	markOpen       = "<mark>"
	markClose      = "</mark>"
)

// highlight fills the hits' Highlights from the products as the store holds them now. A
// product that cannot be read is left without highlights.
func (ix *Index) highlight(ctx context.Context, hits []Hit, words []queryWord, syn *synonymSet) {
	m := newMatcher(words, syn)
	for i := range hits {
		p, err := ix.src.Product(ctx, hits[i].ID)
		if err != nil {
			continue
		}
		h := map[string]string{}
		if s, ok := m.mark(p.Title, false); ok {
			h["title"] = s
		}
		if s, ok := m.mark(p.Description, true); ok {
			h["description"] = s
		}
		if len(h) > 0 {
			hits[i].Highlights = h
		}
	}
}

// matcher decides which words of a text match the query: the same stem, a stem within the
// word's typo distance, the last word as a prefix, or a synonym's stem.
type matcher struct {
	words []queryWord
	fuzz  []int
	syn   map[string]bool // stems of the words' one-word synonyms
}

func newMatcher(words []queryWord, syn *synonymSet) *matcher {
	m := &matcher{words: words, syn: map[string]bool{}}
	for _, w := range words {
		m.fuzz = append(m.fuzz, fuzziness(w.raw))
		for _, phrase := range syn.of(w.stem) {
			for _, sw := range phrase {
				if st := stemOf(sw); st != "" {
					m.syn[st] = true
				}
			}
		}
	}
	return m
}

func (m *matcher) matches(token string) bool {
	lower := strings.ToLower(token)
	stem := stemOf(lower)
	if stem == "" {
		return false
	}
	if m.syn[stem] {
		return true
	}
	for i, w := range m.words {
		switch {
		case stem == w.stem:
			return true
		case m.fuzz[i] > 0 && editDistance(stem, w.stem, m.fuzz[i]) <= m.fuzz[i]:
			return true
		case i == len(m.words)-1 && utf8.RuneCountInString(w.raw) >= 2 && strings.HasPrefix(lower, w.raw):
			return true
		}
	}
	return false
}

// mark returns text as HTML with matched words in <mark>; fragment cuts it to a window around
// the first match. ok is false when no word matched.
func (m *matcher) mark(text string, fragment bool) (string, bool) {
	if text == "" {
		return "", false
	}
	toks := unicode.NewUnicodeTokenizer().Tokenize([]byte(text))
	type span struct{ start, end int }
	var marks []span
	for _, t := range toks {
		if m.matches(string(t.Term)) {
			marks = append(marks, span{t.Start, t.End})
		}
	}
	if len(marks) == 0 {
		return "", false
	}
	from, to := 0, len(text)
	if fragment && len(text) > fragmentLen {
		from = max(0, marks[0].start-fragmentBefore)
		if from > 0 {
			// start at a word
			if i := strings.IndexByte(text[from:marks[0].start], ' '); i >= 0 {
				from += i + 1
			}
		}
		to = min(len(text), from+fragmentLen)
		if to < len(text) {
			if i := strings.LastIndexByte(text[max(from, marks[0].end):to], ' '); i >= 0 {
				to = max(from, marks[0].end) + i
			}
		}
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	pos := from
	for _, s := range marks {
		if s.start < from || s.end > to {
			continue
		}
		b.WriteString(html.EscapeString(text[pos:s.start]))
		b.WriteString(markOpen)
		b.WriteString(html.EscapeString(text[s.start:s.end]))
		b.WriteString(markClose)
		pos = s.end
	}
	b.WriteString(html.EscapeString(text[pos:to]))
	if to < len(text) {
		b.WriteString("…")
	}
	return b.String(), true
}

// editDistance is the optimal string alignment distance of a and b (insertions, deletions,
// substitutions and swaps of neighbours, like the index's fuzzy matching), or max+1 when it
// exceeds max.
func editDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > max || -d > max {
		return max + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
