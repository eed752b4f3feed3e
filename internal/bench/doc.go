// Package bench measures the real ultramarket binary: it starts `ultramarket serve` as a
// separate process on 127.0.0.1 and reports how long it takes to answer /readyz with 200 on
// an empty data dir and on one holding 100,000 products, how much memory it holds when idle,
// and how large the binary is; and it runs the storefront load (cmd/ultramarket-load) against
// a 10,000-product demo shop. Figures are reported with b.ReportMetric; nothing is asserted
// on time or size.
//
// Run it through `make bench`, or directly:
//
//	go build -o /tmp/ultramarket ./cmd/ultramarket
//	ULTRAMARKET_BENCH_BINARY=/tmp/ultramarket go test -run '^$' -bench . -benchtime 1x ./internal/bench/
//
// When ULTRAMARKET_BENCH_BINARY (or ULTRAMARKET_LOAD_BINARY for the load tool) is unset
// each benchmark builds the binary itself into a temporary directory (and skips when it
// cannot).
package bench
