package basemap

import (
	"cmp"
	"context"
	"fmt"
	"image"
	"math"
	"slices"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles"
	"github.com/khorasan/khorasan/tiles/draw"
	"github.com/khorasan/khorasan/tiles/internal/tiletest"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// regionCapitals are the capitals of Khorasan's countries and their
// neighbours, at Natural Earth's coordinates (data/basemap/places.geojson),
// with their names in Russian.
var regionCapitals = []struct {
	en, ru string
	at     orb.Point
}{
	{"Kabul", "Кабул", orb.Point{69.18131, 34.51864}},
	{"Tehran", "Тегеран", orb.Point{51.42239, 35.67391}},
	{"Ashgabat", "Ашхабад", orb.Point{58.38329, 37.94999}},
	{"Dushanbe", "Душанбе", orb.Point{68.77390, 38.56004}},
	{"Tashkent", "Ташкент", orb.Point{69.29300, 41.31165}},
	{"Islamabad", "Исламабад", orb.Point{73.16469, 33.70194}},
}

// TestCapitalsAreLabelled: from z4 to z8 the capitals of the region are
// named, in English and in Russian, with their dot where Natural Earth
// puts them; at z5 a historical anchor's name (Bamyan's) once took
// Kabul's room.
func TestCapitalsAreLabelled(t *testing.T) {
	r := testRenderer(t)
	ctx := context.Background()
	for _, lang := range []string{"en", "ru"} {
		for z := 4.0; z <= 8; z++ {
			p, err := r.Placement(ctx, z, 1, false, lang)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range regionCapitals {
				name := c.en
				if lang == "ru" {
					name = c.ru
				}
				l := labelIn(p, name)
				if l == nil {
					t.Errorf("%s z%g: %s is not labelled", lang, z, name)
					continue
				}
				// The cities layer's point where it has the city (within
				// 15 km of Natural Earth's: a world pixel is 128 km at z0).
				x, y := tiles.WorldPixel(c.at, uint32(z), 256)
				if tol := 15.0 / 128 * math.Exp2(z); !l.Dot || math.Hypot(l.DotAt[0]-x, l.DotAt[1]-y) > tol {
					t.Errorf("%s z%g: %s's dot is at %v, Natural Earth's place at %.0f,%.0f", lang, z, name, l.DotAt, x, y)
				}
			}
		}
	}
}

// pageCityBoxes are the rooms of the city labels the page draws itself
// over a basemap without cities (static/map.js buildCities and
// static/style.css .city-label: the marker's top left 4 px left of and 8
// px above the point, a 7 px dot and a 3 px gap, the name at 11.5 px, an
// anchor's 12 px italic, on a 16 px line), in world pixels at zoom z.
// The page hides those that would overlap one shown before: anchors
// first, then (the layer having no population) north to south, before
// it counts the events.
func pageCityBoxes(t *testing.T, z float64) map[string]image.Rectangle {
	t.Helper()
	_, cities := tiletest.Basemap(t)
	type c struct {
		name   string
		p      orb.Point
		anchor bool
	}
	var all []c
	err := testStore.Features(context.Background(), cities, geo.Query{}, func(f geo.Feature) error {
		name, _ := f.Properties["name"].(string)
		anchor, _ := f.Properties["anchor"].(bool)
		if pt, ok := f.Geometry.(orb.Point); ok && name != "" {
			x, y := tiles.WorldPixel(pt, uint32(z), 256)
			all = append(all, c{pageName(name), orb.Point{x, y}, anchor})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(all, func(a, b c) int {
		switch {
		case a.anchor != b.anchor && a.anchor:
			return -1
		case a.anchor != b.anchor:
			return 1
		case a.p[1] != b.p[1]:
			return cmp.Compare(a.p[1], b.p[1])
		}
		return cmp.Compare(a.p[0], b.p[0])
	})
	out := map[string]image.Rectangle{}
	var shown []image.Rectangle
	for _, ct := range all {
		kind, size := draw.Regular, 11.5
		if ct.anchor {
			kind, size = draw.Italic, 12
		}
		// Measured in the Go fonts as the tiles' labels are, and a
		// seventh to spare: the browser's fonts are wider.
		f, err := newFace(kind, size)
		if err != nil {
			t.Fatal(err)
		}
		w := advance(f, ct.name, kind, size) * 8 / 7
		b := image.Rect(int(ct.p[0]-7), int(ct.p[1]-9), int(math.Ceil(ct.p[0]+9+w)), int(math.Ceil(ct.p[1]+9)))
		if !slices.ContainsFunc(shown, b.Overlaps) {
			shown = append(shown, b)
			out[ct.name] = b
		}
	}
	return out
}

// TestDrawnLabelsDoNotOverlap: over every seam block at z3 to z8, in
// English and in Russian, with the basemap's cities and without them (the
// page's own city labels then), no two labels the tiles draw overlap, nor
// any of them a city label of the page (but a country's name, which
// only lies under one where there is no other room for it). Russian names are wider than
// English ones: "Сайду-Шариф" once ran under the page's "Khar" at z5.
func TestDrawnLabelsDoNotOverlap(t *testing.T) {
	r := testRenderer(t)
	ctx := context.Background()
	for _, b := range seamBlocks {
		if b.scale != 1 {
			continue // the page's labels are CSS pixels
		}
		for _, lang := range []string{"en", "ru"} {
			for _, noCities := range []bool{false, true} {
				name := fmt.Sprintf("z%d-at-%g,%g-%s-nocities=%v", b.z, b.at[0], b.at[1], lang, noCities)
				t.Run(name, func(t *testing.T) {
					checkDrawnLabels(t, r, ctx, b.at, b.z, b.n, lang, noCities)
				})
			}
		}
	}
	// The case an editor sent back, by name.
	p, err := r.Placement(ctx, 5, 1, true, "ru")
	if err != nil {
		t.Fatal(err)
	}
	khar, ok := pageCityBoxes(t, 5)["Khar"]
	if !ok {
		t.Fatal("the page shows no Khar at z5")
	}
	if l := labelIn(p, "Сайду-Шариф"); l != nil && l.Box.Overlaps(khar) {
		t.Errorf("Сайду-Шариф (%v) runs under the page's Khar (%v)", l.Box, khar)
	}
}

func checkDrawnLabels(t *testing.T, r *Renderer, ctx context.Context, at orb.Point, z maptile.Zoom, n int, lang string, noCities bool) {
	t.Helper()
	c := maptile.At(at, z)
	half := uint32(n / 2)
	top := maptile.New(c.X-half, c.Y-half, z)
	p, err := r.Placement(ctx, float64(z), 1, noCities, lang)
	if err != nil {
		t.Fatal(err)
	}
	// Every label a tile of the block draws, in world pixels, once.
	type drawn struct {
		text string
		at   orb.Point
	}
	seen := map[drawn]bool{}
	var labels []Placed
	for dy := range n {
		for dx := range n {
			tv := TileView(maptile.New(top.X+uint32(dx), top.Y+uint32(dy), z), 1)
			tv.NoCityLabels, tv.Lang = noCities, lang
			sc, err := r.Scene(ctx, tv)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range sc.Labels {
				d := drawn{l.Text, orb.Point{l.At[0] + tv.Origin[0], l.At[1] + tv.Origin[1]}}
				if seen[d] {
					continue
				}
				seen[d] = true
				i := -1
				for j, q := range p.Labels {
					if q.Text == d.text && q.At == d.at {
						i = j
					}
				}
				if i < 0 {
					t.Fatalf("%q is drawn at %v but not placed there", d.text, d.at)
				}
				labels = append(labels, p.Labels[i])
			}
		}
	}
	if len(labels) == 0 {
		t.Fatal("the block draws no label")
	}
	for i, a := range labels {
		for _, b := range labels[:i] {
			if a.Box.Overlaps(b.Box) {
				t.Errorf("%q (%v) and %q (%v) overlap", a.Text, a.Box, b.Text, b.Box)
			}
		}
	}
	if !noCities {
		return
	}
	for name, room := range pageCityBoxes(t, float64(z)) {
		for _, l := range labels {
			if l.kind != kindCountry && l.Box.Overlaps(room) {
				t.Errorf("%q (%v) runs under the page's %q (%v)", l.Text, l.Box, name, room)
			}
		}
	}
}
