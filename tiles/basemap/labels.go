package basemap

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/golang-lru/v2"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles"
	"github.com/khorasan/khorasan/tiles/draw"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/simplify"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/sync/singleflight"
	"golang.org/x/text/unicode/norm"
)

// maxPlacements bounds the placements kept: every zoom of the tiles at
// both scales, with and without cities, is 44; figures at fractional
// zooms take the rest. Each is a few hundred labels.
const maxPlacements = 128

// Placement is where the basemap's labels go at one zoom and scale: each
// label once, in world pixels (the device pixels of the whole Web Mercator
// map at that zoom and scale), none overlapping one placed before it. Every
// view at that zoom draws the labels its area overlaps at the same world
// place, so neighbouring tiles neither cut nor repeat a label.
type Placement struct {
	Zoom, Scale float64
	// World is the map's width in world pixels (it wraps at the
	// antimeridian).
	World  float64
	Labels []Placed
}

// Placed is one placed label in world pixels.
type Placed struct {
	// Label is what is drawn, At and DotAt in world pixels; Face is
	// left for each view to set (a face is not safe for concurrent use).
	draw.Label
	// Box is the room the label keeps clear of the others: its text with
	// a little padding.
	Box image.Rectangle
	// Extent holds every pixel the label may paint: the glyphs' ink, the
	// halo and a city's dot, with a pixel to spare for anti-aliasing.
	Extent image.Rectangle

	kind labelKind
}

// shifted is l moved by (dx, dy) pixels, its glyphs copied.
func (l Placed) shifted(dx, dy float64) Placed {
	l.At = orb.Point{l.At[0] + dx, l.At[1] + dy}
	l.DotAt = orb.Point{l.DotAt[0] + dx, l.DotAt[1] + dy}
	if l.Glyphs != nil {
		gs := make([]draw.Glyph, len(l.Glyphs))
		for i, g := range l.Glyphs {
			g.At = orb.Point{g.At[0] + dx, g.At[1] + dy}
			gs[i] = g
		}
		l.Glyphs = gs
	}
	return l
}

// Within is the labels whose extent overlaps r (world pixels), with
// their copies one world to the left and right where r reaches past the
// antimeridian, in drawing order.
func (p *Placement) Within(r image.Rectangle) []Placed {
	var out []Placed
	w := int(math.Round(p.World))
	for _, l := range p.Labels {
		for _, dx := range [...]int{0, -w, w} {
			if !l.Extent.Add(image.Pt(dx, 0)).Overlaps(r) {
				continue
			}
			if dx != 0 {
				l = l.shifted(float64(dx), 0)
				l.Box = l.Box.Add(image.Pt(dx, 0))
				l.Extent = l.Extent.Add(image.Pt(dx, 0))
			}
			out = append(out, l)
			break
		}
	}
	return out
}

// candidates are the labels that may be placed, in world pixels at zoom 0
// (Web Mercator is linear in the zoom's scale, so one reading serves every
// zoom), for one version of the basemap's layers.
type candidates struct {
	countries []country // the largest first
	cities    []city    // anchors first, then by position
	// land is every polygon of the borders, landBounds their bounds, in
	// the layer's order: what the tiles fill and outline.
	land       []orb.Polygon
	landBounds []orb.Bound
}

// city is a place whose name may go on the map.
type city struct {
	name string
	// page is the name as the page labels it (static/map.js labelParts:
	// a short parenthesised aside kept).
	page   string
	names  names
	p      orb.Point
	anchor bool
}

// labelCache keeps the placements of recent zooms and the candidates of
// the latest data; concurrent requests for one thing compute it once.
type labelCache struct {
	group      singleflight.Group
	placements *lru.Cache[placementKey, *Placement]
	mu         sync.Mutex
	version    string
	cands      *candidates
	// paint keeps the labels' masks and the painters' buffers for the
	// tiles' painting.
	paint *draw.PaintCache
}

// maxTexts bounds the label masks kept: a zoom's labels are a few
// hundred, each a few hundred bytes to a few kilobytes.
const maxTexts = 8192

type placementKey struct {
	version     string
	zoom, scale float64
	noCities    bool
	lang        string
}

func (r *Renderer) cache() *labelCache {
	r.cacheOnce.Do(func() {
		c, err := lru.New[placementKey, *Placement](maxPlacements)
		if err != nil {
			panic(err) // only for a size below 1
		}
		r.labels = &labelCache{placements: c, paint: draw.NewPaintCache(maxTexts)}
	})
	return r.labels
}

// Placement is where the labels go at a zoom and scale (cities left out
// when noCities), named in lang (one of Languages; "" is English):
// computed once per version of the borders and cities layers, then kept.
// Each language has its own placement, as its names have their own
// widths.
func (r *Renderer) Placement(ctx context.Context, zoom, scale float64, noCities bool, lang string) (*Placement, error) {
	return r.PlacementAvoiding(ctx, zoom, scale, noCities, lang, nil)
}

