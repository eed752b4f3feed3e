package http

import (
	"bytes"
	"errors"
	"io"
	stdhttp "net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// imageRefNote says how an image is named in the image routes' paths.
const imageRefNote = " :image_id is the image's id (its media ID) or, for an imported image still waiting for its file " +
	"(no id), its position."

func (s *Server) productImageRoutes() {
	var uploadLimit int64
	if s.deps.Media != nil {
		uploadLimit = s.deps.Media.MaxUploadBytes() + multipartOverhead
	}
	s.handle(Route{Method: "POST", Path: "/api/v1/products/:id/images", Tag: "catalog", Summary: "Upload an image of a product (multipart)",
		Description: "multipart/form-data with the fields file (required: a JPEG, PNG, GIF or WebP image told from its bytes, at " +
			"most media.max_upload bytes, 413 media_too_large; too many pixels, 413 image_too_large; anything else 422 with " +
			"field file), alt, position (1..n+1; default last, the others move down), variant_ids (variants the image shows: " +
			"the field repeated or comma-separated; 422 when one is not the product's) and source. The file is checked, " +
			"re-encoded and stored in the media store, then added to the product in one write (version + 1, ETag). An " +
			"imported image still waiting for its file (source set, no id) is replaced by the upload when source names it " +
			"(422 otherwise) or position is its position; it keeps its position, source, and alt and variants unless given. " +
			"The same file twice on one product is 409 image_exists; at most " + strconv.Itoa(catalog.MaxImages) +
			" images (422). Answers the image: id, url, position, alt, variant_ids, thumbnails (url of each configured size). " +
			"If-Match guards against lost updates. Emits catalog.product_updated and catalog.image_added." + productWriters,
		Auth: true, Response: catalog.Image{}, Status: stdhttp.StatusCreated, BodyLimit: uploadLimit,
		Errors: []int{stdhttp.StatusBadRequest, stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound, stdhttp.StatusConflict,
			stdhttp.StatusRequestEntityTooLarge, stdhttp.StatusPreconditionFailed},
		Handler: s.addProductImage})
	s.handle(Route{Method: "PUT", Path: "/api/v1/products/:id/images/:image_id", Tag: "catalog", Summary: "Change an image's alt text, position or variants",
		Description: "Fields left out stay as they are. position (1..n) moves the image there; the others close up, so positions " +
			"stay 1..n. variant_ids replaces the variants the image shows ([] for none). If-Match guards against lost updates. " +
			"Emits catalog.product_updated and catalog.image_updated." + imageRefNote + productWriters,
		Auth: true, Request: catalog.ImageChange{}, Response: catalog.Image{},
		Errors:  []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound, stdhttp.StatusPreconditionFailed},
		Handler: s.updateProductImage})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/products/:id/images/:image_id", Tag: "catalog", Summary: "Remove an image from a product",
		Description: "The images after it move up. The file stays in the media store (other products may show it). If-Match " +
			"guards against lost updates; the new ETag is in the response. Emits catalog.product_updated and " +
			"catalog.image_removed." + imageRefNote + productWriters,
		Auth: true, Status: stdhttp.StatusNoContent, Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusPreconditionFailed},
		Handler: s.removeProductImage})
}

