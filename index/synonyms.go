package index

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/ultramarket/ultramarket/commerce"
)

// Synonym limits.
const (
	MaxSynonymGroups = 1000 // groups in config or stored
	MaxSynonymTerms  = 16   // terms of one group
	MaxSynonymLen    = 64   // bytes of one term
)

// EventSynonymsUpdated is emitted when the stored synonyms change (an admin's write, audited).
// Data: {"synonyms": [...groups]}.
const EventSynonymsUpdated = "search.synonyms_updated"

// SynonymStore keeps the synonyms an administrator sets through the API; the store
// implements it. The configured synonyms (Config.Synonyms) are kept apart and always apply.
type SynonymStore interface {
	// SearchSynonyms returns the stored groups and their version (0 when none were ever set).
	SearchSynonyms(ctx context.Context) (groups []string, version int64, err error)
	// SetSearchSynonyms replaces the stored groups, when ifVersion is nil or the stored
	// version, and returns the new version; otherwise an EPrecondition error.
	SetSearchSynonyms(ctx context.Context, groups []string, ifVersion *int64) (version int64, err error)
}

// Synonyms are the synonym groups the search applies: each group is a comma-separated list of
// equivalent terms ("tv, television"); a query word equal (after stemming) to a one-word term
// also matches the group's other terms. A term may be several words ("cell phone"): it then
// matches when all its words do, but only one-word terms expand a query word.
type Synonyms struct {
	Config  []string // from configuration (search.synonyms); read-only through the API
	Stored  []string // set through the admin API
	Version int64    // version of Stored (ETag)
}

// synonymSet maps the stem of a one-word term to the other terms of its groups, each as its
// lower-cased words.
type synonymSet struct {
	byStem map[string][][]string
}

// of returns the alternatives of a word's stem; s may be nil.
func (s *synonymSet) of(stem string) [][]string {
	if s == nil {
		return nil
	}
	return s.byStem[stem]
}

// analysisMapping is a mapping used only to analyze text outside an open index (synonym
// stems, suggestions); it is the same mapping the index is built with.
var analysisMapping = sync.OnceValue(func() *mapping.IndexMappingImpl {
	m, err := newMapping()
	if err != nil {
		panic(fmt.Sprintf("index: mapping: %v", err))
	}
	return m
})

// stemOf returns the English analysis of one word, "" for a stop word.
func stemOf(word string) string {
	a := analysisMapping().AnalyzerNamed(enAnalyzer)
	ts := a.Analyze([]byte(word))
	if len(ts) == 0 {
		return ""
	}
	return string(ts[0].Term)
}

