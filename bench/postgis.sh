#!/bin/sh
# Benchmark of khorasan on PostGIS (issue 13, make bench-postgis), in one
# run with the same wrk command (32 connections), tile list and bbox list:
# khorasan serving from a PostGIS database against pg_featureserv and
# pg_tileserv on the same database, which holds Natural Earth 1:10m
# countries and 100,000 synthetic points:
#   - items: 500 distinct bboxes of 4° with limit=1000 (no cache answers);
#   - cold vector tiles of the countries (khorasan with --tile-cache-mb 0
#     and --items-cache-mb 0; pg_tileserv has no cache) over z3..z8;
# with requests/s, p99, and the CPU seconds of each server and of
# PostgreSQL meanwhile. Loopback only.
#   sh bench/postgis.sh [DURATION]   (default 15s per run)
set -eu
cd "$(dirname "$0")/.."
duration=${1:-15s}
for c in wrk ogr2ogr curl unzip; do
	command -v $c >/dev/null || { echo "$c not found: apt-get install wrk gdal-bin curl unzip"; exit 1; }
done
countries=.cache/gendata/node_modules/world-atlas/countries-10m.json
[ -f "$countries" ] || sh data/npm.sh
tmp=$(mktemp -d)
pgport=${PGPORT_BENCH:-15433}
. bench/peers.sh
trap 'kill ${khorasan:-} ${featureserv_pid:-} ${tileserv_pid:-} 2>/dev/null || true; pg_stop; rm -rf "$tmp"' EXIT

go build -o "$tmp/khorasan" ./cmd/khorasan
go run ./bench/genpoints -n 100000 > "$tmp/points.geojson"
# world-atlas quantizes the rings, which leaves some self-touching:
# ogr2ogr -makevalid repairs them (GEOS).
ogr2ogr -f GeoJSON -makevalid -nlt MULTIPOLYGON "$tmp/countries.geojson" "$countries" countries
pg_start
peers_build
# khorasan's own tables, which pg_featureserv and pg_tileserv serve too:
# one database, one copy of the data, for all three.
"$tmp/khorasan" import --db "$pgdsn" --layer points "$tmp/points.geojson" >/dev/null
"$tmp/khorasan" import --db "$pgdsn" --layer countries "$tmp/countries.geojson" >/dev/null
psql_bench bench -c 'ANALYZE' >/dev/null
"$tmp/khorasan" serve --addr 127.0.0.1:18191 --db "$pgdsn" --tile-cache-mb 0 --items-cache-mb 0 2>"$tmp/khorasan.log" &
khorasan=$!
wait_http http://127.0.0.1:18191/healthz
[ -n "$featureserv" ] && featureserv_start 18196
[ -n "$tileserv" ] && tileserv_start 18197
# The tile index loads the layers in the background: wait for it.
for _ in $(seq 300); do
	curl -sf http://127.0.0.1:18191/metrics | grep -q '^khorasan_tile_layer_features_in_memory{layer="countries"} [1-9]' && break
	sleep 0.2
done

bboxes 500 44 24 80 44 4 > "$tmp/bboxes.txt"
sed 's|^|/api/collections/points/items?limit=1000\&bbox=|' "$tmp/bboxes.txt" > "$tmp/ours-bbox.txt"
sed 's|^|/collections/public.points/items.json?limit=1000\&bbox=|' "$tmp/bboxes.txt" > "$tmp/peer-bbox.txt"
# The tile list: for z3..z8 the tiles around two points of the region.
awk 'function tx(lon, z) { return int((lon + 180) / 360 * 2^z) }
function ty(lat, z,   r) { r = lat * 3.14159265358979 / 180; return int((1 - log((sin(r) + 1) / cos(r)) / 3.14159265358979) / 2 * 2^z) }
BEGIN {
	for (z = 3; z <= 8; z++) {
		split("69.2,34.5 59.6,36.3", pts, " ")
		for (p in pts) {
			split(pts[p], c, ",")
			x = tx(c[1], z); y = ty(c[2], z)
			for (dx = 0; dx <= 1; dx++) for (dy = 0; dy <= (z < 6 ? 0 : 1); dy++) {
				k = z "/" (x + dx) "/" (y + dy)
				if (!(k in seen)) { seen[k] = 1; print k }
			}
		}
	}
}' > "$tmp/zxy.txt"
sed 's|^|/tiles/countries/|; s|$|.mvt|' "$tmp/zxy.txt" > "$tmp/ours-tiles.txt"
sed 's|^|/public.countries/|; s|$|.pbf|' "$tmp/zxy.txt" > "$tmp/peer-tiles.txt"
echo "points: 100000; countries: $(grep -Eo '"type": ?"Feature"' "$tmp/countries.geojson" | wc -l); tiles: $(wc -l < "$tmp/zxy.txt") (z3..z8); $(nproc) cores; $(psql_bench bench -tAc 'SELECT version()' | cut -d, -f1), PostGIS $(psql_bench bench -tAc 'SELECT postgis_lib_version()')"

report_header
report "items, 500 bboxes, limit=1000" http://127.0.0.1:18191 "$tmp/ours-bbox.txt" $khorasan
[ -n "$featureserv" ] && report "  pg_featureserv" http://127.0.0.1:18196 "$tmp/peer-bbox.txt" $featureserv_pid
report "countries MVT, cold" http://127.0.0.1:18191 "$tmp/ours-tiles.txt" $khorasan
[ -n "$tileserv" ] && report "  pg_tileserv" http://127.0.0.1:18197 "$tmp/peer-tiles.txt" $tileserv_pid
true
