# khorasan: see README.md. `make run` serves the map, `make test` runs
# every test after installing what the tests need.

GO       ?= go
ADDR     ?= 127.0.0.1:8080
DB       ?= khorasan.gpkg
BIN      := bin/khorasan
FUZZTIME ?= 5m

.PHONY: run build test deps vet bench bench-import bench-items bench-postgis fuzz fuzz-run data clean

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

# Every native fuzz target, as package:Target. make test runs only their
# seed corpora and testdata/fuzz regressions (plain go test does), so its
# verdict is the same on every run; make fuzz searches for minutes, and
# what it finds is committed under testdata/fuzz/.
FUZZ_TARGETS := geo/gpkg:FuzzDecodeGeometryBlob geo/gpkg:FuzzFilter \
	geo/geojson:FuzzGeoJSONReader geo/geojson:FuzzAppendWKB geo/geojson:FuzzAppendValue geo/csv:FuzzCSVReader geo/kml:FuzzKMLReader \
	geo/cql2:FuzzCQL2 geo/cql2:FuzzPrepared server:FuzzItemsQuery server:FuzzAggregateQuery server:FuzzTilePath server:FuzzCheckQuery tiles/figure:FuzzRenderQuery

test: deps vet
	$(GO) test -count=1 -timeout 12m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# bench-import times khorasan import against ogr2ogr (1,000,000-row CSV,
# 100,000-feature GeoJSON) and runs the full-size crash and load tests
# (make test runs them scaled down).
bench-import:
	KHORASAN_FULL=1 sh bench/import.sh

# bench-items: the uncached items path, khorasan on a GeoPackage against
# pg_featureserv on PostGIS (bench/items.sh). bench-postgis: khorasan on
# PostGIS against pg_featureserv and pg_tileserv on the same database
# (bench/postgis.sh). Both start a throwaway PostgreSQL cluster.
bench-items:
	sh bench/items.sh

bench-postgis:
	sh bench/postgis.sh

fuzz: fuzz-run

# .ci/fuzz runs each target and reruns once when Go's fuzz coordinator
# reports its own -fuzztime deadline as a failure without a failing input.
fuzz-run:
	@GO=$(GO) FUZZTIME=$(FUZZTIME) sh .ci/fuzz $(FUZZ_TARGETS)

# data regenerates data/ from its sources (needs npm); see data/SOURCES.md.
data:
	sh data/generate.sh

clean:
	rm -rf bin
