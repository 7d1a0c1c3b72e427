package draw

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"

	"github.com/paulmach/orb"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// NewRaster is a canvas onto dst, s device pixels to a CSS pixel; ctx
// stops a large shape between bands.
func NewRaster(ctx context.Context, dst *image.RGBA, s float64) *Raster {
	return &Raster{ctx: ctx, dst: dst, s: s, z: vector.NewRasterizer(1, 1)}
}

// Raster draws onto an RGBA image, s device pixels to a CSS pixel.
// Each shape is recorded, then rasterized over its own bounding box only:
// a marker costs its own pixels, not the whole image's.
type Raster struct {
	ctx context.Context // stops a large shape between bands; draw reports it
	dst *image.RGBA
	s   float64
	z   *vector.Rasterizer
	rec recorder
}

func (rc *Raster) Group(string) {}
func (rc *Raster) End()         {}
func (rc *Raster) Clip(string)  {}

// pather is what paths are written to.
type pather interface {
	MoveTo(x, y float32)
	LineTo(x, y float32)
	ClosePath()
}

// recorder keeps a path and its bounding box.
type recorder struct {
	pts    []orb.Point
	kinds  []byte // 'M', 'L', 'Z'
	x0, y0 float32
	x1, y1 float32
	// mask is the coverage of one band, kept for the next shape.
	mask []byte
}

func (r *recorder) reset() {
	r.pts, r.kinds = r.pts[:0], r.kinds[:0]
	r.x0, r.y0, r.x1, r.y1 = math.MaxFloat32, math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32
}

func (r *recorder) add(k byte, x, y float32) {
	r.pts = append(r.pts, orb.Point{float64(x), float64(y)})
	r.kinds = append(r.kinds, k)
	r.x0, r.y0 = min(r.x0, x), min(r.y0, y)
	r.x1, r.y1 = max(r.x1, x), max(r.y1, y)
}

// box is the path's bounding box, a pixel to spare, within view.
func (r *recorder) box(view image.Rectangle) image.Rectangle {
	if len(r.kinds) == 0 {
		return image.Rectangle{}
	}
	return image.Rect(int(math.Floor(float64(r.x0)))-1, int(math.Floor(float64(r.y0)))-1,
		int(math.Ceil(float64(r.x1)))+1, int(math.Ceil(float64(r.y1)))+1).Intersect(view)
}

func (r *recorder) MoveTo(x, y float32) { r.add('M', x, y) }
func (r *recorder) LineTo(x, y float32) { r.add('L', x, y) }
func (r *recorder) ClosePath()          { r.pts, r.kinds = append(r.pts, orb.Point{}), append(r.kinds, 'Z') }

// start begins a new shape.
func (rc *Raster) start() *recorder {
	rc.rec.reset()
	return &rc.rec
}

// paint rasterizes the recorded shape over its bounding box and draws it
// in colour c at opacity op.
func (rc *Raster) paint(c color.RGBA, op float64) {
	r := &rc.rec
	if op <= 0 || len(r.kinds) == 0 {
		return
	}
	box := image.Rect(int(math.Floor(float64(r.x0)))-1, int(math.Floor(float64(r.y0)))-1,
		int(math.Ceil(float64(r.x1)))+1, int(math.Ceil(float64(r.y1)))+1).Intersect(rc.dst.Bounds())
	src := image.NewUniform(color.NRGBA{c.R, c.G, c.B, uint8(math.Round(math.Min(1, op) * 255))})
	rasterize(rc.ctx, rc.z, rc.dst, box, r, src)
}

// bandPixels bounds a rasterizer's buffers, which take 8 bytes a pixel
// (float32 coverage and a uint32 mask): a shape over more pixels than
// this is rasterized one band of rows at a time. A large figure then
// costs its image's 4 bytes a pixel and one band (16 MiB), not the image
// and twice more for each full-size shape (the land, the borders, the
// region's fill: 2 GB at 8192² pixels).
const bandPixels = 1 << 21