// PlacementAvoiding is Placement with every label kept clear of avoid
// (world pixels): what a figure draws over the basemap, its event
// markers and city labels (View.Obstacles). A label whose every spot is
// taken is left out, but for a country's name, which as a last resort
// goes where it would have gone (its halo reads over a marker). A
// placement with obstacles is one figure's: made for it, not kept.
func (r *Renderer) PlacementAvoiding(ctx context.Context, zoom, scale float64, noCities bool, lang string, avoid []image.Rectangle) (*Placement, error) {
	lang, ok := Lang(lang)
	if !ok {
		return nil, fmt.Errorf("basemap: no labels in language %q (%s)", lang, strings.Join(Languages, ", "))
	}
	if len(avoid) > 0 {
		version, err := r.dataVersion(ctx)
		if err != nil {
			return nil, err
		}
		cands, err := r.candidates(ctx, version)
		if err != nil {
			return nil, err
		}
		d, err := r.details()
		if err != nil {
			return nil, err
		}
		return r.place(cands, d, zoom, scale, noCities, lang, avoid)
	}
	version, err := r.dataVersion(ctx)
	if err != nil {
		return nil, err
	}
	c := r.cache()
	key := placementKey{version: version, zoom: zoom, scale: scale, noCities: noCities, lang: lang}
	if p, ok := c.placements.Get(key); ok {
		return p, nil
	}
	flight := fmt.Sprintf("p|%q|%v|%v|%v|%s", version, zoom, scale, noCities, lang)
	v, err := do(ctx, &c.group, flight, func(ctx context.Context) (*Placement, error) {
		if p, ok := c.placements.Get(key); ok {
			return p, nil
		}
		cands, err := r.candidates(ctx, version)
		if err != nil {
			return nil, err
		}
		d, err := r.details()
		if err != nil {
			return nil, err
		}
		p, err := r.place(cands, d, zoom, scale, noCities, lang, nil)
		if err != nil {
			return nil, err
		}
		c.placements.Add(key, p)
		return p, nil
	})
	return v, err
}

