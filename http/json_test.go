package http

import (
	"bytes"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

type fuzzBody struct {
	Name  string            `json:"name"`
	Count int               `json:"count"`
	Tags  []string          `json:"tags"`
	Price commerce.Money    `json:"price"`
	Attrs map[string]string `json:"attrs"`
	Child *fuzzBody         `json:"child"`
}

// FuzzDecodeStrict: any request body either decodes or yields an invalid-input error (never a
// panic, never an internal error), and what decodes contains no unknown fields.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","count":1}`, `{"price":{"amount":1999,"currency":"USD"}}`, `{"role":"x"}`,
		`{"child":{"child":{"name":"x"}}}`, `{} {}`, `[`, `{"count":"1"}`, `{"count":1e400}`, `null`, "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v fuzzBody
		err := decodeStrict(bytes.NewReader(data), &v)
		if err == nil {
			return
		}
		e := commerce.AsError(err)
		if e == nil || e.Kind != commerce.EInvalid {
			t.Fatalf("body %q: error %v is not an invalid-input error", data, err)
		}
		if e.Code == "" || e.Message == "" {
			t.Fatalf("body %q: error without code or message: %+v", data, e)
		}
	})
}
