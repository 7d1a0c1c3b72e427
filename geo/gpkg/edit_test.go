package gpkg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/mattn/go-sqlite3"
	"github.com/paulmach/orb"
)

func TestFeatureEdits(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := importText(t, s, "places", ingest.ModeCreate, "p.csv", "id,lat,lon,name,n\na,34,69,Kabul,1\n"); err != nil {
		t.Fatal(err)
	}
	f, schema, err := s.CreateFeature(ctx, "places", geo.Feature{Geometry: orb.Point{62.2, 34.3}, Properties: map[string]any{"name": "Herat", "n": int64(2)}}, "alice")
	if err != nil || f.ID == "" || f.Properties["name"] != "Herat" {
		t.Fatalf("create: %v %v", f, err)
	}
	if _, _, err := s.CreateFeature(ctx, "places", geo.Feature{ID: "a", Geometry: orb.Point{1, 1}}, "alice"); !errors.Is(err, geo.ErrConflict) {
		t.Errorf("create with a taken id: %v", err)
	}
	if _, _, err := s.CreateFeature(ctx, "places", geo.Feature{Geometry: orb.Point{1, 1}, Properties: map[string]any{"nope": 1.5}}, "alice"); !geo.IsInvalid(err) {
		t.Errorf("unknown property: %v", err)
	}
	if _, _, err := s.CreateFeature(ctx, "places", geo.Feature{Geometry: orb.Point{1, 100}}, "alice"); !geo.IsInvalid(err) {
		t.Errorf("latitude 100: %v", err)
	}
	etag, _ := geojson.ETag(f, schema)
	// An update whose precondition holds, then one whose does not.
	check := func(want string) func(geo.Feature, geo.Schema) (geo.Feature, error) {
		return func(old geo.Feature, sc geo.Schema) (geo.Feature, error) {
			if tag, _ := geojson.ETag(old, sc); tag != want {
				return geo.Feature{}, geo.ErrPrecondition
			}
			old.Properties["n"] = old.Properties["n"].(int64) + 10
			return old, nil
		}
	}
	g, _, err := s.UpdateFeature(ctx, "places", f.ID, "bob", check(etag))
	if err != nil || g.Properties["n"] != int64(12) {
		t.Fatalf("update: %v %v", g, err)
	}
	if _, _, err := s.UpdateFeature(ctx, "places", f.ID, "bob", check(etag)); !errors.Is(err, geo.ErrPrecondition) {
		t.Errorf("stale update: %v", err)
	}
	if _, _, err := s.UpdateFeature(ctx, "places", "nope", "bob", check(etag)); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("missing feature: %v", err)
	}
	if err := s.DeleteFeature(ctx, "places", "a", "carol", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Feature(ctx, "places", "a"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("deleted feature: %v", err)
	}
	h, _ := s.History(ctx, geo.HistoryQuery{Layer: "places"})
	var got []string
	for _, e := range h {
		got = append(got, e.Actor+" "+e.Action)
	}
	if strings.Join(got, ", ") != "carol delete, bob update, alice create, test import" {
		t.Errorf("history %q", got)
	}
	integrityCheck(t, s)
}

// The contract (geo/storetest, TestContract) tests concurrent updates
// and the attacks layer's rules on edits, for both stores.

func TestBackupWhileWriting(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := importText(t, s, "c", ingest.ModeCreate, "c.csv", "id,lat,lon,n\nx,1,1,0\n"); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			s.CreateFeature(ctx, "c", geo.Feature{Geometry: orb.Point{float64(i % 90), 2}, Properties: map[string]any{"n": int64(i)}}, "w")
		}
	}()
	out := filepath.Join(t.TempDir(), "backup.gpkg")
	if err := s.Backup(ctx, out); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := s.Backup(ctx, out); err == nil {
		t.Error("backup over an existing file")
	}
	if _, err := os.Stat(out + "-wal"); err == nil {
		t.Error("the backup has a -wal file")
	}
	b, err := Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
	if l, err := b.Layer(ctx, "c"); err != nil || l.Count < 1 {
		t.Errorf("backup layer: %v %v", l, err)
	}
	if ogrinfo, err := exec.LookPath("ogrinfo"); err == nil {
		if msg, err := exec.Command(ogrinfo, "-ro", "-q", out).CombinedOutput(); err != nil || strings.Contains(string(msg), "ERROR") {
			t.Errorf("ogrinfo: %v %s", err, msg)
		}
	} else {
		t.Error("ogrinfo not found: install gdal-bin (make deps)")
	}
	layer := filepath.Join(t.TempDir(), "layer.gpkg")
	if err := s.ExportLayer(ctx, "c", layer); err != nil {
		t.Fatal(err)
	}
	e, err := Open(ctx, layer)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if l, err := e.Layer(ctx, "c"); err != nil || l.Count != 51 {
		t.Errorf("exported layer: %d features, %v", l.Count, err)
	}
}

func TestIsBusy(t *testing.T) {
	if !IsBusy(fmt.Errorf("write: %w", sqlite3.Error{Code: sqlite3.ErrBusy})) || IsBusy(errors.New("x")) {
		t.Error("IsBusy")
	}
}

// TestBusyIsErrBusy: the server knows no SQLite; a busy write reaches it
// as geo.ErrBusy (a 503 with Retry-After), still carrying SQLite's error.
func TestBusyIsErrBusy(t *testing.T) {
	err := busy(fmt.Errorf("write: %w", sqlite3.Error{Code: sqlite3.ErrLocked}))
	if !errors.Is(err, geo.ErrBusy) || !IsBusy(err) {
		t.Errorf("busy(SQLITE_LOCKED) = %v: not geo.ErrBusy", err)
	}
	if other := errors.New("x"); busy(other) != other || busy(nil) != nil {
		t.Error("busy changed an error that is not SQLite's busy")
	}
}
