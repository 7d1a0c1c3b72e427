package tiles

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	sf "github.com/peterstace/simplefeatures/geom"
)

// Heavy polygons: shapes like Natural Earth's 1:10m countries, whose
// full-resolution coasts made cold tiles slow (issue 13's benchmark).

// heavyCountries is n shapes over the region (44..80 E, 24..44 N), the
// same for the same seed: each a mainland of points points whose coast
// is a periodic random walk in radius round its centre (so it is
// star-shaped, hence simple, with capes, inlets and straits at every
// scale, as a fractal coast has), a lake in it and six islands off it.
func heavyCountries(n, points int, seed uint64) []geo.Feature {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]geo.Feature, n)
	for k := range n {
		cx := 44 + 36*(float64(k%4)+0.5)/4
		cy := 24 + 20*(float64(k/4%2)+0.5)/2
		const radius = 3.5 // degrees of latitude
		// Degrees of longitude are shorter; the map is affine, so the
		// rings stay simple.
		at := func(dx, dy float64) orb.Point { return orb.Point{cx + dx/math.Cos(cy*math.Pi/180), cy + dy} }
		star := func(x, y, rmin, rmax float64, m int) orb.Ring {
			walk := make([]float64, m+1)
			for i := 1; i <= m; i++ {
				walk[i] = walk[i-1] + r.NormFloat64()
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for i := range walk {
				walk[i] -= walk[m] * float64(i) / float64(m) // back to the start
				lo, hi = min(lo, walk[i]), max(hi, walk[i])
			}
			ring := make(orb.Ring, m+1)
			for i := range m {
				a := 2 * math.Pi * float64(i) / float64(m)
				rr := rmin + (rmax-rmin)*(walk[i]-lo)/(hi-lo)
				ring[i] = at(x+rr*math.Cos(a), y+rr*math.Sin(a))
			}
			ring[m] = ring[0]
			return ring
		}
		mp := orb.MultiPolygon{{star(0, 0, 0.5*radius, radius, points), star(0, 0, 0.1*radius, 0.3*radius, points/20)}}
		for j := range 6 {
			a := 2 * math.Pi * (float64(j) + r.Float64()*0.5) / 6
			mp = append(mp, orb.Polygon{star(1.15*radius*math.Cos(a), 1.15*radius*math.Sin(a), 0.02*radius, 0.1*radius, points/50)})
		}
		out[k] = geo.Feature{ID: fmt.Sprintf("heavy-%d", k), Geometry: mp, Properties: map[string]any{"name": fmt.Sprintf("Heavy %d", k)}}
	}
	return out
}

// heavyStore is a GeoPackage in dir holding heavyCountries(8, points, 1)
// as the layer "heavy", checked valid.
func heavyStore(t testing.TB, dir string, points int) (*gpkg.Store, []geo.Layer) {
	t.Helper()
	ctx := context.Background()
	features := heavyCountries(8, points, 1)
	for _, f := range features {
		for _, p := range f.Geometry.(orb.MultiPolygon) {
			if err := toSF(p).Validate(); err != nil {
				t.Fatalf("%s: %v", f.ID, err)
			}
		}
	}
	s, err := gpkg.Create(ctx, filepath.Join(dir, "heavy.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	schema := geo.Schema{GeometryType: "MULTIPOLYGON", HasID: true, Columns: []geo.Column{{Name: "name", Type: geo.Text}}}
	all := func(yield func(geo.Feature, error) bool) {
		for _, f := range features {
			if !yield(f, nil) {
				return
			}
		}
	}
	if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: "heavy"}, schema, all); err != nil {
		t.Fatal(err)
	}
	l, err := s.Layer(ctx, "heavy")
	if err != nil {
		t.Fatal(err)
	}
	return s, []geo.Layer{l}
}

// heavyRegion is the bound of heavyCountries, islands included.
var heavyRegion = orb.Bound{Min: orb.Point{42, 19}, Max: orb.Point{82, 49}}

