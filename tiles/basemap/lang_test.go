package basemap

import (
	"context"
	"image"
	"image/color"
	"slices"
	"testing"
	"unicode"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles/draw"
	"github.com/khorasan/khorasan/tiles/internal/tiletest"
	"github.com/paulmach/orb/maptile"
)

// labelIn is the placed label of kind whose text is s, or nil.
func labelIn(p *Placement, s string) *Placed {
	for i := range p.Labels {
		if p.Labels[i].Text == s {
			return &p.Labels[i]
		}
	}
	return nil
}

func TestRussianLabels(t *testing.T) {
	r := testRenderer(t)
	ctx := context.Background()
	const z = 5
	en, err := r.Placement(ctx, z, 1, false, "en")
	if err != nil {
		t.Fatal(err)
	}
	ru, err := r.Placement(ctx, z, 1, false, "ru")
	if err != nil {
		t.Fatal(err)
	}
	if ru == en {
		t.Fatal("the Russian placement is the English one")
	}
	if def, _ := r.Placement(ctx, z, 1, false, ""); def != en {
		t.Error(`lang "" is not the English placement`)
	}
	// Countries from the borders' name_ru, places from Natural Earth's.
	for _, c := range []struct{ en, ru string }{{"Afghanistan", "Афганистан"}, {"Pakistan", "Пакистан"}, {"Tehran", "Тегеран"}} {
		if labelIn(en, c.en) == nil {
			t.Errorf("z%d en: no %s", z, c.en)
		}
		if labelIn(ru, c.ru) == nil {
			t.Errorf("z%d ru: no %s", z, c.ru)
		}
		if labelIn(ru, c.en) != nil {
			t.Errorf("z%d ru: %s is still in English", z, c.en)
		}
	}
	cyrillic := 0
	for _, l := range ru.Labels {
		if slices.ContainsFunc([]rune(l.Text), func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }) {
			cyrillic++
		}
	}
	if cyrillic < len(ru.Labels)/2 {
		t.Errorf("z%d ru: %d of %d labels in Cyrillic", z, cyrillic, len(ru.Labels))
	}
	// Rivers and ranges have no Russian names in the data: they stay English.
	if z7, _ := r.Placement(ctx, 7, 1, false, "ru"); labelIn(z7, "HINDU KUSH") == nil {
		t.Error("z7 ru: the Hindu Kush, which has no Russian name, is not named in English")
	}
	if _, err := r.Placement(ctx, z, 1, false, "de"); err == nil {
		t.Error("lang de: no error")
	}

	// The tile under Afghanistan's Russian name differs from the English
	// one there, and only about there.
	l := labelIn(ru, "Афганистан")
	tile := maptile.New(uint32(l.Box.Min.X/256), uint32(l.Box.Min.Y/256), z)
	enTile, err := r.RenderTile(ctx, tile, 1, false, "en")
	if err != nil {
		t.Fatal(err)
	}
	ruTile, err := r.RenderTile(ctx, tile, 1, false, "ru")
	if err != nil {
		t.Fatal(err)
	}
	a, b := decodePNG(t, enTile), decodePNG(t, ruTile)
	box := l.Extent.Sub(image.Pt(int(tile.X)*256, int(tile.Y)*256)).Intersect(a.Bounds())
	differ := 0
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			if pixelDiff(color.RGBAModel.Convert(a.At(x, y)).(color.RGBA), color.RGBAModel.Convert(b.At(x, y)).(color.RGBA)) > 30 {
				differ++
			}
		}
	}
	if differ < 20 {
		t.Errorf("tile %v: %d pixels differ under the Russian country name (%v), want the label's ink", tile, differ, box)
	}
}