// ParseSynonyms checks groups and returns each as its terms, each term as its lower-cased
// words. field names the groups in field errors ("synonyms").
func ParseSynonyms(field string, groups []string) ([][][]string, error) {
	var v commerce.Validator
	v.Check(len(groups) <= MaxSynonymGroups, field, fmt.Sprintf("must hold at most %d groups", MaxSynonymGroups))
	out := make([][][]string, 0, len(groups))
	for i, g := range groups {
		f := fmt.Sprintf("%s[%d]", field, i)
		var terms [][]string
		seen := map[string]bool{}
		for _, t := range strings.Split(g, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if len(t) > MaxSynonymLen {
				v.Add(f, fmt.Sprintf("term %q is longer than %d bytes", t, MaxSynonymLen))
				continue
			}
			var words []string
			for _, tok := range unicode.NewUnicodeTokenizer().Tokenize([]byte(t)) {
				words = append(words, strings.ToLower(string(tok.Term)))
			}
			key := strings.Join(words, " ")
			if len(words) == 0 || seen[key] {
				continue
			}
			seen[key] = true
			terms = append(terms, words)
		}
		switch {
		case len(terms) < 2:
			v.Add(f, `must list at least two different terms separated by commas, like "tv, television"`)
		case len(terms) > MaxSynonymTerms:
			v.Add(f, fmt.Sprintf("must list at most %d terms", MaxSynonymTerms))
		}
		out = append(out, terms)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// newSynonymSet builds the lookup of parsed groups.
func newSynonymSet(groups ...[][][]string) *synonymSet {
	s := &synonymSet{byStem: map[string][][]string{}}
	for _, gs := range groups {
		for _, terms := range gs {
			for i, t := range terms {
				if len(t) != 1 {
					continue
				}
				stem := stemOf(t[0])
				if stem == "" {
					continue
				}
				for j, other := range terms {
					if j != i && !containsPhrase(s.byStem[stem], other) && !(len(other) == 1 && stemOf(other[0]) == stem) {
						s.byStem[stem] = append(s.byStem[stem], other)
					}
				}
			}
		}
	}
	if len(s.byStem) == 0 {
		return nil
	}
	return s
}

func containsPhrase(ps [][]string, p []string) bool {
	for _, q := range ps {
		if strings.Join(q, " ") == strings.Join(p, " ") {
			return true
		}
	}
	return false
}

// loadSynonyms reads the stored synonyms and puts them in force with the configured ones.
func (ix *Index) loadSynonyms(ctx context.Context) error {
	var stored []string
	var version int64
	if ix.cfg.SynonymStore != nil {
		var err error
		if stored, version, err = ix.cfg.SynonymStore.SearchSynonyms(ctx); err != nil {
			return fmt.Errorf("index: read synonyms: %w", err)
		}
	}
	return ix.setSynonyms(stored, version)
}

func (ix *Index) setSynonyms(stored []string, version int64) error {
	conf, err := ParseSynonyms("search.synonyms", ix.cfg.Synonyms)
	if err != nil {
		return err
	}
	st, err := ParseSynonyms("synonyms", stored)
	if err != nil {
		// Stored groups were checked when written; a bad one must not stop the shop.
		ix.log.Error("index: stored synonyms ignored", "err", err)
		st = nil
	}
	ix.synMu.Lock()
	ix.storedSyn, ix.synVersion = append([]string(nil), stored...), version
	ix.synMu.Unlock()
	ix.synonyms.Store(newSynonymSet(conf, st))
	ix.gen.Add(1) // cached answers were made with the old synonyms
	return nil
}

// Synonyms returns the synonyms in force.
func (ix *Index) Synonyms() Synonyms {
	ix.synMu.Lock()
	defer ix.synMu.Unlock()
	return Synonyms{
		Config:  append([]string{}, ix.cfg.Synonyms...),
		Stored:  append([]string{}, ix.storedSyn...),
		Version: ix.synVersion,
	}
}

// PutSynonyms replaces the stored synonyms (when ifVersion is nil or their current version)
// and applies them to the next queries: no reindex is needed, expansion happens at query
// time. Invalid groups are an EInvalid error naming each one ("synonyms[2]").
func (ix *Index) PutSynonyms(ctx context.Context, groups []string, ifVersion *int64) (Synonyms, error) {
	if ix.cfg.SynonymStore == nil {
		return Synonyms{}, &commerce.Error{Kind: commerce.EUnavailable, Code: "synonyms_unavailable", Message: "index: no synonym store"}
	}
	if _, err := ParseSynonyms("synonyms", groups); err != nil {
		return Synonyms{}, err
	}
	clean := make([]string, 0, len(groups))
	for _, g := range groups {
		clean = append(clean, strings.TrimSpace(g))
	}
	// Serialize writers so the version and the groups in force move together.
	ix.synWrite.Lock()
	defer ix.synWrite.Unlock()
	version, err := ix.cfg.SynonymStore.SetSearchSynonyms(ctx, clean, ifVersion)
	if err != nil {
		return Synonyms{}, err
	}
	if err := ix.setSynonyms(clean, version); err != nil {
		return Synonyms{}, err
	}
	return ix.Synonyms(), nil
}
