#!/bin/sh
# Load test of the uncached items path (issue 16), in one run with the
# same wrk command (32 connections): khorasan on a GeoPackage against
# pg_featureserv on PostGIS (pool of 40), over the same 100,000 synthetic
# points and the same Natural Earth 1:10m countries:
#   - 500 distinct bboxes of 4° with limit=1000 (khorasan with
#     --items-cache-mb 0: 500 pages are more than the default cache holds,
#     so without it some would be answered from memory);
#   - single features by id (500 distinct ids);
#   - the full countries page (limit=300);
# with each server's and PostgreSQL's CPU seconds meanwhile, and the same
# bytes from Go's http.FileServer as the ceiling. Loopback only.
#   sh bench/items.sh [DURATION]   (default 15s per run)
set -eu
cd "$(dirname "$0")/.."
duration=${1:-15s}
for c in wrk ogr2ogr curl unzip; do
	command -v $c >/dev/null || { echo "$c not found: apt-get install wrk gdal-bin curl unzip"; exit 1; }
done
countries=.cache/gendata/node_modules/world-atlas/countries-10m.json
[ -f "$countries" ] || sh data/npm.sh
tmp=$(mktemp -d)
pgport=${PGPORT_BENCH:-15432}
. bench/peers.sh
trap 'kill ${khorasan:-} ${files:-} ${featureserv_pid:-} 2>/dev/null || true; pg_stop; rm -rf "$tmp"' EXIT

go build -o "$tmp/khorasan" ./cmd/khorasan
go build -o "$tmp/fileserver" ./bench/fileserver
go run ./bench/genpoints -n 100000 > "$tmp/points.geojson"
# world-atlas quantizes the rings, which leaves some self-touching:
# ogr2ogr -makevalid repairs them (GEOS), for both servers alike.
ogr2ogr -f GeoJSON -makevalid -nlt MULTIPOLYGON "$tmp/countries.geojson" "$countries" countries
"$tmp/khorasan" import --db "$tmp/bench.gpkg" --layer points "$tmp/points.geojson" >/dev/null
"$tmp/khorasan" import --db "$tmp/bench.gpkg" --layer countries "$tmp/countries.geojson" >/dev/null
pg_start
pg_load points "$tmp/points.geojson"
pg_load countries "$tmp/countries.geojson"
peers_build
"$tmp/khorasan" serve --addr 127.0.0.1:18091 --db "$tmp/bench.gpkg" --items-cache-mb 0 2>/dev/null &
khorasan=$!
mkdir "$tmp/static"
"$tmp/fileserver" -dir "$tmp/static" -addr 127.0.0.1:18092 &
files=$!
wait_http http://127.0.0.1:18091/healthz
[ -n "$featureserv" ] && featureserv_start 18096

# The same requests of both servers; pg_featureserv's ids are the serial
# keys ogr2ogr gave, in the same order as our ids.
bboxes 500 44 24 80 44 4 > "$tmp/bboxes.txt"
sed 's|^|/api/collections/points/items?limit=1000\&bbox=|' "$tmp/bboxes.txt" > "$tmp/ours-bbox.txt"
sed 's|^|/collections/public.points/items.json?limit=1000\&bbox=|' "$tmp/bboxes.txt" > "$tmp/peer-bbox.txt"
awk 'BEGIN { srand(2); for (i = 0; i < 500; i++) print int(rand() * 100000) }' > "$tmp/ids.txt"
sed 's|^|/api/collections/points/items/synthetic-|' "$tmp/ids.txt" > "$tmp/ours-one.txt"
awk '{ print "/collections/public.points/items/" $1 + 1 ".json" }' "$tmp/ids.txt" > "$tmp/peer-one.txt"
echo /api/collections/countries/items?limit=300 > "$tmp/ours-countries.txt"
echo /collections/public.countries/items.json?limit=300 > "$tmp/peer-countries.txt"
curl -sf -o "$tmp/static/countries.json" "http://127.0.0.1:18091$(cat "$tmp/ours-countries.txt")"
curl -sf -o "$tmp/static/bbox.json" "http://127.0.0.1:18091$(head -1 "$tmp/ours-bbox.txt")"
echo /countries.json > "$tmp/files-countries.txt"
echo /bbox.json > "$tmp/files-bbox.txt"
echo "points: 100000; countries: $(grep -o '"type":"Feature"' "$tmp/static/countries.json" | wc -l) features, $(wc -c < "$tmp/static/countries.json") bytes a page; one bbox page: $(wc -c < "$tmp/static/bbox.json") bytes; $(nproc) cores"

report_header
report "items, 500 bboxes, limit=1000" http://127.0.0.1:18091 "$tmp/ours-bbox.txt" $khorasan
[ -n "$featureserv" ] && report "  pg_featureserv" http://127.0.0.1:18096 "$tmp/peer-bbox.txt" $featureserv_pid
report "  one page's bytes, FileServer" http://127.0.0.1:18092 "$tmp/files-bbox.txt" $files
report "single feature, 500 ids" http://127.0.0.1:18091 "$tmp/ours-one.txt" $khorasan
[ -n "$featureserv" ] && report "  pg_featureserv" http://127.0.0.1:18096 "$tmp/peer-one.txt" $featureserv_pid
report "countries page, limit=300" http://127.0.0.1:18091 "$tmp/ours-countries.txt" $khorasan
[ -n "$featureserv" ] && report "  pg_featureserv" http://127.0.0.1:18096 "$tmp/peer-countries.txt" $featureserv_pid
report "  same bytes, FileServer" http://127.0.0.1:18092 "$tmp/files-countries.txt" $files
