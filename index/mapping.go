package index

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// MappingVersion identifies the document mapping and analyzers below. Bump it whenever either
// changes: an index built with another version is rebuilt from the store at Open.
const MappingVersion = 2 // 2: category_id holds the whole category path

// docType is the Bleve document type of products, named by typeField in each document.
const (
	docType   = "product"
	typeField = "_type"
)

// textAnalyzer is the analyzer of every full-text field: Unicode word boundaries, accents
// folded, possessives stripped, lower case, English stop words removed and plurals reduced to
// the singular ("watches" -> "watch"). A plural-only stemmer is used instead of Porter because
// Porter over-stems product words ("general" and "generator" both become "gener"), which
// surprises shoppers more than a missed "running" -> "run".
const textAnalyzer = "product_text"

// Index field names. Text fields are analyzed with textAnalyzer; *_kw are exact keywords for
// filters and facets.
const (
	fieldTitle       = "title"
	fieldDescription = "description"
	fieldBrand       = "brand"
	fieldBrandKW     = "brand_kw"
	fieldTags        = "tags"
	fieldTagsKW      = "tags_kw"
	fieldCategory    = "category_id"
	fieldStatus      = "status"
	fieldVendor      = "vendor"
	fieldPrice       = "price"
	fieldCurrency    = "currency"
	fieldInStock     = "in_stock"
	fieldRating      = "rating"
	fieldCreatedAt   = "created_at"
	fieldSKU         = "sku"
)

// toDocument returns what the index holds for one product: a map rather than a struct so that
// empty values are left out instead of being indexed as empty keywords (which would show up
// as a blank brand facet). Nothing is stored for retrieval: hits carry only IDs and callers
// load products from the store.
func toDocument(p catalog.Product) map[string]any {
	d := map[string]any{
		typeField:    docType,
		fieldStatus:  p.Status,
		fieldInStock: p.InStock(),
		fieldRating:  p.Rating,
	}
	for field, v := range map[string]string{
		fieldTitle:       p.Title,
		fieldDescription: p.Description,
		fieldBrand:       p.Brand,
		fieldVendor:      p.Vendor,
	} {
		if v != "" {
			d[field] = v
		}
	}
	// Every category of the ancestry, so a filter on a category finds its sub-categories'
	// products too.
	path := p.CategoryPath
	if len(path) == 0 && p.CategoryID != "" {
		path = []string{p.CategoryID}
	}
	if cats := nonEmpty(path); len(cats) > 0 {
		d[fieldCategory] = cats
	}
	if tags := nonEmpty(p.Tags); len(tags) > 0 {
		d[fieldTags] = tags
	}
	if len(p.Variants) > 0 {
		m := p.MinPrice()
		d[fieldPrice] = float64(m.Amount)
		if m.Currency != "" {
			d[fieldCurrency] = m.Currency
		}
	}
	// Bleve cannot represent the zero time; leave it out so the product sorts last by date.
	if !p.CreatedAt.IsZero() {
		d[fieldCreatedAt] = p.CreatedAt.UTC()
	}
	skus := make([]string, 0, len(p.Variants))
	for _, v := range p.Variants {
		skus = append(skus, v.SKU)
	}
	if skus := nonEmpty(skus); len(skus) > 0 {
		d[fieldSKU] = skus
	}
	return d
}

func nonEmpty(ss []string) []any {
	var out []any
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// newMapping builds the index mapping for MappingVersion.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	err := im.AddCustomAnalyzer(textAnalyzer, map[string]any{
		"type":          custom.Name,
		"char_filters":  []any{asciifolding.Name},
		"tokenizer":     unicode.Name,
		"token_filters": []any{en.PossessiveName, lowercase.Name, en.StopName, en.PluralStemmerName},
	})
	if err != nil {
		return nil, err
	}
	im.TypeField = typeField
	im.DefaultAnalyzer = textAnalyzer
	im.ScoringModel = bleveindex.BM25Scoring
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	im.DefaultMapping = bleve.NewDocumentDisabledMapping()

	text := func() *mapping.FieldMapping {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = textAnalyzer
		fm.Store = false
		fm.IncludeInAll = false
		fm.DocValues = false
		return fm
	}
	kw := func(name string) *mapping.FieldMapping {
		fm := bleve.NewKeywordFieldMapping()
		fm.Name = name
		fm.Analyzer = keyword.Name
		fm.Store = false
		fm.IncludeInAll = false
		fm.IncludeTermVectors = false
		return fm
	}
	num := func() *mapping.FieldMapping {
		fm := bleve.NewNumericFieldMapping()
		fm.Store = false
		fm.IncludeInAll = false
		return fm
	}

	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt(fieldTitle, text())
	dm.AddFieldMappingsAt(fieldDescription, text())
	dm.AddFieldMappingsAt(fieldBrand, text(), kw(fieldBrandKW))
	dm.AddFieldMappingsAt(fieldTags, text(), kw(fieldTagsKW))
	dm.AddFieldMappingsAt(fieldCategory, kw(""))
	dm.AddFieldMappingsAt(fieldStatus, kw(""))
	dm.AddFieldMappingsAt(fieldVendor, kw(""))
	dm.AddFieldMappingsAt(fieldPrice, num())
	dm.AddFieldMappingsAt(fieldCurrency, kw(""))
	inStock := bleve.NewBooleanFieldMapping()
	inStock.Store, inStock.IncludeInAll = false, false
	dm.AddFieldMappingsAt(fieldInStock, inStock)
	dm.AddFieldMappingsAt(fieldRating, num())
	created := bleve.NewDateTimeFieldMapping()
	created.Store, created.IncludeInAll = false, false
	dm.AddFieldMappingsAt(fieldCreatedAt, created)
	dm.AddFieldMappingsAt(fieldSKU, kw(""))
	im.AddDocumentMapping(docType, dm)

	if err := im.Validate(); err != nil {
		return nil, err
	}
	return im, nil
}
