package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// DefaultImportChunk is how many products an import writes per atomic update when
// ImportOptions.ChunkSize is 0: large enough to share the write's cost, small enough that
// other writers (checkout) wait only briefly behind it.
const DefaultImportChunk = 250

// ImportOptions tune Service.Import.
type ImportOptions struct {
	// DryRun validates everything (against the stored catalog too) and reports what would
	// be created, updated or fail, writing nothing.
	DryRun bool
	// Atomic writes nothing unless every product is valid: any error, nothing is written.
	// The whole import is then one update (held in memory until it commits).
	Atomic bool
	// ChunkSize is how many products go into one update (each product whole); 0 means
	// DefaultImportChunk.
	ChunkSize int
	// Progress, when set, is called after each chunk with the products handled so far.
	Progress func(done int)
}

// ImportReport says what an import did (or, in a dry run or a refused atomic import, would
// have done).
type ImportReport struct {
	Created   int           `json:"created"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	Failed    int           `json:"failed"`
	Errors    []ImportError `json:"errors"`
	// Categories is how many categories were (or would be) created for the products.
	Categories int  `json:"categories_created"`
	DryRun     bool `json:"dry_run"`
	Atomic     bool `json:"atomic"`
	// Written is false when nothing was written: a dry run, or an atomic import with errors.
	Written bool `json:"written"`
}

// MaxImportErrors is how many errors a report lists; Failed still counts every product.
const MaxImportErrors = 10_000

func (r *ImportReport) fail(errs ...ImportError) {
	r.Failed++
	for _, e := range errs {
		if len(r.Errors) < MaxImportErrors {
			r.Errors = append(r.Errors, e)
		}
	}
}

// errRollback ends an update that must write nothing (a dry run, a refused atomic import).
var errRollback = errors.New("catalog: import rolled back")

// importPrep is one product of an import, checked on its own and ready to be applied.
type importPrep struct {
	item    ImportItem
	in      ProductInput // normalized
	options []Option
}

// Import applies the products of r to the catalog: a product whose handle (slug) or, failing
// that, one of whose SKUs is already stored is updated, others are created; categories are
// found or created by their name path. Each product is validated by the rules of
// CreateProduct and UpdateProduct and written whole or not at all, in chunks of
// opts.ChunkSize products per atomic update. Problems are reported per product with the
// file line of the row at fault; they do not stop the import (see ImportOptions for dry runs
// and all-or-nothing imports). The returned error is for an import that could not run at
// all (the file is unreadable, the store failed); the report then holds what was done.
func (s *Service) Import(ctx context.Context, r ImportReader, opts ImportOptions) (rep ImportReport, err error) {
	rep = ImportReport{DryRun: opts.DryRun, Atomic: opts.Atomic, Errors: []ImportError{}}
	size := opts.ChunkSize
	if size <= 0 {
		size = DefaultImportChunk
	}
	var chunk []importPrep
	done := 0
	// A chunk is written while the next one is read and checked: flush hands the chunk to a
	// goroutine after waiting for the one before it, so chunks still commit one at a time
	// and in file order.
	var pending chan chunkResult
	wait := func() error {
		if pending == nil {
			return nil
		}
		res := <-pending
		pending = nil
		if res.err != nil {
			return res.err
		}
		merge(&rep, res.rep)
		done += res.n
		if opts.Progress != nil {
			opts.Progress(done + rep.Failed)
		}
		return nil
	}
	flush := func() error {
		if err := wait(); err != nil || len(chunk) == 0 {
			return err
		}
		c := chunk
		chunk = make([]importPrep, 0, size)
		pending = make(chan chunkResult, 1)
		go func(out chan<- chunkResult) {
			part, err := s.importChunk(ctx, c, opts.DryRun)
			out <- chunkResult{rep: part, n: len(c), err: err}
		}(pending)
		return nil
	}
	defer func() {
		// An early return leaves no chunk writing behind it, and reports what it did.
		if werr := wait(); err == nil {
			err = werr
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		it, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rep, err
		}
		p, errs := prepareImport(it)
		if len(errs) > 0 {
			rep.fail(errs...)
			continue
		}
		chunk = append(chunk, p)
		if !opts.Atomic && len(chunk) >= size {
			if err := flush(); err != nil {
				return rep, err
			}
		}
	}
	if opts.Atomic {
		// One update for everything; any failure (found before or inside it) rolls it back.
		err := s.repo.Update(ctx, func(tx Tx) error {
			cats, err := newCategoryCache(tx)
			if err != nil {
				return err
			}
			for _, p := range chunk {
				if err := s.importOne(tx, cats, p, &rep); err != nil {
					return err
				}
			}
			if opts.DryRun || rep.Failed > 0 {
				return errRollback
			}
			return nil
		})
		if err != nil && !errors.Is(err, errRollback) {
			return rep, err
		}
		rep.Written = err == nil
		if opts.Progress != nil {
			opts.Progress(len(chunk) + rep.Failed)
		}
		return rep, nil
	}
	if err := flush(); err != nil {
		return rep, err
	}
	if err := wait(); err != nil {
		return rep, err
	}
	rep.Written = !opts.DryRun && rep.Created+rep.Updated+rep.Categories > 0
	return rep, nil
}

// importChunk writes one chunk in one update. A product that fails a check is reported and
// left out; a failure in the middle of writing one (which could leave it half written) rolls
// the chunk back, and its products are then written one update each, so only the bad one
// fails.
func (s *Service) importChunk(ctx context.Context, chunk []importPrep, dryRun bool) (ImportReport, error) {
	run := func(ps []importPrep) (ImportReport, error) {
		var part ImportReport
		err := s.repo.Update(ctx, func(tx Tx) error {
			part = ImportReport{}
			cats, err := newCategoryCache(tx)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if err := s.importOne(tx, cats, p, &part); err != nil {
					return err
				}
			}
			if dryRun {
				return errRollback
			}
			return nil
		})
		if errors.Is(err, errRollback) {
			err = nil
		}
		return part, err
	}
	part, err := run(chunk)
	if err != nil {
		if ctx.Err() != nil || len(chunk) == 1 && commerce.KindOf(err) == commerce.EInternal {
			return ImportReport{}, err
		}
		part = ImportReport{}
		for _, p := range chunk {
			one, err := run([]importPrep{p})
			if err != nil {
				if ctx.Err() != nil || commerce.KindOf(err) == commerce.EInternal {
					return part, err // the store, not the product
				}
				one = ImportReport{}
				one.fail(ImportError{Line: p.item.Line, Handle: p.item.Handle, Message: err.Error()})
			}
			merge(&part, one)
		}
	}
	return part, nil
}

// chunkResult is what writing one chunk of n products did.
type chunkResult struct {
	rep ImportReport
	n   int
	err error
}

func merge(into *ImportReport, r ImportReport) {
	into.Created += r.Created
	into.Updated += r.Updated
	into.Unchanged += r.Unchanged
	into.Categories += r.Categories
	for _, e := range r.Errors {
		if len(into.Errors) < MaxImportErrors {
			into.Errors = append(into.Errors, e)
		}
	}
	into.Failed += r.Failed
}

// prepareImport checks an item on its own: the reader's errors, then the product rules.
func prepareImport(it ImportItem) (importPrep, []ImportError) {
	if len(it.Errors) > 0 {
		return importPrep{}, it.Errors
	}
	in := it.Input
	if in.Slug == "" {
		in.Slug = it.Handle
	}
	in = normalizeProduct(in)
	options, err := checkProduct(in, true)
	if err != nil {
		return importPrep{}, itemErrors(it, err)
	}
	return importPrep{item: it, in: in, options: options}, nil
}

var variantField = regexp.MustCompile(`^variants\[(\d+)\]`)

// itemErrors turns a validation or conflict error into import errors on the lines at fault.
func itemErrors(it ImportItem, err error) []ImportError {
	ce := commerce.AsError(err)
	if ce == nil || ce.Kind == commerce.EInternal {
		return []ImportError{{Line: it.Line, Handle: it.Handle, Message: err.Error()}}
	}
	lineOf := func(field string) int {
		if m := variantField.FindStringSubmatch(field); m != nil {
			if i, _ := strconv.Atoi(m[1]); i < len(it.VariantLines) {
				return it.VariantLines[i]
			}
		}
		return it.Line
	}
	if len(ce.Fields) > 0 {
		out := make([]ImportError, len(ce.Fields))
		for i, f := range ce.Fields {
			out[i] = ImportError{Line: lineOf(f.Field), Handle: it.Handle, Field: f.Field, Message: f.Message}
		}
		return out
	}
	field, _ := ce.Details["field"].(string)
	msg := ce.Message
	switch {
	case errors.Is(err, ErrSKUTaken):
		msg = fmt.Sprintf("SKU %v is already used by another product", ce.Details["sku"])
	case errors.Is(err, ErrSlugTaken):
		field, msg = "slug", fmt.Sprintf("handle %v is already used", ce.Details["slug"])
	}
	return []ImportError{{Line: lineOf(field), Handle: it.Handle, Field: field, Message: strings.TrimPrefix(msg, "catalog: ")}}
}

// importOne upserts one product inside tx. A product that fails a check is reported in rep
// and nothing of it is written; the returned error (a failed write) aborts the update.
func (s *Service) importOne(tx Tx, cats *categoryCache, ip importPrep, rep *ImportReport) error {
	in := ip.in
	fail := func(err error) error {
		if commerce.KindOf(err) == commerce.EInternal {
			return err
		}
		rep.fail(itemErrors(ip.item, err)...)
		return nil
	}
	if sa, ok := tx.(summaryAuditTx); ok {
		sa.SummaryAudit()
	}
	id, err := tx.ProductIDBySlug(in.Slug)
	if err != nil {
		return err
	}
	if id == "" {
		for _, v := range in.Variants {
			if id, err = tx.ProductIDBySKU(v.SKU); err != nil {
				return err
			} else if id != "" {
				break
			}
		}
	}
	if len(ip.item.Category) > 0 {
		cid, created, err := cats.resolve(tx, s.clock.Now(), ip.item.Category)
		if err != nil {
			return fail(err)
		}
		rep.Categories += created
		in.CategoryID = cid
	}
	now := s.clock.Now()
	var old Product
	exists := id != ""
	if exists {
		if old, err = tx.Product(id); err != nil {
			return err
		}
	}
	p := Product{ID: commerce.NewID(), Version: 1, CreatedAt: now, UpdatedAt: now}
	if exists {
		p = old
	}
	applyProductInput(&p, in, ip.options)
	oldBySKU := make(map[string]Variant, len(old.Variants))
	for _, v := range old.Variants {
		oldBySKU[strings.ToUpper(v.SKU)] = v
	}
	p.Variants = make([]Variant, len(in.Variants))
	for i, vi := range in.Variants {
		prev, had := oldBySKU[strings.ToUpper(vi.SKU)]
		vid := prev.ID
		if !had {
			vid = commerce.NewID()
		}
		v := newVariant(vid, vi)
		v.Stock = prev.Stock // unchanged unless the file gives a quantity
		if vi.Stock != nil {
			v.Stock = *vi.Stock
		}
		p.Variants[i] = v
	}
	if ft, ok := tx.(freshIDsTx); ok {
		ids := make([]string, 0, len(p.Variants)+1)
		if !exists {
			ids = append(ids, p.ID)
		}
		for i, vi := range in.Variants {
			if _, had := oldBySKU[strings.ToUpper(vi.SKU)]; !had {
				ids = append(ids, p.Variants[i].ID)
			}
		}
		ft.FreshIDs(ids...)
	}
	p.Images = buildImages(in.Images, p.Variants)
	for i, im := range p.Images {
		// An image fetched since the last import keeps its media file.
		for _, o := range old.Images {
			if o.Source != "" && o.Source == im.Source && o.ID != "" {
				p.Images[i].ID, p.Images[i].URL = o.ID, o.URL
				break
			}
		}
	}
	keep := ""
	if exists {
		keep = old.Slug
	}
	if err := checkProductRefs(tx, &p, in.Slug, keep); err != nil {
		return fail(err)
	}
	if exists && sameProduct(old, p) {
		rep.Unchanged++
		return nil
	}
	if exists {
		p.Version = old.Version + 1
		p.UpdatedAt = now
	}
	if err := tx.SaveProduct(&p); err != nil {
		return err // possibly half written: the caller rolls the update back
	}
	if exists {
		rep.Updated++
	} else {
		rep.Created++
	}
	return nil
}

// freshIDsTx is a Tx that can be told which product and variant IDs were just made by
// commerce.NewID (so nothing is stored under them) and skip looking them up.
type freshIDsTx interface {
	FreshIDs(ids ...string)
}

// summaryAuditTx is a Tx whose staff writes can be audited with a summary of each product
// (ID, slug, title, status, version, SKUs) rather than the whole product: an import of
// 100,000 products would otherwise store each of them a second time in the audit log.
type summaryAuditTx interface {
	SummaryAudit()
}

// sameProduct reports whether an import leaves a stored product as it is.
func sameProduct(a, b Product) bool {
	a.Version, b.Version = 0, 0
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	a.CategoryPath, b.CategoryPath = nil, nil
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// categoryCache finds categories by their name path inside one update, creating missing ones.
type categoryCache struct {
	byParent map[string]string // parent ID + "\x00" + lower-cased name -> ID
}

func newCategoryCache(tx Tx) (*categoryCache, error) {
	all, err := tx.Categories()
	if err != nil {
		return nil, err
	}
	c := &categoryCache{byParent: make(map[string]string, len(all))}
	SortCategories(all) // the first of two same-named siblings (by position) wins
	for _, cat := range all {
		k := cat.ParentID + "\x00" + strings.ToLower(cat.Name)
		if _, ok := c.byParent[k]; !ok {
			c.byParent[k] = cat.ID
		}
	}
	return c, nil
}

// resolve returns the ID of the category at path (names, root first), creating the missing
// ones with CreateCategory's rules, and how many it created.
func (c *categoryCache) resolve(tx Tx, now time.Time, path []string) (string, int, error) {
	parent, created := "", 0
	for _, name := range path {
		k := parent + "\x00" + strings.ToLower(name)
		if id, ok := c.byParent[k]; ok {
			parent = id
			continue
		}
		in := normalizeCategory(CategoryInput{Name: name})
		if err := validateCategory(in); err != nil {
			return "", created, categoryError(err)
		}
		cat := Category{ID: commerce.NewID(), Name: in.Name, Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := checkParent(tx, &cat, parent); err != nil {
			return "", created, categoryError(err)
		}
		if err := setCategorySlug(tx, &cat, "", ""); err != nil {
			return "", created, categoryError(err)
		}
		if err := tx.SaveCategory(cat); err != nil {
			return "", created, err
		}
		c.byParent[k] = cat.ID
		parent = cat.ID
		created++
	}
	return parent, created, nil
}

// categoryError names the category path as the field of a category problem.
func categoryError(err error) error {
	ce := commerce.AsError(err)
	if ce == nil || ce.Kind == commerce.EInternal {
		return err
	}
	msg := ce.Message
	if len(ce.Fields) > 0 {
		msg = ce.Fields[0].Field + " " + ce.Fields[0].Message
	}
	return commerce.Invalid(commerce.FieldError{Field: "category", Message: strings.TrimPrefix(msg, "catalog: ")})
}
