// Package reviews owns product reviews: the model (one review per product per customer, a
// verified-purchase flag, the moderation status PENDING → APPROVED / REJECTED), helpful
// votes, the rating aggregate of a product's approved reviews (Summary), the events a review
// change emits, and the use cases with their rules (Service). Storage is an adapter that
// implements Repository and keeps each product's Summary in the same atomic write as the
// review change that moves it.
package reviews

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ultramarket/ultramarket/commerce"
)

// Statuses of a review. Only APPROVED reviews are shown to shoppers and counted in the
// product's rating.
const (
	StatusPending  = "PENDING"
	StatusApproved = "APPROVED"
	StatusRejected = "REJECTED"
)

// Statuses lists every status.
var Statuses = []string{StatusPending, StatusApproved, StatusRejected}

// ValidStatus reports whether s is a status.
func ValidStatus(s string) bool {
	return s == StatusPending || s == StatusApproved || s == StatusRejected
}

// moderation lists the statuses a moderator may move a review to from each status. An
// approved review may be taken down (REJECTED) and a rejected one approved after all; an
// author's edit moves any review back to PENDING (see Service.Edit).
var moderation = map[string][]string{
	StatusPending:  {StatusApproved, StatusRejected},
	StatusApproved: {StatusRejected},
	StatusRejected: {StatusApproved},
}

