package figure

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"image/color"
	"io"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/khorasan/khorasan/tiles/internal/tiletest"
	"github.com/paulmach/orb"
)

var figureDate = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)

func figureRenderer(t testing.TB) *Renderer {
	t.Helper()
	raw, err := os.ReadFile("../../static/style.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseStyle(raw)
	if err != nil {
		t.Fatal(err)
	}
	borders, cities := tiletest.Basemap(t)
	return &Renderer{Source: testStore, Style: st, Borders: borders, Cities: cities}
}

// atlasRenderer is figureRenderer with the basemap's physical and
// cultural detail, as khorasan serve and khorasan render draw.
func atlasRenderer(t testing.TB) *Renderer {
	fr := figureRenderer(t)
	fr.Detail = tiletest.Detail()
	return fr
}

func figureLayers(t testing.TB, filter string, names ...string) []Layer {
	t.Helper()
	var out []Layer
	for _, l := range layers(t, names...) {
		fl := Layer{Layer: l}
		if filter != "" && l.Name == "attacks" {
			e, err := cql2.Parse(filter)
			if err != nil {
				t.Fatal(err)
			}
			fl.Filter = e
		}
		out = append(out, fl)
	}
	return out
}

func renderFigure(t testing.TB, f Figure) []byte {
	t.Helper()
	return renderWith(t, figureRenderer(t), f)
}

func renderWith(t testing.TB, fr *Renderer, f Figure) []byte {
	t.Helper()
	f.asOf = figureDate
	var buf bytes.Buffer
	if err := fr.Render(context.Background(), f, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// goldenFigures are checked against testdata/figure-*.png.
var goldenFigures = []struct {
	name string
	fig  func(t testing.TB) Figure
}{
	{"region-all-layers", func(t testing.TB) Figure {
		return Figure{Width: 600, Height: 400, Scale: 1, Format: FormatPNG, Legend: true, Title: "ISIS-K attacks in historical Khorasan",
			Layers: figureLayers(t, "", "borders", "khorasan", "attacks", "cities"), BaseURL: "https://maps.example.org"}
	}},
	{"kabul-z7-2x-no-legend", func(t testing.TB) Figure {
		c := orb.Point{69.17, 34.53}
		return Figure{Width: 300, Height: 200, Scale: 2, Format: FormatPNG, Center: &c, Zoom: 7,
			Layers: figureLayers(t, "", "attacks", "cities")}
	}},
	{"region-800x600-inset", func(t testing.TB) Figure {
		return Figure{Width: 800, Height: 600, Scale: 1, Format: FormatPNG, Legend: true, Title: "ISIS-K attacks in historical Khorasan",
			Layers: figureLayers(t, "", "borders", "khorasan", "attacks", "cities")}
	}},
	{"region-country-choropleth", func(t testing.TB) Figure {
		return Figure{Width: 800, Height: 600, Scale: 1, Format: FormatPNG, Legend: true, Title: "ISIS-K attacks per country",
			Layers: figureLayers(t, "", "borders", "khorasan", "attacks"), Choropleth: &Choropleth{By: ByCountry, Measure: MeasureCount, Layer: "attacks"}}
	}},
	{"region-hex-100-killed-choropleth", func(t testing.TB) Figure {
		return Figure{Width: 800, Height: 600, Scale: 1, Format: FormatPNG, Legend: true, Title: "Killed per 100 km hexagon",
			Layers: figureLayers(t, "", "borders", "khorasan", "attacks", "cities"), Choropleth: &Choropleth{By: ByHex, Size: 100, Measure: MeasureMagnitude, Layer: "attacks"}}
	}},
	{"iran-claimed-bbox", func(t testing.TB) Figure {
		b := orb.Bound{Min: orb.Point{44, 25}, Max: orb.Point{64, 40}}
		return Figure{Width: 400, Height: 300, Scale: 1, Format: FormatPNG, Bound: &b, Legend: true,
			Layers: figureLayers(t, "attribution = 'claimed'", "khorasan", "attacks")}
	}},
}

// TestFigureGolden compares figures with their golden images, with the
// basemap's tolerance: at most 0.5% of pixels may differ by more than 24.
func TestFigureGolden(t *testing.T) {
	for _, g := range goldenFigures {
		t.Run(g.name, func(t *testing.T) {
			f := g.fig(t)
			img := decodePNG(t, renderWith(t, atlasRenderer(t), f))
			if b := img.Bounds(); b.Dx() != int(float64(f.Width)*f.Scale) || b.Dy() != int(float64(f.Height)*f.Scale) {
				t.Fatalf("%dx%d pixels, want %gx%g", b.Dx(), b.Dy(), float64(f.Width)*f.Scale, float64(f.Height)*f.Scale)
			}
			checkGolden(t, img, "figure-"+g.name+".png", "TestFigureGolden")
		})
	}
}

// mercator is Web Mercator on the unit square, written out again here so
// the test does not check the renderer against itself.
func mercator(lon, lat float64) (x, y float64) {
	r := lat * math.Pi / 180
	return (lon + 180) / 360, (1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2
}

// TestFigureMarkersFallOnTheirPixels places the Kabul airport and Kerman
// attacks by the Mercator formula and finds each marker's colour there:
// the "claimed" red at the style's opacity over the land.
func TestFigureMarkersFallOnTheirPixels(t *testing.T) {
	fr := figureRenderer(t)
	attacks := []struct {
		id       string
		lon, lat float64
	}{
		{"2021-08-26-kabul-airport", 69.22028, 34.55861},
		{"2024-01-03-kerman-soleimani-memorial", 57.07879, 30.28321},
	}
	claimed := mustColor(fr.Style.Attribution["claimed"].Color)
	land := mustColor(fr.Style.Land.FillColor)
	a := fr.Style.Marker.FillOpacity
	want := color.RGBA{
		uint8(math.Round(a*float64(claimed.R) + (1-a)*float64(land.R))),
		uint8(math.Round(a*float64(claimed.G) + (1-a)*float64(land.G))),
		uint8(math.Round(a*float64(claimed.B) + (1-a)*float64(land.B))), 0xff}
	bound := orb.Bound{Min: orb.Point{50, 25}, Max: orb.Point{75, 40}}
	for _, scale := range []float64{1, 2} {
		const W, H = 400, 300
		img := decodePNG(t, renderFigure(t, Figure{Width: W, Height: H, Scale: scale, Format: FormatPNG, Bound: &bound,
			Layers: figureLayers(t, "id IN ('2021-08-26-kabul-airport', '2024-01-03-kerman-soleimani-memorial')", "attacks")}))
		x0, y1 := mercator(bound.Min[0], bound.Min[1])
		x1, y0 := mercator(bound.Max[0], bound.Max[1])
		k := math.Min(W/(x1-x0), H/(y1-y0))
		for _, at := range attacks {
			x, y := mercator(at.lon, at.lat)
			px := ((x-(x0+x1)/2)*k + W/2) * scale
			py := ((y-(y0+y1)/2)*k + H/2) * scale
			got := color.RGBAModel.Convert(img.At(int(px), int(py))).(color.RGBA)
			if absDiff(got.R, want.R) > 6 || absDiff(got.G, want.G) > 6 || absDiff(got.B, want.B) > 6 {
				t.Errorf("scale %g: %s at pixel (%.1f, %.1f) is %v, want the claimed marker colour %v", scale, at.id, px, py, got, want)
			}
			// Beyond the marker's radius (and its stroke) lies the land.
			r := fr.Style.Radius(182) * scale
			off := color.RGBAModel.Convert(img.At(int(px+r+4*scale), int(py))).(color.RGBA)
			if off == got {
				t.Errorf("scale %g: %s: the marker colour reaches %g pixels right of the point", scale, at.id, r+4*scale)
			}
		}
	}
}

func TestFigureVectorOutputs(t *testing.T) {
	f := Figure{Width: 640, Height: 480, Scale: 1, Legend: true, Title: "Vector <test> & title",
		Layers: figureLayers(t, "", "borders", "khorasan", "attacks", "cities", "square")}
	f.Format = FormatSVG
	svg := renderFigure(t, f)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		case xml.EndElement:
			inText = false
		}
	}
	all := strings.Join(texts, "\n")
	// "Data as of": the last edit, and the latest event as the data has it.
	latest := layers(t, "attacks")[0].TimeExtent[1]
	asOf := "Data\u00a0as\u00a0of\u00a0" + figureDate.Format("2006-01-02") + ", latest\u00a0event\u00a0" + latest
	for _, want := range []string{"Vector <test> & title", ", by attribution", "Greater Khorasan (approximate)", "square", asOf, "Afghanistan"} {
		if !strings.Contains(all, want) {
			t.Errorf("no text %q in the SVG", want)
		}
	}
	for _, id := range []string{`id="basemap"`, `id="layer-attacks"`, `id="layer-khorasan"`, `id="legend"`, `id="scale-bar"`, `id="attribution"`} {
		if !bytes.Contains(svg, []byte(id)) {
			t.Errorf("no group %s", id)
		}
	}
	if bytes.Contains(svg, []byte("<image")) {
		t.Error("the SVG embeds a raster")
	}
	f.Format = FormatPDF
	pdf := renderFigure(t, f)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || bytes.Contains(pdf, []byte("/Subtype /Image")) {
		t.Error("the PDF is not a PDF, or holds an image")
	}
	if !bytes.Contains(pdf, []byte("/FontFile2")) {
		t.Error("the PDF embeds no TrueType font")
	}
	// The same request and data give the same bytes.
	if again := renderFigure(t, f); !bytes.Equal(pdf, again) {
		t.Error("two renders of one PDF differ")
	}
}

func TestFigureCheck(t *testing.T) {
	ok := Figure{Width: 10, Height: 10, Scale: 1, Format: FormatPNG}
	cases := map[string]struct {
		mod   func(f *Figure)
		where string
	}{
		"width 0":            {func(f *Figure) { f.Width = 0 }, "width"},
		"height 100000":      {func(f *Figure) { f.Height = 100000 }, "height"},
		"scale 10":           {func(f *Figure) { f.Scale = 10 }, "scale"},
		"scale NaN":          {func(f *Figure) { f.Scale = math.NaN() }, "scale"},
		"format gif":         {func(f *Figure) { f.Format = "gif" }, "format"},
		"too many pixels":    {func(f *Figure) { f.Width, f.Height, f.Scale = 4096, 4096, 4 }, "scale"},
		"bbox min > max":     {func(f *Figure) { f.Bound = &orb.Bound{Min: orb.Point{10, 0}, Max: orb.Point{5, 5}} }, "bbox"},
		"bbox off the world": {func(f *Figure) { f.Bound = &orb.Bound{Min: orb.Point{-190, 0}, Max: orb.Point{5, 5}} }, "bbox"},
		"zoom 21":            {func(f *Figure) { f.Center, f.Zoom = &orb.Point{0, 0}, 21 }, "zoom"},
		"title too long":     {func(f *Figure) { f.Title = strings.Repeat("é", MaxTitle+1) }, "title"},
	}
	for name, c := range cases {
		f := ok
		c.mod(&f)
		var ie *geo.InvalidError
		if err := f.Check(); !errors.As(err, &ie) || ie.Where != c.where {
			t.Errorf("%s: %v, want an error about %s", name, err, c.where)
		}
	}
	big := ok
	big.Width, big.Height, big.Scale, big.Format = 4096, 4096, 4, FormatPDF
	if err := big.Check(); err != nil {
		t.Errorf("a vector figure has no pixel limit: %v", err)
	}
}

func TestFigureStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	err := figureRenderer(t).Render(ctx, Figure{Width: 300, Height: 200, Scale: 1, Format: FormatPNG, Layers: figureLayers(t, "", "attacks", "dense")}, &buf)
	if !errors.Is(err, context.Canceled) || buf.Len() > 0 {
		t.Errorf("err %v, %d bytes written", err, buf.Len())
	}
}

func TestCityLabelAndHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"Neyshabur (Nishapur)":                 "Neyshabur (Nishapur)",
		"Tus (Tus-e Sofla, near ancient Tus)":  "Tus",
		"Kabul":                                "Kabul",
		"Mary / Bayramaly (Merv ruins)":        "Mary / Bayramaly (Merv ruins)",
		"Balkh (a very long aside, with more)": "Balkh",
	} {
		if got := cityLabel(in); got != want {
			t.Errorf("cityLabel(%q) = %q, want %q", in, got, want)
		}
	}
	for m, want := range map[float64]float64{1234: 1000, 2500: 2000, 99000: 50000, 7: 5, 0: 0} {
		if got := niceDistance(m); got != want {
			t.Errorf("niceDistance(%g) = %g, want %g", m, got, want)
		}
	}
}

