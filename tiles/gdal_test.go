package tiles

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

type gdalCollection struct {
	Features []struct {
		Properties map[string]any `json:"properties"`
		Geometry   struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
	} `json:"features"`
}

// gdalDecode has GDAL's MVT driver read one layer of a tile we made,
// reprojected to lon/lat.
func gdalDecode(t *testing.T, b []byte, tile maptile.Tile, layer string) gdalCollection {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tile.mvt")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ogr2ogr", "-f", "GeoJSON", "-t_srs", "EPSG:4326", "/vsistdout/", path, layer,
		"-oo", "Z="+strconv.Itoa(int(tile.Z)), "-oo", "X="+strconv.Itoa(int(tile.X)), "-oo", "Y="+strconv.Itoa(int(tile.Y)), "-oo", "CLIP=NO")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ogr2ogr on tile %v layer %s: %v", tile, layer, err)
	}
	var fc gdalCollection
	if err := json.Unmarshal(out, &fc); err != nil {
		t.Fatalf("GDAL's GeoJSON: %v", err)
	}
	return fc
}

// TestGDALDecodesOurTiles: an independent MVT decoder (GDAL) reads tiles
// at z0, z5 and z10 with the features, properties and places of the source.
func TestGDALDecodesOurTiles(t *testing.T) { bothPaths(t, 0, testGDALDecodesOurTiles) }

func testGDALDecodesOurTiles(t *testing.T, e *Encoder) {
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		t.Fatal("ogr2ogr not found: install gdal-bin (make deps does)")
	}
	t.Run("z0 world: every attack with its id and toll", func(t *testing.T) {
		tile := maptile.New(0, 0, 0)
		fc := gdalDecode(t, encode(t, e, tile, "attacks", "borders"), tile, "attacks")
		src := layers(t, "attacks")[0]
		if int64(len(fc.Features)) != src.Count {
			t.Fatalf("GDAL reads %d attacks, the layer has %d", len(fc.Features), src.Count)
		}
		for _, f := range fc.Features {
			id, _ := f.Properties["id"].(string)
			want, err := testStore.Feature(t.Context(), "attacks", id)
			if err != nil {
				t.Fatalf("GDAL's feature id %q: %v", id, err)
			}
			if k, ok := want.Properties["killed"].(int64); ok && f.Properties["killed"] != float64(k) {
				t.Errorf("%s: killed %v, want %d", id, f.Properties["killed"], k)
			}
			var c [2]float64
			json.Unmarshal(f.Geometry.Coordinates, &c)
			p := want.Geometry.(orb.Point)
			tol := 360.0 / Extent * 1.5 // one z0 tile unit, with rounding
			if math.Abs(c[0]-p[0]) > tol || math.Abs(c[1]-p[1]) > tol*1.5 {
				t.Errorf("%s at %v, want %v", id, c, p)
			}
		}
	})
	t.Run("z5 across the antimeridian: borders end at 180", func(t *testing.T) {
		tile := maptile.At(orb.Point{179.5, 66}, 5) // Chukotka
		fc := gdalDecode(t, encode(t, e, tile, "borders"), tile, "borders")
		if len(fc.Features) == 0 {
			t.Fatal("no border at the antimeridian")
		}
		var names []string
		for _, f := range fc.Features {
			names = append(names, f.Properties["name"].(string))
			var polys [][][][2]float64
			if f.Geometry.Type == "Polygon" {
				var p [][][2]float64
				json.Unmarshal(f.Geometry.Coordinates, &p)
				polys = append(polys, p)
			} else {
				json.Unmarshal(f.Geometry.Coordinates, &polys)
			}
			for _, p := range polys {
				for _, r := range p {
					for _, c := range r {
						if c[0] < 168 || c[0] > 180.4 {
							t.Fatalf("%s has a point at lon %v, outside the tile and its buffer", names[len(names)-1], c[0])
						}
					}
				}
			}
		}
		if !slices.Contains(names, "Russia") {
			t.Errorf("the Chukotka tile lacks Russia: %v", names)
		}
	})
	t.Run("z5 polygon edge: the square's outline and hole", func(t *testing.T) {
		tile := maptile.At(orb.Point{63, 33}, 5)
		fc := gdalDecode(t, encode(t, e, tile, "square"), tile, "square")
		if len(fc.Features) != 1 || fc.Features[0].Geometry.Type != "MultiPolygon" {
			t.Fatalf("GDAL reads %d features", len(fc.Features))
		}
		var mp [][][][2]float64
		json.Unmarshal(fc.Features[0].Geometry.Coordinates, &mp)
		if len(mp) != 1 || len(mp[0]) != 2 {
			t.Fatalf("GDAL reads %d polygons, want one with an outline and a hole", len(mp))
		}
	})
	t.Run("z10 dense cluster: every point of the tile", func(t *testing.T) {
		tile := maptile.At(orb.Point{69.2, 34.5}, 10)
		b := encode(t, e, tile, "dense")
		fc := gdalDecode(t, b, tile, "dense")
		ours := decode(t, b)["dense"]
		if len(fc.Features) == 0 || len(fc.Features) != len(ours.Features) {
			t.Fatalf("GDAL reads %d points, orb %d", len(fc.Features), len(ours.Features))
		}
		for i, f := range fc.Features {
			if f.Properties["kind"] != ours.Features[i].Properties["kind"] {
				t.Fatalf("point %d: kind %v vs %v", i, f.Properties["kind"], ours.Features[i].Properties["kind"])
			}
		}
	})
}
