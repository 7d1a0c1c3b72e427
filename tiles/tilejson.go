package tiles

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// TileJSON is a TileJSON 3.0.0 document describing vector tiles of one or
// more layers.
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name,omitempty"`
	Description  string        `json:"description,omitempty"`
	Version      string        `json:"version,omitempty"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	VectorLayers []VectorLayer `json:"vector_layers"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	// Thinning says, per layer, which points a tile keeps when a point
	// layer has more than MaxPoints in one tile below MaxZoom.
	Thinning *Thinning `json:"khorasan:thinning,omitempty"`
}

// VectorLayer is one entry of TileJSON's vector_layers.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// Thinning is the khorasan:thinning member of TileJSON.
type Thinning struct {
	MaxPoints int               `json:"max_points"`
	BelowZoom int               `json:"below_zoom"`
	Layers    map[string]string `json:"layers"`
}

// TilesetVersion is the TileJSON (and MBTiles and PMTiles metadata)
// version of our tiles: a semver string, as TileJSON 3.0.0 requires,
// that moves when the way tiles are cut changes (minor: tiles differ
// across tile edges; major: clients must drop old tiles). The data's own
// version is the HTTP ETag, which is not semver.
const TilesetVersion = "1.1.0"

// NewTileJSON describes the tiles of the given layers, served at tileURL
// (with {z}, {x} and {y} in it); maxPoints is the thinning limit (0:
// DefaultMaxPoints).
func NewTileJSON(layers []geo.Layer, tileURL string, maxPoints int) TileJSON {
	if maxPoints <= 0 {
		maxPoints = DefaultMaxPoints
	}
	tj := TileJSON{TileJSON: "3.0.0", Scheme: "xyz", Tiles: []string{tileURL}, Version: TilesetVersion, MinZoom: 0, MaxZoom: MaxZoom}
	var names, titles, credits, notes []string
	var bound orb.Bound
	empty := true
	for _, l := range layers {
		names = append(names, l.Name)
		titles = append(titles, l.Title)
		if l.Attribution != "" && !slices.Contains(credits, l.Attribution) {
			credits = append(credits, l.Attribution)
		}
		vl := VectorLayer{ID: l.Name, Description: l.Description, MinZoom: 0, MaxZoom: MaxZoom, Fields: map[string]string{}}
		if l.Schema.HasID {
			vl.Fields[IDProperty] = "String"
		}
		for _, c := range l.Schema.Columns {
			vl.Fields[c.Name] = fieldType(c.Type)
		}
		tj.VectorLayers = append(tj.VectorLayers, vl)
		if thins, how := Thins(l); thins {
			if tj.Thinning == nil {
				tj.Thinning = &Thinning{MaxPoints: maxPoints, BelowZoom: MaxZoom, Layers: map[string]string{}}
			}
			tj.Thinning.Layers[l.Name] = how
			notes = append(notes, l.Name+": "+how)
		}
		if l.Count > 0 {
			if empty {
				bound, empty = l.Bounds, false
			} else {
				bound = bound.Union(l.Bounds)
			}
		}
	}
	tj.Name = strings.Join(names, ",")
	tj.Description = strings.Join(titles, "; ")
	if len(notes) > 0 {
		tj.Description += ". Below zoom " + itoa(MaxZoom) + " a tile keeps at most " + itoa(maxPoints) +
			" points of a point layer (" + strings.Join(notes, "; ") + ")."
	}
	tj.Attribution = strings.Join(credits, "; ")
	if empty {
		bound = orb.Bound{Min: orb.Point{-180, -MaxLat}, Max: orb.Point{180, MaxLat}}
	}
	clampLat := func(v float64) float64 { return math.Max(-MaxLat, math.Min(MaxLat, v)) }
	tj.Bounds = [4]float64{math.Max(-180, bound.Min[0]), clampLat(bound.Min[1]), math.Min(180, bound.Max[0]), clampLat(bound.Max[1])}
	w := math.Max(tj.Bounds[2]-tj.Bounds[0], tj.Bounds[3]-tj.Bounds[1])
	zoom := 0.0
	if w > 0 {
		zoom = math.Max(0, math.Min(MaxZoom, math.Floor(math.Log2(360/w))))
	}
	tj.Center = [3]float64{(tj.Bounds[0] + tj.Bounds[2]) / 2, (tj.Bounds[1] + tj.Bounds[3]) / 2, zoom}
	return tj
}

func fieldType(t geo.ColumnType) string {
	switch t {
	case geo.Integer, geo.Real:
		return "Number"
	case geo.Boolean:
		return "Boolean"
	}
	return "String"
}

func itoa(n int) string { return strconv.Itoa(n) }

// TileStats is the tilestats member (mapbox-geostats' layout) of an
// MBTiles archive's json metadata: GDAL's MBTiles driver (and QGIS
// through it) reads each layer's geometry type from
// tilestats.layers[].geometry, and calls a layer of unknown type
// "Unknown" without it.
type TileStats struct {
	LayerCount int              `json:"layerCount"`
	Layers     []TileStatsLayer `json:"layers"`
}

// TileStatsLayer is one layer of TileStats.
type TileStatsLayer struct {
	Layer    string `json:"layer"`
	Count    int64  `json:"count"`
	Geometry string `json:"geometry,omitempty"`
}

// NewTileStats describes the layers for TileStats.
func NewTileStats(layers []geo.Layer) TileStats {
	ts := TileStats{LayerCount: len(layers)}
	for _, l := range layers {
		ts.Layers = append(ts.Layers, TileStatsLayer{Layer: l.Name, Count: l.Count, Geometry: statsGeometry(l.Schema.GeometryType)})
	}
	return ts
}

// statsGeometry is the tilestats name of a layer's geometry type: MVT
// knows points, lines and polygons, single or multi alike. A layer of
// mixed geometry has none.
func statsGeometry(t string) string {
	switch t {
	case "POINT", "MULTIPOINT":
		return "Point"
	case "LINESTRING", "MULTILINESTRING":
		return "LineString"
	case "POLYGON", "MULTIPOLYGON":
		return "Polygon"
	}
	return ""
}
