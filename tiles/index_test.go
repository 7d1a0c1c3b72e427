package tiles

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
)

// bothPaths runs a test of tiles once cut from the store tile by tile and
// once from the layers held in memory (Index).
func bothPaths(t *testing.T, maxPoints int, test func(*testing.T, *Encoder)) {
	t.Run("store", func(t *testing.T) { test(t, &Encoder{Source: testStore, MaxPoints: maxPoints}) })
	t.Run("index", func(t *testing.T) {
		test(t, &Encoder{Source: testStore, MaxPoints: maxPoints, Index: loadedIndex(t, NewIndex(testStore))})
	})
}

// loadedIndex returns x once every layer of the test store is in it (or
// known to be over its limits).
func loadedIndex(t testing.TB, x *Index) *Index {
	t.Helper()
	ls, err := testStore.Layers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Warm(context.Background(), ls); err != nil {
		t.Fatal(err)
	}
	return x
}

// TestIndexMatchesStoreForPoints: point tiles from memory are the very
// bytes of those cut from the store: same points, same thinning, same
// properties, same key and value tables.
func TestIndexMatchesStoreForPoints(t *testing.T) {
	kabul := orb.Point{69.2, 34.5}
	tiles := []maptile.Tile{maptile.New(0, 0, 0), maptile.At(kabul, 4), maptile.At(kabul, 6), maptile.At(kabul, 8), maptile.At(orb.Point{69.19, 34.52}, MaxZoom)}
	for _, maxPoints := range []int{0, 100} {
		store := &Encoder{Source: testStore, MaxPoints: maxPoints}
		index := &Encoder{Source: testStore, MaxPoints: maxPoints, Index: loadedIndex(t, NewIndex(testStore))}
		for _, layer := range []string{"attacks", "cities", "dense"} {
			for _, tile := range tiles {
				t.Run(fmt.Sprintf("%s %d/%d/%d max %d", layer, tile.Z, tile.X, tile.Y, maxPoints), func(t *testing.T) {
					want, got := encode(t, store, tile, layer), encode(t, index, tile, layer)
					if string(got) != string(want) {
						t.Fatalf("from memory %d bytes, from the store %d bytes, and they differ", len(got), len(want))
					}
				})
			}
		}
	}
	// Several layers in one tile, mixing points and shapes.
	store, index := &Encoder{Source: testStore}, &Encoder{Source: testStore, Index: loadedIndex(t, NewIndex(testStore))}
	tile := maptile.At(kabul, 5)
	want := decode(t, encode(t, store, tile, "attacks", "borders", "cities"))
	got := decode(t, encode(t, index, tile, "attacks", "borders", "cities"))
	for _, name := range []string{"attacks", "cities"} {
		if len(got[name].Features) != len(want[name].Features) {
			t.Fatalf("%s: %d features from memory, %d from the store", name, len(got[name].Features), len(want[name].Features))
		}
		for i := range want[name].Features {
			if !maps.Equal(got[name].Features[i].Properties, want[name].Features[i].Properties) {
				t.Errorf("%s feature %d: properties %v, want %v", name, i, got[name].Features[i].Properties, want[name].Features[i].Properties)
			}
		}
	}
}

