#!/bin/sh
# Time to interactive of the map page with a 100,000-event layer (issue
# 14): a synthetic layer (bench/genpoints: random points labelled
# synthetic, never map data) imported beside the default data and picked
# beside the attacks; headless Chromium opens the page RUNS times (one
# warm browser, a new page each run) in circles and in clusters mode, and
# bench/page.mjs reports, from the navigation's start, when the page is
# ready (filters, table and timeline usable), when it is interactive (its
# tiles in view, or its clusters from /aggregate, and the attacks drawn),
# and how long a click on a category chip takes to show. Prints each
# run and the medians. Loopback only; not part of make test.
#   sh bench/page.sh [RUNS] [POINTS]
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
points=${2:-100000}
[ -x /usr/bin/chromium ] || { echo "no /usr/bin/chromium: apt-get install chromium (or make deps)"; exit 1; }
[ -d tests/browser/node_modules/playwright-core ] || { echo "no playwright-core: cd tests/browser && npm ci (or make deps)"; exit 1; }
tmp=$(mktemp -d)
srv=""
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; rm -rf "$tmp"' EXIT

go build -o "$tmp/khorasan" ./cmd/khorasan
go run ./bench/genpoints -n "$points" > "$tmp/points.geojson"
# A free loopback port. The server creates the database from the default
# data, then sees the layer imported beside it.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$tmp/khorasan" serve --addr 127.0.0.1:$port --db "$tmp/bench.gpkg" 2>"$tmp/serve.log" &
srv=$!
for i in $(seq 150); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
"$tmp/khorasan" import --db "$tmp/bench.gpkg" --layer synthetic --title "Synthetic events (generated)" "$tmp/points.geojson" >/dev/null
for i in $(seq 150); do curl -sf http://127.0.0.1:$port/api/collections/synthetic >/dev/null && break; sleep 0.2; done
base=http://127.0.0.1:$port/

median() { tr ',' '\n' | sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
echo "$points synthetic events beside the attacks; $runs runs per mode; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in circles clusters; do
	# One run to warm the server's caches and the browser.
	node bench/page.mjs "$base" synthetic "$mode" 1 >/dev/null
	res=$(node bench/page.mjs "$base" synthetic "$mode" "$runs")
	echo "$mode: $res"
	for k in ready interactive filter; do
		printf '  %-12s median %6s ms\n' "$k" "$(echo "$res" | sed "s/.*\"$k\":\[\([^]]*\)\].*/\1/" | median)"
	done
done
