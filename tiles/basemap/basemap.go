// Package basemap draws the offline basemap (sea, land, borders, country
// and city names) for /tiles/basemap and under figures; it imports draw,
// tiles and geo.
package basemap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles"
	"github.com/khorasan/khorasan/tiles/draw"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/maptile"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
)

// Label zooms: country names from CountryLabelZoom (where the country is
// wide enough for its name), the cities of the cities layer marked
// anchor=true from AnchorCityZoom and every other city from CityZoom.
const (
	CountryLabelZoom = 2
	AnchorCityZoom   = 5
	CityZoom         = 6
)

// TileView is the window of one XYZ tile, 256 pixels times scale.
func TileView(t maptile.Tile, scale int) draw.View {
	size := 256 * scale
	ox, oy := float64(t.X)*256, float64(t.Y)*256
	z := uint32(t.Z)
	return draw.View{
		// Half a tile of margin catches labels that run over the edge.
		Bound:  t.Bound(0.5),
		Width:  size,
		Height: size,
		Scale:  float64(scale),
		Zoom:   float64(t.Z),
		Project: func(p orb.Point) orb.Point {
			x, y := tiles.WorldPixel(p, z, 256)
			return orb.Point{(x - ox) * float64(scale), (y - oy) * float64(scale)}
		},
	}
}

// Renderer draws the offline basemap (sea, land, borders, country names,
// city labels) from two layers of a Source. It draws onto any image for
// any View: the XYZ basemap tiles are one use, static maps another.
type Renderer struct {
	Source tiles.Source
	Style  draw.Style
	// Borders and Cities name the layers to draw from (the dataset's
	// basemap layers); an empty name leaves that part out. Country labels
	// read the borders' name property, city labels the cities' name (and
	// anchor).
	Borders, Cities string
}

