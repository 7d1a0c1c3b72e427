package gpkg

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/ingest"
)

func textSource(name, text string) ingest.Source {
	return ingest.Source{Name: name, Size: int64(len(text)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(text)), nil
	}}
}

func importText(t *testing.T, s *Store, layer string, mode ingest.Mode, name, text string, opts ...func(*ingest.ImportOptions, *ingest.Source)) (*ingest.Report, error) {
	t.Helper()
	src := textSource(name, text)
	opt := ingest.ImportOptions{Layer: geo.LayerInfo{Name: layer}, Mode: mode, Actor: "test"}
	for _, o := range opts {
		o(&opt, &src)
	}
	return s.Import(context.Background(), src, opt)
}

// Importing into khorasan_audit used to pass the name check, find the
// audit table in gpkg_contents on the second pass and ask to "run the
// import again", which could never succeed. Every name the store uses is
// refused up front, in every mode and dry run or not, and nothing changes.
func TestImportRefusesReservedNames(t *testing.T) {
	s := newStore(t)
	csv := "id,lat,lon,name\na,34,69,Kabul\n"
	if _, err := importText(t, s, "places", ingest.ModeCreate, "p.csv", csv); err != nil {
		t.Fatal(err)
	}
	before, err := s.History(context.Background(), geo.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"khorasan_audit", "KHORASAN_AUDIT", "khorasan_audit_feature", "khorasan_other", "gpkg_contents", "gpkg_metadata", "rtree_places_geom", "sqlite_sequence", "Sqlite_stat1"} {
		for _, mode := range []ingest.Mode{ingest.ModeCreate, ingest.ModeAppend, ingest.ModeUpsert, ingest.ModeReplace} {
			for _, dry := range []bool{false, true} {
				_, err := importText(t, s, name, mode, "p.csv", csv, func(o *ingest.ImportOptions, _ *ingest.Source) { o.DryRun = dry })
				var inv *geo.InvalidError
				if !errors.As(err, &inv) || inv.Where != "layer name" || !strings.Contains(err.Error(), "reserved") || !strings.Contains(err.Error(), name) {
					t.Errorf("%s, %s, dry run %v: %v, want an InvalidError naming the layer as reserved", name, mode, dry, err)
				}
			}
		}
	}
	after, err := s.History(context.Background(), geo.HistoryQuery{})
	if err != nil || len(after) != len(before) {
		t.Errorf("history grew from %d to %d entries (%v)", len(before), len(after), err)
	}
	integrityCheck(t, s)
	// Names that only look alike are layers like any other.
	for _, name := range []string{"khorasan", "khorasanaudit", "my_khorasan_audit", "gpkg"} {
		if _, err := importText(t, s, name, ingest.ModeCreate, "p.csv", csv); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Bulk writes lower the writer's page cache for their transaction
// only, dry run or not. (The modes themselves: the store contract's
// ImportModes, geo/storetest, with the same imports.)
func TestImportRestoresPageCache(t *testing.T) {
	s := newStore(t)
	csv1 := "id,lat,lon,name,count\na,34,69,Kabul,1\nb,34.3,62.2,Herat,2\n"
	if _, err := importText(t, s, "places", ingest.ModeCreate, "p.csv", csv1); err != nil {
		t.Fatal(err)
	}
	if _, err := importText(t, s, "places", ingest.ModeAppend, "p.csv", "id,lat,lon,name,count,note\nc,36.7,67.1,Mazar,3,north\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := importText(t, s, "places", ingest.ModeAppend, "p.csv", "id,lat,lon\na,1,1\n"); err == nil {
		t.Fatal("append of an existing id accepted")
	}
	if _, err := importText(t, s, "places", ingest.ModeUpsert, "p.csv", "id,lat,lon,count\na,34,69,10\nb,34.3,62.2,2\nd,31.6,65.7,4\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := importText(t, s, "places", ingest.ModeReplace, "p.csv", csv1, func(o *ingest.ImportOptions, _ *ingest.Source) { o.DryRun = true }); err != nil {
		t.Fatal(err)
	}
	if _, err := importText(t, s, "places", ingest.ModeReplace, "p.csv", csv1); err != nil {
		t.Fatal(err)
	}
	integrityCheck(t, s)
	var cache int64
	if err := s.writer.QueryRow(`PRAGMA cache_size`).Scan(&cache); err != nil || cache != -65536 {
		t.Errorf("writer cache_size %d after imports, %v", cache, err)
	}
}