// An imported cities layer named in Persian is labelled as typed: its
// names shaped (joined, right to left), measured as drawn.
func TestArabicScriptCityLabels(t *testing.T) {
	ctx := context.Background()
	s, err := tiletest.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	doc := `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[62.2,34.35]},"properties":{"name":"هرات","anchor":true}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[69.17,34.53]},"properties":{"name":"کابل","anchor":true}}]}`
	if _, err := s.ImportGeoJSON(ctx, geo.LayerInfo{Name: "shahrha"}, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	borders, _ := tiletest.Basemap(t)
	r := &Renderer{Source: s, Borders: borders, Cities: "shahrha"}
	const z = 6
	p, err := r.Placement(ctx, z, 1, false, "")
	if err != nil {
		t.Fatal(err)
	}
	l := labelIn(p, "هرات")
	if l == nil {
		t.Fatal("هرات is not placed")
	}
	// The box holds the shaped name, its dot, the gap and the padding.
	w := draw.ShapedWidth("هرات", draw.Bold, 11)
	if bw := float64(l.Box.Dx()); bw < w || bw > w+16 {
		t.Errorf("هرات's box is %v px wide, the shaped name %.1f", bw, w)
	}
	tile := maptile.New(uint32(l.At[0]/256), uint32(l.At[1]/256), z)
	body, err := r.RenderTile(ctx, tile, 1, false, "")
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, body)
	box := l.Box.Sub(image.Pt(int(tile.X)*256, int(tile.Y)*256)).Intersect(img.Bounds())
	ink := 0
	st := draw.DefaultStyle
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			if pixelDiff(color.RGBAModel.Convert(img.At(x, y)).(color.RGBA), st.AnchorText) < 60 {
				ink++
			}
		}
	}
	if ink < 15 {
		t.Errorf("%d pixels of the anchor colour under هرات (%v in tile %v)", ink, box, tile)
	}
}

// Persian, Pashto and Urdu name the countries (i18n-iso-countries) and
// leave the places, which Natural Earth names in none of them, in English.
func TestArabicScriptLanguagesFallBack(t *testing.T) {
	r := testRenderer(t)
	ctx := context.Background()
	for _, lang := range []string{"fa", "ps", "ur"} {
		p, err := r.Placement(ctx, 5, 1, false, lang)
		if err != nil {
			t.Fatal(err)
		}
		if labelIn(p, "افغانستان") == nil {
			t.Errorf("%s: Afghanistan is not افغانستان", lang)
		}
		if labelIn(p, "Tehran") == nil {
			t.Errorf("%s: Tehran, which has no name in %s, is not named in English", lang, lang)
		}
	}
}

// TestCityName names the cities of the cities layer as the basemap and
// the figures do: from the Natural Earth place each is, where that place
// has a name in the language, else in the layer's English.
func TestCityName(t *testing.T) {
	r := testRenderer(t)
	byID := map[string]geo.Feature{}
	err := testStore.Features(context.Background(), r.Cities, geo.Query{}, func(f geo.Feature) error {
		byID[f.ID] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, id, lang, want string
		ok                   bool
	}{
		{"the same name", "kabul", "ru", "Кабул", true},
		{"another spelling, 1 km", "termez", "ru", "Термез", true},
		{"the aside dropped", "neyshabur", "ru", "Нишапур", true},
		// Natural Earth's Bamian is 28 km west of the layer's Bamyan: its
		// name_en is the layer's name.
		{"by Natural Earth's English name", "bamyan", "ru", "Бамиан", true},
		// Meymaneh, 2 km off, has no NAME_RU in Natural Earth.
		{"a place without a Russian name", "maymana", "ru", "Maymana", false},
		// No Natural Earth place within 8 km, none named Tus within 40.
		{"no place of Natural Earth", "tus", "ru", "Tus", false},
		{"English", "kabul", "en", "Kabul", true},
		{"no Persian names in the data", "kabul", "fa", "Kabul", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, ok := byID[c.id]
			if !ok {
				t.Fatalf("no city %q in the cities layer", c.id)
			}
			got, ok, err := r.CityName(f, c.lang)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want || ok != c.ok {
				t.Errorf("CityName(%s, %s) = %q, %v; want %q, %v", c.id, c.lang, got, ok, c.want, c.ok)
			}
		})
	}
}
