package tiles

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt/vectortile"
)

// commandStream builds a geometry command stream from absolute points:
// each part is a command id and its points (ClosePath takes none).
type part struct {
	id  uint32
	pts [][2]int64
}

func commandStream(parts ...part) []uint32 {
	var out []uint32
	var cur [2]int64
	zz := func(v int64) uint32 { return uint32((v << 1) ^ (v >> 63)) }
	for _, p := range parts {
		n := uint32(len(p.pts))
		if p.id == cmdClosePath {
			n = 1
		}
		out = append(out, n<<3|p.id)
		for _, q := range p.pts {
			out = append(out, zz(q[0]-cur[0]), zz(q[1]-cur[1]))
			cur = q
		}
	}
	return out
}

func moveTo(pts ...[2]int64) part { return part{cmdMoveTo, pts} }
func lineTo(pts ...[2]int64) part { return part{cmdLineTo, pts} }
func closePath() part             { return part{cmdClosePath, nil} }

// ringParts is a ring as MVT writes it: MoveTo the first point, LineTo
// the rest, ClosePath.
func ringParts(pts ...[2]int64) []part {
	return []part{moveTo(pts[0]), lineTo(pts[1:]...), closePath()}
}

func reversed(pts [][2]int64) [][2]int64 {
	out := slices.Clone(pts)
	slices.Reverse(out)
	return out
}

// TestValidatorCatchesEachRule: the validator is only worth its verdict
// over the region if it rejects each kind of bad geometry, and accepts
// good ones.
func TestValidatorCatchesEachRule(t *testing.T) {
	square := [][2]int64{{0, 0}, {100, 0}, {100, 100}, {0, 100}}
	hole := [][2]int64{{20, 20}, {20, 80}, {80, 80}, {80, 20}}
	cases := map[string]struct {
		typ   vectortile.Tile_GeomType
		parts []part
		want  string // "" when valid
	}{
		"clockwise square is a valid exterior": {vectortile.Tile_POLYGON, ringParts(square...), ""},
		"square with a hole wound the other way": {vectortile.Tile_POLYGON,
			append(ringParts(square...), ringParts(hole...)...), ""},
		"two points make a line":           {vectortile.Tile_LINESTRING, []part{moveTo([2]int64{0, 0}), lineTo([2]int64{5, 5})}, ""},
		"several points in one MoveTo":     {vectortile.Tile_POINT, []part{moveTo([2]int64{1, 1}, [2]int64{2, 2})}, ""},
		"counter-clockwise exterior":       {vectortile.Tile_POLYGON, ringParts(reversed(square)...), ruleWinding},
		"ring closes on its first point":   {vectortile.Tile_POLYGON, ringParts(append(slices.Clone(square), square[0])...), ruleRepeatFirst},
		"LineTo of (0, 0) in a ring":       {vectortile.Tile_POLYGON, ringParts(square[0], square[1], square[1], square[2], square[3]), ruleZeroLength},
		"LineTo of (0, 0) in a line":       {vectortile.Tile_LINESTRING, []part{moveTo([2]int64{0, 0}), lineTo([2]int64{5, 5}, [2]int64{5, 5})}, ruleZeroLength},
		"bow tie":                          {vectortile.Tile_POLYGON, ringParts([2]int64{0, 0}, [2]int64{100, 100}, [2]int64{100, 0}, [2]int64{0, 60}), ruleSelfCross},
		"ring touching itself at a vertex": {vectortile.Tile_POLYGON, ringParts([2]int64{0, 0}, [2]int64{50, 0}, [2]int64{50, 50}, [2]int64{60, 50}, [2]int64{60, 100}, [2]int64{40, 100}, [2]int64{40, 50}, [2]int64{50, 50}, [2]int64{50, 60}, [2]int64{0, 60}), ruleSelfCross},
		"spike folding back on its edge":   {vectortile.Tile_POLYGON, ringParts([2]int64{0, 0}, [2]int64{100, 0}, [2]int64{150, 0}, [2]int64{100, 0}, [2]int64{100, 100}, [2]int64{0, 100}), ruleSelfCross},
		"ring of three collinear points":   {vectortile.Tile_POLYGON, ringParts([2]int64{0, 0}, [2]int64{5, 5}, [2]int64{10, 10}), ruleDegenerate},
		"ring of two LineTo points only":   {vectortile.Tile_POLYGON, []part{moveTo([2]int64{0, 0}), lineTo([2]int64{5, 0}), closePath()}, ruleCommands},
		"polygon without ClosePath":        {vectortile.Tile_POLYGON, []part{moveTo([2]int64{0, 0}), lineTo([2]int64{5, 0}, [2]int64{5, 5}), moveTo([2]int64{9, 9})}, ruleCommands},
		"line with two points in MoveTo":   {vectortile.Tile_LINESTRING, []part{moveTo([2]int64{0, 0}, [2]int64{1, 1}), lineTo([2]int64{5, 5})}, ruleCommands},
		"point far outside the tile":       {vectortile.Tile_POINT, []part{moveTo([2]int64{Extent * 3, 0})}, ruleExtent},
		"point feature with a LineTo":      {vectortile.Tile_POINT, []part{moveTo([2]int64{1, 1}), lineTo([2]int64{2, 2})}, ruleCommands},
		"unknown geometry type":            {vectortile.Tile_UNKNOWN, []part{moveTo([2]int64{1, 1})}, ruleCommands},
		"second polygon wound as exterior": {vectortile.Tile_POLYGON, append(ringParts(square...), ringParts([2]int64{200, 0}, [2]int64{300, 0}, [2]int64{300, 100})...), ""},
		"line back over itself is allowed": {vectortile.Tile_LINESTRING, []part{moveTo([2]int64{0, 0}), lineTo([2]int64{5, 0}, [2]int64{0, 0})}, ""},
		"ClosePath with a count of 2":      {vectortile.Tile_POLYGON, nil, ruleCommands},
		"parameters cut short":             {vectortile.Tile_LINESTRING, nil, ruleCommands},
	}
	raw := map[string][]uint32{
		"ClosePath with a count of 2": append(commandStream(moveTo([2]int64{0, 0}), lineTo([2]int64{5, 0}, [2]int64{5, 5})), 2<<3|cmdClosePath),
		"parameters cut short":        commandStream(moveTo([2]int64{0, 0}), lineTo([2]int64{5, 0}, [2]int64{5, 5}))[:5],
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			geom := commandStream(c.parts...)
			if r, ok := raw[name]; ok {
				geom = r
			}
			got := validateGeometry(c.typ, geom, Extent)
			if c.want == "" {
				if len(got) > 0 {
					t.Fatalf("valid geometry rejected: %v", got)
				}
				return
			}
			for _, p := range got {
				if p[0] == c.want {
					return
				}
			}
			t.Fatalf("want %q, got %v", c.want, got)
		})
	}
}

