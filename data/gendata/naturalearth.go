package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// The basemap's physical and cultural detail: Natural Earth 1:10m layers
// cut to the basemap's box and written under data/basemap/, one file per
// layer, with only the properties the basemap draws. They are reference
// data for the basemap only, never seeded as store layers.

// neSpec says how one Natural Earth file becomes one basemap file.
type neSpec struct {
	out     string   // output file, relative to the data directory
	file    string   // input file name in the -naturalearth directory
	what    string   // for SOURCES.md
	classes []string // featurecla values kept (nil: all)
	// props builds the output properties from the source's; features
	// with no name keep their geometry and get a null name.
	props func(p geojson.Properties) (props, error)
	label bool // add label_lon, label_lat: a point inside the polygon
	// listSmall lists polygons under smallKM2 in SOURCES.md: a region
	// that small marks a spot rather than its extent.
	listSmall bool
	// rank orders the features after scalerank: larger first
	// (population, elevation); "" for none.
	rank    string
	russian bool   // may have name_ru: SOURCES.md counts them
	doc     string // the kept properties, for SOURCES.md
}

// neSpecs lists the basemap's layers in the order SOURCES.md gives them.
func neSpecs() []neSpec {
	return []neSpec{
		{
			out:  "basemap/rivers.geojson",
			file: "ne_10m_rivers_lake_centerlines_lon20-90_lat10-60.geojson",
			what: "rivers and the centre lines of the lakes they cross",
			props: func(p geojson.Properties) (props, error) {
				return neNamed(p, "name", "scalerank", "featurecla")
			},
			russian: true,
			doc:     "`name`, `name_ru` where the source has one, `scalerank`, `featurecla` (\"River\" or \"Lake Centerline\")",
		},
		{
			out:  "basemap/lakes.geojson",
			file: "ne_10m_lakes_lon20-90_lat10-60.geojson",
			what: "lakes and reservoirs",
			props: func(p geojson.Properties) (props, error) {
				return neNamed(p, "name", "scalerank", "featurecla")
			},
			label:   true,
			russian: true,
			doc:     "`name`, `name_ru` where the source has one, `scalerank`, `featurecla` (\"Lake\", \"Reservoir\", \"Alkaline Lake\"), `label_lon` and `label_lat`",
		},
		{
			out:  "basemap/regions.geojson",
			file: "ne_10m_geography_regions_polys_lon20-90_lat10-60.geojson",
			what: "named physical regions: mountain ranges, deserts, plateaus, valleys, plains, lowlands, basins and deltas",
			// The landforms a reader places terrain by; Natural Earth's
			// continents, peninsulas, islands, coasts, wetlands and cultural
			// "Geoarea"s (Anatolia, Baluchistan, Mesopotamia) are left out.
			classes: []string{"Range/mtn", "Desert", "Plateau", "Valley", "Plain", "Lowland", "Basin", "Delta"},
			props: func(p geojson.Properties) (props, error) {
				return neNamed(p, "name", "featurecla", "scalerank")
			},
			label:     true,
			listSmall: true,
			russian:   true,
			doc:       "`name` (Natural Earth writes the larger ones in capitals: \"HINDU KUSH\"), `name_ru` where the source has one, `featurecla`, `scalerank`, `label_lon` and `label_lat`",
		},
		{
			out:     "basemap/peaks.geojson",
			file:    "ne_10m_geography_regions_elevation_points_lon20-90_lat10-60.geojson",
			what:    "named mountain peaks with their heights",
			classes: []string{"mountain"},
			props: func(p geojson.Properties) (props, error) {
				out, err := neNamed(p, "name")
				if err != nil {
					return nil, err
				}
				elev, err := neInt(p, "elevation")
				if err != nil {
					return nil, err
				}
				rank, err := neInt(p, "scalerank")
				if err != nil {
					return nil, err
				}
				return append(out, prop{"elevation_m", elev}, prop{"scalerank", rank}), nil
			},
			rank:    "elevation_m",
			russian: true,
			doc:     "`name`, `name_ru` where the source has one, `elevation_m` (Natural Earth's `elevation`, metres), `scalerank`",
		},
		{
			out:  "basemap/places.geojson",
			file: "ne_10m_populated_places_lon20-90_lat10-60.geojson",
			what: "populated places with their population",
			props: func(p geojson.Properties) (props, error) {
				var out props
				for _, k := range [][2]string{{"name", "NAME"}, {"name_ru", "NAME_RU"}, {"name_en", "NAME_EN"}} {
					v, err := neString(p, k[1])
					if err != nil {
						return nil, err
					}
					out = append(out, prop{k[0], v})
				}
				pop, err := neInt(p, "POP_MAX")
				if err != nil {
					return nil, err
				}
				if n, ok := pop.(int64); ok && n <= 0 {
					pop = nil // Natural Earth's 0 or -99: not known
				}
				out = append(out, prop{"population", pop})
				rank, err := neInt(p, "SCALERANK")
				if err != nil {
					return nil, err
				}
				out = append(out, prop{"scalerank", rank})
				for _, k := range [][2]string{{"country", "ADM0NAME"}, {"admin1", "ADM1NAME"}, {"featurecla", "FEATURECLA"}} {
					v, err := neString(p, k[1])
					if err != nil {
						return nil, err
					}
					out = append(out, prop{k[0], v})
				}
				return out, nil
			},
			rank:    "population",
			russian: true,
			doc:     "`name`, `name_ru` (Cyrillic), `name_en`, `population` (Natural Earth's `POP_MAX`; null where it gives 0 or less), `scalerank`, `country` (`ADM0NAME`), `admin1` (`ADM1NAME`), `featurecla` (\"Admin-0 capital\", \"Admin-1 capital\", \"Populated place\", ...)",
		},
	}
}

