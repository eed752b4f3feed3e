package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// Category returns a category by ID or slug.
func (s *Service) Category(ctx context.Context, ref string) (Category, error) {
	if commerce.ValidID(ref) {
		c, err := s.repo.Category(ctx, ref)
		if !errors.Is(err, ErrCategoryNotFound) {
			return c, err
		}
	}
	return s.repo.CategoryBySlug(ctx, ref)
}

// Categories returns the categories ordered by position, then name, then ID. parent, when not
// nil, keeps only the children of that category (an ID or slug; "" means top-level ones).
func (s *Service) Categories(ctx context.Context, parent *string) ([]Category, error) {
	all, err := s.repo.Categories(ctx)
	if err != nil {
		return nil, err
	}
	if parent != nil {
		pid := ""
		if *parent != "" {
			p, err := s.Category(ctx, *parent)
			if err != nil {
				return nil, err
			}
			pid = p.ID
		}
		kept := all[:0]
		for _, c := range all {
			if c.ParentID == pid {
				kept = append(kept, c)
			}
		}
		all = kept
	}
	if parent == nil {
		return TreeOrder(all), nil
	}
	SortCategories(all)
	return all, nil
}

// TreeOrder returns the categories depth first: each category followed by its
// sub-categories, siblings ordered by position, then name, then ID. A category whose parent
// is missing is placed as a top-level one.
func TreeOrder(cs []Category) []Category {
	SortCategories(cs)
	byID := make(map[string]bool, len(cs))
	for _, c := range cs {
		byID[c.ID] = true
	}
	children := map[string][]Category{}
	for _, c := range cs {
		parent := c.ParentID
		if !byID[parent] {
			parent = ""
		}
		children[parent] = append(children[parent], c)
	}
	out := make([]Category, 0, len(cs))
	seen := make(map[string]bool, len(cs))
	var walk func(id string)
	walk = func(id string) {
		for _, c := range children[id] {
			if seen[c.ID] {
				continue // a loop in a damaged tree
			}
			seen[c.ID] = true
			out = append(out, c)
			walk(c.ID)
		}
	}
	walk("")
	return out
}

// CategoryMove places a category in the tree.
type CategoryMove struct {
	// ParentID is the new parent (an ID or slug); "" moves the category to the top level;
	// absent (nil) keeps its parent: a reorder among its siblings.
	ParentID *string `json:"parent_id,omitempty"`
	// Position is the place among the new siblings, 0 first; absent or past the end: last.
	Position *int `json:"position,omitempty"`
}

// MoveCategory moves the category ref (ID or slug) under another parent and/or to another
// place among its siblings, in one atomic write. Moving it under itself or one of its
// sub-categories, or deeper than MaxCategoryDepth, is refused. Its sub-categories move with
// it; the products filed under it get their new category path. The siblings are numbered
// 0..n-1 in their new order (the ones whose position changes are saved, with their
// events). ifMatch, when not nil, must equal the moved category's version.
func (s *Service) MoveCategory(ctx context.Context, ref string, m CategoryMove, ifMatch *int64) (Category, error) {
	if m.Position != nil && (*m.Position < 0 || *m.Position > MaxCategoryPosition) {
		return Category{}, commerce.Invalid(commerce.FieldError{Field: "position", Message: fmt.Sprintf("must be between 0 and %d", MaxCategoryPosition)})
	}
	var c Category
	err := s.repo.Update(ctx, func(tx Tx) error {
		old, err := categoryByRef(tx, ref)
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != old.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": old.Version})
		}
		c = old
		parent := old.ParentID
		if m.ParentID != nil {
			parent = strings.TrimSpace(*m.ParentID)
		}
		if err := checkParent(tx, &c, parent); err != nil {
			return err
		}
		all, err := tx.Categories()
		if err != nil {
			return err
		}
		var siblings []Category
		for _, o := range all {
			if o.ParentID == c.ParentID && o.ID != c.ID {
				siblings = append(siblings, o)
			}
		}
		SortCategories(siblings)
		at := len(siblings)
		if m.Position != nil && *m.Position < at {
			at = *m.Position
		}
		order := slices.Insert(siblings, at, c)
		now := s.clock.Now()
		for i, o := range order {
			if o.ID == c.ID {
				c.Position, c.Version, c.UpdatedAt = i, old.Version+1, now
				o = c
			} else if o.Position != i {
				o.Position, o.Version, o.UpdatedAt = i, o.Version+1, now
			} else {
				continue
			}
			if err := tx.SaveCategory(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Category{}, err
	}
	return c, nil
}

// SortCategories orders categories by position, then name, then ID.
func SortCategories(cs []Category) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Position != b.Position {
			return a.Position < b.Position
		}
		if an, bn := strings.ToLower(a.Name), strings.ToLower(b.Name); an != bn {
			return an < bn
		}
		return a.ID < b.ID
	})
}

