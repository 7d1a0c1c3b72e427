// Package data holds the default datasets that khorasan embeds: the layer
// manifest, the GeoJSON layers and their sources. The files are generated
// by cmd/gendata (run generate.sh); see SOURCES.md.
package data

import "embed"

// FS holds layers.json (the layer manifest, in display order), one
// GeoJSON FeatureCollection per layer (khorasan.geojson, borders.geojson,
// attacks.geojson, cities.geojson) and SOURCES.md (sources, licences and
// how each file was made).
//
//go:generate sh generate.sh
//go:embed layers.json *.geojson SOURCES.md
var FS embed.FS
