package basemap

import (
	"context"
	"image"
	"image/color"
	"io/fs"
	"math"
	"testing"

	"github.com/khorasan/khorasan/tiles/draw"
	"github.com/khorasan/khorasan/tiles/internal/tiletest"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// detailFeature is the first feature named name in one of the detail's
// files, as Natural Earth gives it.
func detailFeature(t *testing.T, file, name string) *geojson.Feature {
	t.Helper()
	b, err := fs.ReadFile(tiletest.Detail(), file)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fc.Features {
		if n, _ := f.Properties["name"].(string); n == name {
			return f
		}
	}
	t.Fatalf("no %q in %s", name, file)
	return nil
}

// near counts the pixels within r of p whose colour is within tol of c.
func near(img image.Image, p orb.Point, r int, c color.RGBA, tol int) int {
	n := 0
	for y := int(p[1]) - r; y <= int(p[1])+r; y++ {
		for x := int(p[0]) - r; x <= int(p[0])+r; x++ {
			if !image.Pt(x, y).In(img.Bounds()) {
				continue
			}
			if pixelDiff(color.RGBAModel.Convert(img.At(x, y)).(color.RGBA), c) <= tol {
				n++
			}
		}
	}
	return n
}

// tileAt draws the tile holding p at zoom z and gives p's pixel in it.
func tileAt(t *testing.T, r *Renderer, p orb.Point, z maptile.Zoom) (image.Image, orb.Point) {
	t.Helper()
	tile := maptile.At(p, z)
	return renderTile(t, tile, 1), TileView(tile, 1).Project(p)
}

// TestDetailWhereNaturalEarthPutsIt: the Amu Darya, a lake, the Hindu
// Kush and a populated place are drawn at Natural Earth's coordinates.
func TestDetailWhereNaturalEarthPutsIt(t *testing.T) {
	r := testRenderer(t)
	st := draw.DefaultStyle
	t.Run("the Amu Darya", func(t *testing.T) {
		f := detailFeature(t, riversFile, "Amu Darya")
		var line orb.LineString
		switch g := f.Geometry.(type) {
		case orb.LineString:
			line = g
		case orb.MultiLineString:
			line = g[0]
		}
		// Points along its course, drawn in its colour at z6 and z8.
		for _, z := range []maptile.Zoom{6, 8} {
			for _, i := range []int{len(line) / 4, len(line) / 2, 3 * len(line) / 4} {
				img, px := tileAt(t, r, line[i], z)
				if near(img, px, 1, st.River, 40) == 0 {
					t.Errorf("z%d: no river drawn at %v (pixel %.0f,%.0f)", z, line[i], px[0], px[1])
				}
			}
		}
		// And nowhere 20 pixels off its course in open land (the
		// colour is the river's, not the land's).
		img, px := tileAt(t, r, line[len(line)/2], 6)
		if n := near(img, px, 1, st.Land, 0); n == 9 {
			t.Errorf("the Amu Darya's pixel is bare land")
		}
	})
	t.Run("Issyk-Kul", func(t *testing.T) {
		f := detailFeature(t, lakesFile, "Issyk-Kul")
		p := orb.Point{f.Properties.MustFloat64("label_lon"), f.Properties.MustFloat64("label_lat")}
		// Unnamed at z5, so its middle is the lake's colour (at z4 the
		// name of Bishkek, a capital, runs over it).
		img, px := tileAt(t, r, p, 5)
		if n := near(img, px, 1, st.Lake, 2); n != 9 {
			t.Errorf("Issyk-Kul at %v: %d of 9 pixels in the lake's colour", p, n)
		}
		// A few pixels past its shore is land.
		b := f.Geometry.Bound()
		img, px = tileAt(t, r, orb.Point{b.Center()[0], b.Max[1] + 0.3}, 6)
		if n := near(img, px, 1, st.Land, 2); n != 9 {
			t.Errorf("north of Issyk-Kul: %d of 9 pixels are land", n)
		}
	})
	t.Run("the Hindu Kush", func(t *testing.T) {
		f := detailFeature(t, regionsFile, "HINDU KUSH")
		p := orb.Point{f.Properties.MustFloat64("label_lon"), f.Properties.MustFloat64("label_lat")}
		for _, z := range []maptile.Zoom{4, 6} {
			pl, err := r.Placement(context.Background(), float64(z), 1, false, "")
			if err != nil {
				t.Fatal(err)
			}
			var got *Placed
			for i := range pl.Labels {
				if pl.Labels[i].Text == "HINDU KUSH" {
					got = &pl.Labels[i]
				}
			}
			if got == nil {
				t.Fatalf("z%d: the Hindu Kush is not named", z)
			}
			// Its letters are spaced out, centred on its label point
			// (or a line above or below it).
			wx, wy := world(p, z)
			c := got.Box.Bounds()
			if math.Abs(float64(c.Min.X+c.Max.X)/2-wx) > 2 || math.Abs(float64(c.Min.Y+c.Max.Y)/2-wy) > 3*12 {
				t.Errorf("z%d: HINDU KUSH centred at %v, its label point is at %.0f,%.0f", z, c, wx, wy)
			}
			if len(got.Glyphs) != len("HINDU KUSH") || got.Font != draw.Italic {
				t.Errorf("z%d: HINDU KUSH is not set in spaced italic letters", z)
			}
			// And the tile shows ink of the ranges' colour there.
			img, px := tileAt(t, r, orb.Point{p[0], p[1]}, z)
			py := px[1] + float64(got.At[1]) - wy
			if n := near(img, orb.Point{px[0], py - 4}, 5, st.ReliefText, 60); n < 3 {
				t.Errorf("z%d: no letters of the ranges' colour at the Hindu Kush's label (%d)", z, n)
			}
		}
	})
	t.Run("Zahedan", func(t *testing.T) {
		// A populated place of Natural Earth that the cities layer lacks.
		f := detailFeature(t, placesFile, "Zahedan")
		p := f.Geometry.(orb.Point)
		img, px := tileAt(t, r, p, 7)
		if n := near(img, px, 1, st.CityDot, 30); n < 5 {
			t.Errorf("no dot at Zahedan %v (%d pixels)", p, n)
		}
		dark := 0
		for y := int(px[1]) - 20; y < int(px[1])+20; y++ {
			for x := int(px[0]) - 80; x < int(px[0])+80; x++ {
				if pixelDiff(color.RGBAModel.Convert(img.At(x, y)).(color.RGBA), st.CityText) < 40 {
					dark++
				}
			}
		}
		if dark < 20 {
			t.Errorf("no name beside Zahedan's dot (%d dark pixels)", dark)
		}
	})
}

// world is p's world pixel at zoom z, scale 1.
func world(p orb.Point, z maptile.Zoom) (float64, float64) {
	q := world0(p)
	k := math.Exp2(float64(z))
	return q[0] * k, q[1] * k
}

// TestMarkerRegionsAreNotNamed: the Garagum's and Qizilqum's marker
// polygons lie north of those deserts, so their names are left out;
// the Indus Delta's marks the delta, so it is named.
func TestMarkerRegionsAreNotNamed(t *testing.T) {
	r := testRenderer(t)
	named := map[string]bool{}
	for z := 3.0; z <= 8; z++ {
		p, err := r.Placement(context.Background(), z, 1, false, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.Labels {
			named[l.Text] = true
		}
	}
	for _, n := range []string{"GARAGUM DESERT", "QIZILQUM DESERT", "CAUCASUS MTS."} {
		if named[n] {
			t.Errorf("%s is named at its marker", n)
		}
	}
	for _, n := range []string{"Indus Delta", "HINDU KUSH", "PAMIRS", "Kopet Dag Mts.", "Kavir Desert", "Amu Darya", "Aral Sea"} {
		if !named[n] {
			t.Errorf("%s is never named from z3 to z8", n)
		}
	}
}

// TestAtlasDensity: few labels at z3–z4, more at each zoom to z8, over
// the same area (60..70 E, 32..38 N: Khorasan and Afghanistan).
func TestAtlasDensity(t *testing.T) {
	r := testRenderer(t)
	prev := 0
	for z := maptile.Zoom(3); z <= 8; z++ {
		p, err := r.Placement(context.Background(), float64(z), 1, false, "")
		if err != nil {
			t.Fatal(err)
		}
		x0, y0 := world(orb.Point{60, 38}, z)
		x1, y1 := world(orb.Point{70, 32}, z)
		n := len(p.Within(image.Rect(int(x0), int(y0), int(x1), int(y1))))
		t.Logf("z%d: %d labels", z, n)
		if z <= 4 && n > 10 {
			t.Errorf("z%d: %d labels over Afghanistan and Khorasan; an atlas page at that scale carries few", z, n)
		}
		if n < prev {
			t.Errorf("z%d names fewer things (%d) than z%d (%d)", z, n, z-1, prev)
		}
		prev = n
	}
}
