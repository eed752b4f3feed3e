package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/reviews"
)

// Reviews is the Pebble implementation of reviews.Repository.
//
// A review lives at reviews/review/<id>; in the same batch as every review write it keeps:
//   - reviews/by_author/<product ID>/<user ID> → review ID: one review per product and author;
//   - reviews/by_status/<status>/<review ID>: the moderation queues, oldest first;
//   - for APPROVED reviews only, listing rows reviews/by_product/<product ID>/<order>/<sort
//     key> → review ID, one per order (t: the ID, time-ordered; h: helpful count then ID;
//     r: rating then ID), so a product's sorted page is one bounded range scan;
//   - reviews/vote/<review ID>/<user ID>: one helpful mark per user and review;
//   - catalog/rating/<product ID> → reviews.Summary: the product's rating aggregate, apart
//     from the product record (like stock) so a review never moves the product's version
//     or ETag. Every product read fills Product.Ratings and Product.Rating from it
//     (fillRatings); writing it counts as a product write for the product-page cache
//     (readerCacheChanges), so a cached page shows a new rating at once.
type Reviews struct{ db *DB }

// NewReviews returns the review repository on db.
func NewReviews(db *DB) *Reviews { return &Reviews{db: db} }

var _ reviews.Repository = (*Reviews)(nil)

func reviewKey(id string) []byte { return Key(prefixReview, id) }
func reviewByAuthorKey(productID, userID string) []byte {
	return Key(prefixReviewByAuthor, productID, userID)
}
func reviewByStatusKey(status, id string) []byte   { return Key(prefixReviewByStatus, status, id) }
func reviewVoteKey(reviewID, userID string) []byte { return Key(prefixReviewVote, reviewID, userID) }
func ratingKey(productID string) []byte            { return Key(prefixRating, productID) }
func reviewVotesPrefix(reviewID string) []byte     { return Key(prefixReviewVote, reviewID, "") }
func reviewStatusPrefix(status string) []byte      { return Key(prefixReviewByStatus, status, "") }
func reviewListPrefix(productID string, o byte) []byte {
	return append(Key(prefixReviewByProduct, productID, string(o)), '/')
}

// Orders of a product's review listing rows.
const (
	reviewOrderTime    = 't'
	reviewOrderHelpful = 'h'
	reviewOrderRating  = 'r'
)

var reviewOrders = []byte{reviewOrderTime, reviewOrderHelpful, reviewOrderRating}

// reviewListKeys returns the listing row keys of r (none unless it is approved).
func reviewListKeys(r reviews.Review) [][]byte {
	if r.Status != reviews.StatusApproved {
		return nil
	}
	out := make([][]byte, 0, len(reviewOrders))
	for _, o := range reviewOrders {
		k := reviewListPrefix(r.ProductID, o)
		switch o {
		case reviewOrderHelpful:
			k = binary.BigEndian.AppendUint32(k, uint32(min(max(r.HelpfulCount, 0), math.MaxUint32)))
		case reviewOrderRating:
			k = append(k, byte(r.Rating))
		}
		out = append(out, append(k, r.ID...))
	}
	return out
}

// reviewListOrder maps a sort to its rows, direction and cursor code.
func reviewListOrder(sort string) (order byte, reverse bool, code byte, ok bool) {
	switch sort {
	case reviews.SortNewest, "":
		return reviewOrderTime, true, 1, true
	case reviews.SortHelpful:
		return reviewOrderHelpful, true, 2, true
	case reviews.SortRatingHigh:
		return reviewOrderRating, true, 3, true
	case reviews.SortRatingLow:
		return reviewOrderRating, false, 4, true
	}
	return 0, false, 0, false
}

func reviewOf(r getter, id string) (reviews.Review, error) {
	var v reviews.Review
	err := getJSON(r, reviewKey(id), &v)
	if errors.Is(err, ErrNotFound) {
		return v, reviews.ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("store: review %s: %w", id, err)
	}
	return v, nil
}

// Review returns a review by ID.
func (s *Reviews) Review(ctx context.Context, id string) (reviews.Review, error) {
	var v reviews.Review
	err := s.db.View(ctx, func(r *Reader) (err error) { v, err = reviewOf(r, id); return err })
	return v, err
}

