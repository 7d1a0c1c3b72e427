package figure

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles/internal/tiletest"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// persianTitle is "ISIS-K's attacks in Khorasan", with a zero-width
// non-joiner (U+200C) after حمله, as Persian writes the plural.
const persianTitle = "حمله‌های داعش خراسان"

// withoutBidiMarks drops the embedding marks pdftotext puts round
// right-to-left text (U+202A–U+202E, U+2066–U+2069).
func withoutBidiMarks(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			return -1
		}
		return r
	}, s)
}

// scriptRenderer draws from a store of its own: the default data and a
// layer whose title, attribution and names are in Persian, as one
// imported from an Afghan source would be.
func scriptRenderer(t *testing.T) (*Renderer, []Layer) {
	t.Helper()
	ctx := context.Background()
	s, err := tiletest.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	doc := `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[62.2,34.35]},"properties":{"name":"هرات"}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[69.17,34.53]},"properties":{"name":"کابل"}}]}`
	if _, err := s.ImportGeoJSON(ctx, geo.LayerInfo{Name: "wilayat", Title: "مراکز ولایات", Attribution: "منبع: اداره ملی احصائیه"}, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	fr := figureRenderer(t)
	fr.Source = s
	fr.Detail = tiletest.Detail()
	var ls []Layer
	for _, l := range tiletest.Layers(t, s, "borders", "khorasan", "attacks", "wilayat") {
		ls = append(ls, Layer{Layer: l})
	}
	return fr, ls
}

func TestFigureInArabicScript(t *testing.T) {
	fr, ls := scriptRenderer(t)
	f := Figure{Width: 600, Height: 400, Scale: 2, Legend: true, Title: persianTitle, Layers: ls}

	f.Format = FormatSVG
	raw := renderWith(t, fr, f)
	svg := svgText(t, raw)
	for _, want := range []string{persianTitle, "مراکز ولایات", "منبع: اداره ملی احصائیه"} {
		if !strings.Contains(svg, want) {
			t.Errorf("no %q in the SVG's text", want)
		}
	}
	// The title as typed, read right to left from the right edge, in a
	// font that has Arabic script.
	if !strings.Contains(string(raw), `direction="rtl" unicode-bidi="embed"`) || !strings.Contains(string(raw), `'Noto Naskh Arabic'`) {
		t.Error("the SVG's Persian text has no direction or no Arabic-script font")
	}

	f.Format = FormatPDF
	pdf := renderWith(t, fr, f)
	if again := renderWith(t, fr, f); !bytes.Equal(pdf, again) {
		t.Error("two renders of one PDF with Persian text differ")
	}
	txt := withoutBidiMarks(pdfText(t, pdf))
	// The attribution's words: poppler sets a colon inside right-to-left
	// text in a left-to-right line apart (its own reordering), so the
	// whole credit is not compared.
	for _, want := range []string{persianTitle, "مراکز ولایات", "اداره ملی احصائیه", "منبع", "Natural Earth"} {
		if !strings.Contains(txt, want) {
			t.Errorf("pdftotext gives no %q (logical order):\n%.800s", want, txt)
		}
	}

	f.Format = FormatPNG
	img := decodePNG(t, renderWith(t, fr, f))
	// The title band, right-aligned: golden, and looked at.
	band := image.Rect(0, 0, img.Bounds().Dx(), 2*(figPad+titleLeading))
	crop := image.NewRGBA(band)
	draw.Draw(crop, band, img, image.Point{}, draw.Src)
	checkGolden(t, crop, "figure-persian-title.png", "TestFigureInArabicScript")

	// Glyphs, not boxes: the title's ink is not what the Go fonts (which
	// have no Arabic script) would draw, one .notdef box a letter.
	boxes := image.NewRGBA(band)
	draw.Draw(boxes, band, image.NewUniform(color.White), image.Point{}, draw.Src)
	goBold, err := opentype.Parse(gobold.TTF)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(goBold, &opentype.FaceOptions{Size: 2 * titleSize, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		t.Fatal(err)
	}
	w := font.MeasureString(face, persianTitle)
	d := font.Drawer{Dst: boxes, Src: image.Black, Face: face,
		Dot: fixed.Point26_6{X: fixed.I(band.Dx()-2*figPad) - w, Y: fixed.I(2 * (figPad + 13))}}
	d.DrawString(persianTitle)
	dark := func(im *image.RGBA, x, y int) bool { c := im.RGBAAt(x, y); return int(c.R)+int(c.G)+int(c.B) < 3*100 }
	ink, boxInk, both := 0, 0, 0
	for y := band.Min.Y; y < band.Max.Y; y++ {
		for x := band.Dx() / 2; x < band.Max.X; x++ {
			a, b := dark(crop, x, y), dark(boxes, x, y)
			if a {
				ink++
			}
			if b {
				boxInk++
			}
			if a && b {
				both++
			}
		}
	}
	if ink < 500 {
		t.Fatalf("the title has %d dark pixels: not drawn", ink)
	}
	if float64(both) > 0.5*float64(min(ink, boxInk)) {
		t.Errorf("the title's ink (%d px) overlaps the .notdef boxes' (%d px) in %d px: boxes, not glyphs?", ink, boxInk, both)
	}
}
