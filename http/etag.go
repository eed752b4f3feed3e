package http

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/commerce"
)

// etag is the ETag of an entity at version: the version number, quoted.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// setETag sets the response's ETag to the entity's version.
func setETag(c echo.Context, version int64) { c.Response().Header().Set("ETag", etag(version)) }

// jsonETag answers body with status and the entity's version as ETag.
func jsonETag(c echo.Context, status int, version int64, body any) error {
	setETag(c, version)
	return c.JSON(status, body)
}

// ifMatch returns the version named by the request's If-Match header (an ETag from etag,
// weak or strong), or 0 when the header is absent or "*" (no precondition). A header that
// names no version of ours is a 400: a client that sends one must learn it is wrong.
func ifMatch(c echo.Context) (int64, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	v := strings.TrimPrefix(h, "W/")
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		if n, err := strconv.ParseInt(v[1:len(v)-1], 10, 64); err == nil && n > 0 {
			return n, nil
		}
	}
	return 0, &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_if_match",
		Message: `If-Match must be one ETag of this resource, such as "3"`}
}
