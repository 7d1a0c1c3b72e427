package tiles

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// testStore is one GeoPackage for the package's tests: the embedded
// default layers, a dense cluster of points around Kabul ("dense", with a
// killed column) and a square ("square") for the seam test.
var testStore *geo.Store

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tiles-test-")
	if err != nil {
		panic(err)
	}
	code := 1
	func() {
		defer os.RemoveAll(dir)
		ctx := context.Background()
		s, err := geo.Create(ctx, filepath.Join(dir, "test.gpkg"))
		if err != nil {
			panic(err)
		}
		defer s.Close()
		if err := seedDefault(ctx, s); err != nil {
			panic(err)
		}
		if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: "dense", Title: "Dense"}, denseSchema, densePoints(5000, 1)); err != nil {
			panic(err)
		}
		square := `{"type":"Feature","id":"sq","geometry":{"type":"Polygon","coordinates":[[[60,30],[70,30],[70,40],[60,40],[60,30]],[[62,32],[62,34],[64,34],[64,32],[62,32]]]},"properties":{"name":"square"}}`
		if _, err := s.ImportGeoJSON(ctx, geo.LayerInfo{Name: "square"}, []byte(square)); err != nil {
			panic(err)
		}
		testStore = s
		code = m.Run()
	}()
	os.Exit(code)
}

func seedDefault(ctx context.Context, s *geo.Store) error {
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

func layers(t testing.TB, names ...string) []geo.Layer {
	t.Helper()
	var out []geo.Layer
	for _, n := range names {
		l, err := testStore.Layer(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// spreadPoints is n points over the region (44..80 E, 24..44 N) shaped
// like bench/genpoints's events, the same for the same seed.
func spreadPoints(n int, seed uint64) iter.Seq2[geo.Feature, error] {
	return func(yield func(geo.Feature, error) bool) {
		r := rand.New(rand.NewPCG(seed, 3))
		start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range n {
			f := geo.Feature{
				ID:       fmt.Sprintf("synthetic-%d", i),
				Geometry: orb.Point{44 + 36*r.Float64(), 24 + 20*r.Float64()},
				Properties: map[string]any{
					"date":        start.AddDate(0, 0, r.IntN(3650)).Format(time.DateOnly),
					"killed":      int64(r.IntN(60)),
					"attribution": []string{"claimed", "attributed", "disputed"}[r.IntN(3)],
					"synthetic":   true,
				},
			}
			if !yield(f, nil) {
				return
			}
		}
	}
}

var spreadSchema = geo.Schema{GeometryType: "POINT", HasID: true, Columns: []geo.Column{
	{Name: "date", Type: geo.Date}, {Name: "killed", Type: geo.Integer},
	{Name: "attribution", Type: geo.Text}, {Name: "synthetic", Type: geo.Boolean}}}
