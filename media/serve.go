package media

import (
	"crypto/sha256"
	"encoding/hex"
)

// CacheControl is the Cache-Control header for media responses. An original's URL names the
// hash of its bytes, so they never change and clients may keep them for a year without
// asking again. Variants are served with it too: a variant's bytes change only when its box
// or the JPEG quality is reconfigured, so give a changed box a new variant name.
const CacheControl = "public, max-age=31536000, immutable"

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
