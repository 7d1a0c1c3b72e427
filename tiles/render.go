package tiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"slices"
	"sync"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/maptile"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Style is the basemap's palette. DefaultStyle matches the web page's
// (static/style.css and STYLE in static/app.js): a pale sea, warm paper
// land and grey borders, calm enough for the attack markers to stand out.
type Style struct {
	Sea, Land, Border           color.RGBA
	CountryText, CityText, Halo color.RGBA
	AnchorText, CityDot         color.RGBA
}

// DefaultStyle is the page's palette.
var DefaultStyle = Style{
	Sea:         color.RGBA{0xd5, 0xe3, 0xea, 0xff},
	Land:        color.RGBA{0xf3, 0xf0, 0xe8, 0xff},
	Border:      color.RGBA{0xa3, 0x9d, 0x92, 0xff},
	CountryText: color.RGBA{0x8a, 0x82, 0x76, 0xff},
	CityText:    color.RGBA{0x3a, 0x36, 0x31, 0xff},
	AnchorText:  color.RGBA{0x7b, 0x4b, 0x22, 0xff},
	CityDot:     color.RGBA{0x55, 0x50, 0x48, 0xff},
	Halo:        color.RGBA{0xfb, 0xfa, 0xf7, 0xff},
}

// Label zooms: country names from CountryLabelZoom (where the country is
// wide enough for its name), the cities of the cities layer marked
// anchor=true from AnchorCityZoom and every other city from CityZoom.
const (
	CountryLabelZoom = 2
	AnchorCityZoom   = 5
	CityZoom         = 6
)

// View is a window onto the map to draw: any projection, any size.
type View struct {
	// Bound is the lon/lat area the window shows, with room for labels
	// whose anchor lies just outside; features are queried with it.
	Bound orb.Bound
	// Width and Height are the image's size in pixels.
	Width, Height int
	// Scale is device pixels per CSS pixel: 2 for high-density screens
	// and print. Line widths and text grow with it.
	Scale float64
	// Zoom is the web map zoom the window matches; it picks what is drawn.
	Zoom float64
	// Project takes lon/lat to image pixels.
	Project func(orb.Point) orb.Point
	// NoCityLabels leaves the cities out (the web page draws its own).
	NoCityLabels bool
}

// TileView is the window of one XYZ tile, 256 pixels times scale.
func TileView(t maptile.Tile, scale int) View {
	size := 256 * scale
	ox, oy := float64(t.X)*256, float64(t.Y)*256
	z := uint32(t.Z)
	return View{
		// Half a tile of margin catches labels that run over the edge.
		Bound:  t.Bound(0.5),
		Width:  size,
		Height: size,
		Scale:  float64(scale),
		Zoom:   float64(t.Z),
		Project: func(p orb.Point) orb.Point {
			x, y := worldPixel(p, z, 256)
			return orb.Point{(x - ox) * float64(scale), (y - oy) * float64(scale)}
		},
	}
}

// MercatorView is the Web Mercator window that fits bound into width by
// height CSS pixels (times scale), centred, at a fractional zoom.
func MercatorView(bound orb.Bound, width, height int, scale float64) View {
	x0, y0 := worldPixel(orb.Point{bound.Min[0], bound.Max[1]}, 0, 256)
	x1, y1 := worldPixel(orb.Point{bound.Max[0], bound.Min[1]}, 0, 256)
	zoom := math.Log2(math.Min(float64(width)/math.Max(x1-x0, 1e-9), float64(height)/math.Max(y1-y0, 1e-9)))
	return viewAt((x0+x1)/2, (y0+y1)/2, zoom, width, height, scale)
}

// Renderer draws the offline basemap (sea, land, borders, country names,
// city labels) from two layers of a Source. It draws onto any image for
// any View: the XYZ basemap tiles are one use, static maps another.
type Renderer struct {
	Source Source
	Style  Style
	// Borders and Cities name the layers to draw from; empty means
	// "borders" and "cities". Country labels read the borders' name
	// property, city labels the cities' name (and anchor).
	Borders, Cities string
}

var (
	fontsOnce            sync.Once
	regularFont, boldFnt *opentype.Font
	fontErr              error
)

