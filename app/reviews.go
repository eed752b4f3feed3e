package app

import (
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/reviews"
	"github.com/ultramarket/ultramarket/store"
)

// openReviews sets up the review service on the store. Its events (reviews.approved,
// rejected, updated and deleted carry the product's new ratings when they moved) reach the
// search index through the index consumer, which re-reads the product.
func (a *App) openReviews() {
	a.Reviews = reviews.NewService(store.NewReviews(a.DB), commerce.SystemClock{})
}
