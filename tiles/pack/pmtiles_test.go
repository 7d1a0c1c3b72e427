package pack

import (
	"testing"

	"github.com/paulmach/orb/maptile"
)

// TestTileIDFollowsTheSpec: the PMTiles v3 spec's ids for z0 and z1 (the
// Hilbert curve starts at the top left and ends at the top right), and
// the first id of each zoom.
func TestTileIDFollowsTheSpec(t *testing.T) {
	cases := map[maptile.Tile]uint64{
		maptile.New(0, 0, 0):  0,
		maptile.New(0, 0, 1):  1,
		maptile.New(0, 1, 1):  2,
		maptile.New(1, 1, 1):  3,
		maptile.New(1, 0, 1):  4,
		maptile.New(0, 0, 2):  5,
		maptile.New(0, 0, 3):  21,
		maptile.New(0, 0, 12): 5592405,
	}
	for tile, want := range cases {
		if got := TileID(tile); got != want {
			t.Errorf("TileID(%v) = %d, want %d", tile, got, want)
		}
	}
	seen := map[uint64]bool{}
	for x := uint32(0); x < 8; x++ {
		for y := uint32(0); y < 8; y++ {
			id := TileID(maptile.New(x, y, 3))
			if id < 21 || id >= 85 || seen[id] {
				t.Fatalf("z3 id %d of %d/%d is out of range or repeated", id, x, y)
			}
			seen[id] = true
		}
	}
}
