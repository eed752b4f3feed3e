package catalog

// Service runs the catalog use cases: products, variants and categories.
type Service struct{}