// rasterize draws the path rec holds in src over box of dst, reusing z.
// It stops between bands once ctx is done; the caller checks ctx.
// Bands are at least 513 rows high, so a banded shape is rasterized in
// floating point math as it would be whole (vector switches to fixed
// point at 512 pixels); a box under bandPixels is drawn as before.
func rasterize(ctx context.Context, z *vector.Rasterizer, dst *image.RGBA, box image.Rectangle, rec *recorder, src image.Image) {
	if box.Empty() || len(rec.kinds) == 0 {
		return
	}
	rows := box.Dy()
	if box.Dx()*box.Dy() > bandPixels {
		rows = max(513, bandPixels/box.Dx())
	}
	for y0 := box.Min.Y; y0 < box.Max.Y && ctx.Err() == nil; y0 += rows {
		band := image.Rect(box.Min.X, y0, box.Max.X, min(y0+rows, box.Max.Y))
		z.Reset(band.Dx(), band.Dy())
		ox, oy := float32(band.Min.X), float32(band.Min.Y)
		for i, k := range rec.kinds {
			p := rec.pts[i]
			switch k {
			case 'M':
				z.MoveTo(float32(p[0])-ox, float32(p[1])-oy)
			case 'L':
				z.LineTo(float32(p[0])-ox, float32(p[1])-oy)
			case 'Z':
				z.ClosePath()
			}
		}
		u, ok := src.(*image.Uniform)
		if !ok {
			z.Draw(dst, band, src, image.Point{})
			continue
		}
		// The coverage into a mask, then painted where it is not zero: a
		// border's stroke or a land fill leaves most of its box empty or
		// full, which x/image/vector's painter blends pixel by pixel.
		n := band.Dx() * band.Dy()
		if cap(rec.mask) < n {
			rec.mask = make([]byte, n)
		}
		mask := &image.Alpha{Pix: rec.mask[:n], Stride: band.Dx(), Rect: image.Rect(0, 0, band.Dx(), band.Dy())}
		z.DrawOp = draw.Src
		z.Draw(mask, mask.Rect, image.Opaque, image.Point{})
		paintMask(dst, band, mask, u.C)
	}
}

// paintMask paints colour c over dst's box r through mask (from its
// origin), as x/image/vector paints a uniform colour with draw.Over.
func paintMask(dst *image.RGBA, r image.Rectangle, mask *image.Alpha, c color.Color) {
	sr, sg, sb, sa := c.RGBA()
	full := [4]uint8{uint8(sr >> 8), uint8(sg >> 8), uint8(sb >> 8), uint8(sa >> 8)}
	for y := 0; y < r.Dy(); y++ {
		row := mask.Pix[y*mask.Stride : y*mask.Stride+r.Dx()]
		pix := dst.Pix[dst.PixOffset(r.Min.X, r.Min.Y+y):]
		for x, m := range row {
			switch {
			case m == 0:
				continue
			case m == 0xff && sa == 0xffff:
				copy(pix[4*x:4*x+4], full[:])
				continue
			}
			ma := uint32(m) * 0x101
			a := 0xffff - (sa * ma / 0xffff)
			i := 4 * x
			pix[i+0] = uint8(((uint32(pix[i+0])*0x101*a + sr*ma) / 0xffff) >> 8)
			pix[i+1] = uint8(((uint32(pix[i+1])*0x101*a + sg*ma) / 0xffff) >> 8)
			pix[i+2] = uint8(((uint32(pix[i+2])*0x101*a + sb*ma) / 0xffff) >> 8)
			pix[i+3] = uint8(((uint32(pix[i+3])*0x101*a + sa*ma) / 0xffff) >> 8)
		}
	}
}

func (rc *Raster) Fill(rings [][]orb.Point, c color.RGBA, op float64) {
	if len(rings) == 0 {
		return
	}
	z := rc.start()
	for _, r := range rings {
		if len(r) < 3 {
			continue
		}
		z.MoveTo(float32(r[0][0]*rc.s), float32(r[0][1]*rc.s))
		for _, p := range r[1:] {
			z.LineTo(float32(p[0]*rc.s), float32(p[1]*rc.s))
		}
		z.ClosePath()
	}
	rc.paint(c, op)
}

func (rc *Raster) Stroke(lines [][]orb.Point, closed bool, c color.RGBA, op, width float64, dash []float64) {
	if len(lines) == 0 || width <= 0 {
		return
	}
	z := rc.start()
	for _, l := range lines {
		ls := make(orb.LineString, 0, len(l)+1)
		for _, p := range l {
			ls = append(ls, orb.Point{p[0] * rc.s, p[1] * rc.s})
		}
		if closed && len(ls) > 1 {
			ls = append(ls, ls[0])
		}
		if dash == nil {
			strokeQuads(z, ls, width*rc.s)
			continue
		}
		scaled := make([]float64, len(dash))
		for i, d := range dash {
			scaled[i] = d * rc.s
		}
		for _, piece := range dashLine(ls, scaled) {
			strokeQuads(z, piece, width*rc.s)
		}
	}
	rc.paint(c, op)
}

