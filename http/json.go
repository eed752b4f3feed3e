package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	stdhttp "net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/commerce"
)

// strictJSON is Echo's JSON serializer: requests with unknown fields, trailing data or wrong
// types are refused with an error naming the field.
type strictJSON struct{}

func (strictJSON) Serialize(c echo.Context, i any, indent string) error {
	enc := json.NewEncoder(c.Response())
	if indent != "" {
		enc.SetIndent("", indent)
	}
	return enc.Encode(i)
}

func (strictJSON) Deserialize(c echo.Context, i any) error {
	return decodeStrict(c.Request().Body, i)
}

func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &commerce.Error{Kind: commerce.EInvalid, Code: "malformed_json", Message: "request body must hold exactly one JSON value"}
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var mbe *stdhttp.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return &commerce.Error{Kind: commerce.EInvalid, Code: "malformed_json", Message: "request body is empty"}
	case errors.As(err, &se):
		return &commerce.Error{Kind: commerce.EInvalid, Code: "malformed_json", Message: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(body)"
		}
		return commerce.Invalid(commerce.FieldError{Field: field, Message: fmt.Sprintf("must be %s, not %s", te.Type, te.Value)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return commerce.Invalid(commerce.FieldError{Field: name, Message: "unknown field"})
	}
	return &commerce.Error{Kind: commerce.EInvalid, Code: "malformed_json", Message: "malformed JSON: " + err.Error()}
}

// bind decodes the request body strictly into v.
func bind(c echo.Context, v any) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return &commerce.Error{Kind: commerce.EInvalid, Code: "unsupported_media_type", Message: "request body must be application/json"}
	}
	body := c.Request().Body
	if body == nil {
		body = io.NopCloser(bytes.NewReader(nil))
	}
	return decodeStrict(body, v)
}
