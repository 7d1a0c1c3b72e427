package storecopy_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/geo/postgis"
	"github.com/khorasan/khorasan/geo/storecopy"
	"github.com/khorasan/khorasan/internal/pgtest"
)

// cluster is the package's throwaway PostgreSQL; each PostGIS hop gets a
// database of its own.
var cluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }

// store is what the round trip reads and writes.
type store interface {
	storecopy.Source
	storecopy.Target
	Close() error
}

// source is a GeoPackage with the default layers and an audit log: one
// feature edited, one created.
func source(t *testing.T) *gpkg.Store {
	t.Helper()
	ctx := context.Background()
	ds, err := data.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	s, err := gpkg.Create(ctx, filepath.Join(t.TempDir(), "source.gpkg"), gpkg.WithDataset(ds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var manifest []struct {
		Name, Title, Description, File, Attribution, Updated string
	}
	b, err := data.FS.ReadFile("layers.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	for _, m := range manifest {
		doc, err := data.FS.ReadFile(m.File)
		if err != nil {
			t.Fatal(err)
		}
		info := geo.LayerInfo{Name: m.Name, Title: m.Title, Description: m.Description, Attribution: m.Attribution, Version: "v-" + m.Name}
		if m.Updated != "" {
			info.Updated, _ = time.Parse(time.DateOnly, m.Updated)
		}
		if _, err := s.ImportGeoJSON(ctx, info, doc); err != nil {
			t.Fatal(err)
		}
	}
	var one geo.Feature
	stop := context.Canceled
	err = s.Features(ctx, "khorasan", geo.Query{Limit: 1}, func(f geo.Feature) error { one = f; return stop })
	if err != nil && err != stop {
		t.Fatal(err)
	}
	if _, _, err := s.UpdateFeature(ctx, "khorasan", one.ID, "test", func(old geo.Feature, _ geo.Schema) (geo.Feature, error) {
		old.Properties["name"] = "renamed by the test"
		return old, nil
	}); err != nil {
		t.Fatal(err)
	}
	// A profile stored with a layer is copied with it.
	places := geo.Profile{Kind: geo.KindPlaces, Label: "name", Popup: []string{"name"},
		Categories: []geo.Category{{Property: "anchor", Title: "Anchor city", Values: []string{"true", "false"}, Colors: map[string]string{"true": "#7b4b22"}}}}
	if _, err := s.SetProfile(ctx, "cities", &places, "test"); err != nil {
		t.Fatal(err)
	}
	return s
}

// everything is what a store holds: the layers as listed and their
// features in order, and the audit log without its numbering.
func everything(t *testing.T, s storecopy.Source) (layers []geo.Layer, features map[string][]geo.Feature, audit []geo.AuditEntry) {
	t.Helper()
	ctx := context.Background()
	layers, err := s.Layers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	features = map[string][]geo.Feature{}
	for _, l := range layers {
		if err := s.Features(ctx, l.Name, geo.Query{}, func(f geo.Feature) error {
			features[l.Name] = append(features[l.Name], f)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.EachAudit(ctx, func(e geo.AuditEntry) error {
		e.ID = 0
		audit = append(audit, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return layers, features, audit
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	ds, err := data.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	newGPKG := func(t *testing.T, name string) store {
		s, err := gpkg.Create(ctx, filepath.Join(t.TempDir(), name), gpkg.WithDataset(ds))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	newPostGIS := func(t *testing.T, _ string) store {
		s, err := postgis.Open(ctx, cluster.Database(t), postgis.WithDataset(ds))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	cases := map[string][]func(t *testing.T, name string) store{
		"GeoPackage to GeoPackage":       {newGPKG},
		"through a second GeoPackage":    {newGPKG, newGPKG},
		"GeoPackage to PostGIS and back": {newPostGIS, newGPKG},
		"through two PostGIS databases":  {newPostGIS, newPostGIS, newGPKG},
	}
	for name, hops := range cases {
		t.Run(name, func(t *testing.T) {
			src := source(t)
			wantLayers, wantFeatures, wantAudit := everything(t, src)
			if len(wantAudit) == 0 {
				t.Fatal("the source has no audit log to copy")
			}
			if i := slices.IndexFunc(wantLayers, func(l geo.Layer) bool { return l.StoredProfile != nil }); i < 0 {
				t.Fatal("the source has no stored profile to copy")
			}
			var from storecopy.Source = src
			for i, hop := range hops {
				dst := hop(t, "hop"+string(rune('0'+i))+".gpkg")
				rep, err := storecopy.Copy(ctx, dst, from)
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Layers) != len(wantLayers) || rep.Audit != int64(len(wantAudit)) {
					t.Fatalf("copied %d layers and %d audit entries, want %d and %d", len(rep.Layers), rep.Audit, len(wantLayers), len(wantAudit))
				}
				if i < len(hops)-1 {
					// Each store on the way holds the same as the source.
					t.Run("hop "+string(rune('1'+i)), func(t *testing.T) { same(t, dst, wantLayers, wantFeatures, wantAudit) })
				}
				from = dst
			}
			same(t, from, wantLayers, wantFeatures, wantAudit)
		})
	}
}

// same checks that s holds what the source held: the layers as listed,
// their features in order, and the audit log.
func same(t *testing.T, s storecopy.Source, wantLayers []geo.Layer, wantFeatures map[string][]geo.Feature, wantAudit []geo.AuditEntry) {
	t.Helper()
	gotLayers, gotFeatures, gotAudit := everything(t, s)
	if !reflect.DeepEqual(gotLayers, wantLayers) {
		for i := range min(len(gotLayers), len(wantLayers)) {
			if !reflect.DeepEqual(gotLayers[i], wantLayers[i]) {
				t.Errorf("layer %d:\n got %+v\nwant %+v", i, gotLayers[i], wantLayers[i])
			}
		}
		t.Fatalf("layers differ (%d, want %d)", len(gotLayers), len(wantLayers))
	}
	for _, l := range wantLayers {
		if !reflect.DeepEqual(gotFeatures[l.Name], wantFeatures[l.Name]) {
			t.Errorf("layer %s: the features differ after the round trip", l.Name)
		}
	}
	if !reflect.DeepEqual(gotAudit, wantAudit) {
		t.Errorf("audit log:\n got %v\nwant %v", gotAudit, wantAudit)
	}
}
