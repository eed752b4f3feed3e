package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// memRepo is an in-memory Repository holding products only, enough for the image use
// cases: Update runs on a copy and keeps it only when fn succeeds, like the store.
type memRepo struct {
	Repository // nil: other methods are not used
	products   map[string]Product
	events     []commerce.Event
	emit       bool // implement EventUpdater
}

type memTx struct {
	Tx
	r      *memRepo
	saved  map[string]Product
	events []commerce.Event
}

func (t *memTx) Product(id string) (Product, error) {
	if p, ok := t.saved[id]; ok {
		return p, nil
	}
	if p, ok := t.r.products[id]; ok {
		return p, nil
	}
	return Product{}, ErrProductNotFound
}

func (t *memTx) ProductIDBySlug(slug string) (string, error) {
	for id, p := range t.r.products {
		if p.Slug == slug {
			return id, nil
		}
	}
	return "", nil
}

func (t *memTx) SaveProduct(p *Product) error {
	// Round-trip through JSON, like the store, so nothing is shared with the caller.
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	var c Product
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	t.saved[p.ID] = c
	ev, err := commerce.NewEvent(EventProductUpdated, p.ID, p.UpdatedAt, p)
	t.events = append(t.events, ev)
	return err
}

func (r *memRepo) Update(_ context.Context, fn func(Tx) error) error {
	tx := &memTx{r: r, saved: map[string]Product{}}
	if err := fn(tx); err != nil {
		return err
	}
	for id, p := range tx.saved {
		r.products[id] = p
	}
	r.events = append(r.events, tx.events...)
	return nil
}

// emitRepo is memRepo with EventUpdater.
type emitRepo struct{ *memRepo }

func (r emitRepo) UpdateEmit(ctx context.Context, fn func(Tx) ([]commerce.Event, error)) error {
	var evs []commerce.Event
	err := r.Update(ctx, func(tx Tx) (err error) { evs, err = fn(tx); return err })
	if err == nil {
		r.events = append(r.events, evs...)
	}
	return err
}

func mediaID(n int) string { return fmt.Sprintf("%064x", n) }

const (
	pid   = "01JQ0000000000000000000001"
	other = "01JQ0000000000000000000002"
)

// imageFixture is a product of vendor "v1" with two variants and three images: an uploaded
// one, an imported one waiting for its file, and another uploaded one.
func imageFixture() Product {
	return Product{
		ID: pid, Slug: "boot", Title: "Boot", Status: StatusActive, VendorID: "v1", Version: 3,
		Variants: []Variant{{ID: "var-a", SKU: "A"}, {ID: "var-b", SKU: "B"}},
		Images: []Image{
			{ID: mediaID(1), URL: MediaURL(mediaID(1)), Position: 1, Alt: "front"},
			{URL: "https://cdn.example/side.jpg", Source: "https://cdn.example/side.jpg", Position: 2, Alt: "side", VariantIDs: []string{"var-b"}},
			{ID: mediaID(3), URL: MediaURL(mediaID(3)), Position: 3},
		},
	}
}

func newImageService(emit bool) (*Service, *memRepo) {
	r := &memRepo{products: map[string]Product{pid: imageFixture()}}
	var repo Repository = r
	if emit {
		repo = emitRepo{r}
	}
	return NewService(repo, fixedClock{time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)}), r
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// layout describes images as "ref:alt" in position order, ref being the media ID's last
// digit or the source's file name.
func layout(imgs []Image) string {
	var parts []string
	for i, im := range imgs {
		ref := im.Source[strings.LastIndex(im.Source, "/")+1:]
		if im.ID != "" {
			ref = im.ID[63:]
		}
		if im.Position != i+1 {
			ref += fmt.Sprintf("@%d", im.Position)
		}
		parts = append(parts, ref+":"+im.Alt)
	}
	return strings.Join(parts, " ")
}