// TestIndexMatchesStoreForShapes: shapes from memory are simplified in
// advance, so their vertices may differ a little from the store's, but
// each tile holds the same features with the same properties and the
// same area to within a few tile units.
func TestIndexMatchesStoreForShapes(t *testing.T) {
	store, index := &Encoder{Source: testStore}, &Encoder{Source: testStore, Index: loadedIndex(t, NewIndex(testStore))}
	var tiles []maptile.Tile
	for z := maptile.Zoom(0); z <= 10; z += 2 {
		tiles = append(tiles, maptile.At(orb.Point{69.2, 34.5}, z), maptile.At(orb.Point{63, 33}, z), maptile.At(orb.Point{179.5, 66}, z))
	}
	doc := `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","geometry":{"type":"MultiLineString","coordinates":[[[60,30],[65,32],[70,35],[75,33]],[[-170,60],[-160,62]],[[62,36],[68,33.5]]]},"properties":{"name":"two in the region, one far"}},
{"type":"Feature","id":"b","geometry":{"type":"LineString","coordinates":[[69.1,34.4],[69.3,34.6],[69.25,34.45]]},"properties":{"name":"short"}}]}`
	if _, err := testStore.ImportGeoJSON(context.Background(), geo.LayerInfo{Name: "lines"}, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, layer := range []string{"borders", "khorasan", "square", "lines"} {
		for _, tile := range tiles {
			t.Run(fmt.Sprintf("%s %d/%d/%d", layer, tile.Z, tile.X, tile.Y), func(t *testing.T) {
				want, got := decode(t, encode(t, store, tile, layer))[layer], decode(t, encode(t, index, tile, layer))[layer]
				if want == nil || got == nil {
					if want != got {
						t.Fatalf("from memory %v, from the store %v", got != nil, want != nil)
					}
					return
				}
				// Features under a pixel (256 square units) may be kept by
				// one path and dropped by the other: they fall on either
				// side of tidy's limit.
				const speck = 256
				byID := map[any]int{}
				for i, f := range want.Features {
					byID[f.ID] = i
				}
				matched := map[any]bool{}
				for _, f := range got.Features {
					i, ok := byID[f.ID]
					if !ok {
						if a := math.Abs(planar.Area(f.Geometry)); a > speck {
							t.Errorf("feature %v (%.0f square units) is not in the store's tile", f.ID, a)
						}
						continue
					}
					matched[f.ID] = true
					w := want.Features[i]
					if !maps.Equal(f.Properties, w.Properties) {
						t.Errorf("feature %v: properties %v, want %v", f.ID, f.Properties, w.Properties)
					}
					if w.Geometry.Dimensions() == 1 {
						lines++
						// Each end of each part may move by a few units, and
						// where a line leaves the tile the store cuts it in
						// degrees, memory in Mercator, a little apart.
						parts := 1
						if ml, ok := w.Geometry.(orb.MultiLineString); ok {
							parts = len(ml)
						}
						if got, want := planar.Length(f.Geometry), planar.Length(w.Geometry); math.Abs(got-want) > max(16*float64(parts), want/100) {
							t.Errorf("feature %v: length %.0f, want %.0f", f.ID, got, want)
						}
						continue
					}
					ga, wa := math.Abs(planar.Area(f.Geometry)), math.Abs(planar.Area(w.Geometry))
					// Both are simplified to a quarter pixel (4 units): their
					// areas differ by about that times the outline's length.
					if perimeter := 4 * math.Sqrt(wa); math.Abs(ga-wa) > 4*perimeter+64 {
						t.Errorf("feature %v: area %.0f, want %.0f", f.ID, ga, wa)
					}
				}
				for _, w := range want.Features {
					if a := math.Abs(planar.Area(w.Geometry)); !matched[w.ID] && a > speck {
						t.Errorf("feature %v (%.0f square units) is missing from memory's tile", w.ID, a)
					}
				}
			})
		}
	}
	if lines == 0 {
		t.Error("no line was compared")
	}
}

// TestIndexFollowsLayerVersion: a rewritten layer's tiles show the new
// data at once (from the store while the new version loads, then from
// memory), and only that layer is loaded again.
func TestIndexFollowsLayerVersion(t *testing.T) {
	ctx := context.Background()
	schema := geo.Schema{GeometryType: "POINT", Columns: []geo.Column{{Name: "n", Type: geo.Integer}}}
	write := func(p orb.Point, n int64) {
		t.Helper()
		one := func(yield func(geo.Feature, error) bool) {
			yield(geo.Feature{Geometry: p, Properties: map[string]any{"n": n}}, nil)
		}
		if _, err := testStore.ReplaceLayer(ctx, geo.LayerInfo{Name: "moving"}, schema, one); err != nil {
			t.Fatal(err)
		}
	}
	write(orb.Point{60, 30}, 1)
	e := &Encoder{Source: testStore, Index: loadedIndex(t, NewIndex(testStore))}
	world := maptile.New(0, 0, 0)
	only := func() map[string]any {
		t.Helper()
		l := decode(t, encode(t, e, world, "moving", "attacks"))["moving"]
		if l == nil || len(l.Features) != 1 {
			t.Fatalf("want one feature, got %v", l)
		}
		return l.Features[0].Properties
	}
	if got := only()["n"]; got != float64(1) {
		t.Fatalf("n = %v, want 1", got)
	}
	before := e.Index.layers["moving"]
	attacks := e.Index.layers["attacks"]
	write(orb.Point{70, 35}, 2)
	if got := only()["n"]; got != float64(2) {
		t.Fatalf("after the rewrite n = %v, want 2", got)
	}
	loadedIndex(t, e.Index)
	if after := e.Index.layers["moving"]; after == before || after.layer == nil {
		t.Fatal("the rewritten layer was not loaded again")
	}
	if got := only()["n"]; got != float64(2) {
		t.Fatalf("from memory, after the rewrite n = %v, want 2", got)
	}
	if e.Index.layers["attacks"] != attacks {
		t.Error("rewriting one layer reloaded another")
	}
}

// TestIndexLimits: layers over the limits are cut from the store.
func TestIndexLimits(t *testing.T) {
	ctx := context.Background()
	dense := layers(t, "dense")[0]
	for _, tc := range []struct {
		name                  string
		maxFeatures, vertices int
		held                  bool
	}{
		{"within both", 1 << 20, 1 << 20, true},
		{"too many features", 10, 1 << 20, false},
		{"too many vertices", 1 << 20, 10, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := NewIndex(testStore)
			x.maxFeatures, x.maxVertices = int64(tc.maxFeatures), tc.vertices
			loadedIndex(t, x)
			il := x.layer(ctx, dense)
			if (il != nil) != tc.held {
				t.Fatalf("held in memory: %v, want %v", il != nil, tc.held)
			}
			e := &Encoder{Source: testStore, Index: x, MaxPoints: 100}
			want := encode(t, &Encoder{Source: testStore, MaxPoints: 100}, maptile.At(orb.Point{69.2, 34.5}, 5), "dense")
			if got := encode(t, e, maptile.At(orb.Point{69.2, 34.5}, 5), "dense"); string(got) != string(want) {
				t.Error("the tile differs from the store's")
			}
		})
	}
}