// neString returns a string property with runs of white space collapsed
// (Natural Earth writes "Amu  Darya"), or nil when it is null or empty. A
// missing key or another type is an error: the source's columns changed.
func neString(p geojson.Properties, key string) (any, error) {
	v, ok := p[key]
	if !ok {
		return nil, fmt.Errorf("no %q property", key)
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if s := strings.Join(strings.Fields(v), " "); s != "" {
			return s, nil
		}
		return nil, nil
	}
	return nil, fmt.Errorf("%s is %T %v, want a string", key, v, v)
}

// neInt returns a whole-number property as int64 (ogr2ogr writes some as
// 5.0), or nil when it is null.
func neInt(p geojson.Properties, key string) (any, error) {
	v, ok := p[key]
	if !ok {
		return nil, fmt.Errorf("no %q property", key)
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1e15 {
			return nil, fmt.Errorf("%s is %v, want a whole number", key, v)
		}
		return int64(v), nil
	}
	return nil, fmt.Errorf("%s is %T %v, want a number", key, v, v)
}

// neNamed is name, name_ru where the source has one, then the other
// properties: strings, except scalerank.
func neNamed(p geojson.Properties, keys ...string) (props, error) {
	var out props
	for _, k := range keys {
		var v any
		var err error
		if k == "scalerank" {
			v, err = neInt(p, k)
		} else {
			v, err = neString(p, k)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, prop{k, v})
		if k == "name" {
			if _, has := p["name_ru"]; has {
				ru, err := neString(p, "name_ru")
				if err != nil {
					return nil, err
				}
				if ru != nil {
					out = append(out, prop{"name_ru", ru})
				}
			}
		}
	}
	return out, nil
}

// smallKM2 is the area under which SOURCES.md lists a region polygon as
// small: Natural Earth draws a few regions (GARAGUM DESERT,
// CAUCASUS MTS.) as polygons of a few km² rather than their extent.
const smallKM2 = 500

// otherClass is a feature of a class the basemap does not keep.
type otherClass struct{ class, name string }

// basemapLayer is one generated basemap file and what was done to make it.
type basemapLayer struct {
	spec    neSpec
	in      inputFile
	read    int          // features in the input
	other   []otherClass // left out by the class filter, of those whose extent meets the box
	outside int          // no part inside the box
	clipped []string     // names of the features cut at the box's edge
	// small are the polygons Natural Earth draws under smallKM2 in all,
	// which mark a spot rather than the region's extent: "NAME (N km²)".
	small    []string
	features []feature
}