// CreateCategory validates in and stores a new category.
func (s *Service) CreateCategory(ctx context.Context, in CategoryInput) (Category, error) {
	in = normalizeCategory(in)
	if err := validateCategory(in); err != nil {
		return Category{}, err
	}
	now := s.clock.Now()
	c := Category{ID: commerce.NewID(), Name: in.Name, Description: in.Description, Position: in.Position,
		Version: 1, CreatedAt: now, UpdatedAt: now}
	err := s.repo.Update(ctx, func(tx Tx) error {
		if err := checkParent(tx, &c, in.ParentID); err != nil {
			return err
		}
		if err := setCategorySlug(tx, &c, in.Slug, ""); err != nil {
			return err
		}
		return tx.SaveCategory(c)
	})
	if err != nil {
		return Category{}, err
	}
	return c, nil
}

// UpdateCategory replaces the category ref (ID or slug): name, description, parent and
// position; the slug only when in.Slug is set. Moving it under one of its own descendants,
// or deeper than MaxCategoryDepth, is refused.
func (s *Service) UpdateCategory(ctx context.Context, ref string, in CategoryInput, ifMatch *int64) (Category, error) {
	in = normalizeCategory(in)
	if err := validateCategory(in); err != nil {
		return Category{}, err
	}
	var c Category
	err := s.repo.Update(ctx, func(tx Tx) error {
		old, err := categoryByRef(tx, ref)
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != old.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": old.Version})
		}
		c = old
		c.Name, c.Description, c.Position = in.Name, in.Description, in.Position
		if err := checkParent(tx, &c, in.ParentID); err != nil {
			return err
		}
		if err := setCategorySlug(tx, &c, in.Slug, old.Slug); err != nil {
			return err
		}
		c.Version = old.Version + 1
		c.UpdatedAt = s.clock.Now()
		return tx.SaveCategory(c)
	})
	if err != nil {
		return Category{}, err
	}
	return c, nil
}

// DeleteCategory removes the category ref (ID or slug). A category with sub-categories or
// products is kept: ErrCategoryNotEmpty.
func (s *Service) DeleteCategory(ctx context.Context, ref string, ifMatch *int64) error {
	return s.repo.Update(ctx, func(tx Tx) error {
		c, err := categoryByRef(tx, ref)
		if err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != c.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": c.Version})
		}
		all, err := tx.Categories()
		if err != nil {
			return err
		}
		children := 0
		for _, o := range all {
			if o.ParentID == c.ID {
				children++
			}
		}
		if children > 0 {
			return ErrCategoryNotEmpty.WithDetails(map[string]any{"children": children})
		}
		if has, err := tx.CategoryHasProducts(c.ID); err != nil {
			return err
		} else if has {
			return ErrCategoryNotEmpty.WithDetails(map[string]any{"products": true})
		}
		return tx.DeleteCategory(c.ID)
	})
}

func categoryByRef(tx Tx, ref string) (Category, error) {
	if commerce.ValidID(ref) {
		c, err := tx.Category(ref)
		if !errors.Is(err, ErrCategoryNotFound) {
			return c, err
		}
	}
	id, err := tx.CategoryIDBySlug(ref)
	if err != nil {
		return Category{}, err
	}
	if id == "" {
		return Category{}, ErrCategoryNotFound
	}
	return tx.Category(id)
}

