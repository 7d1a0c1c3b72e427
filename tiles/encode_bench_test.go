package tiles

import (
	"context"
	"sync"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// benchTiles is bench/tiles.sh's list: for z3..z8, the tiles around Kabul
// and Mashhad.
func benchTiles() []maptile.Tile {
	var out []maptile.Tile
	seen := map[maptile.Tile]bool{}
	for z := maptile.Zoom(3); z <= 8; z++ {
		for _, p := range []orb.Point{{69.2, 34.5}, {59.6, 36.3}} {
			t := maptile.At(p, z)
			maxDY := uint32(0)
			if z >= 6 {
				maxDY = 1
			}
			for dx := uint32(0); dx <= 1; dx++ {
				for dy := uint32(0); dy <= maxDY; dy++ {
					n := maptile.New(t.X+dx, t.Y+dy, z)
					if !seen[n] {
						seen[n] = true
						out = append(out, n)
					}
				}
			}
		}
	}
	return out
}

var spreadOnce sync.Once

// spreadLayer is bench/genpoints's shape of load: 100,000 points over the
// region (44..80 E, 24..44 N) with a killed column.
func spreadLayer(b *testing.B) []geo.Layer {
	spreadOnce.Do(func() {
		if _, err := testStore.ReplaceLayer(context.Background(), geo.LayerInfo{Name: "spread"}, spreadSchema, spreadPoints(100000, 1)); err != nil {
			b.Fatal(err)
		}
	})
	return layers(b, "spread")
}

func benchmarkTileList(b *testing.B, ls []geo.Layer, indexed bool) {
	e := &Encoder{Source: testStore}
	if indexed {
		e.Index = NewIndex(testStore)
		if err := e.Index.Warm(context.Background(), ls); err != nil {
			b.Fatal(err)
		}
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

// The cold tile path (no tile cache) over bench/tiles.sh's tile list,
// with the layers in memory (Index) and read from SQLite tile by tile.
func BenchmarkEncodeListBorders(b *testing.B) { benchmarkTileList(b, layers(b, "borders"), true) }
func BenchmarkEncodeListSpread(b *testing.B)  { benchmarkTileList(b, spreadLayer(b), true) }
func BenchmarkEncodeListBordersFromStore(b *testing.B) {
	benchmarkTileList(b, layers(b, "borders"), false)
}
func BenchmarkEncodeListSpreadFromStore(b *testing.B) { benchmarkTileList(b, spreadLayer(b), false) }

// BenchmarkIndexBuildSpread is the one-off cost of holding 100,000 points
// in memory.
func BenchmarkIndexBuildSpread(b *testing.B) {
	ls := spreadLayer(b)
	for b.Loop() {
		if err := NewIndex(testStore).Warm(context.Background(), ls); err != nil {
			b.Fatal(err)
		}
	}
}
