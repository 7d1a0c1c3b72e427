// Package basemap draws the offline basemap (sea, land, borders, lakes,
// rivers and the names of countries, places, ranges and waters) for
// /tiles/basemap and under figures; it imports draw, tiles and geo.
package basemap

import (
	"bytes"
	"context"
	"image"
	"io/fs"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/khorasan/khorasan/tiles"
	"github.com/khorasan/khorasan/tiles/draw"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/maptile"
	"golang.org/x/image/font"
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
func TileView(t maptile.Tile, scale int) draw.View { return BlockView(t, 1, 1, scale) }

// BlockView is the window of nx by ny XYZ tiles from t at the top left,
// 256 pixels a tile times scale: drawn whole, it is the same image as its
// tiles drawn one by one and put side by side.
func BlockView(t maptile.Tile, nx, ny, scale int) draw.View {
	ox, oy := float64(t.X)*256, float64(t.Y)*256
	z := uint32(t.Z)
	s := float64(scale)
	// Half a tile of margin: strokes and fills run on past the edge.
	nw := maptile.New(t.X, t.Y, t.Z).Bound(0.5)
	se := maptile.New(t.X+uint32(nx)-1, t.Y+uint32(ny)-1, t.Z).Bound(0.5)
	return draw.View{
		Bound:  nw.Union(se),
		Width:  256 * nx * scale,
		Height: 256 * ny * scale,
		Scale:  s,
		Zoom:   float64(t.Z),
		Project: func(p orb.Point) orb.Point {
			x, y := tiles.WorldPixel(p, z, 256)
			return orb.Point{(x - ox) * s, (y - oy) * s}
		},
		Origin:     orb.Point{ox * s, oy * s},
		EdgeLabels: true,
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
	// Detail holds the physical and cultural detail (data.Basemap():
	// rivers, lakes, regions, peaks and places as GeoJSON); nil draws
	// without it.
	Detail fs.FS

	detailOnce sync.Once
	detail     *detail
	detailErr  error

	// The label placements, made on first use (a Renderer is not to be
	// copied once used).
	cacheOnce sync.Once
	labels    *labelCache
	// png encodes the tiles, its buffers kept from one to the next; imgs
	// keeps their images (Paint covers every pixel).
	png  draw.PNGEncoder
	imgs sync.Pool // *image.RGBA
}

func (r *Renderer) style() draw.Style {
	if r.Style == (draw.Style{}) {
		return draw.DefaultStyle
	}
	return r.Style
}

// RenderTile draws one basemap tile as PNG, its labels in lang (one of
// Languages; "" is English).
func (r *Renderer) RenderTile(ctx context.Context, t maptile.Tile, scale int, noCities bool, lang string) ([]byte, error) {
	v := TileView(t, scale)
	v.NoCityLabels = noCities
	v.Lang = lang
	img, _ := r.imgs.Get().(*image.RGBA)
	if img == nil || img.Rect != image.Rect(0, 0, v.Width, v.Height) {
		img = image.NewRGBA(image.Rect(0, 0, v.Width, v.Height))
	}
	defer r.imgs.Put(img)
	if err := r.Draw(ctx, img, v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	// draw.PNGEncoder: one filter and BestSpeed, half image/png's time
	// for 1% more bytes (14.2 to 14.3 kB a tile over bench/tiles.sh's
	// list), which keeps cold tiles quick under load.
	if err := r.png.Encode(&buf, img); err != nil {
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
// labels whose room overlaps it, for a raster (Draw) or a vector canvas.
// The labels are placed once for the whole map at the view's zoom and
// scale (Placement), so any two views at one zoom agree on them. A layer
// that is not named, or not there, is left out.
func (r *Renderer) Scene(ctx context.Context, v draw.View) (*draw.Scene, error) {
	st := r.style()
	sc := &draw.Scene{Style: st, Width: v.Width, Height: v.Height, Scale: v.Scale}
	sc.LineWidth = 0.8 * v.Scale
	if v.Zoom >= 5 {
		sc.LineWidth = 1.0 * v.Scale
	}
	if err := r.land(ctx, sc, v); err != nil {
		return nil, err
	}
	if err := r.water(sc, v); err != nil {
		return nil, err
	}
	if v.Zoom < CountryLabelZoom || v.NoLabels {
		return sc, nil // no labels at all
	}
	ox, oy := v.Origin[0], v.Origin[1]
	var avoid []image.Rectangle
	if len(v.Obstacles) > 0 {
		at := image.Pt(int(math.Floor(ox)), int(math.Floor(oy)))
		avoid = make([]image.Rectangle, len(v.Obstacles))
		for i, o := range v.Obstacles {
			avoid[i] = o.Add(at).Inset(-1) // a pixel for the rounding of the origin
		}
	}
	p, err := r.PlacementAvoiding(ctx, v.Zoom, v.Scale, v.NoCityLabels, v.Lang, avoid)
	if err != nil {
		return nil, err
	}
	view := image.Rect(int(math.Floor(ox)), int(math.Floor(oy)), int(math.Ceil(ox))+v.Width, int(math.Ceil(oy))+v.Height)
	sc.Cache = r.cache().paint
	for _, l := range p.Within(view) {
		if !v.EdgeLabels && !l.Extent.In(view) {
			continue // a figure's frame would cut it
		}
		lab := l.shifted(-ox, -oy).Label
		lab.Ink = image.Rect(l.Extent.Min.X-int(math.Ceil(ox)), l.Extent.Min.Y-int(math.Ceil(oy)), l.Extent.Max.X-int(math.Floor(ox)), l.Extent.Max.Y-int(math.Floor(oy)))
		sc.Labels = append(sc.Labels, lab)
	}
	return sc, nil
}

// country is where a country's name may go.
type country struct {
	name   string
	names  names
	anchor orb.Point
	width  float64 // of its largest part, in pixels
	area   float64
}

// land adds the countries' fills and outlines to the scene, from the
// borders read once for each version of the layer (candidates), in world
// pixels at zoom 0.
func (r *Renderer) land(ctx context.Context, sc *draw.Scene, v draw.View) error {
	if r.Borders == "" {
		return nil
	}
	version, err := r.dataVersion(ctx)
	if err != nil {
		return err
	}
	cands, err := r.candidates(ctx, version)
	if err != nil {
		return err
	}
	k := math.Exp2(v.Zoom) * v.Scale
	ox, oy := v.Origin[0], v.Origin[1]
	// Pixel space, with a margin so strokes and fills run past the edge.
	margin := 4 * v.Scale
	box := orb.Bound{Min: orb.Point{-margin, -margin}, Max: orb.Point{float64(v.Width) + margin, float64(v.Height) + margin}}
	view := orb.Bound{Min: orb.Point{(ox - margin) / k, (oy - margin) / k}, Max: orb.Point{(ox + float64(v.Width) + margin) / k, (oy + float64(v.Height) + margin) / k}}
	for i, p := range cands.land {
		b := cands.landBounds[i]
		if !b.Intersects(view) {
			continue
		}
		inside := b.Min[0] >= view.Min[0] && b.Max[0] <= view.Max[0] && b.Min[1] >= view.Min[1] && b.Max[1] <= view.Max[1]
		px := make(orb.Polygon, 0, len(p))
		for _, ring := range p {
			if q := pixelRing(ring, k, ox, oy); len(q) >= 4 {
				px = append(px, q)
			}
		}
		if len(px) == 0 {
			continue
		}
		// Outlines first: clipping would draw the window's edge.
		for _, ring := range px {
			if inside {
				sc.Outlines = append(sc.Outlines, orb.LineString(ring))
				continue
			}
			sc.Outlines = append(sc.Outlines, clip.MultiLineString(box, orb.MultiLineString{orb.LineString(ring)})...)
		}
		cp := px
		if !inside {
			cp = clip.Polygon(box, slices.Clone(px))
		}
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
	return nil
}

// pixelRing is ring (world pixels at zoom 0) in the view's pixels, k
// world pixels to one at zoom 0, less the origin; a point within a
// fifth of a pixel of the last one kept adds nothing a rasterizer can
// show and is left out (at z3 a tile holds a whole coast), unless that
// leaves too few for a ring: an island under a pixel is still outlined.
func pixelRing(ring orb.Ring, k, ox, oy float64) orb.Ring {
	out := make(orb.Ring, 0, len(ring))
	const eps = 0.2
	for i, q := range ring {
		p := orb.Point{q[0]*k - ox, q[1]*k - oy}
		if n := len(out); n > 0 && i < len(ring)-1 && math.Abs(p[0]-out[n-1][0]) < eps && math.Abs(p[1]-out[n-1][1]) < eps {
			continue
		}
		out = append(out, p)
	}
	if len(out) < 4 && len(ring) >= 4 {
		out = out[:0]
		for _, q := range ring {
			out = append(out, orb.Point{q[0]*k - ox, q[1]*k - oy})
		}
	}
	return out
}

// details is the detail, read on first use.
func (r *Renderer) details() (*detail, error) {
	r.detailOnce.Do(func() {
		if r.Detail == nil {
			r.detail = &detail{}
			return
		}
		r.detail, r.detailErr = readDetail(r.Detail)
	})
	return r.detail, r.detailErr
}

// water adds the rivers and lakes of the view, from the geometry
// simplified for its zoom, clipped with a margin.
func (r *Renderer) water(sc *draw.Scene, v draw.View) error {
	d, err := r.details()
	if err != nil {
		return err
	}
	if len(d.rivers) == 0 && len(d.lakes) == 0 || v.Zoom < 2 {
		return nil
	}
	k := math.Exp2(v.Zoom) * v.Scale
	ox, oy := v.Origin[0], v.Origin[1]
	margin := 4 * v.Scale
	box := orb.Bound{Min: orb.Point{-margin, -margin}, Max: orb.Point{float64(v.Width) + margin, float64(v.Height) + margin}}
	// The view in world pixels at zoom 0.
	view := orb.Bound{Min: orb.Point{(ox - margin) / k, (oy - margin) / k}, Max: orb.Point{(ox + float64(v.Width) + margin) / k, (oy + float64(v.Height) + margin) / k}}
	at := func(p orb.Point) orb.Point { return orb.Point{p[0]*k - ox, p[1]*k - oy} }
	rivers, lakes := d.atLevel(levelOf(v.Zoom, v.Scale))
	maxRank := riverMaxRank(v.Zoom)
	for i, rv := range d.rivers {
		if rv.rank > maxRank || !rv.bound.Intersects(view) {
			continue
		}
		w := riverWidth(rv.rank, v.Zoom) * v.Scale
		for _, ls := range rivers[i] {
			px := make(orb.LineString, len(ls))
			for j, p := range ls {
				px[j] = at(p)
			}
			for _, c := range clip.MultiLineString(box, orb.MultiLineString{px}) {
				sc.Rivers = append(sc.Rivers, draw.River{Line: c, Width: w})
			}
		}
	}
	for i, lk := range d.lakes {
		if lk.rank > maxRank || !lk.bound.Intersects(view) {
			continue
		}
		b := lk.bound
		if (b.Max[0]-b.Min[0])*k < 1 && (b.Max[1]-b.Min[1])*k < 1 {
			continue // under a pixel
		}
		for _, p := range lakes[i] {
			px := make(orb.Polygon, len(p))
			for j, ring := range p {
				px[j] = make(orb.Ring, len(ring))
				for m, q := range ring {
					px[j][m] = at(q)
				}
			}
			cp := clip.Polygon(box, px)
			if len(cp) == 0 {
				continue
			}
			for j, ring := range cp {
				if a := tiles.SignedArea(ring); (j == 0) != (a > 0) {
					ring.Reverse()
				}
			}
			sc.Lakes = append(sc.Lakes, cp)
		}
	}
	return nil
}

// newFace is the embedded font of a kind at a size in device pixels, as
// the labels are drawn.
func newFace(kind draw.FontKind, size float64) (font.Face, error) { return draw.LabelFace(kind, size) }

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

// pageName is a city's name as the page labels it: a parenthesised
// aside of up to 16 characters without a comma is kept ("Neyshabur
// (Nishapur)"), a longer one dropped.
func pageName(name string) string {
	i := indexByte(name, '(')
	if i <= 0 {
		return name
	}
	aside := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(name[i+1:]), ")"))
	if utf8.RuneCountInString(aside) <= 16 && !strings.Contains(aside, ",") {
		return name
	}
	return trimSpace(name[:i])
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