// checkParent sets c.ParentID to parent (an ID or slug) after checking that it exists, is
// not c or one of its descendants, and leaves the tree at most MaxCategoryDepth deep.
func checkParent(tx Tx, c *Category, parent string) error {
	if parent == "" {
		c.ParentID = ""
		return checkDepth(tx, c, 0)
	}
	p, err := categoryByRef(tx, parent)
	if errors.Is(err, ErrCategoryNotFound) {
		return commerce.Invalid(commerce.FieldError{Field: "parent_id", Message: "no such category"})
	} else if err != nil {
		return err
	}
	// Walk up from the new parent: meeting c means c would become its own ancestor.
	depth := 0
	for cur := p; ; {
		depth++
		if cur.ID == c.ID {
			return commerce.Invalid(commerce.FieldError{Field: "parent_id", Message: "cannot be the category itself or one of its sub-categories"})
		}
		if cur.ParentID == "" || depth > MaxCategoryDepth {
			break
		}
		if cur, err = tx.Category(cur.ParentID); err != nil {
			return fmt.Errorf("catalog: ancestor of category %s: %w", p.ID, err)
		}
	}
	c.ParentID = p.ID
	return checkDepth(tx, c, depth)
}

// checkDepth checks that c, placed under parents of depth levels, keeps its deepest
// descendant within MaxCategoryDepth.
func checkDepth(tx Tx, c *Category, depth int) error {
	height := 1
	if depth > 0 { // under a parent: measure the subtree that moves with c (none for a new one)
		all, err := tx.Categories()
		if err != nil {
			return err
		}
		height = subtreeHeight(c.ID, all)
	}
	if depth+height > MaxCategoryDepth {
		return commerce.Invalid(commerce.FieldError{Field: "parent_id", Message: fmt.Sprintf("the category tree may be at most %d levels deep", MaxCategoryDepth)})
	}
	return nil
}

// subtreeHeight is the number of levels of the subtree rooted at id (1 for a leaf).
func subtreeHeight(id string, all []Category) int {
	children := map[string][]string{}
	for _, c := range all {
		if c.ParentID != "" {
			children[c.ParentID] = append(children[c.ParentID], c.ID)
		}
	}
	var height func(id string, level int) int
	height = func(id string, level int) int {
		h := 1
		if level > MaxCategoryDepth+1 {
			return h // a damaged tree with a loop: enough to refuse
		}
		for _, ch := range children[id] {
			h = max(h, 1+height(ch, level+1))
		}
		return h
	}
	return height(id, 1)
}

func setCategorySlug(tx Tx, c *Category, slug, keep string) error {
	switch {
	case slug != "" && slug != keep:
		owner, err := tx.CategoryIDBySlug(slug)
		if err != nil {
			return err
		}
		if (owner != "" && owner != c.ID) || reservedSlugs[slug] {
			return ErrSlugTaken.WithDetails(map[string]any{"slug": slug})
		}
		c.Slug = slug
	case keep != "":
		c.Slug = keep
	default:
		free, err := freeSlug(Slugify(c.Name), "category", tx.CategoryIDBySlug)
		if err != nil {
			return err
		}
		c.Slug = free
	}
	return nil
}

func normalizeCategory(in CategoryInput) CategoryInput {
	in.Name = strings.TrimSpace(in.Name)
	in.Slug = strings.TrimSpace(in.Slug)
	in.ParentID = strings.TrimSpace(in.ParentID)
	return in
}

func validateCategory(in CategoryInput) error {
	var v commerce.Validator
	v.Text("name", in.Name, MaxCategoryNameLen, true)
	v.Text("description", in.Description, MaxCategoryDescLen, false)
	if in.Slug != "" {
		v.Check(ValidSlug(in.Slug), "slug", fmt.Sprintf("must be 1-%d characters a-z, 0-9 and single hyphens inside", MaxSlugLen))
	}
	v.Check(in.Position >= 0 && in.Position <= MaxCategoryPosition, "position", fmt.Sprintf("must be between 0 and %d", MaxCategoryPosition))
	return v.Err()
}