// TestIndexConcurrentFirstUse: many tiles asked at once of layers not yet
// in memory come out right (from the store while they load), start one
// load each, and once loaded the same tiles, asked at once again, come
// out the same from memory.
func TestIndexConcurrentFirstUse(t *testing.T) {
	store := &Encoder{Source: testStore}
	index := &Encoder{Source: testStore, Index: NewIndex(testStore)}
	list := benchTiles()
	want := make([][]byte, len(list))
	for i, tile := range list {
		want[i] = encode(t, store, tile, "dense", "attacks")
	}
	all := func() {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, len(list))
		for i, tile := range list {
			wg.Go(func() {
				got, err := index.Encode(context.Background(), layers(t, "dense", "attacks"), tile)
				if err != nil {
					errs <- err
				} else if string(got) != string(want[i]) {
					errs <- fmt.Errorf("tile %v differs from the store's", tile)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
	all()
	if n := len(slices.Collect(maps.Keys(index.Index.layers))); n != 2 {
		t.Errorf("%d layers loading or loaded, want 2", n)
	}
	if err := index.Index.Warm(context.Background(), layers(t, "dense", "attacks")); err != nil {
		t.Fatal(err)
	}
	if held := index.Index.Held(); held["dense"] == 0 || held["attacks"] == 0 {
		t.Fatalf("in memory: %v", held)
	}
	all()
}

// TestIndexAndStoreLayersInOneTile: a tile joining a layer in memory and
// one over the limits (cut from the store) is the store's tile, byte for
// byte.
func TestIndexAndStoreLayersInOneTile(t *testing.T) {
	x := NewIndex(testStore)
	x.maxFeatures = 1000 // dense (5,000 points) stays on disk, attacks and cities load
	loadedIndex(t, x)
	e := &Encoder{Source: testStore, Index: x, MaxPoints: 100}
	store := &Encoder{Source: testStore, MaxPoints: 100}
	for _, tile := range []maptile.Tile{maptile.New(0, 0, 0), maptile.At(orb.Point{69.2, 34.5}, 6)} {
		want := encode(t, store, tile, "dense", "attacks", "cities")
		if got := encode(t, e, tile, "dense", "attacks", "cities"); string(got) != string(want) {
			t.Errorf("tile %v: %d bytes, the store's %d, and they differ", tile, len(got), len(want))
		}
	}
	if held := x.Held(); held["dense"] != 0 || held["attacks"] == 0 || held["cities"] == 0 {
		t.Errorf("in memory: %v, want attacks and cities but not dense", held)
	}
}
