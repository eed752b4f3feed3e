package store

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/catalog/dummyjson"
	"github.com/ultramarket/ultramarket/commerce/catalog/shopify"
)

func sharedData(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "data", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data %s not available: %v", name, err)
	}
	return p
}

func importFile(t *testing.T, svc *catalog.Service, name string, opts catalog.ImportOptions) catalog.ImportReport {
	t.Helper()
	f, err := os.Open(sharedData(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r catalog.ImportReader
	if strings.HasSuffix(name, ".json") {
		r = dummyjson.NewReader(f, dummyjson.Options{})
	} else {
		r = shopify.NewReader(f, shopify.Options{})
	}
	rep, err := svc.Import(context.Background(), r, opts)
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	return rep
}

func importString(t *testing.T, svc *catalog.Service, csv string, opts catalog.ImportOptions) catalog.ImportReport {
	t.Helper()
	rep, err := svc.Import(context.Background(), shopify.NewReader(strings.NewReader(csv), shopify.Options{}), opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func allProducts(t *testing.T, cat *Catalog) map[string]catalog.Product {
	t.Helper()
	out := map[string]catalog.Product{}
	if err := cat.ScanProducts(context.Background(), func(p catalog.Product) error { out[p.Slug] = p; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportRealFiles(t *testing.T) {
	scenarios := []struct {
		file                         string
		products, variants, images   int
		categories, withBrand, check int
	}{
		{"shopify-product-template-legacy.csv", 3, 16, 11, 9, 0, 0},
		{"shopify-product-template-2024.csv", 2, 15, 1, 7, 0, 0},
		{"dummyjson-products.json", 194, 194, -1, 24, 102, 0},
		{"shopifypartners-apparel.csv", -1, -1, -1, 0, 0, 0},
		{"shopifypartners-jewelery.csv", -1, -1, -1, 0, 0, 0},
		{"shopifypartners-home-and-garden.csv", -1, -1, -1, 0, 0, 0},
	}
	for _, sc := range scenarios {
		t.Run(sc.file, func(t *testing.T) {
			db, cat, svc := newCatalogShop(t)
			rep := importFile(t, svc, sc.file, catalog.ImportOptions{})
			if rep.Failed != 0 || len(rep.Errors) != 0 {
				t.Fatalf("report %+v", rep)
			}
			ps := allProducts(t, cat)
			variants, images, brands := 0, 0, 0
			for _, p := range ps {
				variants += len(p.Variants)
				images += len(p.Images)
				if p.Brand != "" {
					brands++
				}
			}
			if rep.Created != len(ps) || (sc.products >= 0 && len(ps) != sc.products) || (sc.variants >= 0 && variants != sc.variants) ||
				(sc.images >= 0 && images != sc.images) || brands != sc.withBrand {
				t.Errorf("created %d; stored %d products, %d variants, %d images, %d with brand; want %d, %d, %d, %d",
					rep.Created, len(ps), variants, images, brands, sc.products, sc.variants, sc.images, sc.withBrand)
			}
			cats, err := cat.Categories(context.Background())
			if err != nil || len(cats) != sc.categories || rep.Categories != sc.categories {
				t.Errorf("%d categories (report %d), want %d", len(cats), rep.Categories, sc.categories)
			}
			checkIndexes(t, db)

			// Importing the same file again changes nothing.
			seq := db.LastSeq()
			again := importFile(t, svc, sc.file, catalog.ImportOptions{})
			if again.Unchanged != len(ps) || again.Created+again.Updated+again.Failed+again.Categories != 0 || db.LastSeq() != seq {
				t.Errorf("re-import: %+v (seq %d -> %d)", again, seq, db.LastSeq())
			}
		})
	}
}

func TestImportLegacyDetails(t *testing.T) {
	_, cat, svc := newCatalogShop(t)
	importFile(t, svc, "shopify-product-template-legacy.csv", catalog.ImportOptions{})
	ps := allProducts(t, cat)
	shirt := ps["example-shirt"]
	if len(shirt.Images) != 6 || len(shirt.Variants) != 12 || shirt.Status != catalog.StatusActive || len(shirt.CategoryPath) != 4 {
		t.Fatalf("shirt %+v", shirt)
	}
	bySKU := map[string]string{}
	for _, v := range shirt.Variants {
		bySKU[v.ID] = v.SKU
	}
	for _, im := range shirt.Images {
		if im.Source == "" || im.URL != im.Source {
			t.Errorf("image %+v: an imported image is its source until fetched", im)
		}
		for _, id := range im.VariantIDs {
			if bySKU[id] == "" {
				t.Errorf("image %s names variant %s of no one", im.Source, id)
			}
		}
	}
	if green := shirt.Images[2]; !strings.Contains(green.Source, "green-t-shirt") || len(green.VariantIDs) != 3 {
		t.Errorf("green image %+v: the 3 green variants", green)
	}
	pants := ps["example-pants"]
	if len(pants.Images) != 4 || pants.Status != catalog.StatusDraft || pants.Variants[0].WeightGrams != 227 {
		t.Errorf("pants %+v", pants)
	}
	if hat := ps["example-hat"]; hat.Status != catalog.StatusArchived || len(hat.Variants) != 1 || len(hat.Options) != 0 {
		t.Errorf("hat %+v", hat)
	}
}

func TestImportModes(t *testing.T) {
	const header = "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty,Image Src\n"
	good := header + "mug,Mug,Title,Default Title,MUG-1,9.50,3,https://img.test/mug.jpg\n" +
		"cup,Cup,Size,S,CUP-S,4,1,\ncup,,,M,CUP-M,5,1,\n"
	bad := good + "bowl,Bowl,Title,Default Title,BOWL-1,abc,1,\n" + // bad price
		"plate,Plate,Title,Default Title,PLATE-1,1,1,file:///etc/passwd\n" + // not http
		"saucer,Saucer,Title,Default Title,mug-1,1,1,\n" // SKU of another product in the file

	t.Run("dry run writes nothing", func(t *testing.T) {
		db, cat, svc := newCatalogShop(t)
		seq := db.LastSeq()
		rep := importString(t, svc, bad, catalog.ImportOptions{DryRun: true})
		if rep.Created != 2 || rep.Failed != 3 || rep.Written || db.LastSeq() != seq || len(allProducts(t, cat)) != 0 {
			t.Fatalf("report %+v, seq %d -> %d", rep, seq, db.LastSeq())
		}
		lines := []int{}
		for _, e := range rep.Errors {
			lines = append(lines, e.Line)
		}
		if len(lines) != 3 || lines[0] != 5 || lines[1] != 6 || lines[2] != 7 {
			t.Errorf("error lines %v, want [5 6 7]: %+v", lines, rep.Errors)
		}
	})
	t.Run("atomic with errors writes nothing", func(t *testing.T) {
		db, cat, svc := newCatalogShop(t)
		seq := db.LastSeq()
		rep := importString(t, svc, bad, catalog.ImportOptions{Atomic: true})
		if rep.Failed != 3 || rep.Written || db.LastSeq() != seq || len(allProducts(t, cat)) != 0 {
			t.Fatalf("report %+v", rep)
		}
	})
	t.Run("atomic without errors writes all", func(t *testing.T) {
		_, cat, svc := newCatalogShop(t)
		rep := importString(t, svc, good, catalog.ImportOptions{Atomic: true})
		if rep.Created != 2 || !rep.Written || len(allProducts(t, cat)) != 2 {
			t.Fatalf("report %+v", rep)
		}
	})
	t.Run("default applies the valid products", func(t *testing.T) {
		db, cat, svc := newCatalogShop(t)
		rep := importString(t, svc, bad, catalog.ImportOptions{ChunkSize: 1})
		ps := allProducts(t, cat)
		if rep.Created != 2 || rep.Failed != 3 || len(ps) != 2 || ps["cup"].Variants[1].Stock != 1 {
			t.Fatalf("report %+v, products %d", rep, len(ps))
		}
		checkIndexes(t, db)
	})
	t.Run("update by handle and by SKU, SKU of a stored product", func(t *testing.T) {
		_, cat, svc := newCatalogShop(t)
		importString(t, svc, good, catalog.ImportOptions{})
		before := allProducts(t, cat)
		rep := importString(t, svc, header+
			"mug,Big Mug,Title,Default Title,MUG-1,9.50,,\n"+ // by handle; no quantity keeps the stock
			"cup-renamed,Cup,Size,S,CUP-S,4,1,\ncup-renamed,,,M,CUP-M,6,1,\n", catalog.ImportOptions{}) // by SKU, new handle
		after := allProducts(t, cat)
		if rep.Updated != 2 || rep.Failed != 0 {
			t.Fatalf("report %+v", rep)
		}
		mug := after["mug"]
		if mug.Title != "Big Mug" || mug.Variants[0].Stock != 3 || mug.Variants[0].ID != before["mug"].Variants[0].ID || mug.Version != 2 || len(mug.Images) != 0 {
			t.Errorf("mug %+v", mug)
		}
		cup := after["cup-renamed"]
		if cup.ID != before["cup"].ID || cup.Variants[1].Price.Amount != 600 || cup.Variants[1].ID != before["cup"].Variants[1].ID {
			t.Errorf("cup %+v", cup)
		}
		// The mug's handle with the cup's SKU: the SKU belongs to another stored product.
		rep = importString(t, svc, header+"mug,Mug,Size,S,MUG-1,1,1,\nmug,,,M,CUP-M,1,1,\n", catalog.ImportOptions{})
		if rep.Failed != 1 || len(rep.Errors) != 1 || rep.Errors[0].Line != 3 || rep.Errors[0].Field != "variants[1].sku" || !strings.Contains(rep.Errors[0].Message, "CUP-M") {
			t.Fatalf("report %+v", rep)
		}
	})
}

// nopReader is an empty import.
type nopReader struct{}

func (nopReader) Next() (catalog.ImportItem, error) { return catalog.ImportItem{}, io.EOF }

func TestImportEmpty(t *testing.T) {
	_, _, svc := newCatalogShop(t)
	rep, err := svc.Import(context.Background(), nopReader{}, catalog.ImportOptions{})
	if err != nil || rep.Created+rep.Failed != 0 || rep.Errors == nil {
		t.Fatalf("%+v %v", rep, err)
	}
}

// TestExportRoundTrip exports the imported real files and imports the export into an empty
// store: the products come back the same (but for IDs and times), and importing the export
// into the first store changes nothing.
func TestExportRoundTrip(t *testing.T) {
	for _, file := range []string{"shopify-product-template-legacy.csv", "shopify-product-template-2024.csv", "shopifypartners-jewelery.csv", "dummyjson-products.json"} {
		t.Run(file, func(t *testing.T) {
			db, cat, svc := newCatalogShop(t)
			importFile(t, svc, file, catalog.ImportOptions{})
			var buf strings.Builder
			w := shopify.NewWriter(&buf, "")
			if err := svc.ExportProducts(context.Background(), w.Write); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			seq := db.LastSeq()
			if rep := importString(t, svc, buf.String(), catalog.ImportOptions{}); rep.Unchanged != len(allProducts(t, cat)) || rep.Failed+rep.Updated+rep.Created != 0 {
				t.Fatalf("export imported into its own store: %+v", rep)
			}
			if db.LastSeq() != seq {
				t.Errorf("an unchanged import emitted events")
			}
			_, cat2, svc2 := newCatalogShop(t)
			if rep := importString(t, svc2, buf.String(), catalog.ImportOptions{}); rep.Failed != 0 {
				t.Fatalf("export into a new store: %+v", rep)
			}
			a, b := allProducts(t, cat), allProducts(t, cat2)
			if len(a) != len(b) {
				t.Fatalf("%d products, then %d", len(a), len(b))
			}
			for slug, p := range a {
				if got, want := exportView(b[slug]), exportView(p); got != want {
					t.Errorf("%s:\n got %s\nwant %s", slug, got, want)
				}
			}
		})
	}
}

// exportView is a product's JSON without what differs between stores (IDs, times, versions).
func exportView(p catalog.Product) string {
	ids := map[string]string{}
	for i := range p.Variants {
		ids[p.Variants[i].ID] = p.Variants[i].SKU
		p.Variants[i].ID = ""
	}
	for i := range p.Images {
		for k, id := range p.Images[i].VariantIDs {
			p.Images[i].VariantIDs[k] = ids[id]
		}
		p.Images[i].ID = ""
	}
	p.ID, p.CategoryID, p.CategoryPath, p.Version = "", "", nil, 0
	p.CreatedAt, p.UpdatedAt = time.Time{}, time.Time{}
	b, _ := json.Marshal(p)
	return string(b)
}