// ReviewByAuthor returns a user's review of a product.
func (s *Reviews) ReviewByAuthor(ctx context.Context, productID, userID string) (reviews.Review, error) {
	var v reviews.Review
	err := s.db.View(ctx, func(r *Reader) error {
		id, err := rawOrEmpty(r, reviewByAuthorKey(productID, userID))
		if err != nil {
			return err
		}
		if id == "" {
			return reviews.ErrNotFound
		}
		v, err = reviewOf(r, id)
		return err
	})
	return v, err
}

// ProductReviews returns one page of a product's approved reviews in f.Sort order. The
// cursor is the sort key of the page's last row, so pages stay stable while reviews come
// and go. Ties of helpful and rating_high are newest first; rating_low runs the rating rows
// forwards (lowest first, ties oldest first).
func (s *Reviews) ProductReviews(ctx context.Context, productID string, f reviews.ListFilter) (commerce.List[reviews.Review], error) {
	order, reverse, code, ok := reviewListOrder(f.Sort)
	if !ok {
		return commerce.List[reviews.Review]{}, commerce.Invalid(commerce.FieldError{Field: "sort", Message: "unknown sort order"})
	}
	limit := commerce.Page{Limit: f.Limit}.Normalize().Limit
	prefix := reviewListPrefix(productID, order)
	lower, upper := prefix, PrefixEnd(prefix)
	if f.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || len(raw) < 2 || raw[0] != code {
			return commerce.List[reviews.Review]{}, reviews.ErrInvalidCursor
		}
		at := append(bytes.Clone(prefix), raw[1:]...)
		if reverse {
			upper = at
		} else {
			lower = append(at, 0)
		}
	}
	out := commerce.List[reviews.Review]{Items: []reviews.Review{}}
	err := s.db.View(ctx, func(r *Reader) error {
		scan := r.Scan
		if reverse {
			scan = r.ScanReverse
		}
		var last []byte
		err := scan(lower, upper, func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if len(out.Items) == limit {
				out.NextCursor = base64.RawURLEncoding.EncodeToString(append([]byte{code}, last...))
				return ErrStop
			}
			x, err := reviewOf(r, string(v))
			if err != nil {
				return err
			}
			out.Items = append(out.Items, x)
			last = append(last[:0], k[len(prefix):]...)
			return nil
		})
		return err
	})
	if err != nil {
		return commerce.List[reviews.Review]{}, err
	}
	return out, nil
}

// ReviewsByStatus returns one page of the reviews in a status, oldest first. The cursor is
// the last review ID, base64url.
func (s *Reviews) ReviewsByStatus(ctx context.Context, status string, page commerce.Page) (commerce.List[reviews.Review], error) {
	return pageRows(ctx, s.db, reviewStatusPrefix(status), page, false, reviews.ErrInvalidCursor,
		func(last []byte) bool { return commerce.ValidID(string(last)) },
		func(r *Reader, id, _ []byte) (reviews.Review, bool, error) {
			x, err := reviewOf(r, string(id))
			return x, err == nil, err
		})
}

// Update runs fn as one atomic write.
func (s *Reviews) Update(ctx context.Context, fn func(tx reviews.Tx) error) error {
	return s.db.Update(ctx, func(tx *Tx) error { return fn(reviewTx{tx}) })
}

// ratingOf returns a product's rating summary; ok is false when none is stored.
func ratingOf(r getter, productID string) (s reviews.Summary, ok bool, err error) {
	err = getJSON(r, ratingKey(productID), &s)
	if errors.Is(err, ErrNotFound) {
		return reviews.Summary{}, false, nil
	}
	if err != nil {
		return reviews.Summary{}, false, fmt.Errorf("store: rating of %s: %w", productID, err)
	}
	return s, true, nil
}

// fillRatings sets p.Ratings and p.Rating from the product's rating row. A product without
// one (no review was ever approved) keeps what its record says (an imported rating, say).
func fillRatings(r getter, p *catalog.Product) error {
	s, ok, err := ratingOf(r, p.ID)
	if err != nil || !ok {
		return err
	}
	setRatings(p, s)
	return nil
}

