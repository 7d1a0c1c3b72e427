// Package draw is the one 2-D renderer of the basemap and the figures: the
// scene, the view, the palette and the PNG, SVG and PDF canvases; it imports
// tiles (for the Web Mercator maths) and no other package of ours.
package draw

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"

	"github.com/khorasan/khorasan/tiles"
	"github.com/paulmach/orb"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
)

// Style is the basemap's palette. DefaultStyle matches the web page's
// (static/style.css and STYLE in static/app.js): a pale sea, warm paper
// land and grey borders, calm enough for the attack markers to stand out.
type Style struct {
	Sea, Land, Border           color.RGBA
	CountryText, CityText, Halo color.RGBA
	AnchorText, CityDot         color.RGBA
	// The physical detail: lakes' fill (a shade of the sea's), rivers' lines,
	// the names of water, of mountain ranges (Relief) and of deserts,
	// plains and valleys (Terrain), and the peaks' marks.
	Lake, River, WaterText  color.RGBA
	ReliefText, TerrainText color.RGBA
	PeakMark                color.RGBA
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
	Lake:        Mix(color.RGBA{0xd5, 0xe3, 0xea, 0xff}, color.RGBA{0x7c, 0xa6, 0xc0, 0xff}, 0.12),
	River:       color.RGBA{0x7c, 0xa6, 0xc0, 0xff},
	WaterText:   color.RGBA{0x3f, 0x6d, 0x8a, 0xff},
	ReliefText:  color.RGBA{0x83, 0x62, 0x43, 0xff},
	TerrainText: color.RGBA{0x96, 0x84, 0x62, 0xff},
	PeakMark:    color.RGBA{0x6e, 0x52, 0x38, 0xff},
}

// Mix is a with the share t of b: a lake's blue, a shade of the sea's.
func Mix(a, b color.RGBA, t float64) color.RGBA {
	m := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-t) + float64(y)*t)) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 0xff}
}

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
	// Origin is the image's top left in world pixels: the device pixels
	// of the whole Web Mercator map at Zoom and Scale, so that Project(p)
	// is p's world pixel less Origin. Labels are placed once in world
	// pixels and drawn in every view at the same place.
	Origin orb.Point
	// NoCityLabels leaves the cities out (the web page draws its own).
	NoCityLabels bool
	// NoLabels leaves every label out (a figure's locator inset).
	NoLabels bool
	// EdgeLabels draws the labels the window's edge cuts: a tile's, whose
	// neighbours draw the rest of them. A figure leaves them out.
	EdgeLabels bool
	// Lang is the labels' language (basemap.Languages); empty is English.
	Lang string
	// Obstacles are rectangles of the view (its pixels from the top
	// left) the labels keep clear of: what a figure draws over the
	// basemap, its event markers and city labels.
	Obstacles []image.Rectangle
}

// MercatorView is the Web Mercator window that fits bound into width by
// height CSS pixels (times scale), centred, at a fractional zoom.
func MercatorView(bound orb.Bound, width, height int, scale float64) View {
	x0, y0 := tiles.WorldPixel(orb.Point{bound.Min[0], bound.Max[1]}, 0, 256)
	x1, y1 := tiles.WorldPixel(orb.Point{bound.Max[0], bound.Min[1]}, 0, 256)
	zoom := math.Log2(math.Min(float64(width)/math.Max(x1-x0, 1e-9), float64(height)/math.Max(y1-y0, 1e-9)))
	return ViewAt((x0+x1)/2, (y0+y1)/2, zoom, width, height, scale)
}

