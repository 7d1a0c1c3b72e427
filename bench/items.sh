#!/bin/sh
# Load test of the items endpoint (issue: OGC API - Features): wrk at 32
# connections against a 100,000-point layer, beside the same response bytes
# served from disk by Go's http.FileServer, in one run. Loopback only.
#   sh bench/items.sh [DURATION]   (default 10s per URL)
set -eu
cd "$(dirname "$0")/.."
duration=${1:-10s}
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk"; exit 1; }
tmp=$(mktemp -d)
trap 'kill $server $files 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/khorasan" ./cmd/khorasan
go build -o "$tmp/fileserver" ./bench/fileserver
go run ./bench/genpoints -n 100000 > "$tmp/points.geojson"
"$tmp/khorasan" import --db "$tmp/bench.gpkg" --layer points "$tmp/points.geojson"

"$tmp/khorasan" serve --addr 127.0.0.1:18091 --db "$tmp/bench.gpkg" 2>/dev/null &
server=$!
mkdir "$tmp/static"
"$tmp/fileserver" -dir "$tmp/static" -addr 127.0.0.1:18092 &
files=$!
for i in $(seq 50); do curl -sf http://127.0.0.1:18091/healthz >/dev/null && break; sleep 0.2; done

items="/api/collections/points/items?bbox=60,30,70,40&limit=1000"
feature="/api/collections/points/items/synthetic-4242"
curl -sf "http://127.0.0.1:18091$items" > "$tmp/static/items.json"
curl -sf "http://127.0.0.1:18091$feature" > "$tmp/static/feature.json"
echo "items page: $(wc -c < "$tmp/static/items.json") bytes; feature: $(wc -c < "$tmp/static/feature.json") bytes"

report() { # name url
	wrk -t2 -c32 -d"$duration" --latency "$2" | awk -v name="$1" '
		/Requests\/sec/ {rps=$2}
		/^ +99%/ {p99=$2}
		END {printf "%-28s %10s req/s   p99 %s\n", name, rps, p99}'
}
report "items bbox limit=1000" "http://127.0.0.1:18091$items"
report "  same bytes, FileServer" "http://127.0.0.1:18092/items.json"
report "single feature" "http://127.0.0.1:18091$feature"
report "  same bytes, FileServer" "http://127.0.0.1:18092/feature.json"
