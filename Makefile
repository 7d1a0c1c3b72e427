# khorasan: see README.md. `make run` serves the map, `make test` runs
# every test after installing what the tests need.

GO       ?= go
ADDR     ?= 127.0.0.1:8080
DB       ?= khorasan.gpkg
BIN      := bin/khorasan
FUZZTIME ?= 10s

.PHONY: run build test deps vet bench fuzz data clean

run: build
	./$(BIN) serve --addr $(ADDR) --db $(DB)

build:
	$(GO) build -o $(BIN) ./cmd/khorasan

# deps installs GDAL, Chromium (Debian packages) and the browser test's npm
# packages when they are missing.
deps:
	sh .ci/deps

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }

test: deps vet
	$(GO) test -count=1 -timeout 10m ./...
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeGeoJSON$$' -fuzztime $(FUZZTIME) ./geo
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeGeometryBlob$$' -fuzztime $(FUZZTIME) ./geo
	$(GO) test -run '^$$' -fuzz '^FuzzItemsQuery$$' -fuzztime $(FUZZTIME) ./server

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# fuzz runs every fuzz target for longer than make test does.
fuzz:
	$(MAKE) test-fuzz FUZZTIME=5m

test-fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeGeoJSON$$' -fuzztime $(FUZZTIME) ./geo
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeGeometryBlob$$' -fuzztime $(FUZZTIME) ./geo
	$(GO) test -run '^$$' -fuzz '^FuzzItemsQuery$$' -fuzztime $(FUZZTIME) ./server

# data regenerates data/ from its sources (needs npm); see data/SOURCES.md.
data:
	sh data/generate.sh

clean:
	rm -rf bin
