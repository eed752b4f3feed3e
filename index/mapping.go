package index

import (
	"maps"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/char/regexp"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/ru"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// MappingVersion identifies the document mapping and analyzers below. Bump it whenever either
// changes: an index built with another version is rebuilt from the store at Open.
//
//	2: category_id holds the whole category path
//	3: per-language analyzers (English stemming, Russian stemming, Uzbek normalization),
//	   translations, vendor, attributes, option values and category names as text, vendor
//	   and rating facets
const MappingVersion = 3

// docType is the Bleve document type of products, named by typeField in each document.
const (
	docType   = "product"
	typeField = "_type"
)

// Analyzers of the text fields, one per language.
//
// enAnalyzer is Bleve's "en" analyzer (Unicode word boundaries, possessives stripped, lower
// case, English stop words, Porter stemming: "watches" -> "watch", "lipsticks" ->
// "lipstick") with accents folded first, so "café" finds "cafe". It analyzes the default
// text of every product, which the shop writes in English.
//
// ruAnalyzer is Bleve's "ru" analyzer (lower case, Russian stop words, Snowball stemming:
// "часы" and "часов" meet), for the Russian translations.
//
// uzAnalyzer normalizes Uzbek: every apostrophe form of o‘/g‘ and the tutuq belgisi (' ‘ ’
// ʼ ` ´ ʻ) becomes ʻ (U+02BB, a letter, so words are not split at it) and text is lower
// cased. There is no Uzbek stemmer; Cyrillic and Latin spellings are not unified.
const (
	enAnalyzer = "um_en"
	ruAnalyzer = "um_ru"
	uzAnalyzer = "um_uz"

	uzApostrophes = "um_uz_apostrophe"
	uzApostrophe  = "ʻ"
)

// Index field names. Text fields are analyzed with their language's analyzer; *_kw are exact
// keywords for filters and facets.
const (
	fieldTitle       = "title"
	fieldDescription = "description"
	fieldBrand       = "brand"
	fieldBrandKW     = "brand_kw"
	fieldTags        = "tags"
	fieldTagsKW      = "tags_kw"
	fieldVendor      = "vendor" // the maker or supplier's name, as text
	fieldVendorKW    = "vendor_kw"
	fieldVendorID    = "vendor_id" // the marketplace vendor
	fieldAttributes  = "attributes"
	fieldCategory    = "category_id"
	fieldCatNames    = "category_names"
	fieldStatus      = "status"
	fieldPrice       = "price"
	fieldCurrency    = "currency"
	fieldInStock     = "in_stock"
	fieldRating      = "rating"
	fieldCreatedAt   = "created_at"
	fieldSKU         = "sku"
)

// translatedFields are the fields of translations in locales other than the default (en):
// title_<locale> and description_<locale>, analyzed with the locale's analyzer. English
// translations are added to the default fields.
var translatedFields = map[string]string{"ru": ruAnalyzer, "uz": uzAnalyzer}

func titleField(locale string) string       { return fieldTitle + "_" + locale }
func descriptionField(locale string) string { return fieldDescription + "_" + locale }

// textFieldAnalyzers names the analyzer of every analyzed text field; the query uses it to
// decide which words are stop words and what a word's stem is.
func textFieldAnalyzers() map[string]string {
	m := map[string]string{
		fieldTitle: enAnalyzer, fieldDescription: enAnalyzer, fieldBrand: enAnalyzer, fieldTags: enAnalyzer,
		fieldVendor: enAnalyzer, fieldAttributes: enAnalyzer, fieldCatNames: enAnalyzer,
	}
	for loc, an := range translatedFields {
		m[titleField(loc)] = an
		m[descriptionField(loc)] = an
	}
	return m
}

// CategoryNamer returns the names of categories by ID (the ancestry of a product's
// category); the index holds them as text so "watches" finds products filed under "Mens
// Watches". nil names nothing.
type CategoryNamer func(id string) string

// toDocument returns what the index holds for one product: a map rather than a struct so that
// empty values are left out instead of being indexed as empty keywords (which would show up
// as a blank brand facet). Nothing is stored for retrieval: hits carry only IDs and callers
// load products from the store.
func toDocument(p catalog.Product, names CategoryNamer) map[string]any {
	d := map[string]any{
		typeField:    docType,
		fieldStatus:  p.Status,
		fieldInStock: p.InStock(),
		fieldRating:  p.Rating,
	}
	set := func(field string, vs ...string) {
		if vs := nonEmpty(vs); len(vs) == 1 {
			d[field] = vs[0]
		} else if len(vs) > 1 {
			d[field] = vs
		}
	}
	en := p.Translations["en"]
	set(fieldTitle, p.Title, en.Title)
	set(fieldDescription, p.Description, en.Description, p.SEO.Title, p.SEO.Description)
	set(fieldBrand, p.Brand)
	set(fieldBrandKW, p.Brand)
	set(fieldVendor, p.Vendor)
	set(fieldVendorKW, p.Vendor)
	set(fieldVendorID, p.VendorID)
	set(fieldTags, p.Tags...)
	set(fieldTagsKW, p.Tags...)
	for loc := range translatedFields {
		t := p.Translations[loc]
		set(titleField(loc), t.Title)
		set(descriptionField(loc), t.Description, t.SEOTitle, t.SEODescription)
	}
	// Attribute values and variant option values ("Red", "Leather") are words shoppers type.
	var attrs []string
	for _, k := range slices.Sorted(maps.Keys(p.Attributes)) {
		attrs = append(attrs, p.Attributes[k])
	}
	for _, o := range p.Options {
		attrs = append(attrs, strings.Join(o.Values, " "))
	}
	set(fieldAttributes, attrs...)
	// Every category of the ancestry, so a filter on a category finds its sub-categories'
	// products too.
	path := p.CategoryPath
	if len(path) == 0 && p.CategoryID != "" {
		path = []string{p.CategoryID}
	}
	set(fieldCategory, path...)
	if names != nil {
		var ns []string
		for _, id := range path {
			ns = append(ns, names(id))
		}
		set(fieldCatNames, ns...)
	}
	if len(p.Variants) > 0 {
		m := p.MinPrice()
		d[fieldPrice] = float64(m.Amount)
		set(fieldCurrency, m.Currency)
	}
	// Bleve cannot represent the zero time; leave it out so the product sorts last by date.
	if !p.CreatedAt.IsZero() {
		d[fieldCreatedAt] = p.CreatedAt.UTC()
	}
	skus := make([]string, 0, len(p.Variants))
	for _, v := range p.Variants {
		skus = append(skus, v.SKU)
	}
	set(fieldSKU, skus...)
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
	if err := im.AddCustomCharFilter(uzApostrophes, map[string]any{
		"type": regexp.Name, "regexp": "['‘’ʼ`´ʻ]", "replace": uzApostrophe,
	}); err != nil {
		return nil, err
	}
	for name, an := range map[string]map[string]any{
		enAnalyzer: {
			"type":          custom.Name,
			"char_filters":  []any{asciifolding.Name},
			"tokenizer":     unicode.Name,
			"token_filters": []any{en.PossessiveName, lowercase.Name, en.StopName, porter.Name},
		},
		ruAnalyzer: {
			"type":          custom.Name,
			"tokenizer":     unicode.Name,
			"token_filters": []any{lowercase.Name, ru.StopName, ru.SnowballStemmerName},
		},
		uzAnalyzer: {
			"type":          custom.Name,
			"char_filters":  []any{uzApostrophes},
			"tokenizer":     unicode.Name,
			"token_filters": []any{lowercase.Name},
		},
	} {
		if err := im.AddCustomAnalyzer(name, an); err != nil {
			return nil, err
		}
	}
	im.TypeField = typeField
	im.DefaultAnalyzer = enAnalyzer
	im.ScoringModel = bleveindex.BM25Scoring
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	im.DefaultMapping = bleve.NewDocumentDisabledMapping()

	text := func(analyzer string) *mapping.FieldMapping {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = analyzer
		fm.Store = false
		fm.IncludeInAll = false
		fm.DocValues = false
		return fm
	}
	kw := func() *mapping.FieldMapping {
		fm := bleve.NewKeywordFieldMapping()
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
	for field, an := range textFieldAnalyzers() {
		dm.AddFieldMappingsAt(field, text(an))
	}
	for _, field := range []string{fieldBrandKW, fieldTagsKW, fieldVendorKW, fieldVendorID, fieldCategory, fieldStatus, fieldCurrency, fieldSKU} {
		dm.AddFieldMappingsAt(field, kw())
	}
	dm.AddFieldMappingsAt(fieldPrice, num())
	inStock := bleve.NewBooleanFieldMapping()
	inStock.Store, inStock.IncludeInAll = false, false
	dm.AddFieldMappingsAt(fieldInStock, inStock)
	dm.AddFieldMappingsAt(fieldRating, num())
	created := bleve.NewDateTimeFieldMapping()
	created.Store, created.IncludeInAll = false, false
	dm.AddFieldMappingsAt(fieldCreatedAt, created)
	im.AddDocumentMapping(docType, dm)

	if err := im.Validate(); err != nil {
		return nil, err
	}
	return im, nil
}