// do runs fn once for all callers of one key at a time. The work does not
// stop when the caller that started it goes away (it is bounded: one
// reading of two layers), so the others still get its result; each caller
// stops waiting when its own ctx is done.
func do[T any](ctx context.Context, g *singleflight.Group, key string, fn func(context.Context) (T, error)) (T, error) {
	ch := g.DoChan(key, func() (any, error) { return fn(context.WithoutCancel(ctx)) })
	select {
	case res := <-ch:
		if res.Err != nil {
			var zero T
			return zero, res.Err
		}
		return res.Val.(T), nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// dataVersion names the present state of the borders and cities layers.
func (r *Renderer) dataVersion(ctx context.Context) (string, error) {
	var b strings.Builder
	for _, name := range []string{r.Borders, r.Cities} {
		b.WriteString("|")
		if name == "" {
			continue
		}
		l, err := r.Source.Layer(ctx, name)
		if errors.Is(err, geo.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("basemap layer %s: %w", name, err)
		}
		b.WriteString(strconv.Quote(l.Name) + "@" + l.Changed + "#" + strconv.FormatInt(l.Count, 10))
	}
	return b.String(), nil
}

// candidates reads the labels of the layers' version, or returns those
// read last when the version is the same.
func (r *Renderer) candidates(ctx context.Context, version string) (*candidates, error) {
	c := r.cache()
	c.mu.Lock()
	if c.cands != nil && c.version == version {
		defer c.mu.Unlock()
		return c.cands, nil
	}
	c.mu.Unlock()
	return do(ctx, &c.group, "c|"+version, func(ctx context.Context) (*candidates, error) {
		cands, err := r.readCandidates(ctx)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.version, c.cands = version, cands
		c.mu.Unlock()
		return cands, nil
	})
}

// readCandidates reads every country and city of the layers, projected
// to world pixels at zoom 0.
func (r *Renderer) readCandidates(ctx context.Context) (*candidates, error) {
	project := func(p orb.Point) orb.Point {
		x, y := tiles.WorldPixel(p, 0, 256)
		return orb.Point{x, y}
	}
	cands := &candidates{}
	if r.Borders != "" {
		err := r.Source.Features(ctx, r.Borders, geo.Query{}, func(f geo.Feature) error {
			g := tiles.ProjectGeometry(orb.Clone(f.Geometry), project)
			switch g := g.(type) {
			case orb.Polygon:
				cands.land = append(cands.land, g)
				cands.landBounds = append(cands.landBounds, g.Bound())
			case orb.MultiPolygon:
				for _, p := range g {
					cands.land = append(cands.land, p)
					cands.landBounds = append(cands.landBounds, p.Bound())
				}
			}
			name, _ := f.Properties["name"].(string)
			if name == "" {
				return nil
			}
			if c, ok := countryOf(name, g); ok {
				c.names = featureNames(f)
				cands.countries = append(cands.countries, c)
			}
			return nil
		})
		if err != nil && !errors.Is(err, geo.ErrNotFound) {
			return nil, fmt.Errorf("basemap borders: %w", err)
		}
	}
	slices.SortStableFunc(cands.countries, func(a, b country) int {
		if a.area != b.area {
			if a.area > b.area {
				return -1
			}
			return 1
		}
		return cmpPoint(a.anchor, b.anchor)
	})
	if r.Cities != "" {
		err := r.Source.Features(ctx, r.Cities, geo.Query{}, func(f geo.Feature) error {
			pt, ok := f.Geometry.(orb.Point)
			name, _ := f.Properties["name"].(string)
			anchor, _ := f.Properties["anchor"].(bool)
			if ok && name != "" {
				cands.cities = append(cands.cities, city{name: shortName(name), page: pageName(name), names: featureNames(f), p: project(pt), anchor: anchor})
			}
			return nil
		})
		if err != nil && !errors.Is(err, geo.ErrNotFound) {
			return nil, fmt.Errorf("basemap cities: %w", err)
		}
	}
	// Anchors first; then by position, so the order does not depend on
	// the query.
	slices.SortStableFunc(cands.cities, func(a, b city) int {
		if a.anchor != b.anchor {
			if a.anchor {
				return -1
			}
			return 1
		}
		return cmpPoint(a.p, b.p)
	})
	return cands, nil
}

// featureNames is a layer feature's names in the other languages (the
// borders' name_ru).
func featureNames(f geo.Feature) names {
	return namesOf(func(k string) string { s, _ := f.Properties[k].(string); return shortName(s) })
}

// countryOf is where a country's name may go: its largest part.
func countryOf(name string, g orb.Geometry) (country, bool) {
	var polys orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		polys = g
	default:
		return country{}, false
	}
	var best orb.Polygon
	bestArea := 0.0
	for _, p := range polys {
		if len(p) == 0 {
			continue
		}
		if a := math.Abs(tiles.SignedArea(p[0])); a > bestArea {
			best, bestArea = p, a
		}
	}
	if best == nil {
		return country{}, false
	}
	b := best.Bound()
	return country{name: name, anchor: labelPoint(best), width: b.Max[0] - b.Min[0], area: bestArea}, true
}

// place lays the labels out at a zoom and scale, the more useful first
// (a later label finds room only where an earlier one left it): where the
// page or the figure draws the cities itself (noCities), the room of
// their labels is kept clear; then the capitals of the countries (a
// historical anchor's long name must not push the capital off the map);
// the cities of the cities layer (the historical anchors from
// AnchorCityZoom, the others from CityZoom), the populated places of
// the detail by population, the names of the countries wide enough for
// them (the largest first; before the great places up to z4, after them
// from z5), then lakes, ranges and deserts, rivers
// along their lines and peaks with their heights, each from the zoom
// that can carry it. Every label keeps clear of avoid (a figure's
// markers and city labels).
func (r *Renderer) place(cands *candidates, d *detail, zoom, scale float64, noCities bool, lang string, avoid []image.Rectangle) (*Placement, error) {
	pl := &placer{st: r.style(), cands: cands, d: d, zoom: zoom, scale: scale, k: math.Exp2(zoom) * scale,
		noCities: noCities, lang: lang, lb: &labeller{scale: scale}, faces: faceSet{},
		cityDone: map[int]bool{}, placeDone: map[int]bool{}}
	pl.pageCities()
	pl.lb.avoid = avoid
	pl.capitals()
	pl.cities()
	// Up to z4 the countries' names are the page's main words; from z5
	// the places come first.
	if zoom < 5 {
		pl.countries()
	}
	pl.places(true)
	// From z5 the countries' names after the great places, before the
	// terrain and the smaller places (TURAN LOWLAND took Turkmenistan's
	// room at z5).
	if zoom >= 5 {
		pl.countries()
	}
	// The great ranges and deserts before the smaller places: they are
	// what the map shows of the terrain at that scale.
	pl.regions(func(rank int) bool { return rank > 2 })
	pl.places(false)
	pl.lakes()
	pl.regions(func(rank int) bool { return rank <= 2 })
	pl.rivers()
	pl.peaks()
	p := &Placement{Zoom: zoom, Scale: scale, World: 256 * pl.k, Labels: pl.lb.labels}
	for i := range p.Labels {
		p.Labels[i].Face = nil
	}
	return p, nil
}

// placer is one placement being made: what it draws from, at which zoom
// and scale (k world pixels per zoom-0 unit), in which language.
type placer struct {
	st       draw.Style
	cands    *candidates
	d        *detail
	zoom     float64
	scale, k float64
	noCities bool
	lang     string
	lb       *labeller
	faces    faceSet
	// cityDone and placeDone are the cities (of cands.cities) and the
	// places (of d.places) already labelled, by index.
	cityDone, placeDone map[int]bool
}

func (pl *placer) face(kind draw.FontKind, size float64) font.Face {
	f, err := pl.faces.get(kind, size*pl.scale)
	if err != nil {
		panic(err) // the embedded Go fonts always parse
	}
	return f
}

func (pl *placer) at(q orb.Point) orb.Point { return orb.Point{q[0] * pl.k, q[1] * pl.k} }

// drawn is whether a city of the cities layer is labelled at this zoom.
func (pl *placer) drawn(c city) bool {
	return !pl.noCities && (pl.zoom >= CityZoom || c.anchor && pl.zoom >= AnchorCityZoom)
}

// pageCities keeps clear the room of the city labels the page (and a
// figure with the cities layer) draws over the basemap when it asks for
// none of its own: a dot and the name to its right, 11.5 px (an anchor's
// 12), on a 16 px line (static/style.css .city-label), decluttered as the
// page does before it counts the events: anchors first, then north to
// south (the page: by population, which the layer has not, then its
// order), a city whose label would overlap one kept left out.
// Without it a populated place's name runs under a city's ("Сайду-Шариф"
// under "Khar" at z5).
func (pl *placer) pageCities() {
	if !pl.noCities {
		return
	}
	s := pl.scale
	for _, c := range pl.cands.cities {
		kind, size := draw.Regular, 11.5
		if c.anchor {
			kind, size = draw.Italic, 12
		}
		// The page's fonts are the browser's (DejaVu for anchors), wider
		// than the Go fonts by up to a tenth: a seventh to spare.
		w := advance(pl.face(kind, size), c.page, kind, size*s) * 8 / 7
		p := pl.at(c.p)
		// The marker's top left is 4 px left of and 8 px above the point;
		// the dot (5 px and its 1 px border) and a 3 px gap come before
		// the name; the page's declutter grows each box by 3 px and 1 px.
		box := image.Rect(int(math.Floor(p[0]-7*s)), int(math.Floor(p[1]-9*s)),
			int(math.Ceil(p[0]+9*s+w)), int(math.Ceil(p[1]+9*s)))
		if pl.lb.free(box) {
			pl.lb.reserved = append(pl.lb.reserved, box)
		}
	}
}

// capitals labels the capitals of the countries before any other place:
// as the city of the cities layer that is the capital where that city is
// drawn at this zoom, else as the populated place.
//
// Each name keeps clear of the dots of the capitals still to come: Kabul's
// name, to the right of its dot, would take Islamabad's at z4.
func (pl *placer) capitals() {
	type capital struct {
		place, city int // city is -1 for the populated place
		dot         image.Rectangle
	}
	var todo []capital
	for i, p := range pl.d.places {
		if !p.capital || pl.zoom < placeZoom(p) {
			continue
		}
		_, r := placeStyle(p)
		c := capital{place: i, city: -1, dot: pl.lb.dotBox(pl.at(p.p), r)}
		if j, ok := pl.cands.cityOf(p, func(city) bool { return true }); ok {
			if pl.noCities {
				continue // the page draws it
			}
			if ct := pl.cands.cities[j]; pl.drawn(ct) {
				c.city, c.dot = j, pl.lb.dotBox(pl.at(ct.p), cityDotR)
			}
		}
		todo = append(todo, c)
	}
	for i, c := range todo {
		pl.lb.pending = pl.lb.pending[:0]
		for _, o := range todo[i+1:] {
			pl.lb.pending = append(pl.lb.pending, o.dot)
		}
		if c.city >= 0 {
			pl.city(c.city)
		} else {
			pl.place(c.place)
		}
	}
	pl.lb.pending = nil
}

func (pl *placer) cities() {
	for i, c := range pl.cands.cities {
		if pl.drawn(c) && !pl.cityDone[i] {
			pl.city(i)
		}
	}
}

// city labels the i-th city of the cities layer, in the language of the
// populated place it is when the layer gives no name in it.
func (pl *placer) city(i int) {
	pl.cityDone[i] = true
	c := pl.cands.cities[i]
	kind, col := draw.Regular, pl.st.CityText
	if c.anchor {
		kind, col = draw.Bold, pl.st.AnchorText
	}
	name, _ := pl.d.cityName(c, pl.lang)
	pl.lb.dot(pl.at(c.p), name, pl.face(kind, 11), 11*pl.scale, kind, col, pl.st.CityDot, cityDotR, kindCity)
}

// cityDotR is the radius of a city's dot (times scale).
const cityDotR = 2.2

// placeStyle is a populated place's text size and dot radius (times
// scale), by its population.
func placeStyle(p place) (size, r float64) {
	switch {
	case p.population >= 2_000_000 || p.capital:
		return 12, 2.6
	case p.population >= 300_000:
		return 11, 2.2
	}
	return 10, 1.8
}

// countries names the countries wide enough for their names.
func (pl *placer) countries() {
	if pl.zoom < CountryLabelZoom {
		return
	}
	size := 10.0
	if pl.zoom >= 4 {
		size = 11
	}
	if pl.zoom >= 6 {
		size = 12
	}
	f := pl.face(draw.Regular, size)
	for _, c := range pl.cands.countries {
		name := c.names.in(pl.lang, c.name)
		w := advance(f, name, draw.Regular, size*pl.scale)
		if w > c.width*pl.k*0.9 {
			continue // the country is too narrow at this zoom
		}
		// Where a place (or the page's own city) took the spot, a line
		// above or below; else, as a last resort, under the page's city
		// (which reads over it with its halo) or a figure's markers: the
		// page would otherwise name no country where its cities crowd.
		// In a figure whose markers or cities take those, half or all of
		// the name's width to either side, where the country is wide
		// enough to hold it there (Afghanistan west of Kabul's markers).
		spots := [][2]float64{{0, 0}, {0, -1.3}, {0, 1.3}}
		if len(pl.lb.avoid) > 0 {
			for _, dx := range [...]float64{-0.5, 0.5, -1, 1} {
				if (math.Abs(dx)+0.5)*w <= c.width*pl.k/2 {
					spots = append(spots, [2]float64{dx, 0}, [2]float64{dx, -1.3}, [2]float64{dx, 1.3})
				}
			}
		}
		placed := false
		for _, d := range spots {
			at := orb.Point{c.anchor[0]*pl.k - w/2 + d[0]*w, c.anchor[1]*pl.k + d[1]*size*pl.scale}
			if placed = pl.lb.text(at, name, f, size*pl.scale, draw.Regular, pl.st.CountryText, kindCountry); placed {
				break
			}
		}
		if !placed && len(pl.lb.reserved)+len(pl.lb.avoid) > 0 {
			kept, avoid := pl.lb.reserved, pl.lb.avoid
			pl.lb.reserved, pl.lb.avoid = nil, nil
			pl.lb.text(orb.Point{c.anchor[0]*pl.k - w/2, c.anchor[1] * pl.k}, name, f, size*pl.scale, draw.Regular, pl.st.CountryText, kindCountry)
			pl.lb.reserved, pl.lb.avoid = kept, avoid
		}
	}
}

// regions names the ranges, deserts and valleys whose rank skip lets in.
func (pl *placer) regions(skip func(rank int) bool) {
	for _, rg := range pl.d.regions {
		if skip(rg.rank) {
			continue
		}
		// A marker polygon sits at a spot, not over the region: only a
		// delta's spot is where its name belongs (SOURCES.md; the
		// Garagum's and Qizilqum's markers lie north of those deserts).
		if pl.zoom < regionLabelZoom(rg.rank, rg.class) || rg.marker && rg.class != "Delta" {
			continue
		}
		size := 10.0
		switch {
		case rg.rank <= 1:
			size = 12
		case rg.rank <= 3:
			size = 11
		}
		col := pl.st.TerrainText
		if rg.class == "Range/mtn" {
			col = pl.st.ReliefText
		}
		// Natural Earth writes the larger regions in capitals: those are
		// spaced out, as an atlas letters a range across its extent.
		spacing := 0.0
		if rg.name == strings.ToUpper(rg.name) {
			spacing = 0.3 * size * pl.scale
		}
		name := rg.names.in(pl.lang, rg.name)
		// Where others took the spot, a line above or below; where a
		// figure's markers or cities took those too, half or all of the
		// name's width to either side, still over the region ("HINDU
		// KUSH" east of Kabul's markers).
		f := pl.face(draw.Italic, size)
		at := pl.at(rg.label)
		// x in widths of the name, y in lines of its size.
		spots := [][2]float64{{0, 0}, {0, -1.3}, {0, 1.3}, {0, -2.6}, {0, 2.6}}
		if len(pl.lb.avoid) > 0 {
			spots = append(spots, [][2]float64{{0.5, 0}, {-0.5, 0}, {0.5, -1.3}, {-0.5, -1.3}, {0.5, 1.3}, {-0.5, 1.3}, {1, 0}, {-1, 0}}...)
		}
		w := advance(f, name, draw.Italic, size*pl.scale) + spacing*float64(utf8.RuneCountInString(name)-1)
		for _, d := range spots {
			if pl.lb.centred(orb.Point{at[0] + d[0]*w, at[1] + d[1]*size*pl.scale}, name, f, size*pl.scale, draw.Italic, col, spacing, kindRegion) {
				break
			}
		}
	}
}

// places labels the populated places, the major ones (a million people,
// or a capital) or the others.
func (pl *placer) places(major bool) {
	for i, p := range pl.d.places {
		if (p.population >= 1_000_000 || p.capital) != major || pl.placeDone[i] {
			continue
		}
		if pl.zoom < placeZoom(p) || pl.cands.sameAsCity(p, func(c city) bool { return pl.noCities || pl.drawn(c) }) {
			continue
		}
		pl.place(i)
	}
}

// place labels the i-th populated place, its dot and name sized by its
// population.
func (pl *placer) place(i int) {
	pl.placeDone[i] = true
	p := pl.d.places[i]
	size, r := placeStyle(p)
	pl.lb.dot(pl.at(p.p), p.names.in(pl.lang, p.name), pl.face(draw.Regular, size), size*pl.scale, draw.Regular, pl.st.CityText, pl.st.CityDot, r, kindPlace)
}

func (pl *placer) lakes() {
	for _, lk := range pl.d.lakes {
		if lk.name == "" || pl.zoom < lakeLabelZoom(lk.rank) {
			continue
		}
		size := 10.0
		if lk.rank <= 1 {
			size = 11
		}
		f := pl.face(draw.Italic, size)
		name := lk.names.in(pl.lang, lk.name)
		w := advance(f, name, draw.Italic, size*pl.scale)
		if w > 2.5*(lk.bound.Max[0]-lk.bound.Min[0])*pl.k {
			continue // a name far wider than its lake
		}
		pl.lb.centred(pl.at(lk.label), name, f, size*pl.scale, draw.Italic, pl.st.WaterText, 0, kindWater)
	}
}

// rivers names the rivers along their lines.
func (pl *placer) rivers() {
	rsize := 10.0
	if pl.zoom >= 7 {
		rsize = 11
	}
	rf := pl.face(draw.Italic, rsize)
	for i, rv := range pl.d.rivers {
		if rv.name == "" || pl.zoom < riverLabelZoom(rv.rank) {
			continue
		}
		rivers, _ := pl.d.atLevel(levelOf(pl.zoom, pl.scale))
		for _, ls := range rivers[i] {
			px := make(orb.LineString, len(ls))
			for j, q := range ls {
				px[j] = pl.at(q)
			}
			// The name follows the line smoothed to a third of its size:
			// set along every wiggle (the Amu Darya's along the border)
			// its letters would crowd and tilt into each other.
			px = simplify.DouglasPeucker(rsize * pl.scale / 3).LineString(px)
			pl.lb.along(px, rv.names.in(pl.lang, rv.name), rf, rsize*pl.scale, draw.Italic, pl.st.WaterText, 600*pl.scale)
		}
	}
}

// peaks marks the peaks with their heights.
func (pl *placer) peaks() {
	pf := pl.face(draw.Regular, 9.5)
	for _, pk := range pl.d.peaks {
		if pl.zoom < peakZoom(pk.rank) {
			continue
		}
		name := pk.names.in(pl.lang, pk.name)
		if pk.elevation > 0 {
			name += " " + strconv.Itoa(pk.elevation)
		}
		if pl.lb.dot(pl.at(pk.p), name, pf, 9.5*pl.scale, draw.Regular, pl.st.ReliefText, pl.st.PeakMark, 2.6, kindPeak) {
			pl.lb.labels[len(pl.lb.labels)-1].Triangle = true
		}
	}
}

// sameAsCity is whether a populated place is a city of the cities layer
// for which keep holds: the same name (without diacritics or case) within
// 40 km, or any within 8 km. The cities layer's label wins.
func (c *candidates) sameAsCity(p place, keep func(city) bool) bool {
	_, ok := c.cityOf(p, keep)
	return ok
}

// World pixels at zoom 0 are about 156 km at the equator; the region lies
// near 35°N, where they are about 128 km.
const km = 1.0 / 128

// same is whether a city of the cities layer and a populated place are
// one: the same name within 40 km, or any within 8 km. The name is the
// place's own or its English one: Natural Earth's "Bamian" is the
// layer's Bamyan (its name_en), 28 km off.
func same(ct city, p place) bool {
	d := math.Hypot(ct.p[0]-p.p[0], ct.p[1]-p.p[1])
	return d <= 40*km && (d < 8*km || sameName(ct.name, p.name) || p.nameEn != "" && sameName(ct.name, p.nameEn))
}

// cityOf is the index of the first city for which keep holds that is the
// place p.
func (c *candidates) cityOf(p place, keep func(city) bool) (int, bool) {
	for i, ct := range c.cities {
		if keep(ct) && same(ct, p) {
			return i, true
		}
	}
	return 0, false
}

// cityName is the city's name in lang, and whether the data has it in
// lang: the cities layer's own (name_ru, ...), else that of the Natural
// Earth place the city is (placeOf), else the layer's English name. One
// rule for the tiles and the figures (CityName): a name is never made
// up or transliterated.
func (d *detail) cityName(c city, lang string) (string, bool) {
	if lang == "en" || lang == "" {
		return c.name, true
	}
	if n, ok := c.names[lang]; ok {
		return n, true
	}
	if j, ok := d.placeOf(c); ok {
		if n, ok := d.places[j].names[lang]; ok {
			return n, true
		}
	}
	return c.name, false
}

// CityName is how the basemap names a feature of a places layer in lang
// (one of Languages): as cityName does, its parenthesised aside dropped.
// ok is false where the data has no name in lang (or the feature is no
// named point): a figure then writes the layer's own name, as the
// basemap does.
func (r *Renderer) CityName(f geo.Feature, lang string) (name string, ok bool, err error) {
	pt, isPoint := f.Geometry.(orb.Point)
	en, _ := f.Properties["name"].(string)
	if !isPoint || strings.TrimSpace(en) == "" {
		return "", false, nil
	}
	d, err := r.details()
	if err != nil {
		return "", false, err
	}
	x, y := tiles.WorldPixel(pt, 0, 256)
	name, ok = d.cityName(city{name: shortName(en), names: featureNames(f), p: orb.Point{x, y}}, lang)
	return name, ok, nil
}

// CityNamed is the name in lang of the city of the cities layer whose
// name (its aside dropped) is english, as CityName gives it; english
// itself where the layer has no such city or the data no name in lang.
func (r *Renderer) CityNamed(ctx context.Context, english, lang string) (string, error) {
	if r.Cities == "" {
		return english, nil
	}
	version, err := r.dataVersion(ctx)
	if err != nil {
		return "", err
	}
	cands, err := r.candidates(ctx, version)
	if err != nil {
		return "", err
	}
	d, err := r.details()
	if err != nil {
		return "", err
	}
	for _, c := range cands.cities {
		if c.name == english {
			name, _ := d.cityName(c, lang)
			return name, nil
		}
	}
	return english, nil
}

// placeOf is the index of the populated place that is the city ct, the
// nearest of them.
func (d *detail) placeOf(ct city) (int, bool) {
	best, bestD := -1, math.Inf(1)
	for i, p := range d.places {
		if dd := math.Hypot(ct.p[0]-p.p[0], ct.p[1]-p.p[1]); same(ct, p) && dd < bestD {
			best, bestD = i, dd
		}
	}
	return best, best >= 0
}

// sameName compares names without case, diacritics or punctuation; a
// name of the cities layer may give two ("Mary / Bayramaly").
func sameName(a, b string) bool {
	nb := fold(b)
	for _, part := range strings.Split(a, "/") {
		if fold(part) == nb {
			return true
		}
	}
	return false
}

func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if unicode.IsLetter(r) { // the marks NFD splits off are not letters
			b.WriteRune(r)
		}
	}
	return b.String()
}

