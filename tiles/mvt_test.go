package tiles

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
)

func TestCheck(t *testing.T) {
	cases := map[string]struct {
		z, x, y, max int
		where        string // "" when valid
	}{
		"z0 is the world":             {0, 0, 0, 14, ""},
		"last tile of z14":            {14, 16383, 16383, 14, ""},
		"negative y is rejected":      {3, 1, -1, 14, "y"},
		"negative x is rejected":      {3, -1, 1, 14, "x"},
		"negative z is rejected":      {-1, 0, 0, 14, "z"},
		"x of 2^z is rejected":        {3, 8, 0, 14, "x"},
		"y of 2^z is rejected":        {3, 0, 8, 14, "y"},
		"zoom beyond max is rejected": {15, 0, 0, 14, "z"},
		"basemap stops at its max":    {11, 0, 0, BasemapMaxZoom, "z"},
		"huge zoom does not overflow": {1 << 30, 0, 0, 14, "z"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			tile, err := Check(c.z, c.x, c.y, c.max)
			if c.where == "" {
				if err != nil || tile != maptile.New(uint32(c.x), uint32(c.y), maptile.Zoom(c.z)) {
					t.Fatalf("got %v, %v", tile, err)
				}
				return
			}
			var ie *geo.InvalidError
			if !errors.As(err, &ie) || ie.Where != c.where {
				t.Fatalf("got %v, want an invalid %s", err, c.where)
			}
		})
	}
}

func decode(t testing.TB, b []byte) map[string]*mvt.Layer {
	t.Helper()
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*mvt.Layer{}
	for _, l := range ls {
		out[l.Name] = l
	}
	return out
}

func encode(t testing.TB, e *Encoder, tile maptile.Tile, names ...string) []byte {
	t.Helper()
	b, err := e.Encode(context.Background(), layers(t, names...), tile)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeKeepsIDsPropertiesAndOrder(t *testing.T) {
	bothPaths(t, 0, testEncodeKeepsIDsPropertiesAndOrder)
}

func testEncodeKeepsIDsPropertiesAndOrder(t *testing.T, e *Encoder) {
	kabul := maptile.At(orb.Point{69.2, 34.5}, 5)
	b := encode(t, e, kabul, "cities", "attacks", "borders")
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Name)
	}
	if len(names) != 3 || names[0] != "attacks" || names[1] != "borders" || names[2] != "cities" {
		t.Fatalf("layers %v, want attacks, borders, cities in name order", names)
	}
	again := encode(t, e, kabul, "borders", "cities", "attacks")
	if string(again) != string(b) {
		t.Error("the same tile asked with the layers in another order has other bytes")
	}
	src, err := testStore.Feature(context.Background(), "attacks", "2021-08-26-kabul-airport")
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range ls[0].Features {
		if f.Properties["id"] != src.ID {
			continue
		}
		found = true
		if f.ID != float64(FeatureID(src.ID)) {
			t.Errorf("MVT id %v, want the hash of the string id", f.ID)
		}
		for k, v := range src.Properties {
			got, ok := f.Properties[k]
			switch v := v.(type) {
			case nil:
				if ok {
					t.Errorf("null property %s was encoded as %v", k, got)
				}
			case int64:
				if got != float64(v) {
					t.Errorf("%s = %#v, want %v", k, got, v)
				}
			default:
				if got != v {
					t.Errorf("%s = %#v, want %#v", k, got, v)
				}
			}
		}
	}
	if !found {
		t.Error("the Kabul airport attack is not in its z5 tile")
	}
	for _, f := range ls[1].Features {
		if id, ok := f.ID.(float64); !ok || id < 1 {
			t.Fatalf("border feature without its fid as MVT id: %#v", f.ID)
		}
		if _, ok := f.Properties["id"]; ok {
			t.Fatal("a fid layer got an id property")
		}
	}
}

func TestEmptyTileIsZeroBytes(t *testing.T) { bothPaths(t, 0, testEmptyTileIsZeroBytes) }

func testEmptyTileIsZeroBytes(t *testing.T, e *Encoder) {
	// Open Pacific at z8: no attack, no city.
	b := encode(t, e, maptile.At(orb.Point{-140, -30}, 8), "attacks", "cities")
	if len(b) != 0 {
		t.Fatalf("empty tile has %d bytes", len(b))
	}
}

func TestDenseClusterIsThinnedBySeverity(t *testing.T) {
	bothPaths(t, 100, testDenseClusterIsThinnedBySeverity)
}

