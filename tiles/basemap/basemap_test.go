package basemap

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/khorasan/khorasan/tiles/draw"
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
	r := testRenderer(t)
	b, err := r.RenderTile(context.Background(), tile, scale, false, "")
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
	if s := share(sea, draw.DefaultStyle.Sea); s != 1 {
		t.Errorf("open-sea tile is %.1f%% sea colour, want all of it", s*100)
	}
	kabul := renderTile(t, maptile.At(orb.Point{69.17, 34.53}, 6), 1)
	land, seaShare := share(kabul, draw.DefaultStyle.Land), share(kabul, draw.DefaultStyle.Sea)
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
	r := testRenderer(t)
	tile := maptile.At(orb.Point{69.17, 34.53}, 6)
	with, _ := r.RenderTile(context.Background(), tile, 1, false, "")
	without, _ := r.RenderTile(context.Background(), tile, 1, true, "")
	if bytes.Equal(with, without) {
		t.Error("NoCityLabels changed nothing")
	}
}

func TestMercatorViewDrawsABound(t *testing.T) {
	v := draw.MercatorView(orb.Bound{Min: orb.Point{44, 24}, Max: orb.Point{80, 44}}, 400, 300, 1)
	img := image.NewRGBA(image.Rect(0, 0, v.Width, v.Height))
	if err := testRenderer(t).Draw(context.Background(), img, v); err != nil {
		t.Fatal(err)
	}
	if l := share(img, draw.DefaultStyle.Land); l < 0.4 {
		t.Errorf("the region is %.0f%% land", l*100)
	}
	c := v.Project(orb.Point{62, 34})
	if c[0] < 150 || c[0] > 250 || c[1] < 100 || c[1] > 200 {
		t.Errorf("the middle of the bound is drawn at %v", c)
	}
}

func BenchmarkRenderTileZ5(b *testing.B) {
	r := testRenderer(b)
	tile := maptile.At(orb.Point{63, 34}, 5)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.RenderTile(context.Background(), tile, 1, false, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// benchTiles is bench/tiles.sh's list: for z3 to z8, the tiles around
// Kabul and Mashhad (2 a point below z6, 4 from z6).
func benchTiles() []maptile.Tile {
	var out []maptile.Tile
	seen := map[maptile.Tile]bool{}
	for z := maptile.Zoom(3); z <= 8; z++ {
		for _, p := range []orb.Point{{69.2, 34.5}, {59.6, 36.3}} {
			c := maptile.At(p, z)
			rows := uint32(0)
			if z >= 6 {
				rows = 1
			}
			for dx := uint32(0); dx <= 1; dx++ {
				for dy := uint32(0); dy <= rows; dy++ {
					t := maptile.New(c.X+dx, c.Y+dy, z)
					if !seen[t] {
						seen[t] = true
						out = append(out, t)
					}
				}
			}
		}
	}
	return out
}

// BenchmarkRenderTilesZ3toZ8 draws the tiles of bench/tiles.sh's list
// in turn, as a server without a tile cache does (one op is one tile).
func BenchmarkRenderTilesZ3toZ8(b *testing.B) {
	r := testRenderer(b)
	list := benchTiles()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := r.RenderTile(context.Background(), list[i%len(list)], 1, false, ""); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