// TestEveryRegionTileKeepsTheMVTRules cuts every tile from z0 to z8 over
// the region of the default data, for each default layer on its own, and
// validates each against the MVT 2.1 rules (mvtvalid_test.go). Strict
// clients found zero-length segments at tile edges, rings repeating their
// first point, and rings the encoder made self-intersecting.
func TestEveryRegionTileKeepsTheMVTRules(t *testing.T) {
	bothPaths(t, 0, testEveryRegionTileKeepsTheMVTRules)
}

// defaultLayerNames is the layers of data/layers.json.
func defaultLayerNames(t testing.TB) []string {
	raw, err := fs.ReadFile(data.FS, "layers.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest []struct{ Name string }
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range manifest {
		names = append(names, m.Name)
	}
	return names
}

// regionBound is the union of the default layers' bounds, leaving out
// layers that span most of the world (the borders give context far
// beyond the region).
func regionBound(t testing.TB) orb.Bound {
	var b orb.Bound
	found := false
	for _, l := range layers(t, defaultLayerNames(t)...) {
		if l.Count == 0 || l.Bounds.Max[0]-l.Bounds.Min[0] > 180 {
			continue
		}
		if !found {
			b, found = l.Bounds, true
		} else {
			b = b.Union(l.Bounds)
		}
	}
	if !found {
		t.Fatal("no default layer gives the region")
	}
	return b
}

func testEveryRegionTileKeepsTheMVTRules(t *testing.T, e *Encoder) {
	region := regionBound(t)
	const maxZoom = 8
	tilesCut := 0
	for _, name := range defaultLayerNames(t) {
		t.Run(name, func(t *testing.T) {
			ls := layers(t, name)
			badTiles := map[string]int{} // rule → tiles breaking it
			var examples []string
			for z := 0; z <= maxZoom; z++ {
				for _, tile := range TilesCovering(region, z) {
					b, err := e.Encode(t.Context(), ls, tile)
					if err != nil {
						t.Fatalf("tile %d/%d/%d: %v", tile.Z, tile.X, tile.Y, err)
					}
					tilesCut++
					problems, err := validateMVT(b)
					if err != nil {
						t.Fatalf("tile %d/%d/%d does not decode: %v", tile.Z, tile.X, tile.Y, err)
					}
					seen := map[string]bool{}
					for _, p := range problems {
						if !seen[p.rule] {
							seen[p.rule] = true
							badTiles[p.rule]++
							if len(examples) < 20 {
								examples = append(examples, fmt.Sprintf("%d/%d/%d %v", tile.Z, tile.X, tile.Y, p))
							}
						}
					}
				}
			}
			if len(badTiles) > 0 {
				var summary []string
				for _, rule := range slices.Sorted(maps.Keys(badTiles)) {
					summary = append(summary, fmt.Sprintf("%d tiles: %s", badTiles[rule], rule))
				}
				t.Errorf("layer %s breaks MVT rules:\n  %s\nfirst cases:\n  %s", name,
					strings.Join(summary, "\n  "), strings.Join(examples, "\n  "))
			}
		})
	}
	t.Logf("validated %d tiles over %v, z0 to z%d", tilesCut, region, maxZoom)
}
