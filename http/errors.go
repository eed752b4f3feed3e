package http

import (
	"context"
	"errors"
	"fmt"
	stdhttp "net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/commerce"
)

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string                `json:"code"`
	Message   string                `json:"message"`
	Fields    []commerce.FieldError `json:"fields,omitempty"`
	Details   map[string]any        `json:"details,omitempty"`
	RequestID string                `json:"request_id"`
}

// statusOf maps an error kind to its HTTP status: the one place this happens.
func statusOf(e *commerce.Error) int {
	switch e.Kind {
	case commerce.EInvalid:
		if len(e.Fields) > 0 {
			return stdhttp.StatusUnprocessableEntity
		}
		return stdhttp.StatusBadRequest
	case commerce.ENotFound:
		return stdhttp.StatusNotFound
	case commerce.EConflict:
		return stdhttp.StatusConflict
	case commerce.EPrecondition:
		return stdhttp.StatusPreconditionFailed
	case commerce.EUnauthorized:
		return stdhttp.StatusUnauthorized
	case commerce.EForbidden:
		return stdhttp.StatusForbidden
	case commerce.ETooLarge:
		return stdhttp.StatusRequestEntityTooLarge
	case commerce.ERateLimited:
		return stdhttp.StatusTooManyRequests
	case commerce.EUnavailable:
		return stdhttp.StatusServiceUnavailable
	default:
		return stdhttp.StatusInternalServerError
	}
}

// toError turns any error a handler or Echo returns into a *commerce.Error.
func toError(err error) *commerce.Error {
	var he *echo.HTTPError
	var mbe *stdhttp.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errBodyTooLarge(mbe.Limit).(*commerce.Error)
	case commerce.AsError(err) != nil:
		return commerce.AsError(err)
	case errors.Is(err, context.DeadlineExceeded):
		return &commerce.Error{Kind: commerce.EUnavailable, Code: "timeout", Message: "the request took too long", Err: err}
	case errors.As(err, &he):
		msg := stdhttp.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && he.Code < 500 {
			msg = m
		}
		return &commerce.Error{Kind: kindOfStatus(he.Code), Code: codeOfStatus(he.Code), Message: msg, Err: err}
	default:
		return &commerce.Error{Kind: commerce.EInternal, Code: "internal", Err: err}
	}
}

func kindOfStatus(code int) commerce.Kind {
	switch code {
	case stdhttp.StatusNotFound, stdhttp.StatusMethodNotAllowed:
		return commerce.ENotFound
	case stdhttp.StatusConflict:
		return commerce.EConflict
	case stdhttp.StatusPreconditionFailed:
		return commerce.EPrecondition
	case stdhttp.StatusUnauthorized:
		return commerce.EUnauthorized
	case stdhttp.StatusForbidden:
		return commerce.EForbidden
	case stdhttp.StatusRequestEntityTooLarge:
		return commerce.ETooLarge
	case stdhttp.StatusTooManyRequests:
		return commerce.ERateLimited
	case stdhttp.StatusServiceUnavailable:
		return commerce.EUnavailable
	}
	if code >= 400 && code < 500 {
		return commerce.EInvalid
	}
	return commerce.EInternal
}

func codeOfStatus(code int) string {
	return strings.ReplaceAll(strings.ToLower(stdhttp.StatusText(code)), " ", "_")
}

// handleError is Echo's error handler: it writes the JSON error body once per request and
// logs internal errors with the request ID (clients only see "internal error").
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e := toError(err)
	status := statusOf(e)
	var he *echo.HTTPError
	if errors.As(err, &he) && commerce.AsError(err) == nil {
		status = he.Code
	}
	body := errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Fields: e.Fields, Details: e.Details, RequestID: requestID(c)}}
	if status >= 500 && e.Kind == commerce.EInternal {
		s.cfg.Logger.Error("internal error", "request_id", body.Error.RequestID, "route", c.Path(), "err", err)
		body.Error = errorDetail{Code: "internal", Message: "internal error", RequestID: body.Error.RequestID}
	}
	if body.Error.Message == "" {
		body.Error.Message = stdhttp.StatusText(status)
	}
	if e.Kind == commerce.ERateLimited || e.Kind == commerce.EUnavailable {
		if ra, ok := e.Details["retry_after_seconds"]; ok {
			c.Response().Header().Set("Retry-After", toString(ra))
		}
	}
	if c.Request().Method == stdhttp.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, body)
}

func toString(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatInt(int64(x), 10)
	default:
		return fmt.Sprint(x)
	}
}
