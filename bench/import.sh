#!/bin/sh
# Import benchmark (issue 7): a generated 1,000,000-point CSV and a
# 100,000-feature GeoJSON, imported by khorasan import and by
# ogr2ogr -f GPKG from the same files in the same run; wall time and peak
# memory from /usr/bin/time -v. Both build a typed table with a spatial
# index; ogr2ogr is given the coordinate columns and type detection.
#   sh bench/import.sh [ROWS] [FEATURES]
# With KHORASAN_FULL=1 it then runs the full-size fault tests that make
# test runs scaled down: a SIGKILL during a 1,000,000-row import, and 32
# readers with 4 writers for 60 seconds.
set -eu
cd "$(dirname "$0")/.."
rows=${1:-1000000}
features=${2:-100000}
command -v ogr2ogr >/dev/null || { echo "ogr2ogr not found: apt-get install gdal-bin"; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time not found: apt-get install time"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/khorasan" ./cmd/khorasan
go run ./bench/importgen -n "$rows" > "$tmp/points.csv"
go run ./bench/genpoints -n "$features" > "$tmp/points.geojson"
echo "inputs: $rows-row CSV ($(du -h "$tmp/points.csv" | cut -f1)), $features-feature GeoJSON ($(du -h "$tmp/points.geojson" | cut -f1)); $(nproc) cores; $(ogr2ogr --version)"
printf '%-34s %12s %14s %10s\n' "run" "wall" "peak RSS" "features"

# measure NAME DB LAYER COMMAND...: time and memory of one import, and the
# features the result holds (counted by GDAL).
measure() {
	name=$1 db=$2 layer=$3
	shift 3
	rm -f "$db" "$db-wal" "$db-shm"
	if ! /usr/bin/time -v "$@" > "$tmp/out.txt" 2> "$tmp/time.txt"; then
		cat "$tmp/out.txt" "$tmp/time.txt"
		exit 1
	fi
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time.txt")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.txt")
	n=$(ogrinfo -ro -so "$db" "$layer" | sed -n 's/^Feature Count: //p')
	printf '%-34s %12s %10s MiB %10s\n' "$name" "$wall" "$((rss / 1024))" "$n"
}

for round in 1 2; do
	measure "khorasan import CSV (#$round)" "$tmp/k.gpkg" points \
		"$tmp/khorasan" import --db "$tmp/k.gpkg" --layer points --mode create "$tmp/points.csv"
	measure "ogr2ogr CSV (#$round)" "$tmp/o.gpkg" points \
		ogr2ogr -f GPKG "$tmp/o.gpkg" "$tmp/points.csv" -nln points -a_srs EPSG:4326 \
		-oo X_POSSIBLE_NAMES=longitude -oo Y_POSSIBLE_NAMES=latitude -oo AUTODETECT_TYPE=YES -oo KEEP_GEOM_COLUMNS=NO
	measure "khorasan import GeoJSON (#$round)" "$tmp/k2.gpkg" points \
		"$tmp/khorasan" import --db "$tmp/k2.gpkg" --layer points --mode create "$tmp/points.geojson"
	measure "ogr2ogr GeoJSON (#$round)" "$tmp/o2.gpkg" points \
		ogr2ogr -f GPKG "$tmp/o2.gpkg" "$tmp/points.geojson" -nln points
done

if [ -n "${KHORASAN_FULL:-}" ]; then
	echo "full-size fault and load tests:"
	KHORASAN_FULL=1 go test -count=1 -v -run 'TestKillDuringImport' ./tests/crash | grep -E '^(---|ok|FAIL)|crash_test'
	KHORASAN_LOAD_READERS=32 KHORASAN_LOAD_WRITERS=4 KHORASAN_LOAD_SECONDS=60 \
		go test -count=1 -v -timeout 10m ./tests/concurrency | grep -E '^(---|ok|FAIL)|concurrency_test'
fi
