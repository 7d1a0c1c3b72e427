package ingest_test

// The pipeline's tests run through a real GeoPackage store (gpkg.Store,
// which imports through ingest) on files in t.TempDir(). The imports'
// behaviour through a store (modes, dry run, refusals, the audit log, the
// profiles' exports) is the store contract's, which every store runs:
// geo/storetest's import.go.

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/geo/ingest"
)

// newStore creates a GeoPackage in a fresh temporary directory, with
// the default data's profiles (the attacks layer's rules).
func newStore(t *testing.T) *gpkg.Store {
	t.Helper()
	ds, err := data.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	s, err := gpkg.Create(context.Background(), filepath.Join(t.TempDir(), "test.gpkg"), gpkg.WithDataset(ds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func textSource(name, text string) ingest.Source {
	return ingest.Source{Name: name, Size: int64(len(text)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(text)), nil
	}}
}

func importText(t *testing.T, s *gpkg.Store, layer string, mode ingest.Mode, name, text string, opts ...func(*ingest.ImportOptions, *ingest.Source)) (*ingest.Report, error) {
	t.Helper()
	src := textSource(name, text)
	opt := ingest.ImportOptions{Layer: geo.LayerInfo{Name: layer}, Mode: mode, Actor: "test"}
	for _, o := range opts {
		o(&opt, &src)
	}
	return s.Import(context.Background(), src, opt)
}

// TestImportRefusesUnknownDateOrder pins date-order=ymd (or any other
// word), which read as no order: the import went ahead and refused every
// 02/01/2006 date as ambiguous, or took a file without such dates as if
// the option were fine.
func TestImportRefusesUnknownDateOrder(t *testing.T) {
	s := newStore(t)
	for _, order := range []string{"ymd", "DMY ", "x"} {
		t.Run(order, func(t *testing.T) {
			_, err := importText(t, s, "orders", ingest.ModeCreate, "o.csv", "id,lat,lon,date\na,1,2,02/01/2006\n", func(_ *ingest.ImportOptions, src *ingest.Source) {
				src.CSV.DateOrder = order
			})
			if !geo.IsInvalid(err) || !strings.Contains(err.Error(), "date-order") {
				t.Fatalf("got %v, want an input error naming date-order", err)
			}
		})
	}
	for _, order := range []string{"dmy", "MDY", ""} {
		if _, err := importText(t, s, "orders_"+strings.ToLower(order), ingest.ModeCreate, "o.csv", "id,lat,lon,date\na,1,2,2006-01-02\n", func(_ *ingest.ImportOptions, src *ingest.Source) {
			src.CSV.DateOrder = order
		}); err != nil {
			t.Errorf("date order %q: %v", order, err)
		}
	}
}