// CanModerate reports whether a moderator may move a review from one status to another.
func CanModerate(from, to string) bool {
	for _, s := range moderation[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Event types. Every event's Data is EventData; its Aggregate is the review ID.
const (
	EventCreated  = "reviews.created"
	EventUpdated  = "reviews.updated" // the author edited the review (it is PENDING again)
	EventApproved = "reviews.approved"
	EventRejected = "reviews.rejected"
	EventDeleted  = "reviews.deleted"
	EventVoted    = "reviews.voted" // a helpful vote was cast or withdrawn (Helpful says which)
)

// EventData is the data of every review event. Ratings is the product's new rating summary
// when the change moved it (then the product's rating, as readers see it, changed: the
// search index re-reads the product), nil otherwise.
type EventData struct {
	ReviewID         string   `json:"review_id"`
	ProductID        string   `json:"product_id"`
	UserID           string   `json:"user_id"`
	Rating           int      `json:"rating"`
	Status           string   `json:"status"`
	VerifiedPurchase bool     `json:"verified_purchase"`
	Reason           string   `json:"reason,omitempty"` // of a rejection
	HelpfulCount     int      `json:"helpful_count"`
	Helpful          *bool    `json:"helpful,omitempty"` // voted: true cast, false withdrawn
	Ratings          *Summary `json:"ratings,omitempty"`
}

// Limits of review input.
const (
	MinRating    = 1
	MaxRating    = 5
	MaxTitleLen  = 120   // characters
	MaxBodyLen   = 5_000 // characters
	MaxReasonLen = 500   // characters
)

// Review is one customer's review of one product.
type Review struct {
	ID        string `json:"id"`
	ProductID string `json:"product_id"`
	UserID    string `json:"user_id"`
	// AuthorName is what shoppers see of the author: first name and last initial, taken
	// from the account's name when the review is written or edited (never the e-mail).
	AuthorName       string    `json:"author_name"`
	Rating           int       `json:"rating"`
	Title            string    `json:"title,omitempty"`
	Body             string    `json:"body,omitempty"`
	Status           string    `json:"status"`
	RejectionReason  string    `json:"rejection_reason,omitempty"`
	VerifiedPurchase bool      `json:"verified_purchase"` // the author had a non-cancelled order with the product when writing
	HelpfulCount     int       `json:"helpful_count"`
	ModeratedBy      string    `json:"moderated_by,omitempty"` // actor of the last approval or rejection
	ModeratedAt      time.Time `json:"moderated_at,omitzero"`
	Version          int64     `json:"version"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// Input is what an author sends to write or edit a review.
type Input struct {
	Rating int    `json:"rating"` // 1..5 stars
	Title  string `json:"title,omitempty"`
	Body   string `json:"body,omitempty"`
}

// normalize trims the text fields.
func (in Input) normalize() Input {
	in.Title = strings.TrimSpace(in.Title)
	in.Body = strings.TrimSpace(in.Body)
	return in
}

// Validate checks a review input and reports every bad field.
func (in Input) Validate() error {
	var v commerce.Validator
	v.Check(in.Rating >= MinRating && in.Rating <= MaxRating, "rating", "must be 1 to 5")
	v.Text("title", in.Title, MaxTitleLen, false)
	v.Text("body", in.Body, MaxBodyLen, false)
	return v.Err()
}

// DisplayName is how a review shows its author: the first word of the account's name and
// the initial of the last one ("Ann Marie Lee" → "Ann L."), or "Customer" when the account
// has no name. It never shows more of the account.
func DisplayName(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	switch len(words) {
	case 0:
		return "Customer"
	case 1:
		return truncate(words[0], 40)
	}
	last, _ := utf8.DecodeRuneInString(words[len(words)-1])
	return truncate(words[0], 40) + " " + string(unicode.ToUpper(last)) + "."
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Summary aggregates the approved reviews of one product. Average is the mean rating
// rounded half up to 2 decimals, computed from the integer histogram (so adding and
// removing reviews never accumulates float error); 0 without reviews.
type Summary struct {
	Average   float64 `json:"average"`
	Count     int     `json:"count"`
	Histogram [5]int  `json:"histogram"` // approved reviews with 1..5 stars
}

// Add counts an approved review of rating stars.
func (s *Summary) Add(rating int) {
	if rating >= MinRating && rating <= MaxRating {
		s.Histogram[rating-1]++
	}
	s.recount()
}

// Remove uncounts an approved review of rating stars (never below zero).
func (s *Summary) Remove(rating int) {
	if rating >= MinRating && rating <= MaxRating && s.Histogram[rating-1] > 0 {
		s.Histogram[rating-1]--
	}
	s.recount()
}

// Move applies a review's change from prev to next (either nil when the review did not or
// no longer exists) and reports whether the summary changed: an approved review counts,
// any other does not.
func (s *Summary) Move(prev, next *Review) bool {
	before := *s
	if prev != nil && prev.Status == StatusApproved {
		s.Remove(prev.Rating)
	}
	if next != nil && next.Status == StatusApproved {
		s.Add(next.Rating)
	}
	return *s != before
}

func (s *Summary) recount() {
	count, total := 0, 0
	for i, n := range s.Histogram {
		count += n
		total += (i + 1) * n
	}
	s.Count = count
	if count == 0 {
		s.Average = 0
		return
	}
	// round(total/count, 2) half up, in integers: hundredths = (200·total + count) / (2·count).
	hundredths := (200*total + count) / (2 * count)
	s.Average = float64(hundredths) / 100
}

// Sort orders of a product's reviews.
const (
	SortNewest     = "newest" // the default
	SortHelpful    = "helpful"
	SortRatingHigh = "rating_high"
	SortRatingLow  = "rating_low"
)

// Sorts lists every sort order.
var Sorts = []string{SortNewest, SortHelpful, SortRatingHigh, SortRatingLow}

// ListFilter asks for one page of a product's approved reviews.
type ListFilter struct {
	Sort   string // one of Sorts; "" means SortNewest
	Limit  int
	Cursor string
}

// Viewer is who reads or acts on reviews: a user ("" when anonymous) and whether they
// moderate reviews (staff).
type Viewer struct {
	UserID    string
	Moderator bool
}

// CanSee reports whether v may see review r: approved reviews are public; others only their
// author and moderators see.
func (v Viewer) CanSee(r Review) bool {
	return r.Status == StatusApproved || v.Moderator || (v.UserID != "" && v.UserID == r.UserID)
}

// Errors of reviews.
var (
	ErrNotFound        = &commerce.Error{Kind: commerce.ENotFound, Code: "review_not_found", Message: "reviews: review not found"}
	ErrProductNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "product_not_found", Message: "reviews: product not found"}
	ErrExists          = &commerce.Error{Kind: commerce.EConflict, Code: "review_exists", Message: "reviews: you have already reviewed this product; edit your review instead"}
	ErrTransition      = &commerce.Error{Kind: commerce.EConflict, Code: "invalid_transition", Message: "reviews: the review cannot move to that status"}
	ErrOwnReview       = &commerce.Error{Kind: commerce.EForbidden, Code: "own_review", Message: "reviews: you cannot vote on your own review"}
	ErrVersionMismatch = &commerce.Error{Kind: commerce.EPrecondition, Code: "version_mismatch", Message: "reviews: the stored version differs from If-Match"}
	ErrInvalidCursor   = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_cursor", Message: "reviews: the cursor is not one this list returned"}
	ErrUnauthenticated = &commerce.Error{Kind: commerce.EUnauthorized, Code: "authentication_required", Message: "reviews: sign in to write or vote"}
)

// Repository stores reviews. Reads see a consistent snapshot; Update runs a use case's
// reads and writes as one atomic, serialized write.
type Repository interface {
	// Review returns a review by ID, or ErrNotFound.
	Review(ctx context.Context, id string) (Review, error)
	// ReviewByAuthor returns userID's review of productID, or ErrNotFound.
	ReviewByAuthor(ctx context.Context, productID, userID string) (Review, error)
	// ProductReviews returns one page of a product's APPROVED reviews in f.Sort order;
	// ErrInvalidCursor for a cursor it did not make for f.Sort.
	ProductReviews(ctx context.Context, productID string, f ListFilter) (commerce.List[Review], error)
	// ReviewsByStatus returns one page of the reviews in a status, oldest first (a queue).
	ReviewsByStatus(ctx context.Context, status string, page commerce.Page) (commerce.List[Review], error)
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is one atomic review change. Reads see every write committed before it and its own.
type Tx interface {
	Review(id string) (Review, error) // or ErrNotFound
	// ReviewIDByAuthor returns userID's review of productID, "" when there is none.
	ReviewIDByAuthor(productID, userID string) (string, error)
	// ProductVisible reports whether the product exists and is shown to shoppers (active).
	ProductVisible(productID string) (bool, error)
	// Purchased reports whether userID has a non-cancelled order with a line of productID.
	Purchased(userID, productID string) (bool, error)
	// AccountName returns the name on userID's account ("" when it has none).
	AccountName(userID string) (string, error)
	// Summary returns the product's rating summary (zero when none is stored).
	Summary(productID string) (Summary, error)
	// SaveSummary writes the product's rating summary; readers of the product see it at once.
	SaveSummary(productID string, s Summary) error
	// SaveReview writes r (created or replaced) with its index rows; prev is the stored
	// version it replaces, nil for a new review.
	SaveReview(r Review, prev *Review) error
	// DeleteReview removes a review with its index rows and helpful votes.
	DeleteReview(r Review) error
	// Voted reports whether userID marked the review helpful; SetVote records or removes it.
	Voted(reviewID, userID string) (bool, error)
	SetVote(reviewID, userID string, on bool) error
	Emit(ev commerce.Event)
}