// strokeQuads adds a line of the given width to z as one quadrilateral per
// segment, all wound the same way so that overlaps add up instead of
// cancelling, each run on by half the width so joints have no gaps; thin
// lines need no joins. Basemap tiles and raster figures both draw with it.
func strokeQuads(z pather, ls orb.LineString, width float64) {
	h := width / 2
	for i := 0; i+1 < len(ls); i++ {
		a, b := ls[i], ls[i+1]
		dx, dy := b[0]-a[0], b[1]-a[1]
		d := math.Hypot(dx, dy)
		if d == 0 {
			continue
		}
		ex, ey := dx/d*h, dy/d*h
		nx, ny := -ey, ex
		z.MoveTo(float32(a[0]-ex+nx), float32(a[1]-ey+ny))
		z.LineTo(float32(b[0]+ex+nx), float32(b[1]+ey+ny))
		z.LineTo(float32(b[0]+ex-nx), float32(b[1]+ey-ny))
		z.LineTo(float32(a[0]-ex-nx), float32(a[1]-ey-ny))
		z.ClosePath()
	}
}

// dashLine cuts a line into its dashes (on, off, on, ... lengths).
func dashLine(ls orb.LineString, pattern []float64) []orb.LineString {
	var out []orb.LineString
	i, left, on := 0, pattern[0], true
	cur := orb.LineString{ls[0]}
	for k := 0; k+1 < len(ls); k++ {
		a, b := ls[k], ls[k+1]
		seg := math.Hypot(b[0]-a[0], b[1]-a[1])
		pos := 0.0
		for seg-pos > left {
			pos += left
			t := pos / seg
			p := orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
			if on {
				cur = append(cur, p)
				out = append(out, cur)
				cur = nil
			} else {
				cur = orb.LineString{p}
			}
			on = !on
			i = (i + 1) % len(pattern)
			left = pattern[i]
		}
		left -= seg - pos
		if on {
			cur = append(cur, b)
		}
	}
	if on && len(cur) > 1 {
		out = append(out, cur)
	}
	return out
}

func circlePath(z pather, c orb.Point, r float64, reverse bool) {
	n := int(math.Max(16, math.Min(96, r*1.5)))
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		if reverse {
			a = -a
		}
		x, y := float32(c[0]+r*math.Cos(a)), float32(c[1]+r*math.Sin(a))
		if i == 0 {
			z.MoveTo(x, y)
		} else {
			z.LineTo(x, y)
		}
	}
	z.ClosePath()
}

func (rc *Raster) Circle(p orb.Point, r float64, m Mark) {
	c := orb.Point{p[0] * rc.s, p[1] * rc.s}
	R := r * rc.s
	circlePath(rc.start(), c, R, false)
	rc.paint(m.Fill, m.FillOpacity)
	if m.StrokeWidth > 0 {
		h := m.StrokeWidth * rc.s / 2
		z := rc.start()
		circlePath(z, c, R+h, false)
		if R-h > 0 {
			circlePath(z, c, R-h, true)
		}
		rc.paint(m.Stroke, 1)
	}
}

func (rc *Raster) Rect(x, y, w, h float64, fill color.RGBA, op float64, border color.RGBA, bw float64) {
	pts := []orb.Point{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}}
	rc.Fill([][]orb.Point{pts}, fill, op)
	if bw > 0 {
		rc.Stroke([][]orb.Point{pts}, true, border, 1, bw, nil)
	}
}

var rasterFaces sync.Map // [2]float64{kind, size} → *sync.Pool of font.Face

// rasterFace is a face for the figure's raster text. It is unhinted, as
// the layout measured it: hinting rounds each advance to a whole pixel,
// and a long attribution line would outgrow its strip. Faces are not
// safe for concurrent use, so each draw takes one from a pool.
func rasterFace(kind FontKind, size float64) (font.Face, func(), error) {
	key := [2]float64{float64(kind), size}
	pv, _ := rasterFaces.LoadOrStore(key, &sync.Pool{})
	pool := pv.(*sync.Pool)
	if f, ok := pool.Get().(font.Face); ok {
		return f, func() { pool.Put(f) }, nil
	}
	ft, err := FontOf(kind)
	if err != nil {
		return nil, nil, err
	}
	f, err := opentype.NewFace(ft, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, nil, err
	}
	return f, func() { pool.Put(f) }, nil
}

