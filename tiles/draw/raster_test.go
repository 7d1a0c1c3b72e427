package draw

import (
	"context"
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

func TestDashLine(t *testing.T) {
	// A 30-pixel line with 7-on 5-off dashes: 0-7, 12-19, 24-30.
	d := dashLine(orb.LineString{{0, 0}, {30, 0}}, []float64{7, 5})
	if len(d) != 3 || d[1][0][0] != 12 || d[1][len(d[1])-1][0] != 19 || d[2][len(d[2])-1][0] != 30 {
		t.Errorf("dashes %v", d)
	}
}
