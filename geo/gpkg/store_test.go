package gpkg

import (
	"context"
	"errors"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// newStore creates a GeoPackage in a fresh temporary directory, with
// the default data's profiles (the attacks layer's rules).
func newStore(t *testing.T) *Store {
	t.Helper()
	ds, err := data.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Create(context.Background(), filepath.Join(t.TempDir(), "test.gpkg"), WithDataset(ds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func seq(fs []geo.Feature) iter.Seq2[geo.Feature, error] {
	return func(yield func(geo.Feature, error) bool) {
		for _, f := range fs {
			if !yield(f, nil) {
				return
			}
		}
	}
}

func replace(t *testing.T, s *Store, name string, fs []geo.Feature, order []string) {
	t.Helper()
	schema, err := inferSchema(fs, order)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplaceLayer(context.Background(), geo.LayerInfo{Name: name}, schema, seq(fs)); err != nil {
		t.Fatal(err)
	}
}

func all(t *testing.T, s *Store, layer string, q geo.Query) []geo.Feature {
	t.Helper()
	var got []geo.Feature
	if err := s.Features(context.Background(), layer, q, func(f geo.Feature) error {
		got = append(got, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestRoundTrip(t *testing.T) {
	square := orb.Ring{{60, 30}, {61, 30}, {61, 31}, {60, 31}, {60, 30}}
	hole := orb.Ring{{60.2, 30.2}, {60.2, 30.4}, {60.4, 30.4}, {60.4, 30.2}, {60.2, 30.2}}
	geometries := map[string]orb.Geometry{
		"point":           orb.Point{69.17233, 34.52813},
		"linestring":      orb.LineString{{60, 30}, {61.5, 31.25}},
		"polygon":         orb.Polygon{square, hole},
		"multipoint":      orb.MultiPoint{{60, 30}, {-179.5, -89}},
		"multilinestring": orb.MultiLineString{{{60, 30}, {61, 31}}, {{62, 32}, {63, 33}}},
		"multipolygon":    orb.MultiPolygon{{square}, {{{179, 0}, {180, 0}, {180, 1}, {179, 0}}}},
		"collection":      orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}},
	}
	props := map[string]any{
		"name":    "Kabul \"city\" ✓",
		"killed":  int64(33),
		"ratio":   1.5,
		"claimed": true,
		"date":    "2015-04-18",
		"at":      "2015-04-18T10:00:00Z",
		"missing": nil,
	}
	order := []string{"name", "killed", "ratio", "claimed", "date", "at", "missing"}
	for name, g := range geometries {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			in := []geo.Feature{{ID: "a", Geometry: g, Properties: props}, {ID: "b", Geometry: nil, Properties: map[string]any{}}}
			replace(t, s, "layer", in, order)
			got := all(t, s, "layer", geo.Query{})
			if len(got) != 2 {
				t.Fatalf("got %d features, want 2", len(got))
			}
			if !reflect.DeepEqual(got[0].Geometry, g) {
				t.Errorf("geometry: got %#v, want %#v", got[0].Geometry, g)
			}
			want := map[string]any{}
			for k, v := range props {
				want[k] = v
			}
			if !reflect.DeepEqual(got[0].Properties, want) {
				t.Errorf("properties: got %#v, want %#v", got[0].Properties, want)
			}
			if got[0].ID != "a" || got[1].ID != "b" || got[1].Geometry != nil {
				t.Errorf("ids or empty geometry wrong: %+v", got)
			}
			l, err := s.Layer(context.Background(), "layer")
			if err != nil {
				t.Fatal(err)
			}
			wantTypes := []geo.ColumnType{geo.Text, geo.Integer, geo.Real, geo.Boolean, geo.Date, geo.DateTime, geo.Text}
			var types []geo.ColumnType
			for _, c := range l.Schema.Columns {
				types = append(types, c.Type)
			}
			if !slices.Equal(types, wantTypes) {
				t.Errorf("column types: got %v, want %v", types, wantTypes)
			}
			if l.Bounds != g.Bound() {
				t.Errorf("bounds: got %v, want %v", l.Bounds, g.Bound())
			}
			one, err := s.Feature(context.Background(), "layer", "a")
			if err != nil || !reflect.DeepEqual(one.Geometry, g) {
				t.Errorf("Feature(a) = %+v, %v", one, err)
			}
		})
	}
}

func TestBBoxMatchesBruteForce(t *testing.T) {
	s := newStore(t)
	rng := rand.New(rand.NewPCG(1, 2))
	fs := make([]geo.Feature, 10000)
	for i := range fs {
		fs[i] = geo.Feature{Geometry: orb.Point{rng.Float64()*360 - 180, rng.Float64()*180 - 90}, Properties: map[string]any{"i": int64(i)}}
	}
	replace(t, s, "points", fs, nil)
	boxes := map[string]orb.Bound{
		"region":      {Min: orb.Point{50, 25}, Max: orb.Point{75, 42}},
		"whole world": {Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}},
		"thin strip":  {Min: orb.Point{-180, 10}, Max: orb.Point{180, 10.05}},
		"empty area":  {Min: orb.Point{1, 1}, Max: orb.Point{1.0001, 1.0001}},
		// edges on exact coordinates: inclusive, and finer than float32
		"edge on a point": {Min: fs[7].Geometry.(orb.Point), Max: orb.Point{fs[7].Geometry.(orb.Point)[0] + 1e-9, fs[7].Geometry.(orb.Point)[1] + 1e-9}},
	}
	for name, b := range boxes {
		t.Run(name, func(t *testing.T) {
			var want []int64
			for _, f := range fs {
				if b.Contains(f.Geometry.(orb.Point)) {
					want = append(want, f.Properties["i"].(int64))
				}
			}
			var got []int64
			for _, f := range all(t, s, "points", geo.Query{BBox: &b}) {
				got = append(got, f.Properties["i"].(int64))
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %d features, want %d", len(got), len(want))
			}
			n, err := s.Count(context.Background(), "points", geo.Query{BBox: &b})
			if err != nil || n != int64(len(want)) {
				t.Errorf("Count = %d, %v; want %d", n, err, len(want))
			}
		})
	}
}

func TestFailedImportLeavesNoTrace(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	good := []geo.Feature{{ID: "x", Geometry: orb.Point{1, 2}, Properties: map[string]any{"n": int64(1)}}}
	replace(t, s, "layer", good, nil)
	before := all(t, s, "layer", geo.Query{})

	bad := make([]geo.Feature, 100)
	for i := range bad {
		bad[i] = geo.Feature{ID: string(rune('a'+i%26)) + string(rune('a'+i/26)), Geometry: orb.Point{10, float64(i % 80)}, Properties: map[string]any{"n": int64(i)}}
	}
	bad[60].Geometry = orb.Point{10, 200}
	cases := map[string]struct {
		layer    string
		features []geo.Feature
	}{
		"replace an existing layer": {"layer", bad},
		"create a new layer":        {"fresh", bad},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			schema, err := inferSchema(c.features, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.ReplaceLayer(ctx, geo.LayerInfo{Name: c.layer}, schema, seq(c.features))
			if !geo.IsInvalid(err) {
				t.Fatalf("err = %v, want an invalid-input error", err)
			}
			if got := all(t, s, "layer", geo.Query{}); !reflect.DeepEqual(got, before) {
				t.Errorf("layer changed: %+v", got)
			}
			layers, err := s.Layers(ctx)
			if err != nil || len(layers) != 1 {
				t.Errorf("Layers = %v, %v; want only the first layer", layers, err)
			}
		})
	}
}

func TestOpenRefusesWhatIsNotAGeoPackage(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][]byte{
		"text file":    []byte("hello, this is not a database\n"),
		"empty file":   {},
		"random bytes": randomBytes(8192),
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".gpkg")
			if err := os.WriteFile(path, content, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Open(context.Background(), path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			t.Log(err)
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := Open(context.Background(), filepath.Join(dir, "nope.gpkg"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v, want not exist", err)
		}
	})
}

func randomBytes(n int) []byte {
	rng := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func TestAnotherWriterIsSeen(t *testing.T) {
	ctx := context.Background()
	a := newStore(t)
	replace(t, a, "layer", []geo.Feature{{Geometry: orb.Point{1, 2}, Properties: map[string]any{"old": "x"}}}, nil)
	if l, err := a.Layer(ctx, "layer"); err != nil || l.Schema.Columns[0].Name != "old" {
		t.Fatalf("%+v, %v", l, err)
	}
	b, err := Open(ctx, a.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	replace(t, b, "layer", []geo.Feature{{Geometry: orb.Point{3, 4}, Properties: map[string]any{"new": int64(1)}}, {Geometry: orb.Point{5, 6}}}, nil)
	// Within the recheck interval, a query that no longer fits the table
	// is retried with the table as it is now.
	if got := all(t, a, "layer", geo.Query{}); len(got) != 2 || got[0].Properties["new"] != int64(1) {
		t.Errorf("features right after the other write: %+v", got)
	}
	a.recheck = 0 // and after it, the description itself is fresh
	l, err := a.Layer(ctx, "layer")
	if err != nil || len(l.Schema.Columns) != 1 || l.Schema.Columns[0].Name != "new" || l.Count != 2 {
		t.Errorf("the first store still sees %+v, %v", l, err)
	}
	if got := all(t, a, "layer", geo.Query{}); len(got) != 2 || got[0].Properties["new"] != int64(1) {
		t.Errorf("features %+v", got)
	}
}

func TestWritesLeaveAWholeFile(t *testing.T) {
	s := newStore(t)
	for range 3 {
		replace(t, s, "layer", []geo.Feature{{Geometry: orb.Point{1, 2}}}, nil)
	}
	if fi, err := os.Stat(s.Path() + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("the WAL holds %d bytes after a write; the .gpkg alone is not complete", fi.Size())
	}
	var n int
	if err := s.reader.QueryRow(`SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_metadata'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("gpkg_metadata extension rows: %d, %v; want 2", n, err)
	}
}