// advance is s's width at size pixels: measured with face, or shaped
// where it needs shaping (draw.Shaped: Arabic script).
func advance(face font.Face, s string, kind draw.FontKind, size float64) float64 {
	if draw.Shaped(s) {
		return draw.ShapedWidth(s, kind, size)
	}
	return float64(font.MeasureString(face, s)) / 64
}

// faceSet makes each face once for one drawing.
type faceSet map[faceKey]font.Face

type faceKey struct {
	kind draw.FontKind
	size float64
}

func (fs faceSet) get(kind draw.FontKind, size float64) (font.Face, error) {
	k := faceKey{kind, size}
	if f, ok := fs[k]; ok {
		return f, nil
	}
	f, err := newFace(kind, size)
	if err != nil {
		return nil, err
	}
	fs[k] = f
	return f, nil
}

// labelKind is what a placed label names.
type labelKind int

const (
	kindCountry labelKind = iota
	kindCity              // of the cities layer
	kindPlace             // a populated place of the detail
	kindWater
	kindRegion
	kindRiver
	kindPeak
)

// labeller places labels and skips those that would overlap one already
// placed; the scene's painter draws them with a halo.
type labeller struct {
	scale  float64
	labels []Placed
	// reserved is room kept clear of labels: what the page draws itself.
	// pending is kept clear too, for a while: the dots of labels to come.
	// avoid is what a figure draws over the basemap (its markers and city
	// labels: View.Obstacles), in world pixels.
	reserved, pending, avoid []image.Rectangle
}

