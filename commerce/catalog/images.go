package catalog

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// Event types of a product's image changes. Each is emitted in the same atomic write as the
// product's EventProductUpdated; its data is an ImageEvent.
const (
	EventImageAdded   = "catalog.image_added"
	EventImageUpdated = "catalog.image_updated"
	EventImageRemoved = "catalog.image_removed"
)

// ImageEvent is the data of the image events: the image as it is after the change (as it
// was, for EventImageRemoved) and the product's new version.
type ImageEvent struct {
	ProductID string `json:"product_id"`
	Version   int64  `json:"version"`
	Image     Image  `json:"image"`
}

// Errors of the image use cases.
var (
	ErrImageNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "image_not_found", Message: "catalog: the product has no such image"}
	ErrImageExists   = &commerce.Error{Kind: commerce.EConflict, Code: "image_exists", Message: "catalog: the product already has this image"}
)

// EventUpdater is an optional part of a Repository: Update whose fn also returns events to
// emit in the same atomic write. The store implements it; with a repository that does not,
// image changes emit only EventProductUpdated.
type EventUpdater interface {
	UpdateEmit(ctx context.Context, fn func(tx Tx) ([]commerce.Event, error)) error
}

// ThumbnailURLs returns the URLs of the named variants (thumbnails) of the uploaded image
// with the media ID id, by name; nil when there are none.
func ThumbnailURLs(id string, names []string) map[string]string {
	if id == "" || len(names) == 0 {
		return nil
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[n] = MediaURL(id) + "/" + n
	}
	return out
}

// NewImage is an uploaded image (already in the media store) to add to a product.
type NewImage struct {
	MediaID    string   // the stored file's media ID
	Alt        string   // "" keeps the alt text of the imported image it replaces
	Position   int      // where it goes, 1..n+1; 0 = last. At an imported image waiting for its file, it replaces that image
	VariantIDs []string // variants it shows; nil keeps those of the imported image it replaces
	Source     string   // replace the imported image with this source URL (waiting for its file)
	Sizes      []string // the media store's variant names, for Image.Thumbnails
}

// ImageChange edits an image's alt text, position or variants; nil fields are left as they are.
type ImageChange struct {
	Alt        *string   `json:"alt,omitempty"`
	Position   *int      `json:"position,omitempty"`    // 1..n: the image moves there and the others close up
	VariantIDs *[]string `json:"variant_ids,omitempty"` // [] shows it for no variant in particular
}

// AddImage adds an uploaded image to the product ref (ID or slug) and returns the product
// and the image. When in.Source names an imported image still waiting for its file, or
// in.Position is the position of one, the upload replaces it (keeping its position and
// source, and its alt text and variants unless given). ifMatch and scope are those of
// UpdateProduct. Positions stay 1..n.
func (s *Service) AddImage(ctx context.Context, ref string, in NewImage, ifMatch *int64, scope ...Scope) (Product, Image, error) {
	in.Alt = strings.TrimSpace(in.Alt)
	in.Source = strings.TrimSpace(in.Source)
	var v commerce.Validator
	v.Check(ValidMediaID(in.MediaID), "file", "must be an uploaded image")
	v.Text("alt", in.Alt, MaxImageAltLen, false)
	v.Check(in.Position >= 0 && in.Position <= MaxImages, "position", fmt.Sprintf("must be between 1 and %d", MaxImages))
	v.Check(in.Source == "" || validImageURL(in.Source), "source", "must be the http or https URL of an imported image")
	if err := v.Err(); err != nil {
		return Product{}, Image{}, err
	}
	return s.changeImages(ctx, ref, ifMatch, scope, func(p *Product) (string, Image, error) {
		imgs := sortedImages(p.Images)
		if slices.ContainsFunc(imgs, func(x Image) bool { return x.ID == in.MediaID }) {
			return "", Image{}, ErrImageExists.WithDetails(map[string]any{"id": in.MediaID})
		}
		at := -1 // the imported image replaced, if any
		switch {
		case in.Source != "":
			at = slices.IndexFunc(imgs, func(x Image) bool { return x.ID == "" && x.Source == in.Source })
			if at < 0 {
				return "", Image{}, commerce.Invalid(commerce.FieldError{Field: "source", Message: "is not the source of an image of this product waiting for its file"})
			}
		case in.Position > 0 && in.Position <= len(imgs) && imgs[in.Position-1].ID == "":
			at = in.Position - 1
		}
		img := Image{ID: in.MediaID, URL: MediaURL(in.MediaID), Alt: in.Alt, VariantIDs: in.VariantIDs,
			Thumbnails: ThumbnailURLs(in.MediaID, in.Sizes)}
		if at >= 0 {
			old := imgs[at]
			img.Source = old.Source
			if img.Alt == "" {
				img.Alt = old.Alt
			}
			if in.VariantIDs == nil {
				img.VariantIDs = old.VariantIDs
			}
		}
		if err := checkImageVariants(img.VariantIDs, p.Variants); err != nil {
			return "", Image{}, err
		}
		img.VariantIDs = nonEmpty(img.VariantIDs)
		switch {
		case at >= 0:
			imgs[at] = img
		case len(imgs) >= MaxImages:
			return "", Image{}, commerce.Invalid(commerce.FieldError{Field: "file", Message: fmt.Sprintf("the product already has the most images allowed (%d)", MaxImages)})
		case in.Position == 0 || in.Position > len(imgs):
			imgs = append(imgs, img)
		default:
			imgs = slices.Insert(imgs, in.Position-1, img)
		}
		p.Images = renumber(imgs)
		return EventImageAdded, p.Images[slices.IndexFunc(p.Images, func(x Image) bool { return x.ID == in.MediaID })], nil
	})
}

