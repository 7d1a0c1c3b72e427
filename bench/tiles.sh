#!/bin/sh
# Load test of the tile endpoints (issue 4): wrk at 32 connections over a
# fixed list of tiles from z3 to z8 over the region (44..80 E, 24..44 N,
# 4 to 6 tiles a zoom around Kabul and Mashhad), in one run:
#   - vector tiles of borders (1:10m) and of a generated 100,000-point
#     layer, cold (a server started with --tile-cache-mb 0) and warm;
#   - basemap PNG tiles, cold and warm;
#   - the same tile bytes from disk through Go's http.FileServer.
# Loopback only; every wrk run is bounded by DURATION.
#   sh bench/tiles.sh [DURATION]   (default 10s per run)
set -eu
cd "$(dirname "$0")/.."
duration=${1:-10s}
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk"; exit 1; }
tmp=$(mktemp -d)
trap 'kill $warm $cold $files 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/khorasan" ./cmd/khorasan
go build -o "$tmp/fileserver" ./bench/fileserver
go run ./bench/genpoints -n 100000 > "$tmp/points.geojson"
"$tmp/khorasan" serve --addr 127.0.0.1:18093 --db "$tmp/bench.gpkg" 2>/dev/null &
warm=$!
for i in $(seq 100); do curl -sf http://127.0.0.1:18093/healthz >/dev/null && break; sleep 0.2; done
"$tmp/khorasan" import --db "$tmp/bench.gpkg" --layer points "$tmp/points.geojson" >/dev/null
"$tmp/khorasan" serve --addr 127.0.0.1:18094 --db "$tmp/bench.gpkg" --tile-cache-mb 0 2>/dev/null &
cold=$!
mkdir "$tmp/static"
"$tmp/fileserver" -dir "$tmp/static" -addr 127.0.0.1:18095 &
files=$!
for i in $(seq 100); do curl -sf http://127.0.0.1:18094/healthz >/dev/null && break; sleep 0.2; done

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
for kind in borders points basemap; do
	ext=mvt
	[ "$kind" = basemap ] && ext=png
	sed "s|^|/tiles/$kind/|; s|\$|.$ext|" "$tmp/zxy.txt" > "$tmp/$kind.txt"
	while read -r p; do
		mkdir -p "$tmp/static$(dirname "$p")"
		curl -sf -o "$tmp/static$p" "http://127.0.0.1:18093$p"
	done < "$tmp/$kind.txt"
done
# The cold server loads the layers into memory in the background (tiles
# come from SQLite until then): wait for the points.
for i in $(seq 100); do
	curl -sf http://127.0.0.1:18094/metrics | grep -q '^khorasan_tile_layer_features_in_memory{layer="points"} 100000$' && break
	sleep 0.2
done
echo "tiles: $(wc -l < "$tmp/zxy.txt") per layer, z3..z8; bytes: borders $(cat "$tmp"/static/tiles/borders/*/*/* | wc -c), points $(cat "$tmp"/static/tiles/points/*/*/* | wc -c), basemap $(cat "$tmp"/static/tiles/basemap/*/*/* | wc -c)"

report() { # name base-url list
	wrk -t2 -c32 -d"$duration" --latency -s bench/tiles.lua "$2" -- "$3" | awk -v name="$1" '
		/Requests\/sec/ {rps=$2}
		/^ +50%/ {p50=$2}
		/^ +99%/ {p99=$2}
		/Non-2xx/ {bad=$0}
		END {printf "%-34s %10s req/s   p50 %-9s p99 %-9s %s\n", name, rps, p50, p99, bad}'
}
report "borders MVT, cold (no cache)" http://127.0.0.1:18094 "$tmp/borders.txt"
report "borders MVT, warm" http://127.0.0.1:18093 "$tmp/borders.txt"
report "  same bytes, FileServer" http://127.0.0.1:18095 "$tmp/borders.txt"
report "100k points MVT, cold (no cache)" http://127.0.0.1:18094 "$tmp/points.txt"
report "100k points MVT, warm" http://127.0.0.1:18093 "$tmp/points.txt"
report "  same bytes, FileServer" http://127.0.0.1:18095 "$tmp/points.txt"
report "basemap PNG, cold (no cache)" http://127.0.0.1:18094 "$tmp/basemap.txt"
report "basemap PNG, warm" http://127.0.0.1:18093 "$tmp/basemap.txt"
report "  same bytes, FileServer" http://127.0.0.1:18095 "$tmp/basemap.txt"
