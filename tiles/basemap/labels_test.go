package basemap

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles"
	kdraw "github.com/khorasan/khorasan/tiles/draw"
	"github.com/khorasan/khorasan/tiles/internal/tiletest"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// seamBlocks are blocks of tiles over the region (44..80 E, 24..44 N) at
// z3 to z8, around the middle of the region, Mashhad, Kabul, Herat and
// the Hindu Kush, where country names, cities, populated places, ranges,
// rivers and peaks run over tile edges.
var seamBlocks = []struct {
	at     orb.Point
	z      maptile.Zoom
	n      int
	scale  int
	labels int // at least this many labels cross an inner tile edge
	// cross are the kinds of label of which at least one crosses an
	// inner tile edge.
	cross []labelKind
}{
	{orb.Point{62, 34}, 3, 2, 1, 1, nil},
	{orb.Point{62, 34}, 4, 4, 1, 1, []labelKind{kindPlace, kindRegion}},
	{orb.Point{66, 36}, 5, 4, 1, 1, []labelKind{kindCity, kindPlace, kindRegion, kindRiver}},
	{orb.Point{59.6, 36.3}, 5, 2, 2, 1, nil},
	{orb.Point{66, 34}, 6, 4, 1, 1, []labelKind{kindCity, kindPlace, kindRegion}},
	{orb.Point{69.2, 34.5}, 7, 4, 1, 1, []labelKind{kindRegion, kindPeak}},
	{orb.Point{71, 36}, 7, 4, 2, 1, []labelKind{kindPlace, kindRegion, kindRiver, kindPeak}},
	{orb.Point{59.6, 36.3}, 7, 2, 2, 1, nil},
	{orb.Point{59.6, 36.3}, 8, 4, 1, 1, []labelKind{kindPeak}},
	{orb.Point{62.2, 34.35}, 8, 4, 1, 1, []labelKind{kindRiver}},
}

// seamTolerance is how far a mosaic's pixel may stray from the one
// render's: a tile is rasterized in fixed-point and a large image in
// floating-point maths, which moves an anti-aliased edge by a few levels
// (7 at most in these blocks), never a glyph (a cut or doubled label
// differs by a hundred or more).
const seamTolerance = 16

// TestTilesMatchOneRender draws blocks of tiles one by one and as one
// image of the same area: the mosaic must be that image, with no label cut
// or drawn twice at a tile edge.
func TestTilesMatchOneRender(t *testing.T) {
	r := testRenderer(t)
	ctx := context.Background()
	for _, b := range seamBlocks {
		c := maptile.At(b.at, b.z)
		half := uint32(b.n / 2)
		if b.n == 1 {
			half = 0
		}
		top := maptile.New(c.X-half, c.Y-half, b.z)
		name := fmt.Sprintf("z%d-%dx%d-at-%g,%g@%dx", b.z, b.n, b.n, b.at[0], b.at[1], b.scale)
		t.Run(name, func(t *testing.T) {
			size := 256 * b.scale
			mosaic := image.NewRGBA(image.Rect(0, 0, b.n*size, b.n*size))
			for dy := 0; dy < b.n; dy++ {
				for dx := 0; dx < b.n; dx++ {
					tile := maptile.New(top.X+uint32(dx), top.Y+uint32(dy), b.z)
					body, err := r.RenderTile(ctx, tile, b.scale, false, "")
					if err != nil {
						t.Fatal(err)
					}
					img := decodePNG(t, body)
					draw.Draw(mosaic, image.Rect(dx*size, dy*size, (dx+1)*size, (dy+1)*size), img, img.Bounds().Min, draw.Src)
				}
			}
			v := BlockView(top, b.n, b.n, b.scale)
			whole := image.NewRGBA(image.Rect(0, 0, v.Width, v.Height))
			if err := r.Draw(ctx, whole, v); err != nil {
				t.Fatal(err)
			}
			bad, worst := 0, 0
			for y := 0; y < v.Height; y++ {
				for x := 0; x < v.Width; x++ {
					if d := pixelDiff(mosaic.RGBAAt(x, y), whole.RGBAAt(x, y)); d > seamTolerance {
						bad++
						worst = max(worst, d)
					}
				}
			}
			if bad > 0 {
				dir := t.TempDir()
				if os.Getenv("KHORASAN_KEEP_SEAMS") != "" {
					dir = os.TempDir()
				}
				writePNG(t, filepath.Join(dir, "mosaic-"+name+".png"), mosaic)
				writePNG(t, filepath.Join(dir, "whole-"+name+".png"), whole)
				t.Errorf("%d pixels of the mosaic differ from one render by more than %d (at most %d); images in %s", bad, seamTolerance, worst, dir)
			}
			if os.Getenv("KHORASAN_KEEP_SEAMS") != "" {
				writePNG(t, filepath.Join(os.TempDir(), "mosaic-"+name+".png"), mosaic)
			}
			checkPlacedLabels(t, r, top, b.n, b.scale, b.labels, b.cross)
		})
	}
}

