package index

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// Boosts of the "similar products" query: the same category says most, then brand and tags,
// then words of the title and attribute values.
const (
	similarBoostCategory  = 5.0
	similarBoostAncestor  = 1.0
	similarBoostBrand     = 3.0
	similarBoostTag       = 2.0
	similarBoostTitle     = 1.0
	similarBoostAttribute = 0.5
)

// Similar returns up to limit active products most like p (for "similar products" on its
// page), best first, never p itself: products sharing its category (its ancestors count a
// little), brand and tags, and words of its title and attribute values. A product with none
// of those finds nothing. limit is clamped to 1..commerce.MaxPageLimit.
func (ix *Index) Similar(ctx context.Context, p catalog.Product, limit int) ([]Hit, error) {
	limit = commerce.Page{Limit: limit}.Normalize().Limit
	var alts []query.Query
	term := func(field, value string, boost float64) {
		if value = strings.TrimSpace(value); value != "" {
			t := query.NewTermQuery(value)
			t.SetField(field)
			t.SetBoost(boost)
			alts = append(alts, t)
		}
	}
	match := func(field, text string, boost float64) {
		if text = strings.TrimSpace(text); text != "" {
			m := query.NewMatchQuery(text)
			m.SetField(field)
			m.SetBoost(boost)
			alts = append(alts, m)
		}
	}
	term(fieldCategory, p.CategoryID, similarBoostCategory)
	for _, c := range p.CategoryPath {
		if c != p.CategoryID {
			term(fieldCategory, c, similarBoostAncestor)
		}
	}
	term(fieldBrandKW, p.Brand, similarBoostBrand)
	for _, t := range p.Tags {
		term(fieldTagsKW, t, similarBoostTag)
	}
	match(fieldTitle, p.Title, similarBoostTitle)
	if len(p.Attributes) > 0 {
		var vals []string
		for _, k := range slices.Sorted(maps.Keys(p.Attributes)) {
			vals = append(vals, p.Attributes[k])
		}
		match(fieldTitle, strings.Join(vals, " "), similarBoostAttribute)
		match(fieldTags, strings.Join(vals, " "), similarBoostAttribute)
	}
	if len(alts) == 0 {
		return []Hit{}, nil
	}

	bq := query.NewBooleanQuery([]query.Query{query.NewDisjunctionQuery(alts)}, nil,
		[]query.Query{query.NewDocIDQuery([]string{p.ID})})
	active := query.NewTermQuery(catalog.StatusActive)
	active.SetField(fieldStatus)
	bq.AddFilter(active)
	req := bleve.NewSearchRequestOptions(bq, limit, 0, false)
	req.SortBy([]string{"-_score", "_id"})

	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if err := ix.usableLocked(); err != nil {
		return nil, err
	}
	sr, err := ix.bi.SearchInContext(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("index: similar: %w", err)
	}
	out := make([]Hit, 0, len(sr.Hits))
	for _, h := range sr.Hits {
		out = append(out, Hit{ID: h.ID, Score: h.Score})
	}
	return out, nil
}
