package dummyjson

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce/catalog"
)

func readAll(t *testing.T, r io.Reader) ([]catalog.ImportItem, error) {
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

func TestDummyJSONCatalog(t *testing.T) {
	p := filepath.Join("..", "..", "..", "..", "shared", "data", "dummyjson-products.json")
	f, err := os.Open(p)
	if err != nil {
		t.Skipf("shared data not available: %v", err)
	}
	defer f.Close()
	items, err := readAll(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 194 {
		t.Fatalf("%d products, want 194", len(items))
	}
	cats, brands, handles := map[string]int{}, 0, map[string]bool{}
	for _, it := range items {
		for _, e := range it.Errors {
			t.Errorf("line %d %s: %s", e.Line, e.Field, e.Message)
		}
		cats[strings.Join(it.Category, "/")]++
		if it.Input.Brand != "" {
			brands++
		}
		if handles[it.Handle] {
			t.Errorf("handle %s twice", it.Handle)
		}
		handles[it.Handle] = true
	}
	if len(cats) != 24 || brands != 102 || cats["Kitchen Accessories"] != 30 || cats["Groceries"] != 27 {
		t.Errorf("%d categories (kitchen %d, groceries %d), %d with brand; want 24 (30, 27), 102", len(cats), cats["Kitchen Accessories"], cats["Groceries"], brands)
	}
	first := items[0]
	v := first.Input.Variants[0]
	if first.Line != 2 || first.Input.Title != "Essence Mascara Lash Princess" || v.Price.Amount != 999 || v.Price.Currency != "USD" ||
		v.Stock == nil || *v.Stock != 99 || v.SKU == "" || v.Barcode == "" || v.WeightGrams != 4 || len(first.Input.Images) == 0 || first.Input.Tags[0] != "beauty" {
		t.Errorf("first product: line %d %+v", first.Line, first.Input)
	}
	var min, max int64 = 1 << 62, 0
	for _, it := range items {
		a := it.Input.Variants[0].Price.Amount
		min, max = minI(min, a), maxI(max, a)
	}
	if min != 79 || max != 3699999 {
		t.Errorf("prices %d..%d, want 79..3699999 (exact decimals)", min, max)
	}
	if !handles["rolex-cellini-moonphase"] || !handles["rolex-cellini-moonphase-191"] {
		t.Errorf("the duplicate title gets its ID appended")
	}
}

func minI(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}
func maxI(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func TestDummyJSONErrors(t *testing.T) {
	items, err := readAll(t, strings.NewReader(`{"products": [
  {"id": 1, "title": "A", "price": 1.5, "sku": "A1", "category": "x"},
  {"id": 2, "title": "B", "price": "cheap", "sku": "B1"},
  {"id": 3, "title": "C", "price": 0.29, "sku": "a1", "images": ["ftp://x/y.jpg"]}
], "total": 3}`))
	if err != nil || len(items) != 3 {
		t.Fatalf("%+v %v", items, err)
	}
	if len(items[0].Errors) != 0 || items[0].Input.Variants[0].Price.Amount != 150 {
		t.Errorf("item 1: %+v", items[0])
	}
	if len(items[1].Errors) != 1 || items[1].Errors[0].Line != 3 {
		t.Errorf("item 2 errors %+v", items[1].Errors)
	}
	if len(items[2].Errors) != 2 || items[2].Errors[0].Line != 4 || items[2].Input.Variants[0].Price.Amount != 29 {
		t.Errorf("item 3 errors %+v", items[2].Errors)
	}
	_, err = readAll(t, strings.NewReader("[\n{\"id\": 1,\n\"title\": }\n]"))
	var ie *catalog.ImportError
	if !errors.As(err, &ie) || ie.Line < 2 {
		t.Errorf("broken JSON: %v", err)
	}
}
