package http

import (
	stdhttp "net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/reviews"
)

// reviewResponse is a review as its reader may see it: the author's account ID, the
// rejection reason and the moderation record only for the author and moderators.
type reviewResponse struct {
	ID               string    `json:"id"`
	ProductID        string    `json:"product_id"`
	AuthorName       string    `json:"author_name"`
	Rating           int       `json:"rating"`
	Title            string    `json:"title,omitempty"`
	Body             string    `json:"body,omitempty"`
	Status           string    `json:"status"`
	VerifiedPurchase bool      `json:"verified_purchase"`
	HelpfulCount     int       `json:"helpful_count"`
	Mine             bool      `json:"mine,omitempty"` // the reader wrote it
	UserID           string    `json:"user_id,omitempty"`
	RejectionReason  string    `json:"rejection_reason,omitempty"`
	ModeratedBy      string    `json:"moderated_by,omitempty"`
	ModeratedAt      time.Time `json:"moderated_at,omitzero"`
	Version          int64     `json:"version"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

func reviewOut(r reviews.Review, v reviews.Viewer) reviewResponse {
	out := reviewResponse{ID: r.ID, ProductID: r.ProductID, AuthorName: r.AuthorName, Rating: r.Rating, Title: r.Title, Body: r.Body,
		Status: r.Status, VerifiedPurchase: r.VerifiedPurchase, HelpfulCount: r.HelpfulCount, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Mine: v.UserID != "" && v.UserID == r.UserID}
	if out.Mine || v.Moderator {
		out.RejectionReason = r.RejectionReason
	}
	if v.Moderator {
		out.UserID, out.ModeratedBy, out.ModeratedAt = r.UserID, r.ModeratedBy, r.ModeratedAt
	}
	return out
}

func reviewsOut(rs []reviews.Review, v reviews.Viewer) []reviewResponse {
	out := make([]reviewResponse, len(rs))
	for i, r := range rs {
		out[i] = reviewOut(r, v)
	}
	return out
}

// productReviewList is a page of a product's approved reviews; OwnReview is the reader's
// own review of the product in whatever status (so an author sees a pending or rejected
// one), on every page, absent for anonymous readers and those who wrote none.
type productReviewList struct {
	Items      []reviewResponse `json:"items"`
	NextCursor string           `json:"next_cursor"`
	OwnReview  *reviewResponse  `json:"own_review,omitempty"`
}

type reviewList struct {
	Items      []reviewResponse `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

// voteResponse is a review's helpful count after a vote and whether the reader's mark is on.
type voteResponse struct {
	ReviewID     string `json:"review_id"`
	HelpfulCount int    `json:"helpful_count"`
	Helpful      bool   `json:"helpful"`
}

// reviewViewer is who the request acts as.
func reviewViewer(c echo.Context) reviews.Viewer {
	p, _ := principalOf(c)
	return reviews.Viewer{UserID: p.UserID, Moderator: p.Can(auth.PermCatalogWrite)}
}

func (s *Server) reviewRoutes() {
	svc := func() (*reviews.Service, error) {
		if s.deps.Reviews == nil || s.deps.Catalog == nil {
			return nil, unavailable("reviews")
		}
		return s.deps.Reviews, nil
	}
	// productID resolves the route's product (ID or slug) among those the reader may see.
	productID := func(c echo.Context) (string, error) {
		d, err := s.deps.Catalog.ProductDocument(c.Request().Context(), c.Param("id"), staffOf(c))
		return d.ID, err
	}
	s.handle(Route{Method: "POST", Path: "/api/v1/products/:id/reviews", Tag: "reviews", Summary: "Review a product",
		Description: "A signed-in customer reviews an active product (ID or slug): rating 1-5, optional title (≤ 120 characters) " +
			"and body (≤ 5000). One review per product per customer (409 review_exists, details.review_id: edit that one with " +
			"PUT /reviews/:id). verified_purchase is true when the customer has a non-cancelled order with the product. " +
			"The review waits in status PENDING until a moderator approves it; only then is it shown and counted in the " +
			"product's ratings. Emits reviews.created.",
		Perm: auth.PermReviewsPublish, Request: reviews.Input{}, Response: reviewResponse{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusUnprocessableEntity},
		Handler: withService(svc, func(c echo.Context, rs *reviews.Service) error {
			var in reviews.Input
			if err := bind(c, &in); err != nil {
				return err
			}
			id, err := productID(c)
			if err != nil {
				return err
			}
			v := reviewViewer(c)
			r, err := rs.Create(c.Request().Context(), id, v.UserID, in)
			if err != nil {
				return err
			}
			setETag(c, r.Version)
			c.Response().Header().Set(echo.HeaderLocation, "/api/v1/reviews/"+r.ID)
			return c.JSON(stdhttp.StatusCreated, reviewOut(r, v))
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/products/:id/reviews", Tag: "reviews", Summary: "A product's reviews",
		Description: "The approved reviews of a product (ID or slug), each with the author's display name (first name and last " +
			"initial) and verified_purchase. sort: newest (default), helpful (most helpful votes first), rating_high, rating_low. " +
			"A signed-in reader who reviewed the product also gets own_review, their review in any status (a PENDING one " +
			"awaiting moderation, or a REJECTED one with its rejection_reason). The product's aggregate is its ratings field.",
		OptionalAuth: true, Response: productReviewList{}, Errors: []int{stdhttp.StatusNotFound},
		Query: []Param{{Name: "sort", Type: "string", Description: strings.Join(reviews.Sorts, ", ")},
			{Name: "limit", Type: "integer", Description: "1-100, default 20"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
		Handler: withService(svc, func(c echo.Context, rs *reviews.Service) error {
			page, err := pageOf(c)
			if err != nil {
				return err
			}
			id, err := productID(c)
			if err != nil {
				return err
			}
			ctx := c.Request().Context()
			list, err := rs.ProductReviews(ctx, id, reviews.ListFilter{Sort: c.QueryParam("sort"), Limit: page.Limit, Cursor: page.Cursor})
			if err != nil {
				return err
			}
			v := reviewViewer(c)
			out := productReviewList{Items: reviewsOut(list.Items, v), NextCursor: list.NextCursor}
			if v.UserID != "" {
				if own, err := rs.OwnReview(ctx, id, v.UserID); err == nil {
					o := reviewOut(own, v)
					out.OwnReview = &o
				} else if commerce.KindOf(err) != commerce.ENotFound {
					return err
				}
			}
			return c.JSON(stdhttp.StatusOK, out)
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/reviews/:id", Tag: "reviews", Summary: "A review",
		Description: "An approved review, to anyone; a PENDING or REJECTED one only to its author and staff with catalog:write " +
			"(404 to anyone else). The ETag is the review's version (helpful votes do not move it).",
		OptionalAuth: true, Response: reviewResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, rs *reviews.Service) error {
			v := reviewViewer(c)
			r, err := rs.Review(c.Request().Context(), c.Param("id"), v)
			if err != nil {
				return err
			}
			setETag(c, r.Version)
			return c.JSON(stdhttp.StatusOK, reviewOut(r, v))
		})})
	s.handle(Route{Method: "PUT", Path: "/api/v1/reviews/:id", Tag: "reviews", Summary: "Edit my review",
		Description: "The author replaces the rating, title and body of their review (anyone else: 404). An edited review goes " +
			"back to PENDING whatever its status, so an APPROVED one leaves the product's ratings until a moderator approves it " +
			"again; verified_purchase is checked afresh. Honours If-Match (412 version_mismatch). Emits reviews.updated.",
		Perm: auth.PermReviewsPublish, Request: reviews.Input{}, Response: reviewResponse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity},
		Handler: withService(svc, func(c echo.Context, rs *reviews.Service) error {
			version, err := ifMatchVersion(c)
			if err != nil {
				return err
			}
			var in reviews.Input
			if err := bind(c, &in); err != nil {
				return err
			}
			v := reviewViewer(c)
			r, err := rs.Edit(c.Request().Context(), c.Param("id"), v.UserID, in, version)
			if err != nil {
				return err
			}
			setETag(c, r.Version)
			return c.JSON(stdhttp.StatusOK, reviewOut(r, v))
		})})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/reviews/:id", Tag: "reviews", Summary: "Delete a review",
		Description: "The author deletes their review; staff with catalog:write may delete any (anyone else: 404). An approved " +
			"review leaves the product's ratings in the same write; its helpful votes go with it. Honours If-Match. " +
			"Emits reviews.deleted.",
		Auth: true, Status: stdhttp.StatusNoContent, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusPreconditionFailed},
		Handler: withService(svc, func(c echo.Context, rs *reviews.Service) error {
			version, err := ifMatchVersion(c)
			if err != nil {
				return err
			}
			if err := rs.Delete(c.Request().Context(), c.Param("id"), reviewViewer(c), version); err != nil {
				return err
			}
			return c.NoContent(stdhttp.StatusNoContent)
		})})
	vote := func(helpful bool) echo.HandlerFunc {
		return func(c echo.Context) error {
			rs, err := svc()
			if err != nil {
				return err
			}
			r, err := rs.Vote(c.Request().Context(), c.Param("id"), reviewViewer(c).UserID, helpful)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, voteResponse{ReviewID: r.ID, HelpfulCount: r.HelpfulCount, Helpful: helpful})
		}
	}
	s.handle(Route{Method: "POST", Path: "/api/v1/reviews/:id/helpful", Tag: "reviews", Summary: "Mark a review helpful",
		Description: "Any signed-in user marks an approved review helpful, once: marking it again changes nothing. The author " +
			"cannot (403 own_review); a review that is not approved is 404. Emits reviews.voted (helpful true) when the mark is new.",
		Auth: true, Response: voteResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: vote(true)})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/reviews/:id/helpful", Tag: "reviews", Summary: "Withdraw my helpful mark",
		Description: "Removes the reader's helpful mark; without one it changes nothing. Emits reviews.voted (helpful false) " +
			"when a mark was removed.",
		Auth: true, Response: voteResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: vote(false)})

	s.handle(Route{Method: "GET", Path: "/api/v1/admin/reviews", Tag: "reviews", Summary: "The moderation queue",
		Description: "Reviews in one status (PENDING, the default; APPROVED; REJECTED), oldest first, with the author's account ID.",
		Perm:        auth.PermCatalogWrite, Response: reviewList{},
		Query: []Param{{Name: "status", Type: "string", Description: strings.Join(reviews.Statuses, ", ")},
			{Name: "limit", Type: "integer", Description: "1-100, default 20"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
		Handler: withService(svc, func(c echo.Context, rs *reviews.Service) error {
			page, err := pageOf(c)
			if err != nil {
				return err
			}
			list, err := rs.Queue(c.Request().Context(), c.QueryParam("status"), page)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, reviewList{Items: reviewsOut(list.Items, reviewViewer(c)), NextCursor: list.NextCursor})
		})})
	moderate := func(c echo.Context, reject bool) error {
		rs, err := svc()
		if err != nil {
			return err
		}
		version, err := ifMatchVersion(c)
		if err != nil {
			return err
		}
		var r reviews.Review
		if reject {
			var in reasonRequest
			if err := bind(c, &in); err != nil {
				return err
			}
			r, err = rs.Reject(c.Request().Context(), c.Param("id"), in.Reason, version)
		} else {
			r, err = rs.Approve(c.Request().Context(), c.Param("id"), version)
		}
		if err != nil {
			return err
		}
		setETag(c, r.Version)
		return c.JSON(stdhttp.StatusOK, reviewOut(r, reviewViewer(c)))
	}
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/reviews/:id/approve", Tag: "reviews", Summary: "Approve a review",
		Description: "Publishes a PENDING (or earlier REJECTED) review and counts it in the product's ratings (average, count, " +
			"histogram) in the same write; the product page and search show the new rating at once. 409 invalid_transition " +
			"from APPROVED. Honours If-Match. Emits reviews.approved (audited).",
		Perm: auth.PermCatalogWrite, Response: reviewResponse{}, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed},
		Handler: func(c echo.Context) error { return moderate(c, false) }})
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/reviews/:id/reject", Tag: "reviews", Summary: "Reject a review",
		Description: "Refuses a PENDING review, or takes an APPROVED one down (leaving the product's ratings in the same write), " +
			"with a reason (required, ≤ 500 characters) its author sees. 409 invalid_transition from REJECTED. Honours " +
			"If-Match. Emits reviews.rejected (audited).",
		Perm: auth.PermCatalogWrite, Request: reasonRequest{}, Response: reviewResponse{},
		Errors:  []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed, stdhttp.StatusUnprocessableEntity},
		Handler: func(c echo.Context) error { return moderate(c, true) }})
}
