// Package catalog owns products and their variants: the product model and the events a
// catalog change emits. Storage and search are adapters that implement the interfaces
// declared here.
package catalog

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Product statuses.
const (
	StatusDraft    = "draft"
	StatusActive   = "active"
	StatusArchived = "archived"
)

// Event types emitted by catalog changes. Data of product events is the Product as JSON;
// for ProductDeleted it is {"id": ...}.
const (
	EventProductCreated = "catalog.product_created"
	EventProductUpdated = "catalog.product_updated"
	EventProductDeleted = "catalog.product_deleted"

	// Category events carry the Category as JSON; CategoryDeleted carries {"id": ...}.
	EventCategoryCreated = "catalog.category_created"
	EventCategoryUpdated = "catalog.category_updated"
	EventCategoryDeleted = "catalog.category_deleted"
)

// Category is a node of the category tree. ParentID is empty for a top-level category.
type Category struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	ParentID    string    `json:"parent_id,omitempty"`
	Position    int       `json:"position"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Image is a picture of a product, served by the media store.
type Image struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	Position int    `json:"position"`
	Alt      string `json:"alt,omitempty"`
}

// Product is a sellable item with one or more variants.
type Product struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Brand       string    `json:"brand,omitempty"`
	Vendor      string    `json:"vendor,omitempty"`
	CategoryID  string    `json:"category_id,omitempty"`
	Tags        []string  `json:"tags,omitempty"`
	Status      string    `json:"status"`
	Variants    []Variant `json:"variants"`
	Images      []Image   `json:"images"`
	Rating      float64   `json:"rating,omitempty"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Variant is one purchasable combination of a product's options. Stock is the number of
// units available now; the store keeps it apart from the product record (checkout changes
// it without rewriting the product) and fills it in on every read.
type Variant struct {
	ID      string            `json:"id"`
	SKU     string            `json:"sku"`
	Price   commerce.Money    `json:"price"`
	Stock   int64             `json:"stock"`
	Options map[string]string `json:"options,omitempty"`
}

// MinPrice returns the lowest variant price, or a zero Money when there are no variants.
func (p Product) MinPrice() commerce.Money {
	var m commerce.Money
	for i, v := range p.Variants {
		if i == 0 || v.Price.Amount < m.Amount {
			m = v.Price
		}
	}
	return m
}

// InStock reports whether any variant has units available.
func (p Product) InStock() bool {
	for _, v := range p.Variants {
		if v.Stock > 0 {
			return true
		}
	}
	return false
}

// VariantRef is what a cart or checkout needs to know about one variant: the variant (with
// its current stock and price) and the product it belongs to.
type VariantRef struct {
	ProductID     string  `json:"product_id"`
	ProductSlug   string  `json:"product_slug"`
	ProductTitle  string  `json:"product_title"`
	ProductStatus string  `json:"product_status"`
	Variant       Variant `json:"variant"`
}

// Errors of the catalog.
var (
	ErrProductNotFound  = &commerce.Error{Kind: commerce.ENotFound, Code: "product_not_found", Message: "catalog: product not found"}
	ErrVariantNotFound  = &commerce.Error{Kind: commerce.ENotFound, Code: "variant_not_found", Message: "catalog: variant not found"}
	ErrCategoryNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "category_not_found", Message: "catalog: category not found"}
)

// Repository stores products. The store adapter implements it.
type Repository interface {
	Product(ctx context.Context, id string) (Product, error)
	// ScanProducts calls fn for every product in ID order until fn returns an error.
	ScanProducts(ctx context.Context, fn func(Product) error) error
}