func (l *labeller) free(r image.Rectangle) bool {
	for _, b := range l.pending {
		if b.Overlaps(r) {
			return false
		}
	}
	for _, b := range l.reserved {
		if b.Overlaps(r) {
			return false
		}
	}
	for _, b := range l.avoid {
		if b.Overlaps(r) {
			return false
		}
	}
	for _, p := range l.labels {
		if p.Box.Overlaps(r) {
			return false
		}
	}
	return true
}

// text places s with its baseline's left end at p, if there is room.
func (l *labeller) text(p orb.Point, s string, face font.Face, size float64, kind draw.FontKind, col color.RGBA, what labelKind) bool {
	return l.textWith(p, s, face, size, kind, col, what, image.Rectangle{})
}

// textWith is text, its room grown to hold also (a dot's).
func (l *labeller) textWith(p orb.Point, s string, face font.Face, size float64, kind draw.FontKind, col color.RGBA, what labelKind, also image.Rectangle) bool {
	m := face.Metrics()
	w := int(math.Ceil(advance(face, s, kind, size)))
	x, y := int(math.Round(p[0])), int(math.Round(p[1]))
	pad := int(math.Ceil(2 * l.scale))
	box := image.Rect(x-pad, y-m.Ascent.Ceil()-pad, x+w+pad, y+m.Descent.Ceil()+pad).Union(also)
	if !l.free(box) {
		return false
	}
	// The ink, grown by the halo (round(scale) pixels, as Paint draws it)
	// and a pixel of anti-aliasing.
	ink, _ := font.BoundString(face, s)
	if draw.Shaped(s) {
		top, bottom := draw.ShapedInk(s, kind, size)
		ink = fixed.R(0, int(math.Floor(top)), w, int(math.Ceil(bottom)))
	}
	halo := int(math.Max(1, math.Round(l.scale))) + 1
	extent := image.Rect(x+ink.Min.X.Floor()-halo, y+ink.Min.Y.Floor()-halo, x+ink.Max.X.Ceil()+halo, y+ink.Max.Y.Ceil()+halo).Union(box)
	l.labels = append(l.labels, Placed{
		Label:  draw.Label{Text: s, At: orb.Point{float64(x), float64(y)}, Face: face, Size: size, Font: kind, Color: col},
		Box:    box,
		Extent: extent,
		kind:   what,
	})
	return true
}

