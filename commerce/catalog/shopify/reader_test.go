package shopify

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// dataDir is the shared, real product data (never copied into the repo).
func dataFile(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "..", "shared", "data", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data %s not available: %v", name, err)
	}
	return p
}

func readAll(t testing.TB, r io.Reader) ([]catalog.ImportItem, error) {
	t.Helper()
	rd := NewReader(r, Options{})
	var out []catalog.ImportItem
	for {
		it, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, it)
	}
}

func readFile(t *testing.T, name string) []catalog.ImportItem {
	t.Helper()
	f, err := os.Open(dataFile(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := readAll(t, f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return items
}

func byHandle(items []catalog.ImportItem) map[string]catalog.ImportItem {
	m := map[string]catalog.ImportItem{}
	for _, it := range items {
		m[it.Handle] = it
	}
	return m
}

func noErrors(t *testing.T, items []catalog.ImportItem) {
	t.Helper()
	for _, it := range items {
		for _, e := range it.Errors {
			t.Errorf("%s line %d %s: %s", it.Handle, e.Line, e.Field, e.Message)
		}
	}
}

func variantCount(items []catalog.ImportItem) int {
	n := 0
	for _, it := range items {
		n += len(it.Input.Variants)
	}
	return n
}

func TestLegacyTemplate(t *testing.T) {
	items := readFile(t, "shopify-product-template-legacy.csv")
	noErrors(t, items)
	if len(items) != 3 || variantCount(items) != 16 {
		t.Fatalf("got %d products, %d variants; want 3, 16", len(items), variantCount(items))
	}
	m := byHandle(items)
	shirt := m["example-shirt"]
	if shirt.Line != 2 || shirt.Input.Title != "Example T-Shirt" || shirt.Input.Status != catalog.StatusActive || shirt.Input.Vendor != "Acme" {
		t.Errorf("shirt: %+v", shirt)
	}
	if got := shirt.Category; strings.Join(got, "/") != "Apparel & Accessories/Clothing/Clothing Tops/T-Shirts" {
		t.Errorf("shirt category %q", got)
	}
	if strings.Join(shirt.Input.Tags, "|") != "Made to Order|Shirt Tag" {
		t.Errorf("shirt tags %q", shirt.Input.Tags)
	}
	if len(shirt.Input.Options) != 2 || shirt.Input.Options[0].Name != "Color" || strings.Join(shirt.Input.Options[0].Values, ",") != "Green,Blue,Gray,Purple" ||
		strings.Join(shirt.Input.Options[1].Values, ",") != "S,M,L" {
		t.Errorf("shirt options %+v", shirt.Input.Options)
	}
	if len(shirt.Input.Images) != 6 {
		t.Fatalf("shirt images %d, want 6", len(shirt.Input.Images))
	}
	withVariants := 0
	skus := 0
	for i, im := range shirt.Input.Images {
		if im.Position != i+1 || !strings.HasPrefix(im.Source, "https://burst.shopifycdn.com/") {
			t.Errorf("image %d: %+v", i, im)
		}
		if len(im.VariantSKUs) > 0 {
			withVariants++
			skus += len(im.VariantSKUs)
		}
	}
	if withVariants != 4 || skus != 12 { // one variant image per colour, three sizes each
		t.Errorf("variant images: %d images for %d SKUs; want 4, 12", withVariants, skus)
	}
	v := shirt.Input.Variants[0]
	if v.SKU != "SRT_COT_111" || v.Price.Amount != 2500 || v.Price.Currency != "USD" || v.WeightGrams != 145 || v.Barcode != "365275101829" ||
		v.Stock == nil || *v.Stock != 0 || v.Options["Color"] != "Green" || v.Options["Size"] != "S" {
		t.Errorf("first shirt variant %+v", v)
	}
	if shirt.Input.SEO.Title != "Example T-Shirt | Test Store" {
		t.Errorf("seo %+v", shirt.Input.SEO)
	}

	pants := m["example-pants"]
	if pants.Input.Status != catalog.StatusDraft || len(pants.Input.Variants) != 3 || len(pants.Input.Images) != 4 {
		t.Errorf("pants: status %s, %d variants, %d images", pants.Input.Status, len(pants.Input.Variants), len(pants.Input.Images))
	}
	if v := pants.Input.Variants[0]; v.WeightGrams != 227 || v.Price.Amount != 9500 || v.CompareAtPrice == nil || v.CompareAtPrice.Amount != 6495 {
		t.Errorf("pants variant: grams %d, price %d, compare-at %v (64.95, below the price, kept)", v.WeightGrams, v.Price.Amount, v.CompareAtPrice)
	}
	hat := m["example-hat"]
	if hat.Input.Status != catalog.StatusArchived || len(hat.Input.Variants) != 1 || hat.Input.Options != nil || hat.Input.Variants[0].Options != nil || len(hat.Input.Images) != 1 {
		t.Errorf("hat: %+v", hat.Input)
	}
}

func TestTemplate2024(t *testing.T) {
	items := readFile(t, "shopify-product-template-2024.csv")
	noErrors(t, items)
	if len(items) != 2 || variantCount(items) != 15 {
		t.Fatalf("got %d products, %d variants; want 2, 15", len(items), variantCount(items))
	}
	m := byHandle(items)
	band := m["physical-product-the-band-t-shirt"]
	if band.Input.Title != "Physical Product “The Band” T-Shirt" || band.Input.Status != catalog.StatusActive || len(band.Input.Variants) != 12 {
		t.Errorf("band: %q %s %d", band.Input.Title, band.Input.Status, len(band.Input.Variants))
	}
	if len(band.Input.Images) != 1 || band.Input.Images[0].Position != 1 {
		t.Errorf("band images %+v; want only row 1's", band.Input.Images)
	}
	if v := band.Input.Variants[0]; v.SKU != "TheBandTShirt-SG" || v.Price.Amount != 1999 || v.CompareAtPrice == nil || v.CompareAtPrice.Amount != 2499 ||
		v.Stock == nil || *v.Stock != 47 || v.WeightGrams != 150 || v.Options["Size"] != "Small" || v.Options["Color"] != "green" {
		t.Errorf("band variant %+v", v)
	}
	rock := m["digital-product-the-history-of-rock-music"]
	if len(rock.Input.Variants) != 3 || len(rock.Input.Images) != 0 || rock.Input.Options[0].Name != "Format" {
		t.Errorf("rock: %+v", rock.Input)
	}
	if b := rock.Input.Variants[0].Barcode; b == "" || b != rock.Input.Variants[2].Barcode {
		t.Errorf("rock barcodes %q %q", b, rock.Input.Variants[2].Barcode)
	}
}

// TestPartnersFiles reads the three shopifypartners files and checks the counts against
// ones computed here from the raw CSV rows: a product per distinct handle, a variant per row
// with an option value, SKU or price.
func TestPartnersFiles(t *testing.T) {
	for _, name := range []string{"shopifypartners-apparel.csv", "shopifypartners-jewelery.csv", "shopifypartners-home-and-garden.csv"} {
		t.Run(name, func(t *testing.T) {
			items := readFile(t, name)
			noErrors(t, items)
			f, _ := os.Open(dataFile(t, name))
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			handles, variants, images := map[string]bool{}, 0, map[string]bool{}
			for _, r := range rows[1:] {
				handles[r[col["Handle"]]] = true
				if r[col["Option1 Value"]] != "" || r[col["Variant SKU"]] != "" || r[col["Variant Price"]] != "" {
					variants++
				}
				if s := r[col["Image Src"]]; s != "" {
					images[r[col["Handle"]]+" "+s] = true
				}
				if s := r[col["Variant Image"]]; s != "" {
					images[r[col["Handle"]]+" "+s] = true
				}
			}
			gotImages := 0
			for _, it := range items {
				gotImages += len(it.Input.Images)
			}
			if len(items) != len(handles) || variantCount(items) != variants || gotImages != len(images) {
				t.Errorf("got %d products, %d variants, %d images; want %d, %d, %d", len(items), variantCount(items), gotImages, len(handles), variants, len(images))
			}
		})
	}
}

func TestRowErrors(t *testing.T) {
	const header = "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Image Src\n"
	scenarios := []struct {
		name     string
		body     string
		products int    // items returned (failed ones included)
		failed   []int  // line of each error
		field    string // field of the first error
		contains string
	}{
		{"valid", "a,A,Title,Default Title,A1,10.00,https://x.test/a.jpg\n", 1, nil, "", ""},
		{"bad price", "a,A,Size,S,A1,10.00,\na,,,M,A2,ten,\n", 1, []int{3}, "Variant Price", "not a decimal"},
		{"too precise price", "a,A,Size,S,A1,10.001,\n", 1, []int{2}, "Variant Price", "decimal places"},
		{"missing price", "a,A,Size,S,A1,,\n", 1, []int{2}, "Variant Price", "required"},
		{"image not http", "a,A,Title,Default Title,A1,1,ftp://x.test/a.jpg\n", 1, []int{2}, "Image Src", "http(s)"},
		{"image relative", "a,A,Title,Default Title,A1,1,/a.jpg\n", 1, []int{2}, "Image Src", "http(s)"},
		{"duplicate SKU across products", "a,A,Title,Default Title,SKU-1,1,\nb,B,Title,Default Title,sku-1,2,\n", 2, []int{3}, "Variant SKU", "already used by product \"a\""},
		{"handle not contiguous", "a,A,Size,S,A1,1,\nb,B,Title,Default Title,B1,2,\na,,,M,A2,1,\n", 3, []int{4}, "Handle", "first appeared at line 2"},
		{"value without name", "a,A,,S,A1,1,\n", 1, []int{2}, "Option1 Value", "no Option1 Name"},
		{"broken quoting", "a,A,Title,Default Title,A1,1,\nb,\"B\"x,Title,Default Title,B1,2,\nc,C,Title,Default Title,C1,3,\n", 2, []int{3}, "", "cannot be read"},
		{"windows-1252", "a,Caf\xe9 \x93best\x94,Title,Default Title,A1,1,\n", 1, []int{2}, "", "Windows-1252"},
		{"no handle no title", "a,A,Title,Default Title,A1,1,\n,,,,X,1,\n", 2, []int{3}, "Handle", "no Handle"},
		{"handle from title", ",Blue Mug,Title,Default Title,M1,1,\n", 1, nil, "", ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			items, err := readAll(t, strings.NewReader(header+sc.body))
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != sc.products {
				t.Fatalf("got %d items, want %d: %+v", len(items), sc.products, items)
			}
			var errs []catalog.ImportError
			for _, it := range items {
				errs = append(errs, it.Errors...)
			}
			if len(errs) != len(sc.failed) {
				t.Fatalf("got errors %+v, want lines %v", errs, sc.failed)
			}
			for i, e := range errs {
				if e.Line != sc.failed[i] {
					t.Errorf("error %d at line %d, want %d: %+v", i, e.Line, sc.failed[i], e)
				}
			}
			if len(errs) > 0 && (errs[0].Field != sc.field || !strings.Contains(errs[0].Message, sc.contains)) {
				t.Errorf("error %+v, want field %q containing %q", errs[0], sc.field, sc.contains)
			}
		})
	}
}

func TestTooManyOptions(t *testing.T) {
	body := "Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Option3 Name,Option3 Value,Option4 Name,Option4 Value,Variant SKU,Variant Price\n" +
		"a,A,C,1,S,2,M,3,X,4,A1,1\n"
	items, err := readAll(t, strings.NewReader(body))
	if err != nil || len(items) != 1 || len(items[0].Errors) != 1 || !strings.Contains(items[0].Errors[0].Message, "too many options") {
		t.Fatalf("items %+v, err %v", items, err)
	}
}

func TestFatal(t *testing.T) {
	scenarios := []struct{ name, body, want string }{
		{"empty", "", "empty"},
		{"not a product csv", "id,name\n1,x\n", "not a Shopify product CSV"},
		{"utf-16", "\xff\xfeH\x00a\x00", "UTF-16"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			_, err := readAll(t, strings.NewReader(sc.body))
			var ie *catalog.ImportError
			if !errors.As(err, &ie) || !strings.Contains(ie.Message, sc.want) {
				t.Fatalf("err %v, want %q", err, sc.want)
			}
		})
	}
	// A UTF-8 byte-order mark is skipped.
	items, err := readAll(t, strings.NewReader("\xef\xbb\xbfHandle,Title,Variant SKU,Variant Price\na,A,A1,1\n"))
	if err != nil || len(items) != 1 || len(items[0].Errors) != 0 {
		t.Fatalf("BOM: %+v %v", items, err)
	}
}

func TestParseDecimalExact(t *testing.T) {
	scenarios := []struct {
		in    string
		scale int
		round bool
		want  int64
		ok    bool
	}{
		{"0.29", 2, false, 29, true}, {"19.99", 2, false, 1999, true}, {"25", 2, false, 2500, true},
		{"36999.99", 2, false, 3699999, true}, {"1.5", 2, false, 150, true}, {"1.500", 2, false, 150, true},
		{"1.505", 2, false, 0, false}, {"226.796185", 0, true, 227, true}, {"283.4952313", 0, true, 283, true},
		{"-1", 2, false, -100, true}, {"", 2, false, 0, false}, {"1,5", 2, false, 0, false}, {"1e3", 2, false, 0, false},
		{".", 2, false, 0, false}, {".5", 2, false, 50, true}, {"99999999999999999999", 2, false, 0, false},
	}
	for _, sc := range scenarios {
		got, err := catalog.ParseDecimal(sc.in, sc.scale, sc.round)
		if (err == nil) != sc.ok || got != sc.want {
			t.Errorf("ParseDecimal(%q, %d, %v) = %d, %v; want %d ok=%v", sc.in, sc.scale, sc.round, got, err, sc.want, sc.ok)
		}
	}
}

// FuzzReader feeds the reader arbitrary bytes: it must never panic, must end (io.EOF or a
// fatal error), and every product it returns is either failed or has a handle and variants.
func FuzzReader(f *testing.F) {
	for _, name := range []string{"shopify-product-template-legacy.csv", "shopify-product-template-2024.csv"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "data", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Handle,Title,Variant SKU,Variant Price\na,A,A1,1\n"))
	f.Add([]byte("Handle,Title,Option1 Name,Option1 Value,Image Src,Variant Image\na,\"A\"\"\",Size,S,http://x/y,http://x/z\na,,,\xff,,\n"))
	f.Add([]byte("\xef\xbb\xbfURL handle,Title,SKU,Price\n\"a\nb\",A,A1,1.5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(strings.NewReader(string(data)), Options{})
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatalf("more products than bytes")
			}
			it, err := rd.Next()
			if err != nil {
				return
			}
			if len(it.Errors) == 0 && (it.Handle == "" || len(it.Input.Variants) == 0 && len(it.Input.Images) == 0 && it.Input.Title == "") {
				t.Fatalf("an unfailed product without handle or content: %+v", it)
			}
		}
	})
}
