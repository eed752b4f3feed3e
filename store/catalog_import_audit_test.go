package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/audit"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/catalog/shopify"
)

// An import under a staff actor is audited one entry per product event, each carrying a
// summary of the product rather than the whole product; other staff writes of the same
// products keep their whole data; the chain verifies.
func TestImportAuditsSummaries(t *testing.T) {
	db, cat, svc := newCatalogShop(t)
	ctx := commerce.WithActor(context.Background(), commerce.Actor{ID: "user:admin", Role: "admin", Staff: true})
	csv := "Handle,Title,Variant SKU,Variant Price,Status\n" +
		"mug,Mug,MUG-1,5.00,active\n" +
		"cup,Cup,CUP-1,4.00,active\n"
	rep, err := svc.Import(ctx, shopify.NewReader(strings.NewReader(csv), shopify.Options{}), catalog.ImportOptions{})
	if err != nil || rep.Created != 2 {
		t.Fatalf("import: %+v %v", rep, err)
	}
	mug, err := cat.ProductBySlug(context.Background(), "mug")
	if err != nil {
		t.Fatal(err)
	}
	in := catalog.ProductInput{Title: "Big mug", Slug: "mug", Status: "active", Variants: []catalog.VariantInput{
		{ID: mug.Variants[0].ID, SKU: "MUG-1", Price: mug.Variants[0].Price},
	}}
	if _, err := svc.UpdateProduct(ctx, mug.ID, in, &mug.Version); err != nil {
		t.Fatalf("update: %v", err)
	}

	list, err := db.AuditEntries(context.Background(), audit.Filter{Action: "catalog.*"}, commerce.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var created, updated []audit.Entry
	for _, e := range list.Items {
		switch e.Action {
		case catalog.EventProductCreated:
			created = append(created, e)
		case catalog.EventProductUpdated:
			updated = append(updated, e)
		}
	}
	if len(created) != 2 {
		t.Fatalf("%d product_created entries, want one per imported product", len(created))
	}
	for _, e := range created {
		var s struct {
			ID      string   `json:"id"`
			Slug    string   `json:"slug"`
			SKUs    []string `json:"skus"`
			Summary bool     `json:"summary"`
			Images  any      `json:"images"`
		}
		if err := json.Unmarshal(e.Data, &s); err != nil {
			t.Fatal(err)
		}
		if !s.Summary || s.ID != e.Target || s.Slug == "" || len(s.SKUs) != 1 || s.Images != nil {
			t.Errorf("import entry data %s: want the product's summary", e.Data)
		}
		if e.ActorID != "user:admin" || e.EventID == "" {
			t.Errorf("entry %+v: want the staff actor and the event", e)
		}
	}
	if len(updated) != 1 {
		t.Fatalf("%d product_updated entries, want 1", len(updated))
	}
	var whole catalog.Product
	if err := json.Unmarshal(updated[0].Data, &whole); err != nil || whole.Title != "Big mug" || len(whole.Variants) != 1 {
		t.Errorf("update entry data %s: want the whole product", updated[0].Data)
	}
	if r, err := db.VerifyAudit(context.Background()); err != nil || !r.OK {
		t.Errorf("verify: %+v %v", r, err)
	}
}
