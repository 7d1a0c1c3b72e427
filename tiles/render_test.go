package tiles

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

var update = flag.Bool("update", false, "rewrite the golden basemap tiles in testdata/")

// goldenTiles are basemap tiles checked against testdata/basemap-*.png.
var goldenTiles = []struct {
	name  string
	tile  maptile.Tile
	scale int
}{
	{"world-z0", maptile.New(0, 0, 0), 1},
	{"region-z4", maptile.At(orb.Point{63, 34}, 4), 1},
	{"kabul-z6", maptile.At(orb.Point{69.17, 34.53}, 6), 1},
	{"kabul-z7-2x", maptile.At(orb.Point{69.17, 34.53}, 7), 2},
}

func renderTile(t testing.TB, tile maptile.Tile, scale int) image.Image {
	t.Helper()
	r := &Renderer{Source: testStore}
	b, err := r.RenderTile(context.Background(), tile, scale, false)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Dx(); got != 256*scale {
		t.Fatalf("tile is %d pixels wide, want %d", got, 256*scale)
	}
	return img
}

// TestBasemapGolden compares tiles with the golden images: at most 0.5% of
// pixels may differ by more than 24 in a channel (font rasterising and
// float rounding may move an edge pixel, never a whole label).
func TestBasemapGolden(t *testing.T) {
	for _, g := range goldenTiles {
		t.Run(g.name, func(t *testing.T) {
			img := renderTile(t, g.tile, g.scale)
			checkGolden(t, img, "basemap-"+g.name+".png", "TestBasemapGolden")
		})
	}
}

// checkGolden compares img with testdata/name, or writes it there under
// -update: at most 0.5% of its pixels may differ by more than 24 in a
// channel. A differing image is written to the temporary directory for a
// look.
func checkGolden(t *testing.T, img image.Image, name, test string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tiles -run %s -update to create it)", err, test)
	}
	if frac := differing(img, decodePNG(t, raw), 24); frac > 0.005 {
		out := filepath.Join(os.TempDir(), "khorasan-"+name)
		os.WriteFile(out, buf.Bytes(), 0o644)
		t.Errorf("%.2f%% of pixels differ from %s (new image: %s); look at it and run with -update if it is right", frac*100, path, out)
	}
}

func differing(a, b image.Image, tol int) float64 {
	if a.Bounds() != b.Bounds() {
		return 1
	}
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c1 := color.RGBAModel.Convert(a.At(x, y)).(color.RGBA)
			c2 := color.RGBAModel.Convert(b.At(x, y)).(color.RGBA)
			if absDiff(c1.R, c2.R) > tol || absDiff(c1.G, c2.G) > tol || absDiff(c1.B, c2.B) > tol {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// share counts the pixels of each colour class.
func share(img image.Image, c color.RGBA) float64 {
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == c {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}

func TestSeaTileAndKabulTileDiffer(t *testing.T) {
	sea := renderTile(t, maptile.At(orb.Point{65, -30}, 6), 1) // Indian Ocean
	if s := share(sea, DefaultStyle.Sea); s != 1 {
		t.Errorf("open-sea tile is %.1f%% sea colour, want all of it", s*100)
	}
	kabul := renderTile(t, maptile.At(orb.Point{69.17, 34.53}, 6), 1)
	land, seaShare := share(kabul, DefaultStyle.Land), share(kabul, DefaultStyle.Sea)
	if land < 0.7 || seaShare > 0 {
		t.Errorf("Kabul tile: %.1f%% land, %.1f%% sea; want mostly land and no sea", land*100, seaShare*100)
	}
	// Borders (Afghanistan-Pakistan) and labels leave other colours.
	if land > 0.995 {
		t.Error("Kabul tile has no border or label drawn")
	}
	// The city label: dark text pixels near Kabul.
	p := TileView(maptile.At(orb.Point{69.17, 34.53}, 6), 1).Project(orb.Point{69.17, 34.53})
	dark := 0
	for y := int(p[1]) - 8; y < int(p[1])+8; y++ {
		for x := int(p[0]); x < int(p[0])+40; x++ {
			c := color.RGBAModel.Convert(kabul.At(x, y)).(color.RGBA)
			if c.R < 0x90 && c.G < 0x90 {
				dark++
			}
		}
	}
	if dark < 10 {
		t.Errorf("no label text beside Kabul (%d dark pixels)", dark)
	}
}

func TestRenderWithoutCityLabels(t *testing.T) {
	r := &Renderer{Source: testStore}
	tile := maptile.At(orb.Point{69.17, 34.53}, 6)
	with, _ := r.RenderTile(context.Background(), tile, 1, false)
	without, _ := r.RenderTile(context.Background(), tile, 1, true)
	if bytes.Equal(with, without) {
		t.Error("NoCityLabels changed nothing")
	}
}

func TestMercatorViewDrawsABound(t *testing.T) {
	v := MercatorView(orb.Bound{Min: orb.Point{44, 24}, Max: orb.Point{80, 44}}, 400, 300, 1)
	img := image.NewRGBA(image.Rect(0, 0, v.Width, v.Height))
	if err := (&Renderer{Source: testStore}).Draw(context.Background(), img, v); err != nil {
		t.Fatal(err)
	}
	if l := share(img, DefaultStyle.Land); l < 0.4 {
		t.Errorf("the region is %.0f%% land", l*100)
	}
	c := v.Project(orb.Point{62, 34})
	if c[0] < 150 || c[0] > 250 || c[1] < 100 || c[1] > 200 {
		t.Errorf("the middle of the bound is drawn at %v", c)
	}
}

func BenchmarkRenderTileZ5(b *testing.B) {
	r := &Renderer{Source: testStore}
	tile := maptile.At(orb.Point{63, 34}, 5)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.RenderTile(context.Background(), tile, 1, false); err != nil {
			b.Fatal(err)
		}
	}
}
