package http

import (
	"bytes"
	"encoding/json"
	stdhttp "net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
)

// requestLocale is the locale a catalog read asks for: ?locale= when given (one of
// catalog.Locales, else a field error on v), else the supported language Accept-Language
// prefers most, else "" (the products' own text).
func requestLocale(c echo.Context, v *commerce.Validator) string {
	if q := c.QueryParam("locale"); q != "" {
		l := strings.ToLower(strings.TrimSpace(q))
		if !catalog.ValidLocale(l) {
			v.Add("locale", "must be one of "+strings.Join(catalog.Locales, ", "))
			return ""
		}
		return l
	}
	return acceptedLocale(c.Request().Header.Get("Accept-Language"))
}

// acceptedLocale picks, from an Accept-Language value ("ru-RU,ru;q=0.9,en;q=0.8"), the
// supported locale with the highest quality (the first listed on a tie), or "".
func acceptedLocale(header string) string {
	best, bestQ := "", 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		lang, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if !catalog.ValidLocale(lang) {
			continue
		}
		q := 1.0
		if p := strings.TrimSpace(params); strings.HasPrefix(p, "q=") {
			f, err := strconv.ParseFloat(strings.TrimSpace(p[2:]), 64)
			if err != nil {
				continue
			}
			q = f
		}
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// localizeDocument returns a product document with its text in locale (catalog.Localize).
// A shopper's copy leaves out the translations map; staff keep it. A product without
// translations is returned as it is, without decoding.
func localizeDocument(doc []byte, locale string, staff bool) ([]byte, error) {
	if !bytes.Contains(doc, []byte(`"translations":`)) {
		return doc, nil
	}
	var p catalog.Product
	if err := json.Unmarshal(doc, &p); err != nil {
		return nil, err
	}
	p = catalog.Localize(p, locale)
	if !staff {
		p.Translations = nil
	}
	return json.Marshal(p)
}

// redirectTo answers 301 Moved Permanently to path (with the request's query) and names the
// entity's ID in the header idHeader.
func redirectTo(c echo.Context, path, idHeader, id string) error {
	if q := c.Request().URL.RawQuery; q != "" {
		path += "?" + q
	}
	h := c.Response().Header()
	h.Set(echo.HeaderLocation, path)
	h.Set(idHeader, id)
	return c.NoContent(stdhttp.StatusMovedPermanently)
}
