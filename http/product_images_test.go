package http_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// imageUpload builds a multipart product image upload: file (when not nil) and the given
// fields as name, value pairs; headers carry the caller's bearer token (if any) and extra.
func imageUpload(t testing.TB, u *apptest.User, file []byte, fields ...string) ([]byte, map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	// A fixed boundary makes the same upload the same bytes, so a scenario can build its body
	// and its headers with two calls.
	if err := w.SetBoundary("ultramarket-test-boundary"); err != nil {
		t.Fatal(err)
	}
	if file != nil {
		fw, err := w.CreateFormFile("file", "photo.bin")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if err := w.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Content-Type": w.FormDataContentType()}
	if u != nil {
		h["Authorization"] = "Bearer " + u.Token
	}
	return buf.Bytes(), h
}

// testImage returns a w×h image of one colour, as PNG or JPEG.
func testImage(t testing.TB, w, h int, c color.NRGBA, asJPEG bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	var err error
	if asJPEG {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// noisePNG returns a PNG of random pixels, which does not compress: about 3·side² bytes.
func noisePNG(t testing.TB, side int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32()), 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mediaIDOf stores data in the instance's media store and returns its ID: an upload of the
// same bytes through the API gets the same ID (the store is content-addressed).
func mediaIDOf(t testing.TB, a *apptest.App, data []byte) string {
	t.Helper()
	m, err := a.Media.Put(context.Background(), bytes.NewReader(data), "test")
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

type imagesOf struct {
	Version int64           `json:"version"`
	Images  []catalog.Image `json:"images"`
}

func TestProductImageAPI(t *testing.T) {
	const maxUpload = 200 << 10
	a := apptest.New(t, func(c *config.Config) { c.Media.MaxUpload = maxUpload })
	admin := a.NewUser(t, auth.RoleAdmin)
	customer := a.NewUser(t, auth.RoleCustomer)
	seller, sellerVendor := newVendor(t, a, admin, "Silk Road", true)
	rival, _ := newVendor(t, a, admin, "Rival Crafts", true)

	p := createProduct(t, a, admin, productBody("Trail Boot", "IMG", 5000, map[string]any{
		"images": []map[string]any{{"source": "https://cdn.example/boot-side.jpg", "alt": "from the import"}}}))
	own := createProduct(t, a, admin, vendorProductBody("SILK-1", sellerVendor))
	if len(p.Images) != 1 || p.Images[0].Source == "" || p.Images[0].ID != "" {
		t.Fatalf("imported image %+v", p.Images)
	}

	red, blue := color.NRGBA{200, 30, 30, 255}, color.NRGBA{30, 30, 200, 255}
	pngFile, jpegFile := testImage(t, 640, 480, red, false), testImage(t, 300, 200, blue, true)
	replaceFile, posFile := testImage(t, 50, 50, red, true), testImage(t, 60, 60, blue, false)
	pngID, jpegID, replaceID := mediaIDOf(t, a, pngFile), mediaIDOf(t, a, jpegFile), mediaIDOf(t, a, replaceFile)
	posID := mediaIDOf(t, a, posFile)
	big := noisePNG(t, 280)
	if len(big) <= maxUpload || len(big) > maxUpload+50<<10 {
		t.Fatalf("noise PNG is %d bytes: want just over %d", len(big), maxUpload)
	}

	base := "/api/v1/products/" + p.ID + "/images"
	v40, v41 := p.Variants[0].ID, p.Variants[1].ID
	none := map[string]int{}
	changed := func(typ string) map[string]int {
		return map[string]int{catalog.EventProductUpdated: 1, typ: 1}
	}
	up := func(u *apptest.User, file []byte, fields ...string) ([]byte, map[string]string) {
		return imageUpload(t, u, file, fields...)
	}
	body := func(b []byte, _ map[string]string) []byte { return b }
	head := func(_ []byte, h map[string]string) map[string]string { return h }

	product := func(t testing.TB) imagesOf {
		r := a.Do(t, "GET", "/api/v1/products/"+p.ID, nil, nil)
		var out imagesOf
		r.JSON(t, &out)
		return out
	}
	layout := func(t testing.TB, want ...string) {
		t.Helper()
		got := product(t)
		var refs []string
		for i, im := range got.Images {
			if im.Position != i+1 {
				t.Errorf("image %d at position %d", i, im.Position)
			}
			ref := im.ID
			if ref == "" {
				ref = im.Source
			}
			refs = append(refs, ref)
		}
		if strings.Join(refs, " ") != strings.Join(want, " ") {
			t.Errorf("images %v, want %v", refs, want)
		}
	}

	scenarios := []apptest.Scenario{
		{Name: "upload a PNG", Method: "POST", URL: base, Body: body(up(&admin, pngFile, "alt", "Boot, front")), Headers: head(up(&admin, pngFile, "alt", "Boot, front")),
			ExpectedStatus: 201, ExpectedEvents: changed(catalog.EventImageAdded),
			ExpectedContent: []string{`"id":"` + pngID + `"`, `"url":"/api/v1/media/` + pngID + `"`, `"position":2`, `"alt":"Boot, front"`,
				`"thumb":"/api/v1/media/` + pngID + `/thumb"`, `"large":"/api/v1/media/` + pngID + `/large"`},
			ExpectedHeaders: map[string]string{"ETag": `"2"`, "Location": base + "/" + pngID},
			After: func(t testing.TB, a *apptest.App, _ *apptest.Response) {
				layout(t, "https://cdn.example/boot-side.jpg", pngID)
			}},
		{Name: "the product lists it with its thumbnails", Method: "GET", URL: "/api/v1/products/" + p.ID, ExpectedStatus: 200,
			ExpectedContent: []string{`"images":[{"id":"","url":"https://cdn.example/boot-side.jpg","position":1,"alt":"from the import","source":"https://cdn.example/boot-side.jpg"}`,
				`{"id":"` + pngID + `","url":"/api/v1/media/` + pngID + `","position":2,"alt":"Boot, front","thumbnails":{`,
				`"medium":"/api/v1/media/` + pngID + `/medium"`, `"small":"/api/v1/media/` + pngID + `/small"`}},
		{Name: "the image is served", Method: "GET", URL: "/api/v1/media/" + pngID, ExpectedStatus: 200,
			ExpectedHeaders: map[string]string{"Content-Type": "image/png"}},
		{Name: "its thumbnail is served", Method: "GET", URL: "/api/v1/media/" + pngID + "/thumb", ExpectedStatus: 200,
			ExpectedHeaders: map[string]string{"Content-Type": "image/png", "Cache-Control": "public, max-age=86400"},
			After: func(t testing.TB, _ *apptest.App, r *apptest.Response) {
				cfg, _, err := image.DecodeConfig(bytes.NewReader(r.Body))
				if err != nil || cfg.Width != 160 || cfg.Height != 120 {
					t.Errorf("thumbnail %dx%d (%v), want 160x120", cfg.Width, cfg.Height, err)
				}
			}},
		{Name: "insert a JPEG before the PNG, for a variant, with If-Match", Method: "POST", URL: base,
			Body:           body(up(&admin, jpegFile, "position", "2", "variant_ids", v41)),
			Headers:        withHeaders(head(up(&admin, jpegFile, "position", "2", "variant_ids", v41)), map[string]string{"If-Match": `"2"`}),
			ExpectedStatus: 201, ExpectedEvents: changed(catalog.EventImageAdded),
			ExpectedContent: []string{`"id":"` + jpegID + `"`, `"position":2`, `"variant_ids":["` + v41 + `"]`},
			ExpectedHeaders: map[string]string{"ETag": `"3"`},
			After: func(t testing.TB, a *apptest.App, _ *apptest.Response) {
				layout(t, "https://cdn.example/boot-side.jpg", jpegID, pngID)
			}},
		{Name: "the JPEG's variant is a JPEG", Method: "GET", URL: "/api/v1/media/" + jpegID + "/small", ExpectedStatus: 200,
			ExpectedHeaders: map[string]string{"Content-Type": "image/jpeg"}},
		{Name: "stale If-Match on upload", Method: "POST", URL: base, Body: body(up(&admin, posFile)),
			Headers:        withHeaders(head(up(&admin, posFile)), map[string]string{"If-Match": `"2"`}),
			ExpectedStatus: 412, ExpectedContent: []string{`"code":"version_mismatch"`}, ExpectedEvents: none},
		{Name: "the same file again", Method: "POST", URL: base, Body: body(up(&admin, pngFile)), Headers: head(up(&admin, pngFile)),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"image_exists"`}, ExpectedEvents: none},
		{Name: "not an image", Method: "POST", URL: base, Body: body(up(&admin, []byte("just some text, not a picture"))),
			Headers:        head(up(&admin, []byte("just some text, not a picture"))),
			ExpectedStatus: 422, ExpectedContent: []string{`"code":"unsupported_media_type"`, `"field":"file"`}, ExpectedEvents: none},
		{Name: "a broken PNG", Method: "POST", URL: base, Body: body(up(&admin, pngFile[:100])), Headers: head(up(&admin, pngFile[:100])),
			ExpectedStatus: 422, ExpectedContent: []string{`"code":"invalid_image"`, `"field":"file"`}, ExpectedEvents: none},
		{Name: "over media.max_upload", Method: "POST", URL: base, Body: body(up(&admin, big)), Headers: head(up(&admin, big)),
			ExpectedStatus: 413, ExpectedContent: []string{`"code":"media_too_large"`}, ExpectedEvents: none},
		{Name: "unknown variant", Method: "POST", URL: base, Body: body(up(&admin, posFile, "variant_ids", v40+", nope")),
			Headers:        head(up(&admin, posFile, "variant_ids", v40+", nope")),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"variant_ids[1]"`}, ExpectedEvents: none},
		{Name: "position not a number", Method: "POST", URL: base, Body: body(up(&admin, posFile, "position", "first")),
			Headers:        head(up(&admin, posFile, "position", "first")),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"position"`}, ExpectedEvents: none},
		{Name: "no file", Method: "POST", URL: base, Body: body(up(&admin, nil, "alt", "x")), Headers: head(up(&admin, nil, "alt", "x")),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"file"`}, ExpectedEvents: none},
		{Name: "an unknown field", Method: "POST", URL: base, Body: body(up(&admin, posFile, "colour", "red")),
			Headers:        head(up(&admin, posFile, "colour", "red")),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"colour"`}, ExpectedEvents: none},
		{Name: "not multipart", Method: "POST", URL: base, Body: map[string]string{"file": "x"}, Headers: admin.Bearer(),
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"unsupported_media_type"`}, ExpectedEvents: none},
		{Name: "an unknown source", Method: "POST", URL: base, Body: body(up(&admin, posFile, "source", "https://cdn.example/other.jpg")),
			Headers:        head(up(&admin, posFile, "source", "https://cdn.example/other.jpg")),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"source"`}, ExpectedEvents: none},
		{Name: "anonymous", Method: "POST", URL: base, Body: body(up(nil, posFile)), Headers: head(up(nil, posFile)),
			ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "a customer", Method: "POST", URL: base, Body: body(up(&customer, posFile)), Headers: head(up(&customer, posFile)),
			ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "a vendor on the shop's product", Method: "POST", URL: base, Body: body(up(&seller, posFile)), Headers: head(up(&seller, posFile)),
			ExpectedStatus: 404, ExpectedContent: []string{`"code":"product_not_found"`}, ExpectedEvents: none},
		{Name: "another vendor's product", Method: "POST", URL: "/api/v1/products/" + own.ID + "/images", Body: body(up(&rival, posFile)),
			Headers: head(up(&rival, posFile)), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "the vendor's own product", Method: "POST", URL: "/api/v1/products/" + own.ID + "/images", Body: body(up(&seller, posFile)),
			Headers: head(up(&seller, posFile)), ExpectedStatus: 201, ExpectedEvents: changed(catalog.EventImageAdded),
			ExpectedContent: []string{`"id":"` + posID + `"`, `"position":1`}},
		{Name: "a no such product", Method: "POST", URL: "/api/v1/products/01JQ0000000000000000000009/images", Body: body(up(&admin, posFile)),
			Headers: head(up(&admin, posFile)), ExpectedStatus: 404, ExpectedEvents: none},

		{Name: "the upload replaces the imported image by its source", Method: "POST", URL: base,
			Body:           body(up(&admin, replaceFile, "source", "https://cdn.example/boot-side.jpg")),
			Headers:        head(up(&admin, replaceFile, "source", "https://cdn.example/boot-side.jpg")),
			ExpectedStatus: 201, ExpectedEvents: changed(catalog.EventImageAdded),
			ExpectedContent: []string{`"id":"` + replaceID + `"`, `"position":1`, `"alt":"from the import"`,
				`"source":"https://cdn.example/boot-side.jpg"`, `"url":"/api/v1/media/` + replaceID + `"`},
			After: func(t testing.TB, a *apptest.App, _ *apptest.Response) {
				layout(t, replaceID, jpegID, pngID)
			}},

		{Name: "change alt and move to the front", Method: "PUT", URL: base + "/" + pngID,
			Body: map[string]any{"alt": "Front view", "position": 1}, Headers: withHeaders(admin.Bearer(), map[string]string{"If-Match": `"4"`}),
			ExpectedStatus: 200, ExpectedEvents: changed(catalog.EventImageUpdated),
			ExpectedContent: []string{`"id":"` + pngID + `"`, `"position":1`, `"alt":"Front view"`},
			ExpectedHeaders: map[string]string{"ETag": `"5"`},
			After: func(t testing.TB, a *apptest.App, _ *apptest.Response) {
				layout(t, pngID, replaceID, jpegID)
			}},
		{Name: "set variants", Method: "PUT", URL: base + "/" + pngID, Body: map[string]any{"variant_ids": []string{v40, v41}},
			Headers: admin.Bearer(), ExpectedStatus: 200, ExpectedEvents: changed(catalog.EventImageUpdated),
			ExpectedContent: []string{`"variant_ids":["` + v40 + `","` + v41 + `"]`, `"alt":"Front view"`}},
		{Name: "clear variants", Method: "PUT", URL: base + "/" + pngID, Body: map[string]any{"variant_ids": []string{}},
			Headers: admin.Bearer(), ExpectedStatus: 200, NotExpectedContent: []string{`variant_ids`}},
		{Name: "unknown variant on update", Method: "PUT", URL: base + "/" + pngID, Body: map[string]any{"variant_ids": []string{"nope"}},
			Headers: admin.Bearer(), ExpectedStatus: 422, ExpectedContent: []string{`"field":"variant_ids[0]"`}, ExpectedEvents: none},
		{Name: "position past the end", Method: "PUT", URL: base + "/" + pngID, Body: map[string]any{"position": 4},
			Headers: admin.Bearer(), ExpectedStatus: 422, ExpectedContent: []string{`"field":"position"`}, ExpectedEvents: none},
		{Name: "an unknown JSON field", Method: "PUT", URL: base + "/" + pngID, Body: map[string]any{"caption": "x"},
			Headers: admin.Bearer(), ExpectedStatus: 422, ExpectedContent: []string{`"field":"caption"`}, ExpectedEvents: none},
		{Name: "stale If-Match on update", Method: "PUT", URL: base + "/" + pngID, Body: map[string]any{"alt": "x"},
			Headers: withHeaders(admin.Bearer(), map[string]string{"If-Match": `"4"`}), ExpectedStatus: 412, ExpectedEvents: none},
		{Name: "update an unknown image", Method: "PUT", URL: base + "/" + strings.Repeat("a", 64), Body: map[string]any{"alt": "x"},
			Headers: admin.Bearer(), ExpectedStatus: 404, ExpectedContent: []string{`"code":"image_not_found"`}, ExpectedEvents: none},
		{Name: "update as another vendor", Method: "PUT", URL: "/api/v1/products/" + own.ID + "/images/" + posID, Body: map[string]any{"alt": "x"},
			Headers: rival.Bearer(), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "update as the owning vendor", Method: "PUT", URL: "/api/v1/products/" + own.ID + "/images/" + posID, Body: map[string]any{"alt": "Silk"},
			Headers: seller.Bearer(), ExpectedStatus: 200, ExpectedEvents: changed(catalog.EventImageUpdated)},

		{Name: "stale If-Match on delete", Method: "DELETE", URL: base + "/" + jpegID, Headers: withHeaders(admin.Bearer(), map[string]string{"If-Match": `"1"`}),
			ExpectedStatus: 412, ExpectedEvents: none},
		{Name: "delete", Method: "DELETE", URL: base + "/" + jpegID, Headers: admin.Bearer(),
			ExpectedStatus: 204, ExpectedEvents: changed(catalog.EventImageRemoved), ExpectedHeaders: map[string]string{"ETag": `"8"`},
			After: func(t testing.TB, a *apptest.App, _ *apptest.Response) {
				layout(t, pngID, replaceID)
			}},
		{Name: "delete again", Method: "DELETE", URL: base + "/" + jpegID, Headers: admin.Bearer(),
			ExpectedStatus: 404, ExpectedContent: []string{`"code":"image_not_found"`}, ExpectedEvents: none},
		{Name: "delete by position", Method: "DELETE", URL: base + "/2", Headers: admin.Bearer(),
			ExpectedStatus: 204, ExpectedEvents: changed(catalog.EventImageRemoved),
			After: func(t testing.TB, a *apptest.App, _ *apptest.Response) {
				layout(t, pngID)
			}},
		{Name: "delete as a customer", Method: "DELETE", URL: base + "/" + pngID, Headers: customer.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "the deleted image's file is still served", Method: "GET", URL: "/api/v1/media/" + jpegID, ExpectedStatus: 200},
	}
	apptest.Run(t, a, scenarios)
}

// TestProductImageReplacesImportedByPosition uploads at the position of an imported image
// waiting for its file: the upload takes its place.
func TestProductImageReplacesImportedByPosition(t *testing.T) {
	a := apptest.New(t)
	admin := a.NewUser(t, auth.RoleAdmin)
	p := createProduct(t, a, admin, productBody("Lamp", "LMP", 900, map[string]any{"images": []map[string]any{
		{"source": "https://cdn.example/a.jpg", "alt": "A"}, {"source": "https://cdn.example/b.jpg", "alt": "B"}}}))
	file := testImage(t, 40, 40, color.NRGBA{0, 200, 0, 255}, false)
	b, h := imageUpload(t, &admin, file, "position", "2", "alt", "B, uploaded")
	r := a.Do(t, "POST", "/api/v1/products/"+p.ID+"/images", b, h)
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var got imagesOf
	a.Do(t, "GET", "/api/v1/products/"+p.ID, nil, nil).JSON(t, &got)
	if len(got.Images) != 2 || got.Images[0].ID != "" || got.Images[0].Source != "https://cdn.example/a.jpg" ||
		got.Images[1].ID == "" || got.Images[1].Source != "https://cdn.example/b.jpg" || got.Images[1].Alt != "B, uploaded" ||
		got.Images[1].URL != "/api/v1/media/"+got.Images[1].ID {
		t.Errorf("images %+v", got.Images)
	}
}

// TestProductImageWatermark configures a watermark (a red PNG in the data directory, opaque,
// bottom-right) and reads the pixels: the served variant carries it, the original does not.
func TestProductImageWatermark(t *testing.T) {
	var dataDir string
	a := apptest.New(t, func(c *config.Config) {
		dataDir = c.Data.Dir
		c.Media.Watermark = config.Watermark{Image: "mark.png", Position: "bottom-right", Opacity: 1, Scale: 0.5}
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dataDir, "mark.png"), testImage(t, 20, 10, color.NRGBA{255, 0, 0, 255}, false), 0o600); err != nil {
			t.Fatal(err)
		}
	})
	admin := a.NewUser(t, auth.RoleAdmin)
	p := createProduct(t, a, admin, productBody("Vase", "VASE", 1000, nil))
	b, h := imageUpload(t, &admin, testImage(t, 400, 400, color.NRGBA{255, 255, 255, 255}, false))
	r := a.Do(t, "POST", "/api/v1/products/"+p.ID+"/images", b, h)
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var img catalog.Image
	r.JSON(t, &img)
	at := func(url string, x, y int) color.NRGBA {
		r := a.Do(t, "GET", url, nil, nil)
		if r.Status != 200 {
			t.Fatalf("GET %s: %d", url, r.Status)
		}
		m, _, err := image.Decode(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		return color.NRGBAModel.Convert(m.At(x, y)).(color.NRGBA)
	}
	// The thumb is 160×160; the watermark 80×40 with a margin of 3: x 77..157, y 117..157.
	if c := at(img.Thumbnails["thumb"], 150, 150); c.R < 250 || c.G > 5 || c.B > 5 {
		t.Errorf("thumbnail inside the watermark: %v, want red", c)
	}
	if c := at(img.Thumbnails["thumb"], 10, 10); c.R < 250 || c.G < 250 || c.B < 250 {
		t.Errorf("thumbnail outside the watermark: %v, want white", c)
	}
	if c := at(img.URL, 390, 390); c.R < 250 || c.G < 250 || c.B < 250 {
		t.Errorf("original: %v, want white (no watermark)", c)
	}
}
