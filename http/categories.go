package http

import (
	"errors"
	stdhttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// categoryList is every category (or the children of one), flat, each naming its parent.
type categoryList struct {
	Items      []catalog.Category `json:"items"`
	NextCursor string             `json:"next_cursor"`
}

func (s *Server) categoryRoutes() {
	s.handle(Route{Method: "POST", Path: "/api/v1/categories", Tag: "catalog", Summary: "Create a category",
		Description: "parent_id (an ID or slug) places it in the tree, at most 8 levels deep; the slug is generated from the name unless given.",
		Perm:        auth.PermCatalogWrite, Request: catalog.CategoryInput{}, Response: catalog.Category{}, Status: stdhttp.StatusCreated,
		Errors:  []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusConflict},
		Handler: s.createCategory})
	s.handle(Route{Method: "GET", Path: "/api/v1/categories", Tag: "catalog", Summary: "Every category, flat, in tree order",
		Description: "Depth first: each category is followed by its sub-categories; siblings are ordered by position, then name. " +
			"With parent_id: only that category's children, in the same sibling order.",
		OptionalAuth: true, Response: categoryList{},
		Query:   []Param{{Name: "parent_id", Type: "string", Description: "only the children of this category (ID or slug); empty: only top-level categories"}},
		Errors:  []int{stdhttp.StatusNotFound},
		Handler: s.listCategories})
	s.handle(Route{Method: "GET", Path: "/api/v1/categories/:id", Tag: "catalog", Summary: "A category by ID or slug",
		Description: "A slug the category had before a slug change answers 301 Moved Permanently with Location " +
			"/api/v1/categories/<current slug> and X-Category-ID.",
		OptionalAuth: true, Response: catalog.Category{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: s.getCategory})
	s.handle(Route{Method: "PUT", Path: "/api/v1/categories/:id", Tag: "catalog", Summary: "Replace a category (name, description, parent, position; slug when given)",
		Description: "Moving a category moves its products and sub-categories with it; a move under its own sub-category is refused.",
		Perm:        auth.PermCatalogWrite, Request: catalog.CategoryInput{}, Response: catalog.Category{},
		Errors:  []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed},
		Handler: s.updateCategory})
	s.handle(Route{Method: "POST", Path: "/api/v1/categories/:id/move", Tag: "catalog", Summary: "Move a category in the tree and/or reorder it among its siblings",
		Description: "parent_id (ID or slug; \"\" = top level; absent = keep the parent) and position (0 = first; absent or past the end = last). " +
			"Its sub-categories move with it and the products under it get their new category path, in the same write; a move under itself or " +
			"one of its sub-categories, or past 8 levels, is 422. The siblings are renumbered 0..n-1. If-Match with the category's ETag guards against lost updates.",
		Perm: auth.PermCatalogWrite, Request: catalog.CategoryMove{}, Response: catalog.Category{},
		Errors:  []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound, stdhttp.StatusPreconditionFailed},
		Handler: s.moveCategory})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/categories/:id", Tag: "catalog", Summary: "Delete an empty category",
		Description: "A category with sub-categories or products is refused with 409 category_not_empty.",
		Perm:        auth.PermCatalogWrite, Status: stdhttp.StatusNoContent,
		Errors:  []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed},
		Handler: s.deleteCategory})
}

func (s *Server) createCategory(c echo.Context) error {
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	var in catalog.CategoryInput
	if err := bind(c, &in); err != nil {
		return err
	}
	cat, err := s.deps.Catalog.CreateCategory(c.Request().Context(), in)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("ETag", etag(cat.Version))
	h.Set(echo.HeaderLocation, "/api/v1/categories/"+cat.ID)
	return c.JSON(stdhttp.StatusCreated, cat)
}

func (s *Server) listCategories(c echo.Context) error {
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	var parent *string
	if c.QueryParams().Has("parent_id") {
		p := c.QueryParam("parent_id")
		parent = &p
	}
	cs, err := s.deps.Catalog.Categories(c.Request().Context(), parent)
	if err != nil {
		return err
	}
	return c.JSON(stdhttp.StatusOK, categoryList{Items: cs})
}

func (s *Server) getCategory(c echo.Context) error {
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	ctx, ref := c.Request().Context(), c.Param("id")
	cat, err := s.deps.Catalog.Category(ctx, ref)
	if errors.Is(err, catalog.ErrCategoryNotFound) {
		if r, rerr := s.deps.Catalog.CategoryRedirect(ctx, ref); rerr == nil {
			return redirectTo(c, "/api/v1/categories/"+r.Slug, "X-Category-ID", r.ID)
		}
	}
	if err != nil {
		return err
	}
	setETag(c, cat.Version)
	return c.JSON(stdhttp.StatusOK, cat)
}

func (s *Server) updateCategory(c echo.Context) error {
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	version, err := ifMatchVersion(c)
	if err != nil {
		return err
	}
	var in catalog.CategoryInput
	if err := bind(c, &in); err != nil {
		return err
	}
	cat, err := s.deps.Catalog.UpdateCategory(c.Request().Context(), c.Param("id"), in, version)
	if err != nil {
		return err
	}
	setETag(c, cat.Version)
	return c.JSON(stdhttp.StatusOK, cat)
}

func (s *Server) deleteCategory(c echo.Context) error {
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	version, err := ifMatchVersion(c)
	if err != nil {
		return err
	}
	if err := s.deps.Catalog.DeleteCategory(c.Request().Context(), c.Param("id"), version); err != nil {
		return err
	}
	return c.NoContent(stdhttp.StatusNoContent)
}

func (s *Server) moveCategory(c echo.Context) error {
	if s.deps.Catalog == nil {
		return errNoCatalog
	}
	version, err := ifMatchVersion(c)
	if err != nil {
		return err
	}
	var in catalog.CategoryMove
	if err := bind(c, &in); err != nil {
		return err
	}
	cat, err := s.deps.Catalog.MoveCategory(c.Request().Context(), c.Param("id"), in, version)
	if err != nil {
		return err
	}
	setETag(c, cat.Version)
	return c.JSON(stdhttp.StatusOK, cat)
}