// TestHeavyTilesKeepTheMVTRules: tiles of heavy coasts, from memory over
// the region z0 to z8 and from the store over z0 to z4, keep the MVT 2.1
// rules; and each shape's area in the tile is its true area there (the
// source cut exactly to the tile with simplefeatures) within what the
// quarter-pixel simplification can move: no piece is dropped or doubled.
func TestHeavyTilesKeepTheMVTRules(t *testing.T) {
	s, ls := heavyStore(t, t.TempDir(), 20000)
	index := &Encoder{Source: s, Index: NewIndex(s)}
	if err := index.Index.Warm(context.Background(), ls); err != nil {
		t.Fatal(err)
	}
	if index.Index.Held()["heavy"] == 0 {
		t.Fatal("the heavy layer is not held in memory")
	}
	var source []geo.Feature
	if err := s.Features(context.Background(), "heavy", geo.Query{}, func(f geo.Feature) error {
		source = append(source, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		e       *Encoder
		maxZoom int
	}{{"index", index, 8}, {"store", &Encoder{Source: s}, 4}} {
		t.Run(tc.name, func(t *testing.T) {
			tilesCut, compared := 0, 0
			for z := 0; z <= tc.maxZoom; z++ {
				for i, tile := range TilesCovering(heavyRegion, z) {
					b, err := tc.e.Encode(context.Background(), ls, tile)
					if err != nil {
						t.Fatal(err)
					}
					tilesCut++
					problems, err := validateMVT(b)
					if err != nil {
						t.Fatal(err)
					}
					if len(problems) > 0 {
						t.Errorf("tile %d/%d/%d: %v", tile.Z, tile.X, tile.Y, problems[0])
					}
					if z <= 6 && i%7 == 0 {
						compared += compareAreas(t, b, tile, source)
					}
				}
			}
			if compared < 20 {
				t.Errorf("only %d shapes compared", compared)
			}
			t.Logf("%d tiles, %d shapes' areas compared", tilesCut, compared)
		})
	}
}

// compareAreas checks the area of each shape of the tile b within the
// tile (its buffer left out) against the source's, and returns how many
// it compared.
func compareAreas(t *testing.T, b []byte, tile maptile.Tile, source []geo.Feature) int {
	t.Helper()
	l := decode(t, b)["heavy"]
	got := map[string]float64{}
	perimeter := map[string]float64{}
	if l != nil {
		for _, f := range l.Features {
			// Decoded, without projecting: tile units.
			id := f.Properties["id"].(string)
			mp, _ := asPolygons(f.Geometry)
			for _, p := range mp {
				a, per := areaInTile(t, p)
				got[id] += a
				perimeter[id] += per
			}
		}
	}
	n := 0
	for _, f := range source {
		var want float64
		for _, p := range f.Geometry.(orb.MultiPolygon) {
			q := ProjectGeometry(orb.Clone(p), func(p orb.Point) orb.Point {
				x, y := WorldPixel(p, uint32(tile.Z), Extent)
				return orb.Point{x - float64(tile.X)*Extent, y - float64(tile.Y)*Extent}
			}).(orb.Polygon)
			if !q.Bound().Intersects(tileBox) {
				continue
			}
			a, _ := areaInTile(t, q)
			want += a
		}
		if want == 0 && got[f.ID] == 0 {
			continue
		}
		n++
		// Simplification moves the outline by up to Tolerance, and the
		// grid by a unit: the area by that much times its length in the
		// tile, which the decoded outline gives.
		if slack := (Tolerance+1)*perimeter[f.ID] + 64; math.Abs(got[f.ID]-want) > slack {
			t.Errorf("tile %d/%d/%d, %s: area %.0f, the source's %.0f (slack %.0f)", tile.Z, tile.X, tile.Y, f.ID, got[f.ID], want, slack)
		}
	}
	return n
}

// areaInTile is the area of the valid polygon p (tile units) within the
// tile, without its buffer, and the length of its outline there.
func areaInTile(t *testing.T, p orb.Polygon) (area, perimeter float64) {
	t.Helper()
	box := sf.NewEnvelope(sf.XY{X: 0, Y: 0}, sf.XY{X: Extent, Y: Extent}).AsGeometry()
	cut, err := sf.Intersection(toSF(p).AsGeometry(), box)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range fromSF(cut) {
		area += polygonsArea(orb.MultiPolygon{orientPolygon(q)})
		for _, r := range q {
			for i := 0; i+1 < len(r); i++ {
				perimeter += math.Hypot(r[i+1][0]-r[i][0], r[i+1][1]-r[i][1])
			}
		}
	}
	return area, perimeter
}

// BenchmarkEncodeListHeavy is the cold tile path (no tile cache, the
// layer in memory) over bench/tiles.sh's tile list, of heavy coasts (8
// shapes of 40,000 points each).
func BenchmarkEncodeListHeavy(b *testing.B) {
	s, ls := heavyStore(b, b.TempDir(), 40000)
	e := &Encoder{Source: s, Index: NewIndex(s)}
	if err := e.Index.Warm(context.Background(), ls); err != nil {
		b.Fatal(err)
	}
	list := benchTiles()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := e.Encode(context.Background(), ls, list[i%len(list)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkIndexBuildHeavy is the one-off cost of holding the heavy
// coasts in memory: their levels simplified and made valid.
func BenchmarkIndexBuildHeavy(b *testing.B) {
	s, ls := heavyStore(b, b.TempDir(), 40000)
	b.ReportAllocs()
	for b.Loop() {
		if err := NewIndex(s).Warm(context.Background(), ls); err != nil {
			b.Fatal(err)
		}
	}
}
