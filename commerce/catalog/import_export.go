package catalog

import "context"

// ExportProducts calls fn for every product (with its current stock), in ID order, with
// its category's name path (root first), which is what an export file names categories by.
// It reads one consistent snapshot.
func (s *Service) ExportProducts(ctx context.Context, fn func(p Product, category []string) error) error {
	cats, err := s.repo.Categories(ctx)
	if err != nil {
		return err
	}
	byID := make(map[string]Category, len(cats))
	for _, c := range cats {
		byID[c.ID] = c
	}
	paths := map[string][]string{}
	pathOf := func(id string) []string {
		if id == "" {
			return nil
		}
		if p, ok := paths[id]; ok {
			return p
		}
		var names []string
		for cur, n := id, 0; cur != "" && n <= MaxCategoryDepth; n++ {
			c, ok := byID[cur]
			if !ok {
				break
			}
			names = append([]string{c.Name}, names...)
			cur = c.ParentID
		}
		paths[id] = names
		return names
	}
	return s.repo.ScanProducts(ctx, func(p Product) error { return fn(p, pathOf(p.CategoryID)) })
}
