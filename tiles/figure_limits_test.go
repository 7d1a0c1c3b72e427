package tiles

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"golang.org/x/image/vector"
)

// TestRasterizeBandsMatchWhole pins the banded rasterizer (large figures
// drew each full-size shape with two buffers of the image's size: 2 GB
// at 8192²) to what one rasterizer over the whole image draws.
func TestRasterizeBandsMatchWhole(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
	}{
		{"wide", 2900, 1400},
		{"narrow-and-tall", 400, 9000}, // bands of 513+ rows keep floating point math
		{"largest-shape-crosses-bands", 4096, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.w*tc.h <= bandPixels {
				t.Fatalf("%d×%d is not banded", tc.w, tc.h)
			}
			var rec recorder
			rec.reset()
			// A star and a thin diagonal stroke, both across every band.
			cx, cy := float64(tc.w)/2, float64(tc.h)/2
			for i := 0; i <= 22; i++ {
				r := math.Min(cx, cy) * (0.3 + 0.65*float64(i%2))
				a := 2 * math.Pi * float64(i) / 22
				x, y := float32(cx+r*math.Cos(a)*cx/math.Min(cx, cy)), float32(cy+r*math.Sin(a)*cy/math.Min(cx, cy))
				if i == 0 {
					rec.MoveTo(x, y)
				} else {
					rec.LineTo(x, y)
				}
			}
			rec.ClosePath()
			strokeQuads(&rec, orb.LineString{{1.3, 2.7}, {float64(tc.w) - 3.1, float64(tc.h) - 0.6}}, 2.5)
			src := image.NewUniform(color.NRGBA{200, 40, 90, 180})
			bounds := image.Rect(0, 0, tc.w, tc.h)

			banded := image.NewRGBA(bounds)
			rasterize(context.Background(), vector.NewRasterizer(1, 1), banded, bounds, &rec, src)

			whole := image.NewRGBA(bounds)
			z := vector.NewRasterizer(tc.w, tc.h)
			for i, k := range rec.kinds {
				p := rec.pts[i]
				switch k {
				case 'M':
					z.MoveTo(float32(p[0]), float32(p[1]))
				case 'L':
					z.LineTo(float32(p[0]), float32(p[1]))
				case 'Z':
					z.ClosePath()
				}
			}
			z.Draw(whole, bounds, src, image.Point{})

			worst, differ := 0, 0
			for i := range whole.Pix {
				d := int(whole.Pix[i]) - int(banded.Pix[i])
				if d != 0 {
					differ++
				}
				worst = max(worst, d, -d)
			}
			// A band sees the path moved by whole pixels, which float32
			// rounds a little differently: at most one level, in a few
			// hundred bytes of millions.
			if worst > 1 {
				t.Errorf("banded and whole drawings differ by up to %d levels in %d bytes", worst, differ)
			}
			t.Logf("%d bytes differ, at most by %d", differ, worst)
		})
	}
}

// cancelOnWrite cancels a render's context at the first bytes it gets.
type cancelOnWrite struct {
	cancel context.CancelFunc
	writes int
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.writes++
	c.cancel()
	return len(p), nil
}

// TestRenderStopsEncodingAtTheDeadline pins issue 10.3: the PNG encoding
// after the drawing ignored the context, so an 8192² figure whose drawing
// ended just in time was sent seconds past the deadline.
func TestRenderStopsEncodingAtTheDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelOnWrite{cancel: cancel}
	f := Figure{Width: 2048, Height: 2048, Scale: 1, Format: FormatPNG, Legend: true,
		Layers: figureLayers(t, "", "borders", "khorasan", "attacks", "cities"), asOf: figureDate}
	err := figureRenderer(t).Render(ctx, f, w)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Render = %v after the context ended during encoding, want context.Canceled", err)
	}
	// The first 64 KiB were on their way when it ended; nothing after.
	if w.writes != 1 {
		t.Errorf("%d writes, want 1: the encoder went on after the context ended", w.writes)
	}
}