// centred places s centred on p (its middle height there), its letters
// spacing pixels apart when spacing is above 0.
func (l *labeller) centred(p orb.Point, s string, face font.Face, size float64, kind draw.FontKind, col color.RGBA, spacing float64, what labelKind) bool {
	m := face.Metrics()
	baseline := p[1] + float64(m.Ascent.Ceil()-m.Descent.Ceil())/2
	if spacing <= 0 || draw.Shaped(s) { // joined letters are not spaced out
		w := advance(face, s, kind, size)
		return l.text(orb.Point{p[0] - w/2, baseline}, s, face, size, kind, col, what)
	}
	var glyphs []draw.Glyph
	var advs []float64
	total := 0.0
	for i, r := range s {
		a, _ := face.GlyphAdvance(r)
		adv := float64(a) / 64
		if i > 0 {
			total += spacing
		}
		glyphs = append(glyphs, draw.Glyph{Text: string(r), At: orb.Point{total, 0}})
		advs = append(advs, adv)
		total += adv
	}
	x0 := p[0] - total/2
	for i := range glyphs {
		glyphs[i].At = orb.Point{math.Round(x0 + glyphs[i].At[0]), math.Round(baseline)}
	}
	return l.glyphs(s, glyphs, advs, face, size, kind, col, what)
}