func (rc *Raster) Text(t TextRun) {
	if len(t.Glyphs) > 0 {
		// Upright, one character at a time (the basemap's own labels are
		// painted by Scene.Paint, which turns them).
		for _, g := range t.Glyphs {
			u := t
			u.Glyphs, u.At, u.Text, u.Anchor = nil, g.At, g.Text, AnchorStart
			rc.Text(u)
		}
		return
	}
	if Shaped(t.Text) {
		rc.shapedText(t)
		return
	}
	face, done, err := rasterFace(t.Font, t.Size*rc.s)
	if err != nil {
		return
	}
	defer done()
	x, y := t.At[0]*rc.s, t.At[1]*rc.s
	switch t.Anchor {
	case AnchorMiddle:
		x -= float64(font.MeasureString(face, t.Text)) / 64 / 2
	case AnchorEnd:
		x -= float64(font.MeasureString(face, t.Text)) / 64
	}
	dot := fixed.Point26_6{X: fixed.Int26_6(math.Round(x * 64)), Y: fixed.Int26_6(math.Round(y * 64))}
	if !t.Halo {
		d := font.Drawer{Dst: rc.dst, Face: face, Src: image.NewUniform(t.Color), Dot: dot}
		d.DrawString(t.Text)
		return
	}
	// The glyphs are drawn once into a mask; the halo is that mask grown
	// by the halo's width, painted first.
	hw := int(math.Max(1, math.Round(t.HaloWidth*rc.s)))
	b, _ := font.BoundString(face, t.Text)
	r := image.Rect((dot.X+b.Min.X).Floor()-hw-1, (dot.Y+b.Min.Y).Floor()-hw-1, (dot.X+b.Max.X).Ceil()+hw+1, (dot.Y+b.Max.Y).Ceil()+hw+1)
	if !r.Overlaps(rc.dst.Bounds()) {
		return
	}
	mask := image.NewAlpha(r)
	d := font.Drawer{Dst: mask, Face: face, Src: image.Opaque, Dot: dot}
	d.DrawString(t.Text)
	halo := image.NewAlpha(r)
	w := r.Dx()
	for py := r.Min.Y; py < r.Max.Y; py++ {
		for px := r.Min.X; px < r.Max.X; px++ {
			a := mask.Pix[(py-r.Min.Y)*w+(px-r.Min.X)]
			if a == 0 {
				continue
			}
			for dy := -hw; dy <= hw; dy++ {
				qy := py + dy
				if qy < r.Min.Y || qy >= r.Max.Y {
					continue
				}
				row := (qy - r.Min.Y) * w
				for dx := -hw; dx <= hw; dx++ {
					qx := px + dx
					if qx < r.Min.X || qx >= r.Max.X || dx*dx+dy*dy > hw*hw+1 {
						continue
					}
					if p := &halo.Pix[row+qx-r.Min.X]; *p < a {
						*p = a
					}
				}
			}
		}
	}
	draw.DrawMask(rc.dst, r, image.NewUniform(t.HaloColor), image.Point{}, halo, r.Min, draw.Over)
	draw.DrawMask(rc.dst, r, image.NewUniform(t.Color), image.Point{}, mask, r.Min, draw.Over)
}

// shapedText draws a line that needs shaping (Arabic script) from its
// glyphs' outlines, at the anchor's place.
func (rc *Raster) shapedText(t TextRun) {
	size := t.Size * rc.s
	x, y := t.At[0]*rc.s, t.At[1]*rc.s
	switch w := ShapedWidth(t.Text, t.Font, size); t.Anchor {
	case AnchorMiddle:
		x -= w / 2
	case AnchorEnd:
		x -= w
	}
	hw := 0
	if t.Halo {
		hw = int(math.Max(1, math.Round(t.HaloWidth*rc.s)))
	}
	paintShaped(rc.z, rc.dst, t.Text, t.Font, orb.Point{x, y}, size, t.Color, t.HaloColor, hw)
}
