package reviews

import (
	"context"
	"slices"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// Service runs the review use cases. Every write is one Repository.Update, so its checks
// (one review per product and author, a legal transition, If-Match) and its writes —
// the review, its index rows, the product's rating summary and the events — are atomic.
type Service struct {
	repo  Repository
	clock commerce.Clock
}

// NewService returns the review service on repo. A nil clock means the system clock.
func NewService(repo Repository, clock commerce.Clock) *Service {
	clock = commerce.OrSystemClock(clock)
	return &Service{repo: repo, clock: clock}
}

// actorOf names who acts in ctx for moderation records.
func actorOf(ctx context.Context) string {
	if a, ok := commerce.ActorFrom(ctx); ok && a.ID != "" {
		return a.ID
	}
	return "system"
}

// emit appends a review event; ratings is the product's new summary when the change moved it.
func emit(tx Tx, typ string, r Review, ratings *Summary, helpful *bool, at commerce.Clock) error {
	ev, err := commerce.NewEvent(typ, r.ID, at.Now(), EventData{
		ReviewID: r.ID, ProductID: r.ProductID, UserID: r.UserID, Rating: r.Rating, Status: r.Status,
		VerifiedPurchase: r.VerifiedPurchase, Reason: r.RejectionReason, HelpfulCount: r.HelpfulCount,
		Helpful: helpful, Ratings: ratings,
	})
	if err != nil {
		return err
	}
	tx.Emit(ev)
	return nil
}

// moveSummary applies the review's change to its product's summary and saves it when it
// changed, returning the new summary then (nil when unchanged).
func moveSummary(tx Tx, productID string, prev, next *Review) (*Summary, error) {
	s, err := tx.Summary(productID)
	if err != nil {
		return nil, err
	}
	if !s.Move(prev, next) {
		return nil, nil
	}
	if err := tx.SaveSummary(productID, s); err != nil {
		return nil, err
	}
	return &s, nil
}

func checkVersion(r Review, version *int64) error {
	if version != nil && *version != r.Version {
		return ErrVersionMismatch.WithDetails(map[string]any{"current_version": r.Version})
	}
	return nil
}

// Create writes userID's review of productID in status PENDING. The product must be shown
// to shoppers; an author has one review per product (ErrExists names it: edit it instead).
// VerifiedPurchase is whether the author has a non-cancelled order with the product, read
// in the same write.
func (s *Service) Create(ctx context.Context, productID, userID string, in Input) (Review, error) {
	in = in.normalize()
	if err := in.Validate(); err != nil {
		return Review{}, err
	}
	if userID == "" {
		return Review{}, ErrUnauthenticated
	}
	now := s.clock.Now()
	r := Review{ID: commerce.NewID(), ProductID: productID, UserID: userID, Rating: in.Rating, Title: in.Title, Body: in.Body,
		Status: StatusPending, Version: 1, CreatedAt: now, UpdatedAt: now}
	err := s.repo.Update(ctx, func(tx Tx) error {
		if ok, err := tx.ProductVisible(productID); err != nil {
			return err
		} else if !ok {
			return ErrProductNotFound
		}
		if id, err := tx.ReviewIDByAuthor(productID, userID); err != nil {
			return err
		} else if id != "" {
			return ErrExists.WithDetails(map[string]any{"review_id": id})
		}
		if err := s.authorFacts(tx, &r); err != nil {
			return err
		}
		if err := tx.SaveReview(r, nil); err != nil {
			return err
		}
		return emit(tx, EventCreated, r, nil, nil, s.clock)
	})
	if err != nil {
		return Review{}, err
	}
	return r, nil
}

// authorFacts sets what a review takes from its author's account and orders, as they are now.
func (s *Service) authorFacts(tx Tx, r *Review) error {
	bought, err := tx.Purchased(r.UserID, r.ProductID)
	if err != nil {
		return err
	}
	name, err := tx.AccountName(r.UserID)
	if err != nil {
		return err
	}
	r.VerifiedPurchase, r.AuthorName = bought, DisplayName(name)
	return nil
}

// Edit replaces the author's review text and rating. Whatever its status, an edited review
// is PENDING again — an approved text must not change without a moderator seeing it — so
// an approved review leaves the product's rating until it is approved again. The verified
// flag and the author's display name are taken afresh. A review of someone else is
// ErrNotFound; version, when not nil, must be the stored one (If-Match).
func (s *Service) Edit(ctx context.Context, id, userID string, in Input, version *int64) (Review, error) {
	in = in.normalize()
	if err := in.Validate(); err != nil {
		return Review{}, err
	}
	var out Review
	err := s.repo.Update(ctx, func(tx Tx) error {
		r, err := tx.Review(id)
		if err != nil {
			return err
		}
		if userID == "" || r.UserID != userID {
			return ErrNotFound
		}
		if err := checkVersion(r, version); err != nil {
			return err
		}
		prev := r
		r.Rating, r.Title, r.Body = in.Rating, in.Title, in.Body
		r.Status, r.RejectionReason = StatusPending, ""
		r.Version++
		r.UpdatedAt = s.clock.Now()
		if err := s.authorFacts(tx, &r); err != nil {
			return err
		}
		sum, err := moveSummary(tx, r.ProductID, &prev, &r)
		if err != nil {
			return err
		}
		if err := tx.SaveReview(r, &prev); err != nil {
			return err
		}
		out = r
		return emit(tx, EventUpdated, r, sum, nil, s.clock)
	})
	return out, err
}

// Delete removes a review: its author's or, for a moderator, anyone's (others get
// ErrNotFound). An approved review leaves the product's rating in the same write.
func (s *Service) Delete(ctx context.Context, id string, v Viewer, version *int64) error {
	return s.repo.Update(ctx, func(tx Tx) error {
		r, err := tx.Review(id)
		if err != nil {
			return err
		}
		if !v.Moderator && (v.UserID == "" || r.UserID != v.UserID) {
			return ErrNotFound
		}
		if err := checkVersion(r, version); err != nil {
			return err
		}
		sum, err := moveSummary(tx, r.ProductID, &r, nil)
		if err != nil {
			return err
		}
		if err := tx.DeleteReview(r); err != nil {
			return err
		}
		return emit(tx, EventDeleted, r, sum, nil, s.clock)
	})
}

// Approve publishes a PENDING (or earlier rejected) review and counts it in the product's
// rating, in one write.
func (s *Service) Approve(ctx context.Context, id string, version *int64) (Review, error) {
	return s.moderate(ctx, id, StatusApproved, "", version)
}

// Reject refuses a PENDING review, or takes an APPROVED one down (uncounting it), with a
// reason the author sees.
func (s *Service) Reject(ctx context.Context, id, reason string, version *int64) (Review, error) {
	reason = strings.TrimSpace(reason)
	var v commerce.Validator
	v.Text("reason", reason, MaxReasonLen, true)
	if err := v.Err(); err != nil {
		return Review{}, err
	}
	return s.moderate(ctx, id, StatusRejected, reason, version)
}

func (s *Service) moderate(ctx context.Context, id, to, reason string, version *int64) (Review, error) {
	var out Review
	err := s.repo.Update(ctx, func(tx Tx) error {
		r, err := tx.Review(id)
		if err != nil {
			return err
		}
		if err := checkVersion(r, version); err != nil {
			return err
		}
		if !CanModerate(r.Status, to) {
			return ErrTransition.WithDetails(map[string]any{"status": r.Status, "to": to})
		}
		prev := r
		now := s.clock.Now()
		r.Status, r.RejectionReason = to, reason
		r.ModeratedBy, r.ModeratedAt = actorOf(ctx), now
		r.Version++
		r.UpdatedAt = now
		sum, err := moveSummary(tx, r.ProductID, &prev, &r)
		if err != nil {
			return err
		}
		if err := tx.SaveReview(r, &prev); err != nil {
			return err
		}
		out = r
		typ := EventApproved
		if to == StatusRejected {
			typ = EventRejected
		}
		return emit(tx, typ, r, sum, nil, s.clock)
	})
	return out, err
}

// Vote marks an approved review helpful for userID (helpful true) or withdraws the mark
// (false). A user has one mark per review, so repeating either is a no-op without an event.
// Authors cannot vote on their own review (ErrOwnReview); a review that is not approved is
// ErrNotFound to voters. Votes change HelpfulCount but not the review's version.
func (s *Service) Vote(ctx context.Context, id, userID string, helpful bool) (Review, error) {
	if userID == "" {
		return Review{}, ErrUnauthenticated
	}
	var out Review
	err := s.repo.Update(ctx, func(tx Tx) error {
		r, err := tx.Review(id)
		if err != nil {
			return err
		}
		if r.UserID == userID {
			return ErrOwnReview
		}
		if r.Status != StatusApproved {
			return ErrNotFound
		}
		out = r
		voted, err := tx.Voted(id, userID)
		if err != nil || voted == helpful {
			return err
		}
		prev := r
		if helpful {
			r.HelpfulCount++
		} else if r.HelpfulCount > 0 {
			r.HelpfulCount--
		}
		if err := tx.SetVote(id, userID, helpful); err != nil {
			return err
		}
		if err := tx.SaveReview(r, &prev); err != nil {
			return err
		}
		out = r
		return emit(tx, EventVoted, r, nil, &helpful, s.clock)
	})
	return out, err
}

// Review returns a review as v may see it: approved ones to anyone, others to their author
// and moderators (ErrNotFound to the rest).
func (s *Service) Review(ctx context.Context, id string, v Viewer) (Review, error) {
	r, err := s.repo.Review(ctx, id)
	if err != nil {
		return Review{}, err
	}
	if !v.CanSee(r) {
		return Review{}, ErrNotFound
	}
	return r, nil
}

// OwnReview returns userID's review of productID whatever its status, or ErrNotFound.
func (s *Service) OwnReview(ctx context.Context, productID, userID string) (Review, error) {
	if userID == "" {
		return Review{}, ErrNotFound
	}
	return s.repo.ReviewByAuthor(ctx, productID, userID)
}

// ProductReviews returns one page of a product's approved reviews. The caller checks that
// the product is one the reader may see.
func (s *Service) ProductReviews(ctx context.Context, productID string, f ListFilter) (commerce.List[Review], error) {
	if f.Sort == "" {
		f.Sort = SortNewest
	}
	if !slices.Contains(Sorts, f.Sort) {
		return commerce.List[Review]{}, commerce.Invalid(commerce.FieldError{Field: "sort", Message: "must be one of " + strings.Join(Sorts, ", ")})
	}
	return s.repo.ProductReviews(ctx, productID, f)
}

// Queue returns one page of the reviews in a status, oldest first: the moderation queue
// (PENDING when status is "").
func (s *Service) Queue(ctx context.Context, status string, page commerce.Page) (commerce.List[Review], error) {
	if status == "" {
		status = StatusPending
	}
	if !ValidStatus(status) {
		return commerce.List[Review]{}, commerce.Invalid(commerce.FieldError{Field: "status", Message: "must be PENDING, APPROVED or REJECTED"})
	}
	return s.repo.ReviewsByStatus(ctx, status, page)
}