// buildBasemap parses and cuts each Natural Earth file of neSpecs.
func buildBasemap(files []inputFile, box orb.Bound, decimals int, log io.Writer) ([]basemapLayer, error) {
	specs := neSpecs()
	if len(files) != len(specs) {
		return nil, fmt.Errorf("%d Natural Earth files for %d basemap layers", len(files), len(specs))
	}
	var out []basemapLayer
	for i, s := range specs {
		l, err := cutLayer(s, files[i], box, decimals)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", files[i].label, err)
		}
		fmt.Fprintf(log, "%s: %d of %d features (%d of other classes, %d outside the box, %d cut at its edge)\n",
			s.out, len(l.features), l.read, len(l.other), l.outside, len(l.clipped))
		out = append(out, l)
	}
	return out, nil
}

// cutLayer keeps the features of the spec's classes that reach into the
// box, cut to it, with the spec's properties, ordered by scalerank, then
// the spec's rank (larger first), then name.
func cutLayer(s neSpec, in inputFile, box orb.Bound, decimals int) (basemapLayer, error) {
	l := basemapLayer{spec: s, in: in}
	fc, err := geojson.UnmarshalFeatureCollection(in.data)
	if err != nil {
		return l, err
	}
	l.read = len(fc.Features)
	if l.read == 0 {
		return l, fmt.Errorf("no features")
	}
	for i, f := range fc.Features {
		where := fmt.Sprintf("feature %d (%v)", i, cmp.Or(f.Properties["name"], f.Properties["NAME"]))
		if f.Geometry == nil {
			return l, fmt.Errorf("%s: no geometry", where)
		}
		if s.classes != nil {
			cla, err := neString(f.Properties, "featurecla")
			if err != nil {
				return l, fmt.Errorf("%s: %w", where, err)
			}
			if c, _ := cla.(string); !slices.Contains(s.classes, c) {
				if !box.Intersects(f.Geometry.Bound()) {
					l.outside++
					continue
				}
				n, _ := neString(f.Properties, "name")
				name, _ := n.(string)
				l.other = append(l.other, otherClass{c, cmp.Or(name, "(unnamed)")})
				continue
			}
		}
		g, err := cutGeometry(f.Geometry, box, decimals)
		if err != nil {
			return l, fmt.Errorf("%s: %w", where, err)
		}
		if g == nil {
			l.outside++
			continue
		}
		ps, err := s.props(f.Properties)
		if err != nil {
			return l, fmt.Errorf("%s: %w", where, err)
		}
		name, _ := ps.get("name").(string)
		name = cmp.Or(name, "(unnamed)")
		if b := f.Geometry.Bound(); !box.Contains(b.Min) || !box.Contains(b.Max) {
			l.clipped = append(l.clipped, name)
		}
		if s.listSmall {
			if km2 := geo.Area(f.Geometry) / 1e6; km2 < smallKM2 {
				l.small = append(l.small, fmt.Sprintf("%s (%.1f km²)", name, km2))
			}
		}
		if s.label {
			p, err := labelPoint(g, decimals)
			if err != nil {
				return l, fmt.Errorf("%s: label: %w", where, err)
			}
			ps = append(ps, prop{"label_lon", p[0]}, prop{"label_lat", p[1]})
		}
		l.features = append(l.features, newFeature("", g, ps))
	}
	slices.SortStableFunc(l.features, func(a, b feature) int {
		return cmp.Or(
			compareNullLast(a.Properties.get("scalerank"), b.Properties.get("scalerank"), 1),
			compareNullLast(a.Properties.get(s.rank), b.Properties.get(s.rank), -1),
			compareNullLast(a.Properties.get("name"), b.Properties.get("name"), 1),
		)
	})
	slices.Sort(l.clipped)
	slices.Sort(l.small)
	slices.SortFunc(l.other, func(a, b otherClass) int {
		return cmp.Or(strings.Compare(a.class, b.class), strings.Compare(a.name, b.name))
	})
	return l, nil
}

// compareNullLast compares two int64 or string property values in the
// given direction (1 ascending, -1 descending), with nulls last.
func compareNullLast(a, b any, dir int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch a := a.(type) {
	case int64:
		return dir * cmp.Compare(a, b.(int64))
	case string:
		return dir * strings.Compare(a, b.(string))
	}
	return 0
}