func testDenseClusterIsThinnedBySeverity(t *testing.T, e *Encoder) {
	tile := maptile.At(orb.Point{69.2, 34.5}, 4)
	ls := decode(t, encode(t, e, tile, "dense"))
	feats := ls["dense"].Features
	if len(feats) != 100 {
		t.Fatalf("%d points at z4, want the 100 kept", len(feats))
	}
	// The kept ones are the most severe: all killed >= every dropped one.
	minKept := math.Inf(1)
	for _, f := range feats {
		minKept = math.Min(minKept, f.Properties["killed"].(float64))
	}
	var above int
	testStore.Features(context.Background(), "dense", geo.Query{}, func(f geo.Feature) error {
		if float64(f.Properties["killed"].(int64)) > minKept {
			above++
		}
		return nil
	})
	if above > 100 {
		t.Errorf("%d points are more severe than the least severe kept one", above)
	}
	// At the max zoom nothing is thinned.
	total := 0
	for _, tt := range TilesCovering(orb.Bound{Min: orb.Point{69.0, 34.3}, Max: orb.Point{69.02, 34.32}}, MaxZoom) {
		ls := decode(t, encode(t, e, tt, "dense"))
		if l := ls["dense"]; l != nil {
			total += len(l.Features)
		}
	}
	if total == 0 {
		t.Error("no points at z14")
	}
}

// TestPolygonSplitOverTwoTilesHasNoSeam: the square (with a hole) lies
// over the edge between two z4 tiles; each tile's part, clipped to its own
// square, adds up to the whole, and both run on into the buffer.
func TestPolygonSplitOverTwoTilesHasNoSeam(t *testing.T) {
	bothPaths(t, 0, testPolygonSplitOverTwoTilesHasNoSeam)
}

func testPolygonSplitOverTwoTilesHasNoSeam(t *testing.T, e *Encoder) {
	// At z4 tiles are 22.5 degrees wide: x=11 covers 67.5..90, x=10 45..67.5.
	left, right := maptile.New(10, 6, 4), maptile.New(11, 6, 4)
	partL := decode(t, encode(t, e, left, "square"))["square"].Features[0].Geometry
	partR := decode(t, encode(t, e, right, "square"))["square"].Features[0].Geometry
	if b := partL.Bound(); b.Max[0] <= Extent {
		t.Errorf("left part ends at %v, not in the buffer past the edge", b.Max[0])
	}
	if b := partR.Bound(); b.Min[0] >= 0 {
		t.Errorf("right part starts at %v, not in the buffer before the edge", b.Min[0])
	}
	inside := orb.Bound{Max: orb.Point{Extent, Extent}}
	got := planar.Area(clip.Geometry(inside, partL)) + planar.Area(clip.Geometry(inside, partR))
	// The whole square in z4 tile units, with its hole.
	var want float64
	sq := orb.Polygon{{{60, 30}, {70, 30}, {70, 40}, {60, 40}, {60, 30}}, {{62, 32}, {62, 34}, {64, 34}, {64, 32}, {62, 32}}}
	for i, r := range sq {
		pr := make(orb.Ring, len(r))
		for j, p := range r {
			x, y := WorldPixel(p, 4, Extent)
			pr[j] = orb.Point{x, y}
		}
		a := math.Abs(planar.Area(pr))
		if i > 0 {
			a = -a
		}
		want += a
	}
	if math.Abs(got-want)/want > 0.002 {
		t.Errorf("the two halves cover %.0f square units, the square %.0f", got, want)
	}
	// Where the halves meet, they share the edge: the right half's points
	// on x=0 are the left half's on x=Extent.
	edge := func(g orb.Geometry, x float64) map[float64]bool {
		ys := map[float64]bool{}
		for _, r := range clip.Geometry(inside, g).(orb.Polygon) {
			for _, p := range r {
				if p[0] == x {
					ys[p[1]] = true
				}
			}
		}
		return ys
	}
	l, r := edge(partL, Extent), edge(partR, 0)
	if len(l) == 0 || len(l) != len(r) {
		t.Fatalf("edge points differ: left %v right %v", l, r)
	}
	for y := range l {
		if !r[y] {
			t.Errorf("left edge point y=%v has no match on the right", y)
		}
	}
}

func TestPolygonRingsAreWoundForMVT(t *testing.T) { bothPaths(t, 0, testPolygonRingsAreWoundForMVT) }

func testPolygonRingsAreWoundForMVT(t *testing.T, e *Encoder) {
	for _, f := range decode(t, encode(t, e, maptile.At(orb.Point{63, 33}, 5), "square"))["square"].Features {
		p := f.Geometry.(orb.Polygon)
		if SignedArea(p[0]) <= 0 {
			t.Error("exterior ring has a negative area")
		}
		for _, h := range p[1:] {
			if SignedArea(h) >= 0 {
				t.Error("hole has a positive area")
			}
		}
	}
}

func BenchmarkEncodeBordersZ5(b *testing.B) {
	e := &Encoder{Source: testStore}
	ls := layers(b, "borders")
	tile := maptile.At(orb.Point{69.2, 34.5}, 5)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Encode(context.Background(), ls, tile); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeDenseZ6(b *testing.B) {
	e := &Encoder{Source: testStore}
	ls := layers(b, "dense")
	tile := maptile.At(orb.Point{69.2, 34.5}, 6)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Encode(context.Background(), ls, tile); err != nil {
			b.Fatal(err)
		}
	}
}