// UpdateImage changes the alt text, position or variants of the image imageRef (its media
// ID, or its position for an imported image that has none) of the product ref.
func (s *Service) UpdateImage(ctx context.Context, ref, imageRef string, ch ImageChange, ifMatch *int64, scope ...Scope) (Product, Image, error) {
	var v commerce.Validator
	if ch.Alt != nil {
		alt := strings.TrimSpace(*ch.Alt)
		ch.Alt = &alt
		v.Text("alt", alt, MaxImageAltLen, false)
	}
	if ch.Position != nil {
		v.Check(*ch.Position >= 1 && *ch.Position <= MaxImages, "position", fmt.Sprintf("must be between 1 and %d", MaxImages))
	}
	if err := v.Err(); err != nil {
		return Product{}, Image{}, err
	}
	return s.changeImages(ctx, ref, ifMatch, scope, func(p *Product) (string, Image, error) {
		imgs := sortedImages(p.Images)
		at, err := findImage(imgs, imageRef)
		if err != nil {
			return "", Image{}, err
		}
		img := imgs[at]
		if ch.Alt != nil {
			img.Alt = *ch.Alt
		}
		if ch.VariantIDs != nil {
			if err := checkImageVariants(*ch.VariantIDs, p.Variants); err != nil {
				return "", Image{}, err
			}
			img.VariantIDs = nonEmpty(*ch.VariantIDs)
		}
		imgs[at] = img
		if ch.Position != nil {
			if *ch.Position > len(imgs) {
				return "", Image{}, commerce.Invalid(commerce.FieldError{Field: "position", Message: fmt.Sprintf("must be between 1 and %d, the product's number of images", len(imgs))})
			}
			imgs = slices.Insert(slices.Delete(imgs, at, at+1), *ch.Position-1, img)
			at = *ch.Position - 1
		}
		p.Images = renumber(imgs)
		return EventImageUpdated, p.Images[at], nil
	})
}

// RemoveImage removes the image imageRef (its media ID, or its position) from the product
// ref; the images after it move up. The file stays in the media store (another product may
// show it).
func (s *Service) RemoveImage(ctx context.Context, ref, imageRef string, ifMatch *int64, scope ...Scope) (Product, error) {
	p, _, err := s.changeImages(ctx, ref, ifMatch, scope, func(p *Product) (string, Image, error) {
		imgs := sortedImages(p.Images)
		at, err := findImage(imgs, imageRef)
		if err != nil {
			return "", Image{}, err
		}
		img := imgs[at]
		p.Images = renumber(slices.Delete(imgs, at, at+1))
		return EventImageRemoved, img, nil
	})
	return p, err
}

