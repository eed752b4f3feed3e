package media

import (
	"crypto/sha256"
	"encoding/hex"
)

// CacheControl is the Cache-Control header for originals. An original's URL names the hash
// of its bytes, so they never change and clients may keep them for a year without asking
// again.
const CacheControl = "public, max-age=31536000, immutable"

// VariantCacheControl is the Cache-Control header for variants. A variant's bytes change
// when its box, the JPEG quality or the watermark is reconfigured, under the same URL, so
// clients keep it for a day and then revalidate (its ETag names its bytes: 304 when unchanged).
const VariantCacheControl = "public, max-age=86400"

// CacheControlOf returns the Cache-Control header for the original (variant "") or a variant.
func CacheControlOf(variant string) string {
	if variant == "" {
		return CacheControl
	}
	return VariantCacheControl
}

// ETag returns the strong entity tag of the bytes m describes, derived from their SHA-256:
// pass the Meta returned by Open with variant "", or the Meta returned by Variant with the
// variant's name. The HTTP layer sets it (with CacheControl and m.ContentType) before
// http.ServeContent, which then answers If-None-Match with 304.
func ETag(m Meta, variant string) string {
	if variant == "" {
		return `"` + m.ID + `"`
	}
	if !validVariantName(variant) {
		// Never echo arbitrary input into a header.
		sum := sha256.Sum256([]byte(variant))
		variant = "x" + hex.EncodeToString(sum[:8])
	}
	if m.Variant == variant && ValidID(m.Digest) {
		return `"` + m.ID + "-" + variant + "-" + m.Digest[:16] + `"`
	}
	return `"` + m.ID + "-" + variant + `"`
}
