package catalog

import (
	"slices"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

func validProduct() ProductInput {
	return ProductInput{
		Title: "Trail Boot", Description: "Waterproof.", Brand: "Stride", CategoryID: "", Tags: []string{"outdoor"},
		Status: StatusActive,
		Variants: []VariantInput{
			{SKU: "TB-40", Price: commerce.Money{Amount: 5000, Currency: "USD"}, Options: map[string]string{"Size": "40"}},
			{SKU: "TB-41", Price: commerce.Money{Amount: 5000, Currency: "USD"}, Options: map[string]string{"Size": "41"}},
		},
	}
}

func fieldsOf(err error) []string {
	ce := commerce.AsError(err)
	if ce == nil {
		return nil
	}
	var out []string
	for _, f := range ce.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestValidateProduct(t *testing.T) {
	neg := int64(-1)
	huge := int64(MaxStock + 1)
	scenarios := []struct {
		name   string
		create bool
		edit   func(*ProductInput)
		want   []string // fields named, in order; nil means valid
	}{
		{"valid", true, func(*ProductInput) {}, nil},
		{"status defaults to active", true, func(p *ProductInput) { p.Status = "" }, nil},
		{"title missing", true, func(p *ProductInput) { p.Title = "  " }, []string{"title"}},
		{"title too long", true, func(p *ProductInput) { p.Title = strings.Repeat("é", MaxTitleLen+1) }, []string{"title"}},
		{"title at the limit", true, func(p *ProductInput) { p.Title = strings.Repeat("é", MaxTitleLen) }, nil},
		{"title with a control character", true, func(p *ProductInput) { p.Title = "a\x07b" }, []string{"title"}},
		{"description too long", true, func(p *ProductInput) { p.Description = strings.Repeat("x", MaxDescriptionLen+1) }, []string{"description"}},
		{"description with line breaks", true, func(p *ProductInput) { p.Description = "one\ntwo\r\n\tthree" }, nil},
		{"brand too long", true, func(p *ProductInput) { p.Brand = strings.Repeat("b", MaxBrandLen+1) }, []string{"brand"}},
		{"vendor too long", true, func(p *ProductInput) { p.Vendor = strings.Repeat("v", MaxBrandLen+1) }, []string{"vendor"}},
		{"bad slug", true, func(p *ProductInput) { p.Slug = "Trail Boot" }, []string{"slug"}},
		{"slug with a double hyphen", true, func(p *ProductInput) { p.Slug = "trail--boot" }, []string{"slug"}},
		{"good slug", true, func(p *ProductInput) { p.Slug = "trail-boot-2" }, nil},
		{"unknown status", true, func(p *ProductInput) { p.Status = "published" }, []string{"status"}},
		{"too many tags", true, func(p *ProductInput) { p.Tags = slices.Repeat([]string{"t"}, MaxTags+1) }, []string{"tags"}},
		{"empty tag", true, func(p *ProductInput) { p.Tags = []string{"ok", " "} }, []string{"tags[1]"}},
		{"tag too long", true, func(p *ProductInput) { p.Tags = []string{strings.Repeat("t", MaxTagLen+1)} }, []string{"tags[0]"}},
		{"no variants", true, func(p *ProductInput) { p.Variants = nil }, []string{"variants"}},
		{"too many variants", true, func(p *ProductInput) {
			p.Variants = slices.Repeat([]VariantInput{p.Variants[0]}, MaxVariants+1)
		}, []string{"variants"}},
		{"sku missing", true, func(p *ProductInput) { p.Variants[1].SKU = "" }, []string{"variants[1].sku"}},
		{"sku with a space", true, func(p *ProductInput) { p.Variants[1].SKU = "TB 41" }, []string{"variants[1].sku"}},
		{"sku too long", true, func(p *ProductInput) { p.Variants[0].SKU = strings.Repeat("S", MaxSKULen+1) }, []string{"variants[0].sku"}},
		{"sku repeated, any case", true, func(p *ProductInput) { p.Variants[1].SKU = "tb-40" }, []string{"variants[1].sku"}},
		{"negative price", true, func(p *ProductInput) { p.Variants[0].Price.Amount = -1 }, []string{"variants[0].price.amount"}},
		{"price too high", true, func(p *ProductInput) { p.Variants[0].Price.Amount = MaxAmount + 1 }, []string{"variants[0].price.amount"}},
		{"free is fine", true, func(p *ProductInput) { p.Variants[0].Price.Amount = 0 }, nil},
		{"bad currency", true, func(p *ProductInput) { p.Variants[0].Price.Currency = "usd" }, []string{"variants[0].price.currency"}},
		{"missing currency", true, func(p *ProductInput) { p.Variants[1].Price.Currency = "" }, []string{"variants[1].price.currency"}},
		{"mixed currencies", true, func(p *ProductInput) { p.Variants[1].Price.Currency = "EUR" }, []string{"variants[1].price.currency"}},
		{"negative stock", true, func(p *ProductInput) { p.Variants[0].Stock = &neg }, []string{"variants[0].stock"}},
		{"stock too high", true, func(p *ProductInput) { p.Variants[0].Stock = &huge }, []string{"variants[0].stock"}},
		{"same options twice", true, func(p *ProductInput) { p.Variants[1].Options = map[string]string{"Size": "40"} }, []string{"variants[1].options"}},
		{"two variants without options", true, func(p *ProductInput) { p.Variants[0].Options, p.Variants[1].Options = nil, nil }, []string{"variants[1].options"}},
		{"empty option value", true, func(p *ProductInput) { p.Variants[0].Options["Size"] = "" }, []string{"variants[0].options.Size"}},
		{"empty option name", true, func(p *ProductInput) { p.Variants[0].Options = map[string]string{"": "x"} }, []string{"variants[0].options"}},
		{"four option names", true, func(p *ProductInput) {
			p.Variants[0].Options = map[string]string{"Size": "40", "Color": "Red", "Width": "Wide"}
			p.Variants[1].Options = map[string]string{"Size": "41", "Material": "Suede"}
		}, []string{"variants"}},
		{"variant id on create", true, func(p *ProductInput) { p.Variants[0].ID = "01J0000000000000000000000A" }, []string{"variants[0].id"}},
		{"variant id on update", false, func(p *ProductInput) { p.Variants[0].ID = "01J0000000000000000000000A" }, nil},
		{"variant id repeated", false, func(p *ProductInput) {
			p.Variants[0].ID, p.Variants[1].ID = "01J0000000000000000000000A", "01J0000000000000000000000A"
		}, []string{"variants[1].id"}},
		{"every problem at once", true, func(p *ProductInput) {
			p.Title, p.Status = "", "x"
			p.Variants[0].SKU, p.Variants[1].Price = "", commerce.Money{Amount: -5, Currency: "EURO"}
		}, []string{"title", "status", "variants[0].sku", "variants[1].price.amount", "variants[1].price.currency"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			in := validProduct()
			sc.edit(&in)
			got := fieldsOf(validateProduct(normalizeProduct(in), sc.create))
			if !slices.Equal(got, sc.want) {
				t.Errorf("fields %q, want %q (%v)", got, sc.want, validateProduct(normalizeProduct(in), sc.create))
			}
		})
	}
}

func TestValidateCategory(t *testing.T) {
	scenarios := []struct {
		name string
		in   CategoryInput
		want []string
	}{
		{"valid", CategoryInput{Name: "Shoes", Position: 3}, nil},
		{"name missing", CategoryInput{Name: " "}, []string{"name"}},
		{"name too long", CategoryInput{Name: strings.Repeat("n", MaxCategoryNameLen+1)}, []string{"name"}},
		{"description too long", CategoryInput{Name: "a", Description: strings.Repeat("d", MaxCategoryDescLen+1)}, []string{"description"}},
		{"bad slug", CategoryInput{Name: "a", Slug: "-a"}, []string{"slug"}},
		{"negative position", CategoryInput{Name: "a", Position: -1}, []string{"position"}},
		{"position too high", CategoryInput{Name: "a", Position: MaxCategoryPosition + 1}, []string{"position"}},
	}
	for _, sc := range scenarios {
		if got := fieldsOf(validateCategory(normalizeCategory(sc.in))); !slices.Equal(got, sc.want) {
			t.Errorf("%s: fields %q, want %q", sc.name, got, sc.want)
		}
	}
}

func TestSlugify(t *testing.T) {
	scenarios := []struct{ in, want string }{
		{"Trail Boot", "trail-boot"},
		{"  Trail -- Boot!! ", "trail-boot"},
		{"Crème Brûlée", "creme-brulee"},
		{"Straße", "strasse"},
		{"ŁÓDŹ Øre", "lodz-ore"},
		{"Зелёный Чай", "zelyonyy-chay"},
		{"Ўзбекистон Қовун", "ozbekiston-qovun"},
		{"O'zbek Choy", "ozbek-choy"},
		{"Children’s Shoes", "childrens-shoes"},
		{"日本茶 Sencha", "sencha"},
		{"日本茶", ""},
		{"100% Cotton T-Shirt", "100-cotton-t-shirt"},
		{strings.Repeat("word ", 40), strings.TrimSuffix(strings.Repeat("word-", 20), "-")},
	}
	for _, sc := range scenarios {
		got := Slugify(sc.in)
		if got != sc.want {
			t.Errorf("Slugify(%q) = %q, want %q", sc.in, got, sc.want)
		}
		if got != "" && !ValidSlug(got) {
			t.Errorf("Slugify(%q) = %q is not a valid slug", sc.in, got)
		}
	}
	long := strings.Repeat("a", MaxSlugLen)
	if c := slugCandidate(long, 12); len(c) > MaxSlugLen || !strings.HasSuffix(c, "-12") || !ValidSlug(c) {
		t.Errorf("candidate %q", c)
	}
}

func FuzzSlugify(f *testing.F) {
	f.Add("Trail Boot")
	f.Add("Зелёный--чай")
	f.Fuzz(func(t *testing.T, s string) {
		got := Slugify(s)
		if got != "" && !ValidSlug(got) {
			t.Fatalf("Slugify(%q) = %q, not a valid slug", s, got)
		}
	})
}
