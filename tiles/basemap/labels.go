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

	"github.com/hashicorp/golang-lru/v2"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles"
	"github.com/khorasan/khorasan/tiles/draw"
	"github.com/paulmach/orb"
	"golang.org/x/image/font"
	"golang.org/x/sync/singleflight"
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
				l.At[0] += float64(dx)
				l.DotAt[0] += float64(dx)
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
}

// city is a place whose name may go on the map.
type city struct {
	name   string
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
}

type placementKey struct {
	version     string
	zoom, scale float64
	noCities    bool
}

func (r *Renderer) cache() *labelCache {
	r.cacheOnce.Do(func() {
		c, err := lru.New[placementKey, *Placement](maxPlacements)
		if err != nil {
			panic(err) // only for a size below 1
		}
		r.labels = &labelCache{placements: c}
	})
	return r.labels
}

// Placement is where the labels go at a zoom and scale (cities left out
// when noCities): computed once per version of the borders and cities
// layers, then kept.
func (r *Renderer) Placement(ctx context.Context, zoom, scale float64, noCities bool) (*Placement, error) {
	version, err := r.dataVersion(ctx)
	if err != nil {
		return nil, err
	}
	c := r.cache()
	key := placementKey{version: version, zoom: zoom, scale: scale, noCities: noCities}
	if p, ok := c.placements.Get(key); ok {
		return p, nil
	}
	flight := fmt.Sprintf("p|%q|%v|%v|%v", version, zoom, scale, noCities)
	v, err := do(ctx, &c.group, flight, func(ctx context.Context) (*Placement, error) {
		if p, ok := c.placements.Get(key); ok {
			return p, nil
		}
		cands, err := r.candidates(ctx, version)
		if err != nil {
			return nil, err
		}
		p, err := r.place(cands, zoom, scale, noCities)
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
			name, _ := f.Properties["name"].(string)
			if name == "" {
				return nil
			}
			if c, ok := countryOf(name, tiles.ProjectGeometry(orb.Clone(f.Geometry), project)); ok {
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
				cands.cities = append(cands.cities, city{name: shortName(name), p: project(pt), anchor: anchor})
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

// place lays the labels out at a zoom and scale: the cities first (they
// are the more useful labels), the historical anchors from AnchorCityZoom
// and the others from CityZoom, then the names of the countries wide
// enough for them, the largest first.
func (r *Renderer) place(cands *candidates, zoom, scale float64, noCities bool) (*Placement, error) {
	st := r.style()
	k := math.Exp2(zoom) * scale
	p := &Placement{Zoom: zoom, Scale: scale, World: 256 * k}
	lb := &labeller{scale: scale}
	faces := faceSet{}
	if !noCities && zoom >= AnchorCityZoom {
		face, err := faces.get(draw.Regular, 11*scale)
		if err != nil {
			return nil, err
		}
		anchorFace, err := faces.get(draw.Bold, 11*scale)
		if err != nil {
			return nil, err
		}
		for _, c := range cands.cities {
			if !c.anchor && zoom < CityZoom {
				continue
			}
			f, kind, col := face, draw.Regular, st.CityText
			if c.anchor {
				f, kind, col = anchorFace, draw.Bold, st.AnchorText
			}
			lb.city(orb.Point{c.p[0] * k, c.p[1] * k}, c.name, f, 11*scale, kind, col, st.CityDot)
		}
	}
	if zoom >= CountryLabelZoom {
		size := 10.0
		if zoom >= 4 {
			size = 11
		}
		if zoom >= 6 {
			size = 12
		}
		face, err := faces.get(draw.Regular, size*scale)
		if err != nil {
			return nil, err
		}
		for _, c := range cands.countries {
			w := float64(font.MeasureString(face, c.name)) / 64
			if w > c.width*k*0.9 {
				continue // the country is too narrow at this zoom
			}
			lb.text(orb.Point{c.anchor[0]*k - w/2, c.anchor[1] * k}, c.name, face, size*scale, draw.Regular, st.CountryText)
		}
	}
	p.Labels = lb.labels
	for i := range p.Labels {
		p.Labels[i].Face = nil
	}
	return p, nil
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

// labeller places labels and skips those that would overlap one already
// placed; the scene's painter draws them with a halo.
type labeller struct {
	scale  float64
	labels []Placed
}

func (l *labeller) free(r image.Rectangle) bool {
	for _, p := range l.labels {
		if p.Box.Overlaps(r) {
			return false
		}
	}
	return true
}

// text places s with its baseline's left end at p, if there is room.
func (l *labeller) text(p orb.Point, s string, face font.Face, size float64, kind draw.FontKind, col color.RGBA) bool {
	m := face.Metrics()
	w := font.MeasureString(face, s).Ceil()
	x, y := int(math.Round(p[0])), int(math.Round(p[1]))
	pad := int(math.Ceil(2 * l.scale))
	box := image.Rect(x-pad, y-m.Ascent.Ceil()-pad, x+w+pad, y+m.Descent.Ceil()+pad)
	if !l.free(box) {
		return false
	}
	// The ink, grown by the halo (round(scale) pixels, as Paint draws it)
	// and a pixel of anti-aliasing.
	ink, _ := font.BoundString(face, s)
	halo := int(math.Max(1, math.Round(l.scale))) + 1
	extent := image.Rect(x+ink.Min.X.Floor()-halo, y+ink.Min.Y.Floor()-halo, x+ink.Max.X.Ceil()+halo, y+ink.Max.Y.Ceil()+halo).Union(box)
	l.labels = append(l.labels, Placed{
		Label:  draw.Label{Text: s, At: orb.Point{float64(x), float64(y)}, Face: face, Size: size, Font: kind, Color: col},
		Box:    box,
		Extent: extent,
	})
	return true
}

// city places a dot at p and the name to its right.
func (l *labeller) city(p orb.Point, name string, face font.Face, size float64, kind draw.FontKind, col, dot color.RGBA) {
	r := 2.2 * l.scale
	gap := 3 * l.scale
	m := face.Metrics()
	baseline := p[1] + float64(m.Ascent.Ceil()-m.Descent.Ceil())/2
	if !l.text(orb.Point{p[0] + r + gap, baseline}, name, face, size, kind, col) {
		return
	}
	last := &l.labels[len(l.labels)-1]
	last.Dot, last.DotAt, last.DotR, last.DotColor = true, p, r, dot
	// The dot's halo is 0.8 pixels (times scale) wider than the dot.
	h := r + 0.8*l.scale + 1
	last.Extent = last.Extent.Union(image.Rect(int(math.Floor(p[0]-h)), int(math.Floor(p[1]-h)), int(math.Ceil(p[0]+h)), int(math.Ceil(p[1]+h))))
}