// changeImages runs one image use case as one atomic write: it reads the product, checks
// the scope and If-Match, lets change edit its images (returning the event type and the
// image concerned), then saves it with a new version and emits the image event with it.
func (s *Service) changeImages(ctx context.Context, ref string, ifMatch *int64, scope []Scope,
	change func(p *Product) (string, Image, error)) (Product, Image, error) {
	var p Product
	var img Image
	write := func(tx Tx) ([]commerce.Event, error) {
		old, err := productByRef(tx, ref)
		if err != nil {
			return nil, err
		}
		if err := checkImageTarget(old, ifMatch, scope); err != nil {
			return nil, err
		}
		p = old
		p.Images = slices.Clone(old.Images) // the read may share them with a cache
		typ, changed, err := change(&p)
		if err != nil {
			return nil, err
		}
		img = changed
		p.Version = old.Version + 1
		p.UpdatedAt = s.clock.Now()
		if err := tx.SaveProduct(&p); err != nil {
			return nil, err
		}
		ev, err := commerce.NewEvent(typ, p.ID, p.UpdatedAt, ImageEvent{ProductID: p.ID, Version: p.Version, Image: img})
		if err != nil {
			return nil, err
		}
		return []commerce.Event{ev}, nil
	}
	var err error
	if eu, ok := s.repo.(EventUpdater); ok {
		err = eu.UpdateEmit(ctx, write)
	} else {
		err = s.repo.Update(ctx, func(tx Tx) error { _, err := write(tx); return err })
	}
	if err != nil {
		return Product{}, Image{}, err
	}
	return p, img, nil
}

// CheckImageTarget reports, outside any write, what AddImage would refuse about the product
// itself: that ref is not found (or is another vendor's, for a scoped writer) or ifMatch is
// stale. An upload checks it before its file is stored; AddImage checks again in its write.
func (s *Service) CheckImageTarget(ctx context.Context, ref string, ifMatch *int64, scope ...Scope) error {
	p, err := s.Product(ctx, ref, true)
	if err != nil {
		return err
	}
	return checkImageTarget(p, ifMatch, scope)
}

// checkImageTarget applies the writer's scope and If-Match to the product p.
func checkImageTarget(p Product, ifMatch *int64, scope []Scope) error {
	if sc, scoped := scopeOf(scope); scoped && p.VendorID != sc.VendorID {
		return ErrProductNotFound
	}
	if ifMatch != nil && *ifMatch != p.Version {
		return ErrVersionMismatch.WithDetails(map[string]any{"version": p.Version})
	}
	return nil
}

// sortedImages returns a copy of imgs in position order (ties in their stored order).
func sortedImages(imgs []Image) []Image {
	out := slices.Clone(imgs)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Position < out[j].Position })
	return out
}

// renumber sets the positions of imgs to 1..n in their order and returns them (never nil).
func renumber(imgs []Image) []Image {
	if imgs == nil {
		return []Image{}
	}
	for i := range imgs {
		imgs[i].Position = i + 1
	}
	return imgs
}

// findImage returns the index in imgs (sorted) of the image with the media ID ref, or at the
// position ref (1-based, for images that have no media ID yet).
func findImage(imgs []Image, ref string) (int, error) {
	if ValidMediaID(ref) {
		if at := slices.IndexFunc(imgs, func(x Image) bool { return x.ID == ref }); at >= 0 {
			return at, nil
		}
		return -1, ErrImageNotFound
	}
	if n, err := strconv.Atoi(ref); err == nil && n >= 1 && n <= len(imgs) && strconv.Itoa(n) == ref {
		return n - 1, nil
	}
	return -1, ErrImageNotFound
}

// checkImageVariants checks that ids are distinct variants of vs.
func checkImageVariants(ids []string, vs []Variant) error {
	var v commerce.Validator
	seen := map[string]bool{}
	for i, id := range ids {
		f := fmt.Sprintf("variant_ids[%d]", i)
		switch {
		case seen[id]:
			v.Add(f, "is given twice")
		case !slices.ContainsFunc(vs, func(x Variant) bool { return x.ID == id }):
			v.Add(f, "is not a variant of this product")
		}
		seen[id] = true
	}
	return v.Err()
}

func nonEmpty(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	return slices.Clone(ids)
}
