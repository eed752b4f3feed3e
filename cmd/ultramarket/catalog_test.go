package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCatalogImportExportCLI imports the real legacy template offline (dry run first, which
// writes nothing), exports it, and imports a file with bad rows: the report names their lines
// and the command exits 1.
func TestCatalogImportExportCLI(t *testing.T) {
	src := filepath.Join("..", "..", "..", "shared", "data", "shopify-product-template-legacy.csv")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("shared data not available: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	if code, out, errOut := ultramarket("catalog", "import", src, "--data", dir, "--dry-run"); code != 0 ||
		!strings.Contains(out, "dry run, nothing written: 3 created, 0 updated, 0 unchanged, 0 failed, 9 categories created") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	export := filepath.Join(t.TempDir(), "products.csv")
	if code, out, errOut := ultramarket("catalog", "export", "--data", dir, "--out", export); code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(export); strings.Count(string(b), "\n") != 1 {
		t.Fatalf("the dry run wrote products: export is\n%s", b)
	}
	if code, out, errOut := ultramarket("catalog", "import", src, "--data", dir); code != 0 || !strings.Contains(out, "imported: 3 created") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := ultramarket("catalog", "export", "--data", dir, "--out", export); code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := ultramarket("catalog", "import", export, "--data", dir); code != 0 || !strings.Contains(out, "0 created, 0 updated, 3 unchanged, 0 failed") {
		t.Fatalf("re-import of the export: exit %d\n%s%s", code, out, errOut)
	}

	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("Handle,Title,Variant SKU,Variant Price\nok,Ok,OK-1,1.00\nbad,Bad,BAD-1,\"1,00\"\nexample-hat,Hat,SRT_COT_111,2\n"), 0o600)
	code, out, errOut := ultramarket("catalog", "import", bad, "--data", dir, "--atomic")
	if code != 1 || !strings.Contains(out, "atomic import refused, nothing written") || !strings.Contains(out, "line 4: example-hat: variants[0].sku") || !strings.Contains(out, "line 3: bad: Variant Price") {
		t.Fatalf("atomic import with errors: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := ultramarket("catalog", "import", bad, "--data", dir, "--format", "xml"); code != 2 {
		t.Fatalf("bad --format: exit %d\n%s", code, out)
	}
}
