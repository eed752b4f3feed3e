package index

import (
	"context"
	"fmt"
)

// listCategoryNames returns the category names of src by ID, or nil when src cannot list them.
func listCategoryNames(ctx context.Context, src any) (map[string]string, error) {
	cl, ok := src.(CategoryLister)
	if !ok {
		return nil, nil
	}
	cats, err := cl.Categories(ctx)
	if err != nil {
		return nil, fmt.Errorf("index: list categories: %w", err)
	}
	m := make(map[string]string, len(cats))
	for _, c := range cats {
		m[c.ID] = c.Name
	}
	return m, nil
}

// loadCategoryNames reads the category names from the source and puts them in force; it
// returns the previous names.
func (ix *Index) loadCategoryNames(ctx context.Context) (map[string]string, error) {
	m, err := listCategoryNames(ctx, ix.src)
	if err != nil {
		return nil, err
	}
	old := ix.categoryNames()
	ix.catNames.Store(&m)
	ix.suggest.setNames(m)
	return old, nil
}

// categoryNames returns the category names in force (nil when unknown).
func (ix *Index) categoryNames() map[string]string {
	if p := ix.catNames.Load(); p != nil {
		return *p
	}
	return nil
}

// namerOf returns a CategoryNamer reading m, or nil.
func namerOf(m map[string]string) CategoryNamer {
	if m == nil {
		return nil
	}
	return func(id string) string { return m[id] }
}