func fonts() (*opentype.Font, *opentype.Font, error) {
	fontsOnce.Do(func() {
		regularFont, fontErr = opentype.Parse(goregular.TTF)
		if fontErr == nil {
			boldFnt, fontErr = opentype.Parse(gobold.TTF)
		}
	})
	return regularFont, boldFnt, fontErr
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
func (r *Renderer) Draw(ctx context.Context, dst *image.RGBA, v View) error {
	sc, err := r.scene(ctx, v)
	if err != nil {
		return err
	}
	return sc.paint(ctx, dst)
}

// scene is the basemap of one view in image pixels: the land, the
// country outlines and the placed labels. Draw paints it onto a raster;
// vector figures (SVG, PDF) write the same scene as paths and text, so
// there is one basemap whatever the output.
type scene struct {
	style     Style
	width     int
	height    int
	scale     float64
	land      []orb.Polygon    // clipped to the view, holes wound against their exterior
	outlines  []orb.LineString // country borders, clipped
	lineWidth float64
	labels    []placedLabel // in drawing order
}

// placedLabel is one label that found room: text whose baseline starts at
// at, and for a city its dot.
type placedLabel struct {
	text  string
	at    orb.Point
	face  font.Face
	size  float64 // in image pixels
	font  fontKind
	color color.RGBA
	dot   bool
	dotAt orb.Point
	dotR  float64
	dotC  color.RGBA
}

// fontKind names one of the Go fonts.
type fontKind int

const (
	fontRegular fontKind = iota
	fontBold
	fontItalic
)

func (r *Renderer) scene(ctx context.Context, v View) (*scene, error) {
	st := r.Style
	if st == (Style{}) {
		st = DefaultStyle
	}
	bordersName, citiesName := r.Borders, r.Cities
	if bordersName == "" {
		bordersName = "borders"
	}
	if citiesName == "" {
		citiesName = "cities"
	}
	regular, bold, err := fonts()
	if err != nil {
		return nil, err
	}
	sc := &scene{style: st, width: v.Width, height: v.Height, scale: v.Scale}

	// Pixel space, with a margin so strokes and fills run past the edge.
	margin := 4 * v.Scale
	box := orb.Bound{Min: orb.Point{-margin, -margin}, Max: orb.Point{float64(v.Width) + margin, float64(v.Height) + margin}}
	sc.lineWidth = 0.8 * v.Scale
	if v.Zoom >= 5 {
		sc.lineWidth = 1.0 * v.Scale
	}
	type country struct {
		name   string
		anchor orb.Point
		width  float64 // of its largest part, in pixels
		area   float64
	}
	var countries []country
	err = r.Source.Features(ctx, bordersName, geo.Query{BBox: &v.Bound}, func(f geo.Feature) error {
		g := projectGeometry(orb.Clone(f.Geometry), v.Project)
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
			if a := math.Abs(surveyorArea(p[0])); a > bestArea {
				best, bestArea = p, a
			}
			// Outlines first: clipping would draw the window's edge.
			for _, ring := range p {
				sc.outlines = append(sc.outlines, clip.MultiLineString(box, orb.MultiLineString{orb.LineString(ring)})...)
			}
			cp := clip.Polygon(box, slices.Clone(p))
			if len(cp) == 0 {
				continue
			}
			for i, ring := range cp {
				// Exterior rings one way round, holes the other, so holes
				// cancel under the rasterizer's accumulation.
				if a := surveyorArea(ring); (i == 0) != (a > 0) {
					ring.Reverse()
				}
			}
			sc.land = append(sc.land, cp)
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

	lb := &labeller{scale: v.Scale}
	// Cities before countries: they are the more useful labels.
	if !v.NoCityLabels && v.Zoom >= AnchorCityZoom {
		face, err := opentype.NewFace(regular, &opentype.FaceOptions{Size: 11 * v.Scale, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return nil, err
		}
		anchorFace, err := opentype.NewFace(bold, &opentype.FaceOptions{Size: 11 * v.Scale, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return nil, err
		}
		type city struct {
			name   string
			p      orb.Point
			anchor bool
		}
		var cities []city
		err = r.Source.Features(ctx, citiesName, geo.Query{BBox: &v.Bound}, func(f geo.Feature) error {
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
			return nil, fmt.Errorf("basemap cities: %w", err)
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
			f, kind, col := face, fontRegular, st.CityText
			if c.anchor {
				f, kind, col = anchorFace, fontBold, st.AnchorText
			}
			lb.city(c.p, c.name, f, 11*v.Scale, kind, col, st.CityDot)
		}
	}
	if v.Zoom >= CountryLabelZoom {
		size := 10.0
		if v.Zoom >= 4 {
			size = 11
		}
		if v.Zoom >= 6 {
			size = 12
		}
		face, err := opentype.NewFace(regular, &opentype.FaceOptions{Size: size * v.Scale, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return nil, err
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
			lb.text(orb.Point{c.anchor[0] - w/2, c.anchor[1]}, c.name, face, size*v.Scale, fontRegular, st.CountryText)
		}
	}
	sc.labels = lb.labels
	return sc, nil
}

// paint draws the scene onto dst as Draw always has: sea, land, outlines,
// then each label with its halo (and a city's dot after its name).
func (sc *scene) paint(ctx context.Context, dst *image.RGBA) error {
	st := sc.style
	rect := image.Rect(0, 0, sc.width, sc.height)
	draw.Draw(dst, rect, image.NewUniform(st.Sea), image.Point{}, draw.Src)
	// One rasterizer and one path for every shape, over the whole view as
	// always (so tiles keep their bytes), in bands when the view is large.
	z := vector.NewRasterizer(1, 1)
	var rec recorder
	rec.reset()
	for _, p := range sc.land {
		for _, ring := range p {
			fillRing(&rec, ring)
		}
	}
	rasterize(ctx, z, dst, rect, &rec, image.NewUniform(st.Land))
	if err := ctx.Err(); err != nil {
		return err
	}
	rec.reset()
	for _, ls := range sc.outlines {
		strokeQuads(&rec, ls, sc.lineWidth)
	}
	rasterize(ctx, z, dst, rect, &rec, image.NewUniform(st.Border))
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, l := range sc.labels {
		x, y := int(l.at[0]), int(l.at[1])
		d := font.Drawer{Dst: dst, Face: l.face, Src: image.NewUniform(st.Halo)}
		hw := int(math.Max(1, math.Round(sc.scale)))
		for dy := -hw; dy <= hw; dy++ {
			for dx := -hw; dx <= hw; dx++ {
				if dx == 0 && dy == 0 {
					continue
				}
				d.Dot = fixed.P(x+dx, y+dy)
				d.DrawString(l.text)
			}
		}
		d.Src = image.NewUniform(l.color)
		d.Dot = fixed.P(x, y)
		d.DrawString(l.text)
		if l.dot {
			for _, dot := range []struct {
				r float64
				c color.RGBA
			}{{l.dotR + 0.8*sc.scale, st.Halo}, {l.dotR, l.dotC}} {
				rec.reset()
				circlePath(&rec, l.dotAt, dot.r, false)
				box := dst.Bounds()
				if box.Dx()*box.Dy() > bandPixels {
					// A large figure's dot costs its own pixels, not a pass
					// over the whole image.
					box = image.Rect(int(math.Floor(float64(rec.x0)))-1, int(math.Floor(float64(rec.y0)))-1,
						int(math.Ceil(float64(rec.x1)))+1, int(math.Ceil(float64(rec.y1)))+1).Intersect(box)
				}
				rasterize(ctx, z, dst, box, &rec, image.NewUniform(dot.c))
			}
		}
	}
	return nil
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

func fillRing(z pather, r orb.Ring) {
	if len(r) < 3 {
		return
	}
	z.MoveTo(float32(r[0][0]), float32(r[0][1]))
	for _, p := range r[1:] {
		z.LineTo(float32(p[0]), float32(p[1]))
	}
	z.ClosePath()
}

// labeller places labels and skips those that would overlap one already
// placed; the scene's painter draws them with a halo.
type labeller struct {
	scale  float64
	placed []image.Rectangle
	labels []placedLabel
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
func (l *labeller) text(p orb.Point, s string, face font.Face, size float64, kind fontKind, col color.RGBA) bool {
	m := face.Metrics()
	w := font.MeasureString(face, s).Ceil()
	x, y := int(math.Round(p[0])), int(math.Round(p[1]))
	pad := int(math.Ceil(2 * l.scale))
	box := image.Rect(x-pad, y-m.Ascent.Ceil()-pad, x+w+pad, y+m.Descent.Ceil()+pad)
	if !l.free(box) {
		return false
	}
	l.placed = append(l.placed, box)
	l.labels = append(l.labels, placedLabel{text: s, at: orb.Point{float64(x), float64(y)}, face: face, size: size, font: kind, color: col})
	return true
}

// city places a dot at p and the name to its right.
func (l *labeller) city(p orb.Point, name string, face font.Face, size float64, kind fontKind, col, dot color.RGBA) {
	r := 2.2 * l.scale
	gap := 3 * l.scale
	m := face.Metrics()
	baseline := p[1] + float64(m.Ascent.Ceil()-m.Descent.Ceil())/2
	if !l.text(orb.Point{p[0] + r + gap, baseline}, name, face, size, kind, col) {
		return
	}
	last := &l.labels[len(l.labels)-1]
	last.dot, last.dotAt, last.dotR, last.dotC = true, p, r, dot
}
