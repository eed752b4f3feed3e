package http_test

import (
	"net/http/httptest"
	"testing"
)

// BenchmarkSuggestRoute measures the server side of autocompletion (the Echo handler with
// every middleware, no network) with keystroke prefixes.
func BenchmarkSuggestRoute(b *testing.B) {
	a, _, _ := benchShop(b)
	h := a.HTTP.Handler()
	prefixes := []string{"t", "te", "tea", "le", "leat", "leather+b", "wi", "wireless+h", "co", "cotton", "ho", "gift", "tr", "trav"}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/products/search/suggest?limit=8&q="+prefixes[i%len(prefixes)], nil))
			if w.Code != 200 {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
}