// glyphs places a label of characters placed one by one, if there is
// room for the box round all of them.
func (l *labeller) glyphs(s string, glyphs []draw.Glyph, advs []float64, face font.Face, size float64, kind draw.FontKind, col color.RGBA, what labelKind) bool {
	m := face.Metrics()
	asc, desc := float64(m.Ascent.Ceil()), float64(m.Descent.Ceil())
	var b orb.Bound
	for i, g := range glyphs {
		sin, cos := math.Sincos(g.Angle)
		// An italic letter leans past its advance: a fifth of the height.
		for _, c := range [4]orb.Point{{-0.2 * asc, -asc}, {advs[i] + 0.2*asc, -asc}, {advs[i], desc}, {0, desc}} {
			q := orb.Point{g.At[0] + c[0]*cos - c[1]*sin, g.At[1] + c[0]*sin + c[1]*cos}
			if i == 0 && c == (orb.Point{-0.2 * asc, -asc}) {
				b = orb.Bound{Min: q, Max: q}
			}
			b = b.Extend(q)
		}
	}
	pad := math.Ceil(2 * l.scale)
	box := image.Rect(int(math.Floor(b.Min[0]-pad)), int(math.Floor(b.Min[1]-pad)), int(math.Ceil(b.Max[0]+pad)), int(math.Ceil(b.Max[1]+pad)))
	if !l.free(box) {
		return false
	}
	halo := int(math.Max(1, math.Round(l.scale))) + 2
	extent := box.Inset(-halo)
	l.labels = append(l.labels, Placed{
		Label:  draw.Label{Text: s, At: glyphs[0].At, Face: face, Size: size, Font: kind, Color: col, Glyphs: glyphs},
		Box:    box,
		Extent: extent,
		kind:   what,
	})
	return true
}

