package http

import (
	"context"
	stdhttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/commerce"
)

// versioned is the handlers of one kind of versioned record kept by a service S: list a
// page, create, read, replace and delete by :id, with the record's version as ETag and
// If-Match on writes (stale: the service's 412 version_mismatch). Req is the create or
// replace body; T the record answered.
type versioned[S, T, Req any] struct {
	svc     func() (S, error)
	list    func(svc S, ctx context.Context, page commerce.Page) (commerce.List[T], error)
	get     func(svc S, ctx context.Context, id string) (T, error)
	save    func(svc S, ctx context.Context, id string, req Req, ifMatch int64) (T, error)
	delete  func(svc S, ctx context.Context, id string, ifMatch int64) error
	version func(T) int64
}

// page answers a page of records (?limit, ?cursor).
func (v versioned[S, T, Req]) page() echo.HandlerFunc {
	return withService(v.svc, func(c echo.Context, svc S) error {
		page, err := pageOf(c)
		if err != nil {
			return err
		}
		l, err := v.list(svc, c.Request().Context(), page)
		if err != nil {
			return err
		}
		return c.JSON(stdhttp.StatusOK, l)
	})
}

// read answers the record :id with its ETag.
func (v versioned[S, T, Req]) read() echo.HandlerFunc {
	return withService(v.svc, func(c echo.Context, svc S) error {
		x, err := v.get(svc, c.Request().Context(), c.Param("id"))
		if err != nil {
			return err
		}
		return jsonETag(c, stdhttp.StatusOK, v.version(x), x)
	})
}

// create saves a new record from the body: 201 with its ETag.
func (v versioned[S, T, Req]) create() echo.HandlerFunc {
	return v.write(stdhttp.StatusCreated, func(echo.Context) string { return "" })
}

// replace saves the body over the record :id: 200 with its new ETag.
func (v versioned[S, T, Req]) replace() echo.HandlerFunc {
	return v.write(stdhttp.StatusOK, func(c echo.Context) string { return c.Param("id") })
}

func (v versioned[S, T, Req]) write(status int, id func(echo.Context) string) echo.HandlerFunc {
	return withService(v.svc, func(c echo.Context, svc S) error {
		var req Req
		version, err := ifMatchBody(c, &req)
		if err != nil {
			return err
		}
		x, err := v.save(svc, c.Request().Context(), id(c), req, version)
		if err != nil {
			return err
		}
		return jsonETag(c, status, v.version(x), x)
	})
}

// remove deletes the record :id: 204.
func (v versioned[S, T, Req]) remove() echo.HandlerFunc {
	return withService(v.svc, func(c echo.Context, svc S) error {
		version, err := ifMatch(c)
		if err != nil {
			return err
		}
		if err := v.delete(svc, c.Request().Context(), c.Param("id"), version); err != nil {
			return err
		}
		return c.NoContent(stdhttp.StatusNoContent)
	})
}