// RenderTile draws one basemap tile as PNG.
func (r *Renderer) RenderTile(ctx context.Context, t maptile.Tile, scale int, noCities bool) ([]byte, error) {
	v := TileView(t, scale)
	v.NoCityLabels = noCities
	img := image.NewRGBA(image.Rect(0, 0, v.Width, v.Height))
	if err := r.Draw(ctx, img, v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Draw paints the basemap of the view onto dst (from dst's origin, over
// v.Width by v.Height pixels). A missing borders or cities layer leaves
// that part out; any other error fails the drawing.
func (r *Renderer) Draw(ctx context.Context, dst *image.RGBA, v draw.View) error {
	sc, err := r.Scene(ctx, v)
	if err != nil {
		return err
	}
	return sc.Paint(ctx, dst)
}

// Scene lays out the basemap of the view: the land, the outlines and the
// labels that found room, for a raster (Draw) or a vector canvas. A
// layer that is not named, or not there, is left out.
func (r *Renderer) Scene(ctx context.Context, v draw.View) (*draw.Scene, error) {
	st := r.Style
	if st == (draw.Style{}) {
		st = draw.DefaultStyle
	}
	sc := &draw.Scene{Style: st, Width: v.Width, Height: v.Height, Scale: v.Scale}
	sc.LineWidth = 0.8 * v.Scale
	if v.Zoom >= 5 {
		sc.LineWidth = 1.0 * v.Scale
	}
	countries, err := r.land(ctx, sc, v)
	if err != nil {
		return nil, err
	}
	lb := &labeller{scale: v.Scale}
	// Cities before countries: they are the more useful labels.
	if !v.NoCityLabels && v.Zoom >= AnchorCityZoom {
		if err := r.cityLabels(ctx, lb, st, v); err != nil {
			return nil, err
		}
	}
	if v.Zoom >= CountryLabelZoom {
		if err := countryLabels(lb, st, v, countries); err != nil {
			return nil, err
		}
	}
	sc.Labels = lb.labels
	return sc, nil
}

// country is where a country's name may go.
type country struct {
	name   string
	anchor orb.Point
	width  float64 // of its largest part, in pixels
	area   float64
}

// land adds the countries' fills and outlines to the scene and returns
// where their names may go.
func (r *Renderer) land(ctx context.Context, sc *draw.Scene, v draw.View) ([]country, error) {
	if r.Borders == "" {
		return nil, nil
	}
	// Pixel space, with a margin so strokes and fills run past the edge.
	margin := 4 * v.Scale
	box := orb.Bound{Min: orb.Point{-margin, -margin}, Max: orb.Point{float64(v.Width) + margin, float64(v.Height) + margin}}
	var countries []country
	err := r.Source.Features(ctx, r.Borders, geo.Query{BBox: &v.Bound}, func(f geo.Feature) error {
		g := tiles.ProjectGeometry(orb.Clone(f.Geometry), v.Project)
		var polys orb.MultiPolygon
		switch g := g.(type) {
		case orb.Polygon:
			polys = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			polys = g
		default:
			return nil
		}
		var best orb.Polygon
		bestArea := 0.0
		for _, p := range polys {
			if a := math.Abs(tiles.SignedArea(p[0])); a > bestArea {
				best, bestArea = p, a
			}
			// Outlines first: clipping would draw the window's edge.
			for _, ring := range p {
				sc.Outlines = append(sc.Outlines, clip.MultiLineString(box, orb.MultiLineString{orb.LineString(ring)})...)
			}
			cp := clip.Polygon(box, slices.Clone(p))
			if len(cp) == 0 {
				continue
			}
			for i, ring := range cp {
				// Exterior rings one way round, holes the other, so holes
				// cancel under the rasterizer's accumulation.
				if a := tiles.SignedArea(ring); (i == 0) != (a > 0) {
					ring.Reverse()
				}
			}
			sc.Land = append(sc.Land, cp)
		}
		if name, _ := f.Properties["name"].(string); name != "" && best != nil {
			b := best.Bound()
			countries = append(countries, country{name: name, anchor: labelPoint(best), width: b.Max[0] - b.Min[0], area: bestArea})
		}
		return nil
	})
	if err != nil && !errors.Is(err, geo.ErrNotFound) {
		return nil, fmt.Errorf("basemap borders: %w", err)
	}
	return countries, nil
}

// cityLabels places the city labels that find room: the historical
// anchors from AnchorCityZoom, the others from CityZoom.
func (r *Renderer) cityLabels(ctx context.Context, lb *labeller, st draw.Style, v draw.View) error {
	if r.Cities == "" {
		return nil
	}
	face, err := newFace(draw.Regular, 11*v.Scale)
	if err != nil {
		return err
	}
	anchorFace, err := newFace(draw.Bold, 11*v.Scale)
	if err != nil {
		return err
	}
	type city struct {
		name   string
		p      orb.Point
		anchor bool
	}
	var cities []city
	err = r.Source.Features(ctx, r.Cities, geo.Query{BBox: &v.Bound}, func(f geo.Feature) error {
		pt, ok := f.Geometry.(orb.Point)
		name, _ := f.Properties["name"].(string)
		anchor, _ := f.Properties["anchor"].(bool)
		if !ok || name == "" || (!anchor && v.Zoom < CityZoom) {
			return nil
		}
		cities = append(cities, city{name: shortName(name), p: v.Project(pt), anchor: anchor})
		return nil
	})
	if err != nil && !errors.Is(err, geo.ErrNotFound) {
		return fmt.Errorf("basemap cities: %w", err)
	}
	// Anchors first; then by position, so the order does not depend
	// on the query.
	slices.SortStableFunc(cities, func(a, b city) int {
		if a.anchor != b.anchor {
			if a.anchor {
				return -1
			}
			return 1
		}
		return cmpPoint(a.p, b.p)
	})
	for _, c := range cities {
		f, kind, col := face, draw.Regular, st.CityText
		if c.anchor {
			f, kind, col = anchorFace, draw.Bold, st.AnchorText
		}
		lb.city(c.p, c.name, f, 11*v.Scale, kind, col, st.CityDot)
	}
	return nil
}

// countryLabels places the names of the countries wide enough for them,
// the largest first.
func countryLabels(lb *labeller, st draw.Style, v draw.View, countries []country) error {
	size := 10.0
	if v.Zoom >= 4 {
		size = 11
	}
	if v.Zoom >= 6 {
		size = 12
	}
	face, err := newFace(draw.Regular, size*v.Scale)
	if err != nil {
		return err
	}
	slices.SortStableFunc(countries, func(a, b country) int {
		if a.area != b.area {
			if a.area > b.area {
				return -1
			}
			return 1
		}
		return cmpPoint(a.anchor, b.anchor)
	})
	for _, c := range countries {
		w := float64(font.MeasureString(face, c.name)) / 64
		if w > c.width*0.9 {
			continue // the country is too narrow at this zoom
		}
		lb.text(orb.Point{c.anchor[0] - w/2, c.anchor[1]}, c.name, face, size*v.Scale, draw.Regular, st.CountryText)
	}
	return nil
}

// newFace is the embedded font of a kind at a size in device pixels.
func newFace(kind draw.FontKind, size float64) (font.Face, error) {
	f, err := draw.FontOf(kind)
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
}

func cmpPoint(a, b orb.Point) int {
	switch {
	case a[1] != b[1]:
		if a[1] < b[1] {
			return -1
		}
		return 1
	case a[0] < b[0]:
		return -1
	case a[0] > b[0]:
		return 1
	}
	return 0
}

// shortName drops a parenthesised aside: "Neyshabur (Nishapur)" is
// labelled Neyshabur.
func shortName(name string) string {
	if i := indexByte(name, '('); i > 0 {
		return trimSpace(name[:i])
	}
	return name
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func trimSpace(s string) string {
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// labelPoint is where a polygon's name goes: its area centroid when that
// lies inside, otherwise the middle of the widest horizontal run through
// the middle of its bound.
func labelPoint(p orb.Polygon) orb.Point {
	c := ringCentroid(p[0])
	if ringContains(p[0], c) {
		return c
	}
	b := p[0].Bound()
	y := (b.Min[1] + b.Max[1]) / 2
	var xs []float64
	r := p[0]
	for i := 0; i+1 < len(r); i++ {
		a, q := r[i], r[i+1]
		if (a[1] > y) != (q[1] > y) {
			xs = append(xs, a[0]+(y-a[1])*(q[0]-a[0])/(q[1]-a[1]))
		}
	}
	slices.Sort(xs)
	best, bestW := b.Center(), -1.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > bestW {
			best, bestW = orb.Point{(xs[i] + xs[i+1]) / 2, y}, w
		}
	}
	return best
}

func ringCentroid(r orb.Ring) orb.Point {
	var a, cx, cy float64
	for i := 0; i+1 < len(r); i++ {
		f := r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
		a += f
		cx += (r[i][0] + r[i+1][0]) * f
		cy += (r[i][1] + r[i+1][1]) * f
	}
	if a == 0 {
		return r.Bound().Center()
	}
	return orb.Point{cx / (3 * a), cy / (3 * a)}
}

func ringContains(r orb.Ring, p orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// labeller places labels and skips those that would overlap one already
// placed; the scene's painter draws them with a halo.
type labeller struct {
	scale  float64
	placed []image.Rectangle
	labels []draw.Label
}

func (l *labeller) free(r image.Rectangle) bool {
	for _, p := range l.placed {
		if p.Overlaps(r) {
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
	l.placed = append(l.placed, box)
	l.labels = append(l.labels, draw.Label{Text: s, At: orb.Point{float64(x), float64(y)}, Face: face, Size: size, Font: kind, Color: col})
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
}
