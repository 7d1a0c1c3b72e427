package basemap

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/khorasan/khorasan/tiles"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/simplify"
)

// The detail's files in Renderer.Detail (data.Basemap()).
const (
	riversFile  = "rivers.geojson"
	lakesFile   = "lakes.geojson"
	regionsFile = "regions.geojson"
	peaksFile   = "peaks.geojson"
	placesFile  = "places.geojson"
)

// maxLevel is the finest level of pre-simplified rivers and lakes: zoom
// 8 at scale 2 is level 9; deeper views take the full geometry.
const maxLevel = 10

// detail is the physical and cultural reference data, in world pixels
// at zoom 0, read once.
type detail struct {
	rivers  []river
	lakes   []lake
	regions []region
	peaks   []peak
	places  []place

	// levels hold the rivers and lakes simplified for each level (the
	// zoom plus log2 of the scale, rounded up) to a third of a pixel.
	levels [maxLevel + 1]struct {
		once   sync.Once
		rivers []orb.MultiLineString
		lakes  []orb.MultiPolygon
	}
}

type river struct {
	name  string
	names names
	rank  int
	bound orb.Bound
	line  orb.MultiLineString
}

type lake struct {
	name  string
	names names
	rank  int
	bound orb.Bound
	shape orb.MultiPolygon
	label orb.Point
}

// region is a named mountain range, desert, plateau, plain or valley:
// only its name is drawn, at its label point.
type region struct {
	name   string
	names  names
	class  string // Natural Earth's featurecla
	rank   int
	label  orb.Point
	marker bool // a small polygon marking a spot, not the region's extent
}

type peak struct {
	name      string
	names     names
	elevation int
	rank      int
	p         orb.Point
}

type place struct {
	name       string
	nameEn     string // Natural Earth's English name, where not name
	names      names  // in other languages (name_ru)
	population int
	rank       int
	capital    bool // of a country
	p          orb.Point
}

// markerKm2 is the area under which Natural Earth's region polygon only
// marks a spot (SOURCES.md: CAUCASUS MTS. 0.3 km², GARAGUM DESERT 7.8,
// Indus Delta 15.3, QIZILQUM DESERT 264.9).
const markerKm2 = 500

func world0(p orb.Point) orb.Point {
	x, y := tiles.WorldPixel(p, 0, 256)
	return orb.Point{x, y}
}

// readDetail reads the detail's five files from fsys; a file that is not
// there is left out, one that does not parse fails.
func readDetail(fsys fs.FS) (*detail, error) {
	d := &detail{}
	read := func(name string, fn func(f *geojson.Feature) error) error {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		fc, err := geojson.UnmarshalFeatureCollection(b)
		if err != nil {
			return fmt.Errorf("basemap detail %s: %w", name, err)
		}
		for _, f := range fc.Features {
			if f.Geometry == nil {
				continue
			}
			if err := fn(f); err != nil {
				return fmt.Errorf("basemap detail %s: %w", name, err)
			}
		}
		return nil
	}
	err := read(riversFile, func(f *geojson.Feature) error {
		if class := f.Properties.MustString("featurecla", ""); class == "Lake Centerline" {
			return nil // under the lakes' fill
		}
		var ml orb.MultiLineString
		switch g := f.Geometry.(type) {
		case orb.LineString:
			ml = orb.MultiLineString{g}
		case orb.MultiLineString:
			ml = g
		default:
			return nil
		}
		ml = project0(orb.Clone(ml)).(orb.MultiLineString)
		d.rivers = append(d.rivers, river{name: f.Properties.MustString("name", ""), names: propNames(f.Properties), rank: f.Properties.MustInt("scalerank", 9), bound: ml.Bound(), line: ml})
		return nil
	})
	if err == nil {
		err = read(lakesFile, func(f *geojson.Feature) error {
			var mp orb.MultiPolygon
			switch g := f.Geometry.(type) {
			case orb.Polygon:
				mp = orb.MultiPolygon{g}
			case orb.MultiPolygon:
				mp = g
			default:
				return nil
			}
			mp = project0(orb.Clone(mp)).(orb.MultiPolygon)
			lp := world0(orb.Point{f.Properties.MustFloat64("label_lon", 0), f.Properties.MustFloat64("label_lat", 0)})
			d.lakes = append(d.lakes, lake{name: f.Properties.MustString("name", ""), names: propNames(f.Properties), rank: f.Properties.MustInt("scalerank", 9), bound: mp.Bound(), shape: mp, label: lp})
			return nil
		})
	}
	if err == nil {
		err = read(regionsFile, func(f *geojson.Feature) error {
			name := tidyName(f.Properties.MustString("name", ""))
			if name == "" {
				return nil
			}
			ll := orb.Point{f.Properties.MustFloat64("label_lon", 0), f.Properties.MustFloat64("label_lat", 0)}
			d.regions = append(d.regions, region{
				name: name, names: propNames(f.Properties), class: f.Properties.MustString("featurecla", ""), rank: f.Properties.MustInt("scalerank", 9),
				label: world0(ll), marker: km2(f.Geometry) < markerKm2,
			})
			return nil
		})
	}
	if err == nil {
		err = read(peaksFile, func(f *geojson.Feature) error {
			p, ok := f.Geometry.(orb.Point)
			name := f.Properties.MustString("name", "")
			if !ok || name == "" {
				return nil
			}
			d.peaks = append(d.peaks, peak{name: name, names: propNames(f.Properties), elevation: f.Properties.MustInt("elevation_m", 0), rank: f.Properties.MustInt("scalerank", 9), p: world0(p)})
			return nil
		})
	}
	if err == nil {
		err = read(placesFile, func(f *geojson.Feature) error {
			p, ok := f.Geometry.(orb.Point)
			name := f.Properties.MustString("name", "")
			if !ok || name == "" {
				return nil
			}
			d.places = append(d.places, place{
				name: name, nameEn: f.Properties.MustString("name_en", ""), names: propNames(f.Properties), population: f.Properties.MustInt("population", 0), rank: f.Properties.MustInt("scalerank", 10),
				capital: f.Properties.MustString("featurecla", "") == "Admin-0 capital", p: world0(p),
			})
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	// The most populous first (the files' own order is by scalerank).
	slices.SortStableFunc(d.places, func(a, b place) int { return b.population - a.population })
	return d, nil
}

// propNames is a feature's names in the other languages.
func propNames(p geojson.Properties) names {
	return namesOf(func(k string) string { return p.MustString(k, "") })
}

func project0(g orb.Geometry) orb.Geometry { return tiles.ProjectGeometry(g, world0) }

// tidyName mends a spacing slip of Natural Earth's ("Kopet Dag Mts .").
func tidyName(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), " .", ".") }

// km2 is a lon/lat polygon's area in square kilometres, near enough to
// tell a marker from a region.
func km2(g orb.Geometry) float64 {
	var polys orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		polys = g
	}
	a := 0.0
	for _, p := range polys {
		for i, r := range p {
			lat := r.Bound().Center()[1]
			s := math.Abs(tiles.SignedArea(r)) * 111.32 * 111.32 * math.Cos(lat*math.Pi/180)
			if i == 0 {
				a += s
			} else {
				a -= s
			}
		}
	}
	return a
}