// ViewAt is the window of width by height CSS pixels (times scale)
// centred on world pixel (cx, cy) of zoom 0, at zoom.
func ViewAt(cx, cy, zoom float64, width, height int, scale float64) View {
	k := math.Exp2(zoom)
	ox, oy := cx*k-float64(width)/2, cy*k-float64(height)/2
	project := func(p orb.Point) orb.Point {
		x, y := tiles.WorldPixel(p, 0, 256)
		return orb.Point{(x*k - ox) * scale, (y*k - oy) * scale}
	}
	margin := 128.0
	nw := tiles.LonLat((ox-margin)/k, math.Max(0, (oy-margin)/k), 0, 256)
	se := tiles.LonLat((ox+float64(width)+margin)/k, math.Min(256, (oy+float64(height)+margin)/k), 0, 256)
	return View{
		Bound:   orb.Bound{Min: orb.Point{math.Max(-180, nw[0]), math.Max(-90, se[1])}, Max: orb.Point{math.Min(180, se[0]), math.Min(90, nw[1])}},
		Width:   int(math.Round(float64(width) * scale)),
		Height:  int(math.Round(float64(height) * scale)),
		Scale:   scale,
		Zoom:    zoom,
		Project: project,
		Origin:  orb.Point{ox * scale, oy * scale},
	}
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

// Scene is the basemap of one view in image pixels: the land, the
// country outlines and the placed labels. Draw paints it onto a raster;
// vector figures (SVG, PDF) write the same Scene as paths and text, so
// there is one basemap whatever the output.
type Scene struct {
	Style     Style
	Width     int
	Height    int
	Scale     float64
	Land      []orb.Polygon    // clipped to the view, holes wound against their exterior
	Rivers    []River          // clipped, drawn over the land
	Lakes     []orb.Polygon    // clipped, wound as Land
	Outlines  []orb.LineString // country borders, clipped
	LineWidth float64
	Labels    []Label // in drawing order
	// Cache keeps the labels' masks and the rasterizer's buffers from one
	// paint to the next; nil makes them anew.
	Cache *PaintCache
}

// River is a stretch of river and its width in image pixels.
type River struct {
	Line  orb.LineString
	Width float64
}

// Label is one label that found room: text whose baseline starts at
// at, and for a city its dot.
type Label struct {
	Text     string
	At       orb.Point
	Face     font.Face
	Size     float64 // in image pixels
	Font     FontKind
	Color    color.RGBA
	Dot      bool
	DotAt    orb.Point
	DotR     float64
	DotColor color.RGBA
	// Triangle draws the dot as a peak's triangle.
	Triangle bool
	// Glyphs, when set, place Text's characters one by one (a river's
	// name along its line, a range's spaced capitals); At is then the
	// first one's.
	Glyphs []Glyph
	// Ink holds every pixel the label may paint (glyphs, halo, dot), in
	// the scene's pixels; empty when unknown.
	Ink image.Rectangle
}

// Glyph is one character of a label, its baseline's left end at At,
// turned by Angle radians (clockwise on the screen, y pointing down).
type Glyph struct {
	Text  string
	At    orb.Point
	Angle float64
}

// FontKind names one of the Go fonts.
type FontKind int

const (
	Regular FontKind = iota
	Bold
	Italic
)

// Paint draws the scene onto dst as Draw always has: sea, land, outlines,
// then each label with its halo (and a city's dot after its name).
func (sc *Scene) Paint(ctx context.Context, dst *image.RGBA) error {
	st := sc.Style
	rect := image.Rect(0, 0, sc.Width, sc.Height)
	draw.Draw(dst, rect, image.NewUniform(st.Sea), image.Point{}, draw.Src)
	// One rasterizer and one path for every shape, each rasterized over
	// its bounding box within the view (a river or lake costs its own
	// pixels), in bands when that is large.
	tc := sc.Cache
	if tc == nil {
		tc = NewPaintCache(len(sc.Labels))
	}
	w := tc.work()
	defer tc.done(w)
	z, rec := w.z, &w.rec
	rec.reset()
	for _, p := range sc.Land {
		for _, ring := range p {
			fillRing(rec, ring)
		}
	}
	rasterize(ctx, z, dst, rec.box(rect), rec, image.NewUniform(st.Land))
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(sc.Rivers) > 0 {
		rec.reset()
		for _, r := range sc.Rivers {
			strokeQuads(rec, r.Line, r.Width)
		}
		rasterize(ctx, z, dst, rec.box(rect), rec, image.NewUniform(st.River))
	}
	if len(sc.Lakes) > 0 {
		rec.reset()
		for _, p := range sc.Lakes {
			for _, ring := range p {
				fillRing(rec, ring)
			}
		}
		rasterize(ctx, z, dst, rec.box(rect), rec, image.NewUniform(st.Lake))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rec.reset()
	for _, ls := range sc.Outlines {
		strokeQuads(rec, ls, sc.LineWidth)
	}
	rasterize(ctx, z, dst, rec.box(rect), rec, image.NewUniform(st.Border))
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, l := range sc.Labels {
		if len(l.Glyphs) > 0 {
			if err := paintGlyphs(ctx, z, tc, dst, l, st.Halo, sc.Scale); err != nil {
				return err
			}
			continue
		}
		// Glyphs go on whole pixels: a label drawn in two tiles is the
		// same there as in one image of both.
		x, y := int(math.Round(l.At[0])), int(math.Round(l.At[1]))
		hw := int(math.Max(1, math.Round(sc.Scale)))
		if Shaped(l.Text) {
			paintShaped(z, dst, l.Text, l.Font, orb.Point{float64(x), float64(y)}, l.Size, l.Color, st.Halo, hw)
		} else if err := tc.paint(dst, l.Text, l.Font, l.Size, x, y, hw, l.Color, st.Halo); err != nil {
			return err
		}
		if l.Dot {
			for _, dot := range []struct {
				r float64
				c color.RGBA
			}{{l.DotR + 0.8*sc.Scale, st.Halo}, {l.DotR, l.DotColor}} {
				rec.reset()
				if l.Triangle {
					trianglePath(rec, l.DotAt, dot.r)
				} else {
					circlePath(rec, l.DotAt, dot.r, false)
				}
				// A dot costs its own pixels, not a pass over the whole
				// image (a tile of many cities spent a third of its time so).
				box := image.Rect(int(math.Floor(float64(rec.x0)))-1, int(math.Floor(float64(rec.y0)))-1,
					int(math.Ceil(float64(rec.x1)))+1, int(math.Ceil(float64(rec.y1)))+1).Intersect(dst.Bounds())
				rasterize(ctx, z, dst, box, rec, image.NewUniform(dot.c))
			}
		}
	}
	return nil
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

// PaintVector writes the scene (built at scale 1, so in CSS pixels) onto
// a vector canvas as paths and text.
func (sc *Scene) PaintVector(c Canvas) {
	st := sc.Style
	c.Group("basemap")
	c.Rect(0, 0, float64(sc.Width), float64(sc.Height), st.Sea, 1, color.RGBA{}, 0)
	var land [][]orb.Point
	for _, p := range sc.Land {
		for _, r := range p {
			if s := SimplifyPx(r, 0.3); len(s) >= 3 {
				land = append(land, s)
			}
		}
	}
	c.Fill(land, st.Land, 1)
	// Rivers by width, each width one path.
	var widths []float64
	byWidth := map[float64][][]orb.Point{}
	for _, r := range sc.Rivers {
		if _, ok := byWidth[r.Width]; !ok {
			widths = append(widths, r.Width)
		}
		byWidth[r.Width] = append(byWidth[r.Width], SimplifyPx(r.Line, 0.3))
	}
	for _, w := range widths {
		c.Stroke(byWidth[w], false, st.River, 1, w, nil)
	}
	var lakes [][]orb.Point
	for _, p := range sc.Lakes {
		for _, r := range p {
			if s := SimplifyPx(r, 0.3); len(s) >= 3 {
				lakes = append(lakes, s)
			}
		}
	}
	c.Fill(lakes, st.Lake, 1)
	var outlines [][]orb.Point
	for _, ls := range sc.Outlines {
		outlines = append(outlines, SimplifyPx(ls, 0.3))
	}
	c.Stroke(outlines, false, st.Border, 1, sc.LineWidth, nil)
	for _, l := range sc.Labels {
		c.Text(TextRun{At: l.At, Text: l.Text, Size: l.Size, Font: l.Font, Color: l.Color, Halo: true, HaloColor: st.Halo, HaloWidth: 1, Glyphs: l.Glyphs})
		switch {
		case l.Dot && l.Triangle:
			var tri recorder
			tri.reset()
			trianglePath(&tri, l.DotAt, l.DotR)
			c.Fill([][]orb.Point{tri.pts[:3]}, l.DotColor, 1)
		case l.Dot:
			c.Circle(l.DotAt, l.DotR, Mark{Fill: l.DotColor, FillOpacity: 1, Stroke: st.Halo, StrokeWidth: 0.8})
		}
	}
	c.End()
}
