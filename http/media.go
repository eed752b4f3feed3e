package http

import (
	"io"
	stdhttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/media"
)

func (s *Server) mediaRoutes() {
	s.handle(Route{Method: "GET", Path: "/api/v1/media/:id", Tag: "media", Summary: "An uploaded file (content-addressed, cached for a year)",
		RawResponse: "image/*", Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusNotModified},
		Handler: func(c echo.Context) error {
			if s.deps.Media == nil {
				return errNoMedia
			}
			m, f, err := s.deps.Media.Open(c.Request().Context(), c.Param("id"))
			if err != nil {
				return err
			}
			return serveMedia(c, m, "", f)
		}})
	s.handle(Route{Method: "GET", Path: "/api/v1/media/:id/:variant", Tag: "media", Summary: "A resized variant of an image (thumb, small, medium, large or as configured)",
		RawResponse: "image/*", Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusNotModified},
		Handler: func(c echo.Context) error {
			if s.deps.Media == nil {
				return errNoMedia
			}
			name := c.Param("variant")
			m, f, err := s.deps.Media.Variant(c.Request().Context(), c.Param("id"), name)
			if err != nil {
				return err
			}
			return serveMedia(c, m, name, f)
		}})
}

var errNoMedia = &commerce.Error{Kind: commerce.EUnavailable, Code: "media_unavailable", Message: "media store is not open"}

func serveMedia(c echo.Context, m media.Meta, variant string, f io.ReadSeekCloser) error {
	defer f.Close()
	h := c.Response().Header()
	h.Set("ETag", media.ETag(m, variant))
	h.Set("Cache-Control", media.CacheControlOf(variant))
	h.Set(echo.HeaderContentType, m.ContentType)
	// Images are never active content; a strict policy keeps a crafted file inert.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	stdhttp.ServeContent(c.Response(), c.Request(), "", m.Created, f)
	return nil
}