// level is the pre-simplified geometry for a zoom and scale.
func levelOf(zoom, scale float64) int {
	return int(math.Ceil(zoom + math.Log2(scale)))
}

// atLevel is the rivers and lakes simplified for level l (the full
// geometry past maxLevel), in the order of d.rivers and d.lakes.
func (d *detail) atLevel(l int) ([]orb.MultiLineString, []orb.MultiPolygon) {
	if l > maxLevel {
		rs := make([]orb.MultiLineString, len(d.rivers))
		for i, r := range d.rivers {
			rs[i] = r.line
		}
		ls := make([]orb.MultiPolygon, len(d.lakes))
		for i, k := range d.lakes {
			ls[i] = k.shape
		}
		return rs, ls
	}
	l = max(l, 0)
	lv := &d.levels[l]
	lv.once.Do(func() {
		s := simplify.DouglasPeucker(0.33 / math.Exp2(float64(l)))
		for _, r := range d.rivers {
			lv.rivers = append(lv.rivers, s.MultiLineString(orb.Clone(r.line).(orb.MultiLineString)))
		}
		for _, k := range d.lakes {
			lv.lakes = append(lv.lakes, s.MultiPolygon(orb.Clone(k.shape).(orb.MultiPolygon)))
		}
	})
	return lv.rivers, lv.lakes
}

// The zooms at which each kind of detail shows, as an atlas page of
// that scale would: few and large things at z3–z4, the rest by z7–z8.

// riverMaxRank is the least important river (highest scalerank) drawn at
// a zoom: the great rivers (Indus, Amu Darya, Syr Darya) from z3, the
// Helmand from z4, the Harirud from z6.
func riverMaxRank(zoom float64) int { return int(math.Floor(zoom)) + 2 }

// riverWidth is a river's line in CSS pixels: wider for the more
// important and as the map zooms in.
func riverWidth(rank int, zoom float64) float64 {
	return math.Min(2.4, 0.6+0.18*float64(riverMaxRank(zoom)-rank))
}

// riverLabelZoom is where a river's name goes along it.
func riverLabelZoom(rank int) float64 { return float64(max(5, rank)) }

// lakeLabelZoom is where a lake is named (the Aral Sea from z3).
func lakeLabelZoom(rank int) float64 { return float64(max(3, rank+3)) }

// regionLabelZoom is where a range or desert is named: Natural Earth's
// largest (scalerank 1: Himalayas, Tian Shan) from z3, the Hindu Kush and
// Pamirs (2) from z4, down to the Kopet Dag and the Dasht-e Kavir (5)
// at z7; plains, lowlands and basins a zoom later.
func regionLabelZoom(rank int, class string) float64 {
	z := max(3, rank+2)
	switch class {
	case "Plain", "Lowland", "Basin":
		z++
	}
	return float64(z)
}

// peakZoom is where a peak and its height are shown.
func peakZoom(rank int) float64 {
	switch {
	case rank <= 4:
		return 6
	case rank <= 7:
		return 7
	}
	return 8
}

// placeZoom is where a populated place is named, by its population: the
// great cities and the capitals of the region first.
func placeZoom(p place) float64 {
	switch {
	case p.population >= 5_000_000, p.capital && p.population >= 3_000_000:
		return 3
	case p.population >= 2_000_000, p.capital:
		return 4
	case p.population >= 1_000_000:
		return 5
	case p.population >= 300_000:
		return 6
	case p.population >= 100_000:
		return 7
	}
	return 8
}
