package figure

import (
	"context"
	"image/color"
	"math"

	"github.com/khorasan/khorasan/tiles/draw"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
)

// The locator inset: a small map of the wider region, insetZoomOut zooms
// out from the figure (16 times as wide), with the view's outline on it.
const (
	insetZoomOut = 4
	insetShare   = 0.2 // of the figure's width
	insetMinW    = 120.0
	insetMaxW    = 240.0
)

var insetOutline = color.RGBA{0xc0, 0x1c, 0x28, 0xff}

// wantInset says whether the figure asks for an inset: InsetOn, or
// InsetAuto on a figure of at least InsetMinSide both ways.
func (fig *figure) wantInset() bool {
	switch fig.Inset {
	case InsetOn:
		return true
	case InsetOff:
		return false
	}
	return fig.Width >= InsetMinSide && fig.Height >= InsetMinSide
}

// insetSize is the inset's width and height in CSS pixels (4:3).
func (fig *figure) insetSize() [2]float64 {
	w := math.Round(math.Max(insetMinW, math.Min(insetMaxW, float64(fig.Width)*insetShare)))
	return [2]float64{w, math.Round(w * 3 / 4)}
}

// insetMap is the inset as drawn: the basemap (no labels) in the inset's
// own CSS pixels, clipped to it, and the view's outline there.
type insetMap struct {
	scene   *draw.Scene
	outline []orb.Point // closed, in the inset's pixels
}

// insetMap lays the inset out for a box of the figure: centred on the
// view, insetZoomOut zooms out (never below zoom 0).
func (fig *figure) insetMap(ctx context.Context, b box) (*insetMap, error) {
	w, h := b.x1-b.x0, b.y1-b.y0
	z := fig.css.Zoom
	k := math.Exp2(z)
	// The view's middle and corners in world pixels at zoom 0.
	ox, oy := fig.css.Origin[0]/k, fig.css.Origin[1]/k
	W, H := float64(fig.Width)/k, float64(fig.Height)/k
	cx, cy := ox+W/2, oy+H/2
	zi := math.Max(0, z-insetZoomOut)
	v := draw.ViewAt(cx, cy, zi, int(w), int(h), 1)
	v.NoLabels = true
	sc, err := fig.basemap.Scene(ctx, v)
	if err != nil {
		return nil, err
	}
	// Cut the land and borders at the inset's frame: a vector figure
	// has no clip there.
	frame := orb.Bound{Max: orb.Point{w, h}}
	var land []orb.Polygon
	for _, p := range sc.Land {
		if c := clip.Polygon(frame, p.Clone()); len(c) > 0 {
			land = append(land, c)
		}
	}
	var outlines []orb.LineString
	for _, ls := range sc.Outlines {
		outlines = append(outlines, clip.MultiLineString(frame, orb.MultiLineString{ls})...)
	}
	sc.Land, sc.Outlines = land, outlines
	ki := math.Exp2(zi)
	at := func(x, y float64) orb.Point { return orb.Point{x*ki - v.Origin[0], y*ki - v.Origin[1]} }
	ring := orb.LineString{at(ox, oy), at(ox+W, oy), at(ox+W, oy+H), at(ox, oy+H), at(ox, oy)}
	return &insetMap{scene: sc, outline: ring}, nil
}

// drawInset paints the inset in its box: sea, land, borders, the view's
// outline (a ring round it when it is too small to see), and a frame.
func (fig *figure) drawInset(c draw.Canvas, b box, in *insetMap) {
	c.Group("inset")
	w, h := b.x1-b.x0, b.y1-b.y0
	ic := draw.Scale(c, orb.Point{b.x0, b.y0}, 1)
	st := in.scene.Style
	ic.Rect(0, 0, w, h, st.Sea, 1, color.RGBA{}, 0)
	var land [][]orb.Point
	for _, p := range in.scene.Land {
		for _, r := range p {
			if s := draw.SimplifyPx(r, 0.3); len(s) >= 3 {
				land = append(land, s)
			}
		}
	}
	ic.Fill(land, st.Land, 1)
	var borders [][]orb.Point
	for _, ls := range in.scene.Outlines {
		borders = append(borders, draw.SimplifyPx(ls, 0.3))
	}
	ic.Stroke(borders, false, st.Border, 1, 0.6, nil)
	outline := clip.LineString(orb.Bound{Max: orb.Point{w, h}}, orb.LineString(in.outline))
	for _, ls := range outline {
		ic.Stroke([][]orb.Point{ls}, false, insetOutline, 1, 1.5, nil)
	}
	if bd := orb.LineString(in.outline).Bound(); bd.Max[0]-bd.Min[0] < 6 {
		ic.Circle(bd.Center(), 6, draw.Mark{FillOpacity: 0, Stroke: insetOutline, StrokeWidth: 1.5})
	}
	ic.Rect(0, 0, w, h, color.RGBA{}, 0, panelRim, 0.8)
	c.End()
}