// cutGeometry clips a geometry to the box with orb/clip, rounds it to the
// given decimals and validates it as the borders are: lines keep two or
// more distinct points, polygons go through cleanGeometry (closed rings
// with an area, RFC 7946 winding). It returns nil when nothing is left
// inside the box.
func cutGeometry(g orb.Geometry, box orb.Bound, decimals int) (orb.Geometry, error) {
	switch g := g.(type) {
	case orb.Point:
		if !box.Contains(g) {
			return nil, nil
		}
		p := orb.Point{roundTo(g[0], decimals), roundTo(g[1], decimals)}
		return p, checkPoint(p)
	case orb.LineString:
		return cutLines(clip.LineString(box, g.Clone()), decimals)
	case orb.MultiLineString:
		return cutLines(clip.MultiLineString(box, g.Clone()), decimals)
	case orb.Polygon, orb.MultiPolygon:
		c := clip.Geometry(box, orb.Clone(g))
		if c == nil {
			return nil, nil
		}
		out, _, err := cleanGeometry(c, decimals)
		if out == nil || err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected geometry %s", g.GeoJSONType())
}

// cutLines rounds clipped lines and drops repeated points and lines left
// with fewer than two points; one line is a LineString.
func cutLines(mls orb.MultiLineString, decimals int) (orb.Geometry, error) {
	var out orb.MultiLineString
	for _, ls := range mls {
		var r orb.LineString
		for _, p := range ls {
			q := orb.Point{roundTo(p[0], decimals), roundTo(p[1], decimals)}
			if err := checkPoint(q); err != nil {
				return nil, err
			}
			if len(r) == 0 || r[len(r)-1] != q {
				r = append(r, q)
			}
		}
		if len(r) >= 2 {
			out = append(out, r)
		}
	}
	switch len(out) {
	case 0:
		return nil, nil
	case 1:
		return out[0], nil
	}
	return out, nil
}

// labelPoint is where a polygon's name goes: the centroid (orb/planar) of
// its largest part when the centroid lies inside that part, else the middle
// of the part's widest stretch along the centroid's latitude, as a curved
// range's centroid can fall outside it. The point is rounded and checked
// inside.
func labelPoint(g orb.Geometry, decimals int) (orb.Point, error) {
	var parts orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		parts = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		parts = g
	default:
		return orb.Point{}, fmt.Errorf("unexpected geometry %s", g.GeoJSONType())
	}
	largest := parts[0]
	for _, p := range parts[1:] {
		if planar.Area(p) > planar.Area(largest) {
			largest = p
		}
	}
	c, _ := planar.CentroidArea(largest)
	if !planar.PolygonContains(largest, c) {
		var ok bool
		if c, ok = widestStretch(largest, c[1]); !ok {
			return orb.Point{}, fmt.Errorf("no stretch of the polygon along latitude %v", c[1])
		}
	}
	p := orb.Point{roundTo(c[0], decimals), roundTo(c[1], decimals)}
	if !planar.PolygonContains(largest, p) {
		return orb.Point{}, fmt.Errorf("label point %v is not inside the polygon", p)
	}
	return p, nil
}

// widestStretch returns the middle of the widest interval of latitude y
// inside the polygon (even-odd over all its rings), and false when the
// line misses it.
func widestStretch(p orb.Polygon, y float64) (orb.Point, bool) {
	var xs []float64
	for _, r := range p {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if (a[1] > y) != (b[1] > y) { // half-open: a vertex on the line counts once
				xs = append(xs, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
			}
		}
	}
	slices.Sort(xs)
	best, width := orb.Point{}, 0.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > width {
			best, width = orb.Point{(xs[i] + xs[i+1]) / 2, y}, w
		}
	}
	return best, width > 0
}

// regionBound is the bound of the features at the given scale ("10m"):
// the region the borders draw in detail, which the basemap's box must hold.
func regionBound(borders []feature, scale string) (orb.Bound, bool) {
	var b orb.Bound
	found := false
	for _, f := range borders {
		if f.Properties.get("scale") != scale {
			continue
		}
		fb := f.Geometry.Coordinates.Bound()
		if !found {
			b, found = fb, true
		} else {
			b = b.Union(fb)
		}
	}
	return b, found
}
