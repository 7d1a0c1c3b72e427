// Package tiletest holds what the tests of tiles and its subpackages share:
// the GeoPackage they draw from and golden-image checks; it imports data, geo
// and geo/gpkg.
package tiletest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/paulmach/orb"
)

// Open creates dir/test.gpkg with the embedded default layers, a dense
// cluster of points around Kabul ("dense", with a killed column) and a
// square with a hole ("square") for the seam test.
func Open(ctx context.Context, dir string) (*gpkg.Store, error) {
	ds, err := data.Dataset()
	if err != nil {
		return nil, err
	}
	s, err := gpkg.Create(ctx, filepath.Join(dir, "test.gpkg"), gpkg.WithDataset(ds))
	if err != nil {
		return nil, err
	}
	if err := seed(ctx, s); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func seed(ctx context.Context, s *gpkg.Store) error {
	if err := seedDefault(ctx, s); err != nil {
		return err
	}
	if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: "dense", Title: "Dense"}, denseSchema, densePoints(5000, 1)); err != nil {
		return err
	}
	square := `{"type":"Feature","id":"sq","geometry":{"type":"Polygon","coordinates":[[[60,30],[70,30],[70,40],[60,40],[60,30]],[[62,32],[62,34],[64,34],[64,32],[62,32]]]},"properties":{"name":"square"}}`
	_, err := s.ImportGeoJSON(ctx, geo.LayerInfo{Name: "square"}, []byte(square))
	return err
}

// Main runs a package's tests (a TestMain's m) against one store made
// by Open in a temporary directory, handed to use before they run, and
// returns the exit code.
func Main(m *testing.M, use func(*gpkg.Store)) int {
	dir, err := os.MkdirTemp("", "tiles-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	s, err := Open(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "test store:", err)
		return 1
	}
	defer s.Close()
	use(s)
	return m.Run()
}

// Basemap names the default data's basemap layers (borders, cities), as
// the server gives them to the renderers.
func Basemap(t testing.TB) (borders, cities string) {
	t.Helper()
	ds, err := data.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	return ds.Basemap.Borders, ds.Basemap.Cities
}

// Detail is the basemap's physical and cultural detail, as the server
// gives it to the renderers (data.Basemap()).
func Detail() fs.FS { return data.Basemap() }

// Layers reads the named layers of s.
func Layers(t testing.TB, s *gpkg.Store, names ...string) []geo.Layer {
	t.Helper()
	var out []geo.Layer
	for _, n := range names {
		l, err := s.Layer(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// DecodePNG decodes a PNG or fails the test.
func DecodePNG(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func seedDefault(ctx context.Context, s *gpkg.Store) error {
	raw, err := fs.ReadFile(data.FS, "layers.json")
	if err != nil {
		return err
	}
	var manifest []struct{ Name, Title, Description, Attribution, File string }
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return err
	}
	for _, m := range manifest {
		doc, err := fs.ReadFile(data.FS, m.File)
		if err != nil {
			return err
		}
		if _, err := s.ImportGeoJSON(ctx, geo.LayerInfo{Name: m.Name, Title: m.Title, Description: m.Description, Attribution: m.Attribution}, doc); err != nil {
			return fmt.Errorf("%s: %w", m.File, err)
		}
	}
	return nil
}

var denseSchema = geo.Schema{GeometryType: "POINT", Columns: []geo.Column{{Name: "killed", Type: geo.Integer}, {Name: "kind", Type: geo.Text}}}

// densePoints is n points in a 1-degree box around Kabul, the same for
// the same seed.
func densePoints(n int, seed uint64) iter.Seq2[geo.Feature, error] {
	return func(yield func(geo.Feature, error) bool) {
		r := rand.New(rand.NewPCG(seed, 2))
		for i := range n {
			f := geo.Feature{
				Geometry:   orb.Point{68.7 + r.Float64(), 34.0 + r.Float64()},
				Properties: map[string]any{"killed": int64(r.IntN(200)), "kind": []string{"a", "b", "c"}[i%3]},
			}
			if !yield(f, nil) {
				return
			}
		}
	}
}

// CheckGolden compares img with testdata/name, or writes it there under
// -update: at most 0.5% of its pixels may differ by more than 24 in a
// channel. A differing image is written to the temporary directory for a
// look.
func CheckGolden(t *testing.T, img image.Image, name, pkg, test string, update bool) {
	t.Helper()
	path := filepath.Join("testdata", name)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test %s -run %s -update to create it)", err, pkg, test)
	}
	if frac := Differing(img, DecodePNG(t, raw), 24); frac > 0.005 {
		out := filepath.Join(os.TempDir(), "khorasan-"+name)
		os.WriteFile(out, buf.Bytes(), 0o644)
		t.Errorf("%.2f%% of pixels differ from %s (new image: %s); look at it and run with -update if it is right", frac*100, path, out)
	}
}

// Differing is the share of pixels of a and b that differ by more than
// tol in a channel (1 when their sizes differ).
func Differing(a, b image.Image, tol int) float64 {
	if a.Bounds() != b.Bounds() {
		return 1
	}
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c1 := color.RGBAModel.Convert(a.At(x, y)).(color.RGBA)
			c2 := color.RGBAModel.Convert(b.At(x, y)).(color.RGBA)
			if AbsDiff(c1.R, c2.R) > tol || AbsDiff(c1.G, c2.G) > tol || AbsDiff(c1.B, c2.B) > tol {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}

// AbsDiff is |a-b|.
func AbsDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
