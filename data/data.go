// Package data holds the default datasets that khorasan embeds (the layer
// manifest, the GeoJSON layers, their profiles and their sources, generated
// by data/gendata: run generate.sh, and see SOURCES.md). It imports geo,
// whose ParseDataset reads the dataset's description.
package data

import (
	"embed"

	"github.com/khorasan/khorasan/geo"
)

// FS holds layers.json (the layer manifest, in display order), one
// GeoJSON FeatureCollection per layer (khorasan.geojson, borders.geojson,
// attacks.geojson, cities.geojson), profiles.json (what each layer is)
// and SOURCES.md (sources, licences and how each file was made).
//
//go:generate sh generate.sh
//go:embed layers.json profiles.json *.geojson SOURCES.md
var FS embed.FS

// Dataset is the description of the default layers (profiles.json): what
// each is, and which the basemap draws.
func Dataset() (*geo.Dataset, error) {
	b, err := FS.ReadFile("profiles.json")
	if err != nil {
		return nil, err
	}
	return geo.ParseDataset(b)
}