func (s *Server) addProductImage(c echo.Context) error {
	if s.deps.Media == nil {
		return errNoMedia
	}
	scope, version, err := s.productWrite(c)
	if err != nil {
		return err
	}
	up, file, err := readImageUpload(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ref := c.Param("id")
	// Refuse before storing the file what the write would refuse about the product.
	if err := s.deps.Catalog.CheckImageTarget(ctx, ref, version, scope...); err != nil {
		return err
	}
	p, _ := principalOf(c)
	m, err := s.deps.Media.Put(ctx, bytes.NewReader(file), p.UserID)
	if err != nil {
		return asFileError(err)
	}
	up.MediaID = m.ID
	up.Sizes = s.deps.Media.VariantNames()
	prod, img, err := s.deps.Catalog.AddImage(ctx, ref, up, version, scope...)
	if err != nil {
		return err
	}
	setETag(c, prod.Version)
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/products/"+prod.ID+"/images/"+img.ID)
	return c.JSON(stdhttp.StatusCreated, img)
}

func (s *Server) updateProductImage(c echo.Context) error {
	scope, version, err := s.productWrite(c)
	if err != nil {
		return err
	}
	var in catalog.ImageChange
	if err := bind(c, &in); err != nil {
		return err
	}
	prod, img, err := s.deps.Catalog.UpdateImage(c.Request().Context(), c.Param("id"), c.Param("image_id"), in, version, scope...)
	if err != nil {
		return err
	}
	setETag(c, prod.Version)
	return c.JSON(stdhttp.StatusOK, img)
}

func (s *Server) removeProductImage(c echo.Context) error {
	scope, version, err := s.productWrite(c)
	if err != nil {
		return err
	}
	prod, err := s.deps.Catalog.RemoveImage(c.Request().Context(), c.Param("id"), c.Param("image_id"), version, scope...)
	if err != nil {
		return err
	}
	setETag(c, prod.Version)
	return c.NoContent(stdhttp.StatusNoContent)
}

var errImageMultipart = &commerce.Error{Kind: commerce.EInvalid, Code: "unsupported_media_type",
	Message: "the request body must be multipart/form-data with the field file (and optionally alt, position, variant_ids, source)"}

// readImageUpload reads a multipart product image upload: the file part (read whole; the
// media store bounds and sniffs it) and the optional fields. Other fields are refused.
func readImageUpload(c echo.Context) (catalog.NewImage, []byte, error) {
	var up catalog.NewImage
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return up, nil, errImageMultipart
	}
	var file []byte
	seen := map[string]bool{}
	var v commerce.Validator
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *stdhttp.MaxBytesError
			if errors.As(err, &mbe) {
				return up, nil, err
			}
			return up, nil, errImageMultipart
		}
		name := part.FormName()
		if seen[name] && name != "variant_ids" {
			return up, nil, commerce.Invalid(commerce.FieldError{Field: name, Message: "is given more than once"})
		}
		seen[name] = true
		if name == "file" {
			if file, err = readPart(part, -1); err != nil {
				return up, nil, err
			}
			continue
		}
		var max int64
		switch name {
		case "alt", "variant_ids":
			max = 8 << 10
		case "position":
			max = 16
		case "source":
			max = catalog.MaxImageSourceLen
		default:
			return up, nil, commerce.Invalid(commerce.FieldError{Field: name, Message: "unknown field"})
		}
		b, err := readPart(part, max)
		if err != nil {
			return up, nil, err
		}
		val := strings.TrimSpace(string(b))
		switch name {
		case "alt":
			up.Alt = val
		case "source":
			up.Source = val
		case "position":
			n, err := strconv.Atoi(val)
			v.Check(err == nil, "position", "must be a whole number")
			up.Position = n
		case "variant_ids":
			if up.VariantIDs == nil {
				up.VariantIDs = []string{}
			}
			for _, id := range strings.Split(val, ",") {
				if id = strings.TrimSpace(id); id != "" {
					up.VariantIDs = append(up.VariantIDs, id)
				}
			}
		}
	}
	v.Check(seen["file"], "file", "is required")
	if err := v.Err(); err != nil {
		return up, nil, err
	}
	return up, file, nil
}

// asFileError names the file field in the media store's refusal of an upload's content
// (422 with its code), leaving other errors (too large, unavailable) as they are.
func asFileError(err error) error {
	e := commerce.AsError(err)
	if e == nil || e.Kind != commerce.EInvalid || len(e.Fields) > 0 {
		return err
	}
	return &commerce.Error{Kind: e.Kind, Code: e.Code, Message: e.Message, Details: e.Details, Err: err,
		Fields: []commerce.FieldError{{Field: "file", Message: e.Message}}}
}
