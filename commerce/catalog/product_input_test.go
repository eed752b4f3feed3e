package catalog

import (
	"slices"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

const mediaA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// richProduct uses every field of issue 5 validly: two options, six variants.
func richProduct() ProductInput {
	in := ProductInput{
		Title: "Tee", Options: []Option{{Name: "Size", Values: []string{"S", "M", "L"}}, {Name: "Color", Values: []string{"Red", "Blue"}}},
		Attributes:   map[string]string{"Material": "Cotton"},
		SEO:          SEO{Title: "Tee | Shop", Description: "A tee."},
		Translations: map[string]Translation{"ru": {Title: "Футболка"}, "uz": {Description: "Futbolka"}},
		Featured:     true,
		Images: []ImageInput{
			{Source: "https://cdn.example.com/b.jpg", Position: 2, Alt: "back"},
			{ID: mediaA, Position: 1, VariantSKUs: []string{"t-s-red"}},
			{Source: "http://cdn.example.com/c.jpg"},
		},
	}
	for _, size := range []string{"S", "M", "L"} {
		for _, color := range []string{"Red", "Blue"} {
			in.Variants = append(in.Variants, VariantInput{
				SKU: "T-" + size + "-" + strings.ToUpper(color), Price: commerce.Money{Amount: 1000, Currency: "USD"},
				Options:        map[string]string{"Size": size, "Color": color},
				CompareAtPrice: &commerce.Money{Amount: 1500, Currency: "USD"}, WeightGrams: 200, Barcode: "0123456789012",
			})
		}
	}
	return in
}

func TestCheckProductFields(t *testing.T) {
	scenarios := []struct {
		name string
		edit func(*ProductInput)
		want []string // fields named, in order; nil means valid
	}{
		{"every field valid", func(*ProductInput) {}, nil},
		{"options derived when not given", func(p *ProductInput) { p.Options = nil }, nil},
		{"four options", func(p *ProductInput) {
			p.Options = append(p.Options, Option{Name: "A", Values: []string{"x"}}, Option{Name: "B", Values: []string{"y"}})
		}, []string{"options"}},
		{"option name repeated in any case", func(p *ProductInput) { p.Options[1].Name = "size" }, []string{"options[1].name"}},
		{"option without values", func(p *ProductInput) { p.Options[1].Values = nil }, []string{"options[1].values"}},
		{"option value repeated", func(p *ProductInput) { p.Options[0].Values = []string{"S", "M", "L", "M"} }, []string{"options[0].values[3]"}},
		{"blank option name", func(p *ProductInput) { p.Options[0].Name = " " }, []string{"options[0].name"}},
		{"variant value not listed", func(p *ProductInput) { p.Variants[2].Options["Size"] = "XL" }, []string{"variants[2].options.Size"}},
		{"variant missing an option", func(p *ProductInput) { delete(p.Variants[3].Options, "Color") }, []string{"variants[3].options.Color"}},
		{"variant missing an option, derived", func(p *ProductInput) {
			p.Options = nil
			delete(p.Variants[3].Options, "Color")
		}, []string{"variants[3].options.Color"}},
		{"variant with an extra option", func(p *ProductInput) { p.Variants[1].Options["Fit"] = "Slim" }, []string{"variants[1].options.Fit"}},
		{"same combination twice", func(p *ProductInput) { p.Variants[1].Options = map[string]string{"Size": "S", "Color": "Red"} }, []string{"variants[1].options"}},
		{"51 attributes", func(p *ProductInput) {
			for i := range MaxAttributes + 1 {
				p.Attributes[strings.Repeat("k", i+1)] = "v"
			}
		}, []string{"attributes"}},
		{"attribute name too long", func(p *ProductInput) { p.Attributes[strings.Repeat("n", MaxAttributeNameLen+1)] = "v" }, []string{"attributes." + strings.Repeat("n", MaxAttributeNameLen+1)}},
		{"attribute without value", func(p *ProductInput) { p.Attributes["Fit"] = " " }, []string{"attributes.Fit"}},
		{"attribute value too long", func(p *ProductInput) { p.Attributes["Fit"] = strings.Repeat("v", MaxAttributeValueLen+1) }, []string{"attributes.Fit"}},
		{"seo title at the limit", func(p *ProductInput) { p.SEO.Title = strings.Repeat("т", MaxSEOTitleLen) }, nil},
		{"seo title too long", func(p *ProductInput) { p.SEO.Title = strings.Repeat("т", MaxSEOTitleLen+1) }, []string{"seo.title"}},
		{"seo description too long", func(p *ProductInput) { p.SEO.Description = strings.Repeat("d", MaxSEODescriptionLen+1) }, []string{"seo.description"}},
		{"unknown locale", func(p *ProductInput) { p.Translations["fr"] = Translation{Title: "T-shirt"} }, []string{"translations.fr"}},
		{"locale in upper case is folded", func(p *ProductInput) { p.Translations["RU"] = p.Translations["ru"]; delete(p.Translations, "ru") }, nil},
		{"translated title too long", func(p *ProductInput) { p.Translations["ru"] = Translation{Title: strings.Repeat("ф", MaxTitleLen+1)} }, []string{"translations.ru.title"}},
		{"translated fields checked like their base", func(p *ProductInput) {
			p.Translations["uz"] = Translation{Description: "a\x00b", SEOTitle: strings.Repeat("s", MaxSEOTitleLen+1), SEODescription: strings.Repeat("s", MaxSEODescriptionLen+1)}
		}, []string{"translations.uz.description", "translations.uz.seo_title", "translations.uz.seo_description"}},
		{"compare-at in another currency", func(p *ProductInput) { p.Variants[2].CompareAtPrice.Currency = "EUR" }, []string{"variants[2].compare_at_price.currency"}},
		{"compare-at zero", func(p *ProductInput) { p.Variants[0].CompareAtPrice = &commerce.Money{Currency: "USD"} }, []string{"variants[0].compare_at_price.amount"}},
		{"compare-at below the price is kept", func(p *ProductInput) { p.Variants[0].CompareAtPrice.Amount = 500 }, nil},
		{"negative weight", func(p *ProductInput) { p.Variants[4].WeightGrams = -1 }, []string{"variants[4].weight_grams"}},
		{"barcode too long", func(p *ProductInput) { p.Variants[5].Barcode = strings.Repeat("1", MaxBarcodeLen+1) }, []string{"variants[5].barcode"}},
		{"barcode with a control character", func(p *ProductInput) { p.Variants[5].Barcode = "12\x0134" }, []string{"variants[5].barcode"}},
		{"image without id or source", func(p *ProductInput) { p.Images[0].Source = "" }, []string{"images[0].source"}},
		{"image source not http", func(p *ProductInput) { p.Images[0].Source = "ftp://cdn.example.com/a.jpg" }, []string{"images[0].source"}},
		{"image source without host", func(p *ProductInput) { p.Images[2].Source = "https:///a.jpg" }, []string{"images[2].source"}},
		{"image source repeated", func(p *ProductInput) { p.Images[2].Source = p.Images[0].Source }, []string{"images[2].source"}},
		{"image id malformed", func(p *ProductInput) { p.Images[1].ID = "abc" }, []string{"images[1].id"}},
		{"image id repeated", func(p *ProductInput) { p.Images[0].ID = mediaA }, []string{"images[1].id"}},
		{"image alt too long", func(p *ProductInput) { p.Images[0].Alt = strings.Repeat("a", MaxImageAltLen+1) }, []string{"images[0].alt"}},
		{"image negative position", func(p *ProductInput) { p.Images[0].Position = -1 }, []string{"images[0].position"}},
		{"image of an unknown variant", func(p *ProductInput) { p.Images[1].VariantSKUs = []string{"T-S-RED", "NOPE"} }, []string{"images[1].variant_skus[1]"}},
		{"too many images", func(p *ProductInput) {
			p.Images = nil
			for i := range MaxImages + 1 {
				p.Images = append(p.Images, ImageInput{Source: "https://cdn.example.com/" + itoa(i)})
			}
		}, []string{"images"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			in := richProduct()
			sc.edit(&in)
			got := fieldsOf(CheckProduct(in))
			if !slices.Equal(got, sc.want) {
				t.Errorf("fields %q\nwant %q", got, sc.want)
			}
		})
	}
}

func TestProductOptionsAndImages(t *testing.T) {
	in := normalizeProduct(richProduct())
	in.Options = []Option{{Name: "Color", Values: []string{"Green", "Blue", "Red"}}, {Name: "Size", Values: []string{"L", "M", "S"}}}
	opts, err := checkProduct(in, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []Option{{Name: "Color", Values: []string{"Blue", "Red"}}, {Name: "Size", Values: []string{"L", "M", "S"}}}
	if !slices.EqualFunc(opts, want, func(a, b Option) bool { return a.Name == b.Name && slices.Equal(a.Values, b.Values) }) {
		t.Errorf("given options %v, want %v (values nobody uses dropped, order kept)", opts, want)
	}

	in.Options = nil
	in.Variants[0], in.Variants[3] = in.Variants[3], in.Variants[0] // M-Blue first
	opts, err = checkProduct(in, true)
	if err != nil {
		t.Fatal(err)
	}
	want = []Option{{Name: "Color", Values: []string{"Blue", "Red"}}, {Name: "Size", Values: []string{"M", "S", "L"}}}
	if !slices.EqualFunc(opts, want, func(a, b Option) bool { return a.Name == b.Name && slices.Equal(a.Values, b.Values) }) {
		t.Errorf("derived options %v, want %v", opts, want)
	}

	vs := []Variant{{ID: "v1", SKU: "T-S-RED"}, {ID: "v2", SKU: "T-M-RED"}}
	imgs := buildImages(normalizeProduct(richProduct()).Images, vs)
	wantImgs := []Image{
		{ID: mediaA, URL: MediaURL(mediaA), Position: 1, VariantIDs: []string{"v1"}},
		{URL: "https://cdn.example.com/b.jpg", Position: 2, Alt: "back", Source: "https://cdn.example.com/b.jpg"},
		{URL: "http://cdn.example.com/c.jpg", Position: 3, Source: "http://cdn.example.com/c.jpg"},
	}
	if len(imgs) != len(wantImgs) {
		t.Fatalf("images %+v", imgs)
	}
	for i := range imgs {
		g, w := imgs[i], wantImgs[i]
		if g.ID != w.ID || g.URL != w.URL || g.Position != w.Position || g.Alt != w.Alt || g.Source != w.Source || !slices.Equal(g.VariantIDs, w.VariantIDs) {
			t.Errorf("image %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestOnSale(t *testing.T) {
	usd := func(n int64) *commerce.Money { return &commerce.Money{Amount: n, Currency: "USD"} }
	for _, sc := range []struct {
		compare *commerce.Money
		want    bool
	}{{nil, false}, {usd(900), false}, {usd(1000), false}, {usd(1001), true}} {
		v := newVariant("v", VariantInput{SKU: "A", Price: *usd(1000), CompareAtPrice: sc.compare})
		if v.OnSale != sc.want || OnSaleOf(v) != sc.want {
			t.Errorf("compare-at %v: on sale %v, want %v", sc.compare, v.OnSale, sc.want)
		}
	}
}