func TestAddImage(t *testing.T) {
	ctx := context.Background()
	v2, v3 := int64(2), int64(3)
	scenarios := []struct {
		name    string
		in      NewImage
		ifMatch *int64
		scope   []Scope
		ref     string
		want    string // layout after; "" = unchanged
		code    string // error code, or field for a validation error
		variant []string
	}{
		{"appended", NewImage{MediaID: mediaID(9), Alt: "back"}, &v3, nil, pid, "1:front side.jpg:side 3: 9:back", "", nil},
		{"by slug, scoped to its vendor", NewImage{MediaID: mediaID(9)}, nil, []Scope{{VendorID: "v1"}}, "boot", "1:front side.jpg:side 3: 9:", "", nil},
		{"inserted first", NewImage{MediaID: mediaID(9), Position: 1}, nil, nil, pid, "9: 1:front side.jpg:side 3:", "", nil},
		{"past the end is last", NewImage{MediaID: mediaID(9), Position: 40}, nil, nil, pid, "1:front side.jpg:side 3: 9:", "", nil},
		{"replaces the imported image at its position", NewImage{MediaID: mediaID(9), Position: 2}, nil, nil, pid, "1:front 9:side 3:", "", []string{"var-b"}},
		{"replaces the imported image by source, new alt and variants", NewImage{MediaID: mediaID(9), Source: "https://cdn.example/side.jpg", Alt: "left", VariantIDs: []string{"var-a"}}, nil, nil, pid, "1:front 9:left 3:", "", []string{"var-a"}},
		{"with variants", NewImage{MediaID: mediaID(9), VariantIDs: []string{"var-a", "var-b"}}, nil, nil, pid, "1:front side.jpg:side 3: 9:", "", []string{"var-a", "var-b"}},
		{"unknown source", NewImage{MediaID: mediaID(9), Source: "https://cdn.example/nope.jpg"}, nil, nil, pid, "", "source", nil},
		{"source of no image", NewImage{MediaID: mediaID(9), Source: "https://cdn.example/x.jpg"}, nil, nil, pid, "", "source", nil},
		{"already there", NewImage{MediaID: mediaID(3)}, nil, nil, pid, "", "image_exists", nil},
		{"unknown variant", NewImage{MediaID: mediaID(9), VariantIDs: []string{"var-a", "nope"}}, nil, nil, pid, "", "variant_ids[1]", nil},
		{"variant twice", NewImage{MediaID: mediaID(9), VariantIDs: []string{"var-a", "var-a"}}, nil, nil, pid, "", "variant_ids[1]", nil},
		{"bad media ID", NewImage{MediaID: "x"}, nil, nil, pid, "", "file", nil},
		{"alt too long", NewImage{MediaID: mediaID(9), Alt: strings.Repeat("a", MaxImageAltLen+1)}, nil, nil, pid, "", "alt", nil},
		{"negative position", NewImage{MediaID: mediaID(9), Position: -1}, nil, nil, pid, "", "position", nil},
		{"bad source", NewImage{MediaID: mediaID(9), Source: "ftp://x"}, nil, nil, pid, "", "source", nil},
		{"stale If-Match", NewImage{MediaID: mediaID(9)}, &v2, nil, pid, "", "version_mismatch", nil},
		{"another vendor's product", NewImage{MediaID: mediaID(9)}, nil, []Scope{{VendorID: other}}, pid, "", "product_not_found", nil},
		{"no such product", NewImage{MediaID: mediaID(9)}, nil, nil, "01JQ0000000000000000000003", "", "product_not_found", nil},
	}
	for _, emit := range []bool{true, false} {
		for _, sc := range scenarios {
			t.Run(fmt.Sprintf("%s/emit=%v", sc.name, emit), func(t *testing.T) {
				svc, repo := newImageService(emit)
				sc.in.Sizes = []string{"thumb", "small"}
				p, img, err := svc.AddImage(ctx, sc.ref, sc.in, sc.ifMatch, sc.scope...)
				stored := repo.products[pid]
				if sc.code != "" {
					if got := errCodeOrField(err); got != sc.code {
						t.Fatalf("error %v (%q), want %q", err, got, sc.code)
					}
					if layout(stored.Images) != layout(imageFixture().Images) || stored.Version != 3 || len(repo.events) != 0 {
						t.Errorf("a refused add changed the product: %s v%d, %d events", layout(stored.Images), stored.Version, len(repo.events))
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := layout(stored.Images); got != sc.want || layout(p.Images) != sc.want {
					t.Errorf("images %q (returned %q), want %q", got, layout(p.Images), sc.want)
				}
				if stored.Version != 4 || p.Version != 4 {
					t.Errorf("version %d, want 4", stored.Version)
				}
				if img.ID != mediaID(9) || img.URL != "/api/v1/media/"+mediaID(9) ||
					img.Thumbnails["thumb"] != "/api/v1/media/"+mediaID(9)+"/thumb" || len(img.Thumbnails) != 2 {
					t.Errorf("image %+v", img)
				}
				if !slices.Equal(img.VariantIDs, sc.variant) {
					t.Errorf("variant IDs %v, want %v", img.VariantIDs, sc.variant)
				}
				checkImageEvents(t, repo.events, emit, EventImageAdded, img)
			})
		}
	}
}

// checkImageEvents checks the product update and, with an EventUpdater, the image event.
func checkImageEvents(t *testing.T, evs []commerce.Event, emit bool, typ string, img Image) {
	t.Helper()
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	want := []string{EventProductUpdated}
	if emit {
		want = append(want, typ)
	}
	if !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	if !emit {
		return
	}
	var data ImageEvent
	if err := json.Unmarshal(evs[1].Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.ProductID != pid || data.Version != 4 || data.Image.ID != img.ID || data.Image.Position != img.Position || evs[1].Aggregate != pid {
		t.Errorf("image event %+v, want image %+v", data, img)
	}
}

func errCodeOrField(err error) string {
	e := commerce.AsError(err)
	if e == nil {
		return fmt.Sprint(err)
	}
	if len(e.Fields) > 0 {
		return e.Fields[0].Field
	}
	return e.Code
}

func TestUpdateImage(t *testing.T) {
	ctx := context.Background()
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	ids := func(s ...string) *[]string { return &s }
	scenarios := []struct {
		name    string
		ref     string
		ch      ImageChange
		want    string
		code    string
		variant []string
		at      int // the image's position after
	}{
		{"alt", mediaID(1), ImageChange{Alt: str("  the front ")}, "1:the front side.jpg:side 3:", "", nil, 1},
		{"to the end", mediaID(1), ImageChange{Position: num(3)}, "side.jpg:side 3: 1:front", "", nil, 3},
		{"to the start", mediaID(3), ImageChange{Position: num(1)}, "3: 1:front side.jpg:side", "", nil, 1},
		{"to where it is", mediaID(3), ImageChange{Position: num(3)}, "1:front side.jpg:side 3:", "", nil, 3},
		{"an imported image by its position", "2", ImageChange{Position: num(1), Alt: str("")}, "side.jpg: 1:front 3:", "", []string{"var-b"}, 1},
		{"variants", mediaID(3), ImageChange{VariantIDs: ids("var-b", "var-a")}, "1:front side.jpg:side 3:", "", []string{"var-b", "var-a"}, 3},
		{"variants cleared", "2", ImageChange{VariantIDs: ids()}, "1:front side.jpg:side 3:", "", nil, 2},
		{"past the end", mediaID(1), ImageChange{Position: num(4)}, "", "position", nil, 0},
		{"position 0", mediaID(1), ImageChange{Position: num(0)}, "", "position", nil, 0},
		{"unknown variant", mediaID(1), ImageChange{VariantIDs: ids("zzz")}, "", "variant_ids[0]", nil, 0},
		{"alt too long", mediaID(1), ImageChange{Alt: str(strings.Repeat("é", MaxImageAltLen+1))}, "", "alt", nil, 0},
		{"unknown image", mediaID(7), ImageChange{Alt: str("x")}, "", "image_not_found", nil, 0},
		{"position out of range", "4", ImageChange{Alt: str("x")}, "", "image_not_found", nil, 0},
		{"padded position", "02", ImageChange{Alt: str("x")}, "", "image_not_found", nil, 0},
		{"garbage", "../x", ImageChange{Alt: str("x")}, "", "image_not_found", nil, 0},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			svc, repo := newImageService(true)
			p, img, err := svc.UpdateImage(ctx, pid, sc.ref, sc.ch, nil)
			if sc.code != "" {
				if got := errCodeOrField(err); got != sc.code {
					t.Fatalf("error %v (%q), want %q", err, got, sc.code)
				}
				if repo.products[pid].Version != 3 {
					t.Error("a refused update changed the product")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := layout(repo.products[pid].Images); got != sc.want || layout(p.Images) != sc.want {
				t.Errorf("images %q, want %q", got, sc.want)
			}
			if img.Position != sc.at || !slices.Equal(img.VariantIDs, sc.variant) {
				t.Errorf("image %+v: want position %d, variants %v", img, sc.at, sc.variant)
			}
			checkImageEvents(t, repo.events, true, EventImageUpdated, img)
		})
	}
}

func TestRemoveImage(t *testing.T) {
	ctx := context.Background()
	scenarios := []struct {
		name  string
		ref   string
		scope []Scope
		want  string
		code  string
	}{
		{"first", mediaID(1), nil, "side.jpg:side 3:", ""},
		{"last", mediaID(3), nil, "1:front side.jpg:side", ""},
		{"imported, by position", "2", nil, "1:front 3:", ""},
		{"by the vendor", mediaID(1), []Scope{{VendorID: "v1"}}, "side.jpg:side 3:", ""},
		{"another vendor", mediaID(1), []Scope{{VendorID: other}}, "", "product_not_found"},
		{"unknown", mediaID(8), nil, "", "image_not_found"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			svc, repo := newImageService(true)
			_, err := svc.RemoveImage(ctx, pid, sc.ref, nil, sc.scope...)
			if sc.code != "" {
				if got := errCodeOrField(err); got != sc.code {
					t.Fatalf("error %v (%q), want %q", err, got, sc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := layout(repo.products[pid].Images); got != sc.want {
				t.Errorf("images %q, want %q", got, sc.want)
			}
			if len(repo.events) != 2 || repo.events[1].Type != EventImageRemoved {
				t.Errorf("events %v", repo.events)
			}
		})
	}
	t.Run("the last one leaves an empty list", func(t *testing.T) {
		svc, repo := newImageService(false)
		for range 3 {
			if _, err := svc.RemoveImage(ctx, pid, "1", nil); err != nil {
				t.Fatal(err)
			}
		}
		if imgs := repo.products[pid].Images; imgs == nil || len(imgs) != 0 {
			t.Errorf("images %#v, want []", imgs)
		}
	})
}

// TestImageLimit fills a product up to MaxImages; one more is refused.
func TestImageLimit(t *testing.T) {
	ctx := context.Background()
	svc, repo := newImageService(false)
	for i := len(imageFixture().Images); i < MaxImages; i++ {
		if _, _, err := svc.AddImage(ctx, pid, NewImage{MediaID: mediaID(100 + i)}, nil); err != nil {
			t.Fatalf("image %d: %v", i+1, err)
		}
	}
	_, _, err := svc.AddImage(ctx, pid, NewImage{MediaID: mediaID(5000)}, nil)
	if errCodeOrField(err) != "file" {
		t.Fatalf("image %d: %v, want a validation error", MaxImages+1, err)
	}
	// Replacing the imported image is not adding one.
	if _, _, err := svc.AddImage(ctx, pid, NewImage{MediaID: mediaID(5000), Position: 2}, nil); err != nil {
		t.Fatalf("replace at the limit: %v", err)
	}
	if n := len(repo.products[pid].Images); n != MaxImages {
		t.Errorf("%d images, want %d", n, MaxImages)
	}
}
