#!/bin/sh
# Benchmark of static figures (issue 5): a 1200x800 PNG of the whole region
# (the fitted first view) with every layer, drawn by
#   - /render on a local server (curl, one request at a time), and
#   - headless Chromium loading the Leaflet page at 1200x800 and taking a
#     screenshot once the page is ready (one warm browser, a new page each
#     run, playwright-core from tests/browser/node_modules),
# measured in one run; it prints the median of each and their ratio, then
# the in-process Go benchmark (BenchmarkFigurePNG) for the drawing alone.
# Loopback only; RUNS (default 9) bounds both loops.
#   sh bench/render.sh [RUNS]
set -eu
cd "$(dirname "$0")/.."
runs=${1:-9}
port=18096
[ -x /usr/bin/chromium ] || { echo "no /usr/bin/chromium: apt-get install chromium (or make deps)"; exit 1; }
[ -d tests/browser/node_modules/playwright-core ] || { echo "no playwright-core: cd tests/browser && npm ci (or make deps)"; exit 1; }
tmp=$(mktemp -d)
srv=""
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; rm -rf "$tmp"' EXIT

go build -o "$tmp/khorasan" ./cmd/khorasan
"$tmp/khorasan" serve --addr 127.0.0.1:$port --db "$tmp/bench.gpkg" 2>"$tmp/serve.log" &
srv=$!
for i in $(seq 150); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
base=http://127.0.0.1:$port

median() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# Warm both up once (the database's page cache, the browser's first start).
curl -sf -o "$tmp/render.png" "$base/render?width=1200&height=800"
node bench/render-chromium.mjs "$base/" 1200 800 1 "$tmp/chromium.png" >/dev/null

: > "$tmp/render.ms"
for i in $(seq "$runs"); do
	curl -sf -o "$tmp/render.png" -w '%{time_total}\n' "$base/render?width=1200&height=800" | awk '{print $1 * 1000}' >> "$tmp/render.ms"
done
node bench/render-chromium.mjs "$base/" 1200 800 "$runs" "$tmp/chromium.png" |
	sed 's/.*\[//; s/\].*//' | tr ',' '\n' > "$tmp/chromium.ms"

r=$(median < "$tmp/render.ms")
c=$(median < "$tmp/chromium.ms")
file=$(od -An -tu1 -j16 -N8 "$tmp/render.png" | awk '{print ($1*16777216+$2*65536+$3*256+$4) "x" ($5*16777216+$6*65536+$7*256+$8)}')
printf 'runs: %s each; /render PNG is %s, %s bytes\n' "$runs" "$file" "$(wc -c < "$tmp/render.png")"
printf '%-44s median %8.1f ms\n' "/render 1200x800 PNG, all layers (curl)" "$r"
printf '%-44s median %8.1f ms\n' "Chromium screenshot of the page, 1200x800" "$c"
awk -v r="$r" -v c="$c" 'BEGIN {printf "ratio: the renderer is %.1f times faster\n", c / r}'
go test -run '^$' -bench 'BenchmarkFigurePNG$' -benchtime "${runs}x" ./tiles/figure | grep -E '^Benchmark'
