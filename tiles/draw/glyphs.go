package draw

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/paulmach/orb"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// paintGlyphs draws a label placed character by character with its halo:
// upright characters as the other labels are (hinted, on whole pixels),
// turned ones from their outlines, all into one mask grown for the halo.
func paintGlyphs(ctx context.Context, z *vector.Rasterizer, tc *PaintCache, dst *image.RGBA, l Label, halo color.RGBA, scale float64) error {
	hw := int(math.Max(1, math.Round(scale)))
	upright := true
	for _, g := range l.Glyphs {
		if g.Angle != 0 {
			upright = false
		}
	}
	if upright {
		// Every halo first, so that one letter's halo does not cover the
		// letter before it.
		for _, g := range l.Glyphs {
			m, err := tc.mask(g.Text, l.Font, l.Size, hw)
			if err != nil {
				return err
			}
			r := m.text.Rect.Add(image.Pt(int(math.Round(g.At[0])), int(math.Round(g.At[1]))))
			draw.DrawMask(dst, r, image.NewUniform(halo), image.Point{}, m.halo, m.text.Rect.Min, draw.Over)
		}
		for _, g := range l.Glyphs {
			m, err := tc.mask(g.Text, l.Font, l.Size, hw)
			if err != nil {
				return err
			}
			r := m.text.Rect.Add(image.Pt(int(math.Round(g.At[0])), int(math.Round(g.At[1]))))
			draw.DrawMask(dst, r, image.NewUniform(l.Color), image.Point{}, m.text, m.text.Rect.Min, draw.Over)
		}
		return nil
	}
	f, err := FontOf(l.Font)
	if err != nil {
		return err
	}
	var rec recorder
	rec.reset()
	var buf sfnt.Buffer
	ppem := fixed.Int26_6(math.Round(l.Size * 64))
	for _, g := range l.Glyphs {
		glyphPath(&rec, f, &buf, ppem, g)
	}
	if len(rec.kinds) == 0 {
		return nil
	}
	r := image.Rect(int(math.Floor(float64(rec.x0)))-hw-1, int(math.Floor(float64(rec.y0)))-hw-1,
		int(math.Ceil(float64(rec.x1)))+hw+1, int(math.Ceil(float64(rec.y1)))+hw+1)
	if !r.Overlaps(dst.Bounds()) {
		return nil
	}
	mask := image.NewAlpha(r)
	rasterizeAlpha(z, mask, &rec)
	grown := image.NewAlpha(r)
	w := r.Dx()
	for py := 0; py < r.Dy(); py++ {
		for px := 0; px < w; px++ {
			a := mask.Pix[py*w+px]
			if a == 0 {
				continue
			}
			for dy := max(0, py-hw); dy <= min(r.Dy()-1, py+hw); dy++ {
				for dx := max(0, px-hw); dx <= min(w-1, px+hw); dx++ {
					if p := &grown.Pix[dy*w+dx]; *p < a {
						*p = a
					}
				}
			}
		}
	}
	if ctx.Err() != nil {
		return nil // the caller reports it
	}
	draw.DrawMask(dst, r, image.NewUniform(halo), image.Point{}, grown, r.Min, draw.Over)
	draw.DrawMask(dst, r, image.NewUniform(l.Color), image.Point{}, mask, r.Min, draw.Over)
	return nil
}

// rasterizeAlpha draws rec's path into mask, over mask's bounds.
func rasterizeAlpha(z *vector.Rasterizer, mask *image.Alpha, rec *recorder) {
	b := mask.Bounds()
	z.Reset(b.Dx(), b.Dy())
	ox, oy := float32(b.Min.X), float32(b.Min.Y)
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
	z.Draw(mask, b, image.Opaque, image.Point{})
}

// glyphPath adds the outline of g's characters, turned by g.Angle about
// its baseline's left end, to z; curves become short lines.
func glyphPath(z pather, f *sfnt.Font, buf *sfnt.Buffer, ppem fixed.Int26_6, g Glyph) {
	sin, cos := math.Sincos(g.Angle)
	pen := 0.0
	for _, r := range g.Text {
		idx, err := f.GlyphIndex(buf, r)
		if err != nil {
			continue
		}
		segs, err := f.LoadGlyph(buf, idx, ppem, nil)
		if err != nil {
			continue
		}
		at := func(p fixed.Point26_6) (float32, float32) {
			x, y := pen+float64(p.X)/64, float64(p.Y)/64
			return float32(g.At[0] + x*cos - y*sin), float32(g.At[1] + x*sin + y*cos)
		}
		var last fixed.Point26_6
		open := false
		for _, s := range segs {
			switch s.Op {
			case sfnt.SegmentOpMoveTo:
				if open {
					z.ClosePath()
				}
				z.MoveTo(at(s.Args[0]))
				last, open = s.Args[0], true
			case sfnt.SegmentOpLineTo:
				z.LineTo(at(s.Args[0]))
				last = s.Args[0]
			case sfnt.SegmentOpQuadTo:
				for i := 1; i <= 4; i++ {
					t := float64(i) / 4
					z.LineTo(at(quad(last, s.Args[0], s.Args[1], t)))
				}
				last = s.Args[1]
			case sfnt.SegmentOpCubeTo:
				for i := 1; i <= 6; i++ {
					t := float64(i) / 6
					z.LineTo(at(cube(last, s.Args[0], s.Args[1], s.Args[2], t)))
				}
				last = s.Args[2]
			}
		}
		if open {
			z.ClosePath()
		}
		adv, err := f.GlyphAdvance(buf, idx, ppem, font.HintingNone)
		if err == nil {
			pen += float64(adv) / 64
		}
	}
}

func quad(a, b, c fixed.Point26_6, t float64) fixed.Point26_6 {
	u := 1 - t
	return fixed.Point26_6{
		X: fixed.Int26_6(u*u*float64(a.X) + 2*u*t*float64(b.X) + t*t*float64(c.X)),
		Y: fixed.Int26_6(u*u*float64(a.Y) + 2*u*t*float64(b.Y) + t*t*float64(c.Y)),
	}
}

func cube(a, b, c, d fixed.Point26_6, t float64) fixed.Point26_6 {
	u := 1 - t
	return fixed.Point26_6{
		X: fixed.Int26_6(u*u*u*float64(a.X) + 3*u*u*t*float64(b.X) + 3*u*t*t*float64(c.X) + t*t*t*float64(d.X)),
		Y: fixed.Int26_6(u*u*u*float64(a.Y) + 3*u*u*t*float64(b.Y) + 3*u*t*t*float64(c.Y) + t*t*t*float64(d.Y)),
	}
}

// trianglePath is a peak's mark: an upright triangle of "radius" r
// about c.
func trianglePath(z pather, c orb.Point, r float64) {
	h := r * 1.15
	z.MoveTo(float32(c[0]), float32(c[1]-h))
	z.LineTo(float32(c[0]+h), float32(c[1]+h*0.75))
	z.LineTo(float32(c[0]-h), float32(c[1]+h*0.75))
	z.ClosePath()
}