func setRatings(p *catalog.Product, s reviews.Summary) {
	p.Ratings = catalog.RatingSummary{Average: s.Average, Count: s.Count, Histogram: s.Histogram}
	p.Rating = s.Average
}

type reviewTx struct{ tx *Tx }

func (t reviewTx) Review(id string) (reviews.Review, error) { return reviewOf(t.tx, id) }

func (t reviewTx) ReviewIDByAuthor(productID, userID string) (string, error) {
	return rawOrEmpty(t.tx, reviewByAuthorKey(productID, userID))
}

func (t reviewTx) ProductVisible(productID string) (bool, error) {
	var p catalog.Product
	err := getJSON(t.tx, productKey(productID), &p)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: product %s: %w", productID, err)
	}
	return p.Status == catalog.StatusActive, nil
}

// Purchased scans the user's orders (orders/by_user) for a non-cancelled one with a line of
// the product.
func (t reviewTx) Purchased(userID, productID string) (bool, error) {
	prefix := Key(prefixOrderByUser, userID, "")
	found := false
	err := t.tx.ScanReverse(prefix, PrefixEnd(prefix), func(k, _ []byte) error {
		o, err := orderOf(t.tx, string(k[len(prefix):]))
		if err != nil {
			return err
		}
		if o.Status == orders.StatusCancelled {
			return nil
		}
		for _, l := range o.Lines {
			if l.ProductID == productID {
				found = true
				return ErrStop
			}
		}
		return nil
	})
	return found, err
}

func (t reviewTx) AccountName(userID string) (string, error) {
	var u auth.User
	if err := readUser(t.tx, userID, &u); errors.Is(err, auth.ErrUserNotFound) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	return u.Name, nil
}

func (t reviewTx) Summary(productID string) (reviews.Summary, error) {
	s, _, err := ratingOf(t.tx, productID)
	return s, err
}

func (t reviewTx) SaveSummary(productID string, s reviews.Summary) error {
	return putJSON(t.tx, ratingKey(productID), s)
}

func (t reviewTx) SaveReview(r reviews.Review, prev *reviews.Review) error {
	if prev == nil {
		t.tx.Set(reviewByAuthorKey(r.ProductID, r.UserID), []byte(r.ID))
	} else {
		if prev.Status != r.Status {
			t.tx.Delete(reviewByStatusKey(prev.Status, r.ID))
		}
		for _, k := range reviewListKeys(*prev) {
			t.tx.Delete(k)
		}
	}
	t.tx.Set(reviewByStatusKey(r.Status, r.ID), nil)
	for _, k := range reviewListKeys(r) {
		t.tx.Set(k, []byte(r.ID))
	}
	return putJSON(t.tx, reviewKey(r.ID), r)
}

func (t reviewTx) DeleteReview(r reviews.Review) error {
	if owner, err := t.tx.Get(reviewByAuthorKey(r.ProductID, r.UserID)); err == nil && string(owner) == r.ID {
		t.tx.Delete(reviewByAuthorKey(r.ProductID, r.UserID))
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	t.tx.Delete(reviewByStatusKey(r.Status, r.ID))
	for _, k := range reviewListKeys(r) {
		t.tx.Delete(k)
	}
	votes, err := keysWithPrefix(t.tx, reviewVotesPrefix(r.ID))
	if err != nil {
		return err
	}
	for _, k := range votes {
		t.tx.Delete(k)
	}
	t.tx.Delete(reviewKey(r.ID))
	return nil
}

func (t reviewTx) Voted(reviewID, userID string) (bool, error) {
	_, err := t.tx.Get(reviewVoteKey(reviewID, userID))
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (t reviewTx) SetVote(reviewID, userID string, on bool) error {
	if on {
		t.tx.Set(reviewVoteKey(reviewID, userID), nil)
	} else {
		t.tx.Delete(reviewVoteKey(reviewID, userID))
	}
	return nil
}

func (t reviewTx) Emit(ev commerce.Event) { t.tx.Emit(ev) }