func TestParseMapStyleRefusesBadColours(t *testing.T) {
	raw, _ := os.ReadFile("../../static/style.json")
	bad := bytes.Replace(raw, []byte(`"#d5e3ea"`), []byte(`"blue"`), 1)
	if _, err := ParseStyle(bad); err == nil || !strings.Contains(err.Error(), "sea") {
		t.Errorf("a bad sea colour: %v", err)
	}
	if _, err := ParseStyle([]byte(`{`)); err == nil {
		t.Error("broken JSON accepted")
	}
}

// BenchmarkFigurePNG draws the benchmark's figure: a 1200x800 PNG of the
// whole region with every layer.
func BenchmarkFigurePNG(b *testing.B) {
	fr := figureRenderer(b)
	f := Figure{Width: 1200, Height: 800, Scale: 1, Format: FormatPNG, Legend: true,
		Layers: figureLayers(b, "", "borders", "khorasan", "attacks", "cities")}
	b.ReportAllocs()
	for b.Loop() {
		if err := fr.Render(context.Background(), f, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFigureSVG(b *testing.B) {
	fr := figureRenderer(b)
	f := Figure{Width: 1200, Height: 800, Scale: 1, Format: FormatSVG, Legend: true,
		Layers: figureLayers(b, "", "borders", "khorasan", "attacks", "cities")}
	b.ReportAllocs()
	for b.Loop() {
		if err := fr.Render(context.Background(), f, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFigurePDF(b *testing.B) {
	fr := figureRenderer(b)
	f := Figure{Width: 1200, Height: 800, Scale: 1, Format: FormatPDF, Legend: true,
		Layers: figureLayers(b, "", "borders", "khorasan", "attacks", "cities")}
	b.ReportAllocs()
	for b.Loop() {
		if err := fr.Render(context.Background(), f, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