// checkPlacedLabels checks the placement behind a block: labels do not
// overlap, no country is named twice, each tile draws every label its
// area overlaps at the label's world place (so an edge never cuts one),
// and some labels do cross an inner edge.
func checkPlacedLabels(t *testing.T, r *Renderer, top maptile.Tile, n, scale, wantCrossing int, kinds []labelKind) {
	t.Helper()
	ctx := context.Background()
	v := BlockView(top, n, n, scale)
	p, err := r.Placement(ctx, v.Zoom, v.Scale, false, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, a := range p.Labels {
		if a.kind == kindCountry {
			if seen[a.Text] {
				t.Errorf("%q is placed twice at z%g", a.Text, v.Zoom)
			}
			seen[a.Text] = true
		}
		for _, b := range p.Labels[:i] {
			if a.Box.Overlaps(b.Box) {
				t.Errorf("%q and %q overlap", a.Text, b.Text)
			}
		}
	}
	size := 256 * scale
	block := image.Rect(0, 0, n*size, n*size).Add(image.Pt(int(v.Origin[0]), int(v.Origin[1])))
	crossing := 0
	crossed := map[labelKind]bool{}
	for _, l := range p.Within(block) {
		x0, y0 := l.Extent.Min.X-block.Min.X, l.Extent.Min.Y-block.Min.Y
		x1, y1 := l.Extent.Max.X-block.Min.X, l.Extent.Max.Y-block.Min.Y
		if (x0/size != (x1-1)/size && x0 > 0 && x1 < n*size) || (y0/size != (y1-1)/size && y0 > 0 && y1 < n*size) {
			crossing++
			crossed[l.kind] = true
		}
		for dy := range n {
			for dx := range n {
				tile := maptile.New(top.X+uint32(dx), top.Y+uint32(dy), top.Z)
				tv := TileView(tile, scale)
				area := image.Rect(0, 0, size, size).Add(image.Pt(int(tv.Origin[0]), int(tv.Origin[1])))
				if !l.Extent.Overlaps(area) {
					continue
				}
				sc, err := r.Scene(ctx, tv)
				if err != nil {
					t.Fatal(err)
				}
				want := orb.Point{l.At[0] - tv.Origin[0], l.At[1] - tv.Origin[1]}
				found := false
				for _, got := range sc.Labels {
					if got.Text == l.Text && got.At == want {
						found = true
					}
				}
				if !found {
					t.Errorf("tile %v leaves out %q (extent %v), which overlaps it", tile, l.Text, l.Extent)
				}
			}
		}
	}
	for _, k := range kinds {
		if !crossed[k] {
			t.Errorf("no label of kind %d crosses an inner tile edge of the block", k)
		}
	}
	if crossing < wantCrossing {
		t.Errorf("%d labels cross an inner tile edge of the block, want at least %d (the block tests no seam)", crossing, wantCrossing)
	}
}

func pixelDiff(a, b color.RGBA) int {
	return max(tiletest.AbsDiff(a.R, b.R), tiletest.AbsDiff(a.G, b.G), tiletest.AbsDiff(a.B, b.B))
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// TestFigureViewsShareThePlacement: a figure's view (any origin, any
// zoom) draws the labels of the one placement at their world places, as
// the tiles do.
func TestFigureViewsShareThePlacement(t *testing.T) {
	r := testRenderer(t)
	ctx := context.Background()
	cx, cy := tiles.WorldPixel(orb.Point{63.3, 34.1}, 0, 256)
	for _, c := range []struct{ zoom, scale float64 }{{6, 1}, {6, 2}, {5.37, 1}, {4.6, 1.5}} {
		v := kdraw.ViewAt(cx, cy, c.zoom, 700, 500, c.scale)
		sc, err := r.Scene(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Placement(ctx, c.zoom, c.scale, false, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(sc.Labels) < 3 {
			t.Fatalf("zoom %g: %d labels in the view", c.zoom, len(sc.Labels))
		}
		for _, l := range sc.Labels {
			world := orb.Point{l.At[0] + v.Origin[0], l.At[1] + v.Origin[1]}
			// The nearest placed label of that text (a river is named
			// along it more than once).
			i, d := -1, math.Inf(1)
			for j, q := range p.Labels {
				if q.Text != l.Text {
					continue
				}
				if e := math.Hypot(world[0]-q.At[0], world[1]-q.At[1]); e < d {
					i, d = j, e
				}
			}
			if i < 0 {
				t.Errorf("zoom %g: %q is drawn but not placed", c.zoom, l.Text)
				continue
			}
			if d > 1e-6 {
				t.Errorf("zoom %g: %q is drawn %g pixels from its place", c.zoom, l.Text, d)
			}
		}
	}
	// At a tile's zoom and scale, a figure places as the tiles do.
	a, _ := r.Placement(ctx, 6, 1, false, "")
	tv := TileView(maptile.At(orb.Point{63.3, 34.1}, 6), 1)
	if b, _ := r.Placement(ctx, tv.Zoom, tv.Scale, false, ""); a != b {
		t.Error("the figure at z6 and the z6 tiles do not share one placement")
	}
}

// TestPlacementOnceUnderLoad: many tiles drawn at once (run with -race)
// compute each zoom's placement once and draw the same labels.
func TestPlacementOnceUnderLoad(t *testing.T) {
	borders, cities := tiletest.Basemap(t)
	r := &Renderer{Source: testStore, Borders: borders, Cities: cities}
	ctx := context.Background()
	var wg sync.WaitGroup
	got := make([][]*Placement, 16)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for z := maptile.Zoom(3); z <= 8; z++ {
				tile := maptile.At(orb.Point{60 + float64(g), 34}, z)
				if _, err := r.RenderTile(ctx, tile, 1+g%2, g%3 == 0, ""); err != nil {
					t.Error(err)
					return
				}
				p, err := r.Placement(ctx, float64(z), 1, false, "")
				if err != nil {
					t.Error(err)
					return
				}
				got[g] = append(got[g], p)
			}
		}()
	}
	wg.Wait()
	for g := range got {
		for i, p := range got[g] {
			if p != got[0][i] {
				t.Fatalf("goroutine %d got another placement of z%d", g, i+3)
			}
		}
	}
}

// TestPlacementFollowsTheData: an edit of the cities layer is placed
// anew; until then the placement is kept.
func TestPlacementFollowsTheData(t *testing.T) {
	ctx := context.Background()
	s, err := tiletest.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	borders, cities := tiletest.Basemap(t)
	r := &Renderer{Source: s, Borders: borders, Cities: cities}
	before, err := r.Placement(ctx, 7, 1, false, "")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := r.Placement(ctx, 7, 1, false, ""); again != before {
		t.Error("the placement was made twice for unchanged data")
	}
	named := func(p *Placement, name string) bool {
		return slices.ContainsFunc(p.Labels, func(l Placed) bool { return l.Text == name })
	}
	if !named(before, "Kabul") {
		t.Fatal("Kabul is not placed at z7")
	}
	var id string
	err = s.Features(ctx, cities, geo.Query{}, func(f geo.Feature) error {
		if n, _ := f.Properties["name"].(string); n == "Kabul" {
			id = f.ID
		}
		return nil
	})
	if err != nil || id == "" {
		t.Fatalf("no Kabul in %s: %v", cities, err)
	}
	if err := s.DeleteFeature(ctx, cities, id, "test", nil); err != nil {
		t.Fatal(err)
	}
	after, err := r.Placement(ctx, 7, 1, false, "")
	if err != nil {
		t.Fatal(err)
	}
	if named(after, "Kabul") {
		t.Error("Kabul is still placed after it was deleted")
	}
}