// dot places a mark of radius r (times scale) at p and the name beside
// it: to its right, else its left, above or below, wherever there is
// room.
func (l *labeller) dot(p orb.Point, name string, face font.Face, size float64, kind draw.FontKind, col, dot color.RGBA, r float64, what labelKind) bool {
	dotBox := l.dotBox(p, r)
	r *= l.scale
	gap := 3 * l.scale
	m := face.Metrics()
	w := advance(face, name, kind, size)
	mid := p[1] + float64(m.Ascent.Ceil()-m.Descent.Ceil())/2
	if !l.free(dotBox) {
		return false
	}
	for _, at := range [...]orb.Point{
		{p[0] + r + gap, mid},
		{p[0] - r - gap - w, mid},
		{p[0] - w/2, p[1] - r - gap/2 - float64(m.Descent.Ceil())},
		{p[0] - w/2, p[1] + r + gap/2 + float64(m.Ascent.Ceil())},
	} {
		if l.textWith(at, name, face, size, kind, col, what, dotBox) {
			last := &l.labels[len(l.labels)-1]
			last.Dot, last.DotAt, last.DotR, last.DotColor = true, p, r, dot
			// The dot's halo is 0.8 pixels (times scale) wider than the dot.
			last.Extent = last.Extent.Union(dotBox)
			return true
		}
	}
	return false
}

// dotBox is the room of a dot of radius r (times scale) at p, its halo
// and a pixel to spare.
func (l *labeller) dotBox(p orb.Point, r float64) image.Rectangle {
	h := r*l.scale*1.2 + 0.8*l.scale + 1
	return image.Rect(int(math.Floor(p[0]-h)), int(math.Floor(p[1]-h)), int(math.Ceil(p[0]+h)), int(math.Ceil(p[1]+h)))
}

// along places a river's name along its line (world pixels), where the
// line runs straight enough for it, reading left to right, every repeat
// pixels or so.
func (l *labeller) along(line []orb.Point, name string, face font.Face, size float64, kind draw.FontKind, col color.RGBA, repeat float64) {
	if draw.Shaped(name) {
		return // set letter by letter, joined letters would come apart
	}
	var advs []float64
	L := 0.0
	for _, r := range name {
		a, _ := face.GlyphAdvance(r)
		advs = append(advs, float64(a)/64)
		L += float64(a) / 64
	}
	fwd := newPath(line)
	if fwd.total < 1.5*L {
		return
	}
	back := slices.Clone(line)
	slices.Reverse(back)
	rev := newPath(back)
	step := math.Max(4, L/4)
	next := 0.0
	for s := 0.25 * L; s+L <= fwd.total-0.25*L; s += step {
		if s < next {
			continue
		}
		pth, s0 := fwd, s
		if a, b := fwd.at(s), fwd.at(s+L); b[0] < a[0] {
			pth, s0 = rev, fwd.total-s-L
		}
		glyphs, ok := pth.glyphs(name, advs, s0, size, 2.5*l.scale+size*0.1)
		if !ok {
			continue
		}
		if l.glyphs(name, glyphs, advs, face, size, kind, col, kindRiver) {
			next = s + L + repeat
		}
	}
}

// path is a polyline measured along its length.
type path struct {
	pts   []orb.Point
	cum   []float64
	total float64
}

func newPath(pts []orb.Point) *path {
	p := &path{pts: pts, cum: make([]float64, len(pts))}
	for i := 1; i < len(pts); i++ {
		p.cum[i] = p.cum[i-1] + math.Hypot(pts[i][0]-pts[i-1][0], pts[i][1]-pts[i-1][1])
	}
	if len(pts) > 0 {
		p.total = p.cum[len(pts)-1]
	}
	return p
}

// at is the point s pixels along the path.
func (p *path) at(s float64) orb.Point {
	s = math.Max(0, math.Min(p.total, s))
	i, _ := slices.BinarySearch(p.cum, s)
	if i == 0 {
		return p.pts[0]
	}
	if i >= len(p.pts) {
		return p.pts[len(p.pts)-1]
	}
	a, b := p.pts[i-1], p.pts[i]
	seg := p.cum[i] - p.cum[i-1]
	if seg == 0 {
		return b
	}
	t := (s - p.cum[i-1]) / seg
	return orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
}

// glyphs sets each character of name from s pixels along the path,
// turned to the line's direction there and lifted off the line by lift;
// false where the line bends too much for a legible name.
func (p *path) glyphs(name string, advs []float64, s, size, lift float64) ([]draw.Glyph, bool) {
	var out []draw.Glyph
	pos := s
	first, prev := 0.0, 0.0
	var prevAt orb.Point
	i := 0
	for _, r := range name {
		adv := advs[i]
		c := pos + adv/2
		w := math.Max(adv, 0.6*size)
		a, b := p.at(c-w), p.at(c+w)
		ang := math.Atan2(b[1]-a[1], b[0]-a[0])
		if i == 0 {
			first = ang
		} else if angleDiff(ang, prev) > 0.25 || angleDiff(ang, first) > 0.7 {
			return nil, false
		}
		if math.Cos(ang) < 0.15 {
			return nil, false // would read downwards or upside down
		}
		prev = ang
		sin, cos := math.Sincos(ang)
		m := p.at(c)
		at := orb.Point{m[0] - adv/2*cos + lift*sin, m[1] - adv/2*sin - lift*cos}
		// A line that wiggles under the name would crowd its letters
		// together or pull them apart ("AmuDarya" along the border at z7).
		if d := math.Hypot(at[0]-prevAt[0], at[1]-prevAt[1]); i > 0 && (d < 0.85*advs[i-1] || d > 1.2*advs[i-1]+1) {
			return nil, false
		}
		prevAt = at
		out = append(out, draw.Glyph{Text: string(r), Angle: ang, At: at})
		pos += adv
		i++
	}
	return out, true
}

func angleDiff(a, b float64) float64 {
	d := math.Abs(a - b)
	if d > math.Pi {
		d = 2*math.Pi - d
	}
	return d
}
