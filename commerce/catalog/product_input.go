package catalog

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ultramarket/ultramarket/commerce"
)

// Limits of the product fields beyond title, variants and tags.
const (
	MaxOptionValues        = MaxVariants // values per option
	MaxAttributes          = 50          // name/value pairs per product
	MaxAttributeNameLen    = 100         // characters
	MaxAttributeValueLen   = 1_000       // characters
	MaxSEOTitleLen         = 255         // characters; search engines show about 70
	MaxSEODescriptionLen   = 1_000       // characters; search engines show about 160
	MaxImages              = 100         // images per product
	MaxImageAltLen         = 512         // characters
	MaxImageSourceLen      = 2_048       // bytes
	MaxImagePosition       = 1_000_000
	MaxBarcodeLen          = 64             // bytes, printable ASCII or not, no spaces at the ends
	MaxWeightGrams         = 10_000_000_000 // 10,000 tonnes: a guard against typos, not a shipping rule
	mediaIDLen             = 64             // a media ID is the SHA-256 hex of the file
	mediaURLPrefix         = "/api/v1/media/"
	translationFieldPrefix = "translations."
)

// MediaURL is the URL an uploaded image with the media ID id is served at.
func MediaURL(id string) string { return mediaURLPrefix + id }

// ValidMediaID reports whether id looks like a media ID: 64 lower-case hex digits.
func ValidMediaID(id string) bool {
	if len(id) != mediaIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// MediaChecker tells whether uploaded media exist; the media store's adapter implements it.
// Without one (see Service.SetMedia) an image ID is checked only for its form.
type MediaChecker interface {
	MediaExists(ctx context.Context, id string) (bool, error)
}

// SetMedia makes the service check that the media IDs of new product images exist.
func (s *Service) SetMedia(m MediaChecker) { s.media = m }

// OnSaleOf reports whether a variant shows a "was" price: a compare-at price above its price
// (Shopify data has compare-at prices below the price; they are kept but do not count).
func OnSaleOf(v Variant) bool {
	return v.CompareAtPrice != nil && v.CompareAtPrice.Amount > v.Price.Amount
}

// CheckProduct validates a product input on its own, without writing or looking anything up
// (unique SKUs and slugs, the category and media IDs are checked by CreateProduct and
// UpdateProduct inside their write). It reports every problem it finds, each naming its
// field path (variants[2].compare_at_price.currency, images[0].source,
// translations.ru.title). Variant IDs are allowed, as on an update. Importers use it to
// report row errors in a dry run.
func CheckProduct(in ProductInput) error {
	_, err := checkProduct(normalizeProduct(in), false)
	return err
}

// checkProduct validates in (already normalized) and returns the product's options: in.Options
// with values nobody uses left out, or, when in.Options is empty, the option names the variants
// use, in the order first seen (a variant's own names alphabetically), with values in the order
// first seen.
func checkProduct(in ProductInput, create bool) ([]Option, error) {
	var v commerce.Validator
	v.Text("title", in.Title, MaxTitleLen, true)
	v.Text("description", in.Description, MaxDescriptionLen, false)
	v.Text("brand", in.Brand, MaxBrandLen, false)
	v.Text("vendor", in.Vendor, MaxBrandLen, false)
	v.Check(in.VendorID == "" || commerce.ValidID(in.VendorID), "vendor_id", "must be a vendor's ID")
	if in.Slug != "" {
		v.Check(ValidSlug(in.Slug), "slug", fmt.Sprintf("must be 1-%d characters a-z, 0-9 and single hyphens inside", MaxSlugLen))
	}
	switch in.Status {
	case StatusDraft, StatusActive, StatusArchived:
	default:
		v.Add("status", "must be one of draft, active, archived")
	}
	v.Check(len(in.Tags) <= MaxTags, "tags", fmt.Sprintf("must have at most %d tags", MaxTags))
	for i, t := range in.Tags {
		if i >= MaxTags {
			break
		}
		v.Text(fmt.Sprintf("tags[%d]", i), t, MaxTagLen, true)
	}
	var options []Option
	switch {
	case len(in.Variants) == 0:
		v.Add("variants", "must have at least one variant")
	case len(in.Variants) > MaxVariants:
		v.Add("variants", fmt.Sprintf("must have at most %d variants", MaxVariants))
	default:
		validateVariants(&v, in.Variants, create)
		options = checkOptions(&v, in.Options, in.Variants)
	}
	checkAttributes(&v, in.Attributes)
	v.Text("seo.title", in.SEO.Title, MaxSEOTitleLen, false)
	v.Text("seo.description", in.SEO.Description, MaxSEODescriptionLen, false)
	checkTranslations(&v, in.Translations)
	checkImages(&v, in.Images, in.Variants)
	return options, v.Err()
}

// checkOptions checks the product's options against its variants: every variant has exactly
// one value of each option (and no other), a listed value when the options are given.
func checkOptions(v *commerce.Validator, given []Option, vs []VariantInput) []Option {
	names := given
	if len(given) == 0 {
		names = deriveOptions(vs)
		if len(names) > MaxOptions {
			return nil // validateVariants reported it
		}
	} else {
		// Errors in the options themselves are reported alone: checking the variants against
		// broken options would only repeat them once per variant.
		var ov commerce.Validator
		ov.Check(len(given) <= MaxOptions, "options", fmt.Sprintf("must have at most %d options", MaxOptions))
		seen := map[string]int{}
		for i, o := range given {
			f := fmt.Sprintf("options[%d]", i)
			if !optionText(o.Name, MaxOptionNameLen) {
				ov.Add(f+".name", fmt.Sprintf("must be 1-%d printable characters", MaxOptionNameLen))
			} else if j, dup := seen[strings.ToLower(o.Name)]; dup {
				ov.Add(f+".name", fmt.Sprintf("repeats options[%d].name", j))
			} else {
				seen[strings.ToLower(o.Name)] = i
			}
			switch {
			case len(o.Values) == 0:
				ov.Add(f+".values", "must have at least one value")
			case len(o.Values) > MaxOptionValues:
				ov.Add(f+".values", fmt.Sprintf("must have at most %d values", MaxOptionValues))
			}
			vals := map[string]int{}
			for k, val := range o.Values {
				if !optionText(val, MaxOptionValueLen) {
					ov.Add(fmt.Sprintf("%s.values[%d]", f, k), fmt.Sprintf("must be 1-%d printable characters", MaxOptionValueLen))
				} else if j, dup := vals[val]; dup {
					ov.Add(fmt.Sprintf("%s.values[%d]", f, k), fmt.Sprintf("repeats %s.values[%d]", f, j))
				} else {
					vals[val] = k
				}
			}
		}
		if err := commerce.AsError(ov.Err()); err != nil {
			for _, fe := range err.Fields {
				v.Add(fe.Field, fe.Message)
			}
			return nil
		}
	}
	// A variant whose option names are malformed was reported by validateVariants; checking
	// it against the options would only repeat that.
	for i, vi := range vs {
		bad := false
		for name, val := range vi.Options {
			if !optionText(name, MaxOptionNameLen) || !optionText(val, MaxOptionValueLen) {
				bad = true
			}
		}
		if bad {
			return nil
		}
		f := func(name string) string { return fmt.Sprintf("variants[%d].options.%s", i, name) }
		for _, o := range names {
			val, ok := vi.Options[o.Name]
			switch {
			case !ok:
				v.Add(f(o.Name), "is required: every variant has a value of each of the product's options")
			case len(given) > 0 && !slices.Contains(o.Values, val):
				v.Add(f(o.Name), fmt.Sprintf("must be one of the values of option %q", o.Name))
			}
		}
		extra := make([]string, 0)
		for name := range vi.Options {
			if !slices.ContainsFunc(names, func(o Option) bool { return o.Name == name }) {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			v.Add(f(name), "is not one of the product's options")
		}
	}
	if len(given) == 0 {
		return names
	}
	// The given options, keeping only values some variant uses, in the given order.
	out := make([]Option, len(given))
	for i, o := range given {
		used := make([]string, 0, len(o.Values))
		for _, val := range o.Values {
			if slices.ContainsFunc(vs, func(vi VariantInput) bool { return vi.Options[o.Name] == val }) {
				used = append(used, val)
			}
		}
		out[i] = Option{Name: o.Name, Values: used}
	}
	return out
}

// deriveOptions lists the option names the variants use, in the order first seen (a
// variant's new names alphabetically: a JSON object's order is not kept), each with its
// values in the order first seen.
func deriveOptions(vs []VariantInput) []Option {
	var out []Option
	at := map[string]int{}
	for _, vi := range vs {
		names := make([]string, 0, len(vi.Options))
		for name := range vi.Options {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			i, ok := at[name]
			if !ok {
				i = len(out)
				at[name] = i
				out = append(out, Option{Name: name})
			}
			if val := vi.Options[name]; !slices.Contains(out[i].Values, val) {
				out[i].Values = append(out[i].Values, val)
			}
		}
	}
	return out
}

// OptionsOf lists the options stored variants use, as checkProduct derives them: for writers
// that store products without the service (the demo seeder), which leave Options empty.
func OptionsOf(vs []Variant) []Option {
	in := make([]VariantInput, len(vs))
	for i, v := range vs {
		in[i].Options = v.Options
	}
	return deriveOptions(in)
}

// optionText reports whether s is a usable option name or value: 1 to max printable
// characters, not blank.
func optionText(s string, max int) bool {
	return strings.TrimSpace(s) != "" && utf8.RuneCountInString(s) <= max && printable(s)
}

func checkAttributes(v *commerce.Validator, attrs map[string]string) {
	if len(attrs) > MaxAttributes {
		v.Add("attributes", fmt.Sprintf("must have at most %d attributes", MaxAttributes))
		return
	}
	for _, name := range sortedKeys(attrs) {
		f := "attributes." + name
		if !optionText(name, MaxAttributeNameLen) {
			v.Add(f, fmt.Sprintf("names must be 1-%d printable characters", MaxAttributeNameLen))
			continue
		}
		v.Text(f, attrs[name], MaxAttributeValueLen, true)
	}
}

func checkTranslations(v *commerce.Validator, ts map[string]Translation) {
	for _, loc := range sortedKeys(ts) {
		f := translationFieldPrefix + loc
		if !slices.Contains(Locales, loc) {
			v.Add(f, "is not a supported locale (one of "+strings.Join(Locales, ", ")+")")
			continue
		}
		t := ts[loc]
		v.Text(f+".title", t.Title, MaxTitleLen, false)
		v.Text(f+".description", t.Description, MaxDescriptionLen, false)
		v.Text(f+".seo_title", t.SEOTitle, MaxSEOTitleLen, false)
		v.Text(f+".seo_description", t.SEODescription, MaxSEODescriptionLen, false)
	}
}

func checkImages(v *commerce.Validator, imgs []ImageInput, vs []VariantInput) {
	if len(imgs) > MaxImages {
		v.Add("images", fmt.Sprintf("must have at most %d images", MaxImages))
		return
	}
	ids := map[string]int{}
	sources := map[string]int{}
	for i, im := range imgs {
		f := func(name string) string { return fmt.Sprintf("images[%d].%s", i, name) }
		switch {
		case im.ID != "" && !ValidMediaID(im.ID):
			v.Add(f("id"), "must be the ID of an uploaded image (64 lower-case hex digits)")
		case im.ID != "":
			if j, dup := ids[im.ID]; dup {
				v.Add(f("id"), fmt.Sprintf("repeats images[%d].id", j))
			}
			ids[im.ID] = i
		}
		switch {
		case im.Source == "" && im.ID == "":
			v.Add(f("source"), "is required when id is not set: an image is an uploaded file (id) or a URL to fetch (source)")
		case im.Source != "" && !validImageURL(im.Source):
			v.Add(f("source"), fmt.Sprintf("must be an http or https URL of at most %d bytes", MaxImageSourceLen))
		case im.Source != "" && im.ID == "":
			if j, dup := sources[im.Source]; dup {
				v.Add(f("source"), fmt.Sprintf("repeats images[%d].source", j))
			}
			sources[im.Source] = i
		}
		v.Check(im.Position >= 0 && im.Position <= MaxImagePosition, f("position"), fmt.Sprintf("must be between 0 and %d", MaxImagePosition))
		v.Text(f("alt"), im.Alt, MaxImageAltLen, false)
		for k, sku := range im.VariantSKUs {
			if !slices.ContainsFunc(vs, func(vi VariantInput) bool { return strings.EqualFold(vi.SKU, sku) }) {
				v.Add(fmt.Sprintf("images[%d].variant_skus[%d]", i, k), "is not the SKU of a variant of this product")
			}
		}
	}
}

func validImageURL(s string) bool {
	if len(s) > MaxImageSourceLen || !printable(s) || strings.ContainsAny(s, " \t") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// checkVariantExtras checks a variant's compare-at price, weight and barcode.
func checkVariantExtras(v *commerce.Validator, f func(string) string, vi VariantInput) {
	if c := vi.CompareAtPrice; c != nil {
		v.Check(c.Amount > 0, f("compare_at_price.amount"), "must be positive")
		v.Check(c.Amount <= MaxAmount, f("compare_at_price.amount"), fmt.Sprintf("must be at most %d", int64(MaxAmount)))
		v.Check(c.Currency == vi.Price.Currency, f("compare_at_price.currency"), "must be the currency of the price ("+vi.Price.Currency+")")
	}
	v.Check(vi.WeightGrams >= 0, f("weight_grams"), "must not be negative")
	v.Check(vi.WeightGrams <= MaxWeightGrams, f("weight_grams"), fmt.Sprintf("must be at most %d", int64(MaxWeightGrams)))
	switch {
	case len(vi.Barcode) > MaxBarcodeLen:
		v.Add(f("barcode"), fmt.Sprintf("must be at most %d bytes", MaxBarcodeLen))
	case !printable(vi.Barcode):
		v.Add(f("barcode"), "must be printable characters")
	}
}

// normalizeExtras trims the fields of issue 5 and drops empty ones: blank attributes'
// surrounding space, translations with no text, options' surrounding space.
func normalizeExtras(in ProductInput) ProductInput {
	if in.Options != nil {
		opts := make([]Option, len(in.Options))
		for i, o := range in.Options {
			o.Name = strings.TrimSpace(o.Name)
			vals := make([]string, len(o.Values))
			for k, val := range o.Values {
				vals[k] = strings.TrimSpace(val)
			}
			opts[i] = Option{Name: o.Name, Values: vals}
		}
		in.Options = opts
	}
	if len(in.Attributes) > 0 {
		attrs := make(map[string]string, len(in.Attributes))
		for k, val := range in.Attributes {
			attrs[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
		in.Attributes = attrs
	} else {
		in.Attributes = nil
	}
	in.SEO.Title = strings.TrimSpace(in.SEO.Title)
	in.SEO.Description = strings.TrimSpace(in.SEO.Description)
	if len(in.Translations) > 0 {
		ts := make(map[string]Translation, len(in.Translations))
		for loc, t := range in.Translations {
			t.Title = strings.TrimSpace(t.Title)
			t.Description = strings.TrimSpace(t.Description)
			t.SEOTitle = strings.TrimSpace(t.SEOTitle)
			t.SEODescription = strings.TrimSpace(t.SEODescription)
			if t != (Translation{}) {
				ts[strings.ToLower(strings.TrimSpace(loc))] = t
			}
		}
		in.Translations = ts
	}
	if len(in.Translations) == 0 {
		in.Translations = nil
	}
	if in.Images != nil {
		imgs := make([]ImageInput, len(in.Images))
		for i, im := range in.Images {
			im.ID = strings.TrimSpace(im.ID)
			im.Source = strings.TrimSpace(im.Source)
			im.Alt = strings.TrimSpace(im.Alt)
			imgs[i] = im
		}
		in.Images = imgs
	}
	return in
}

// buildImages turns checked image inputs into the product's images: positions 1..n in the
// order of the given positions (images without one last, in input order), variant SKUs
// resolved to the IDs of vs.
func buildImages(in []ImageInput, vs []Variant) []Image {
	order := make([]int, len(in))
	for i := range order {
		order[i] = i
	}
	pos := func(i int) int {
		if p := in[i].Position; p > 0 {
			return p
		}
		return MaxImagePosition + 1
	}
	sort.SliceStable(order, func(a, b int) bool { return pos(order[a]) < pos(order[b]) })
	out := make([]Image, len(in))
	for n, i := range order {
		im := in[i]
		img := Image{ID: im.ID, URL: im.Source, Position: n + 1, Alt: im.Alt, Source: im.Source}
		if im.ID != "" {
			img.URL = MediaURL(im.ID)
		}
		for _, sku := range im.VariantSKUs {
			for _, v := range vs {
				if strings.EqualFold(v.SKU, sku) && !slices.Contains(img.VariantIDs, v.ID) {
					img.VariantIDs = append(img.VariantIDs, v.ID)
				}
			}
		}
		out[n] = img
	}
	return out
}

// checkMedia checks that the media IDs of in's images that p does not have yet exist.
func (s *Service) checkMedia(ctx context.Context, imgs []ImageInput, have []Image) error {
	if s.media == nil {
		return nil
	}
	var v commerce.Validator
	for i, im := range imgs {
		if im.ID == "" || slices.ContainsFunc(have, func(h Image) bool { return h.ID == im.ID }) {
			continue
		}
		ok, err := s.media.MediaExists(ctx, im.ID)
		if err != nil {
			return err
		}
		v.Check(ok, fmt.Sprintf("images[%d].id", i), "no such uploaded image")
	}
	return v.Err()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
