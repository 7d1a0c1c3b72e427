package gpkg

import (
	"context"
	"errors"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/storetest"
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
	schema, err := storetest.InferSchema(fs, order)
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
