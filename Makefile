# UltraMarket build, run, test and benchmark targets. Only Go is needed.
GO      ?= go
BIN     ?= bin/ultramarket
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
DATA    ?= ./data
LISTEN  ?= 127.0.0.1:8080

.PHONY: build run test bench lint clean

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/ultramarket

# Serve with embedded defaults; an empty data dir is seeded with a demo shop.
run: build
	$(BIN) serve --data $(DATA) --listen $(LISTEN) --demo

test: lint
	$(GO) test -count=1 -timeout 20m ./...

# Benchmarks: store commit throughput against raw Pebble, search, media, start-up time and
# idle memory of the real binary, and the storefront load (ultramarket-load against serve --demo
# with 10,000 products; its JSON report goes to bin/bench-storefront.json). Figures are
# printed; nothing is asserted on time.
bench: build
	$(GO) build -trimpath -o bin/ultramarket-load ./cmd/ultramarket-load
	$(GO) test -run '^$$' -bench . -benchtime 3s -timeout 30m ./store/ ./index/ ./media/ ./auth/ ./commerce/pricing/
	$(GO) test -run '^$$' -bench . -benchtime 5000x -timeout 30m ./bus/
	ULTRAMARKET_BENCH_BINARY=$(abspath $(BIN)) ULTRAMARKET_LOAD_BINARY=$(abspath bin/ultramarket-load) \
	  ULTRAMARKET_LOAD_JSON=$(abspath bin/bench-storefront.json) \
	  $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./internal/bench/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin
