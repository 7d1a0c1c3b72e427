package postgis

import (
	"context"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/ingest"
)

// TestSnapshot: what is written after a snapshot starts (a new feature,
// an edit, a new layer, audit entries) is not seen through it, however
// much is read, and the store itself sees it all.
func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	dsn := cluster.Database(t)
	s := openNamed(t, dsn, "snapshot")
	importCSV(t, s, "points", ingest.ModeCreate, "id,latitude,longitude,n\na,34.5,69.2,1\nb,34.3,62.2,2\n")
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	before, err := snap.Layer(ctx, "points")
	if err != nil {
		t.Fatal(err)
	}

	// Writes through another store, as another server would.
	other := openNamed(t, dsn, "writer")
	importCSV(t, other, "points", ingest.ModeAppend, "id,latitude,longitude,n\nc,36.7,67.1,3\n")
	if _, _, err := other.UpdateFeature(ctx, "points", "a", "t", func(f geo.Feature, _ geo.Schema) (geo.Feature, error) {
		f.Properties["n"] = int64(100)
		return f, nil
	}); err != nil {
		t.Fatal(err)
	}
	importCSV(t, other, "later", ingest.ModeCreate, "id,latitude,longitude\nx,30,60\n")

	var ids []string
	var a geo.Feature
	if err := snap.Features(ctx, "points", geo.Query{}, func(f geo.Feature) error {
		ids = append(ids, f.ID)
		if f.ID == "a" {
			a = f
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || a.Properties["n"] != int64(1) {
		t.Errorf("the snapshot reads %v with a = %v, want a and b as they were", ids, a.Properties)
	}
	layers, err := snap.Layers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 || layers[0].Count != 2 || layers[0].Changed != before.Changed {
		t.Errorf("the snapshot lists %+v, want points alone as it was", layers)
	}
	var audit int
	if err := snap.EachAudit(ctx, func(geo.AuditEntry) error { audit++; return nil }); err != nil {
		t.Fatal(err)
	}
	if audit != 1 {
		t.Errorf("the snapshot's audit log has %d entries, want the first import's 1", audit)
	}
	now, err := s.Layers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(now) != 2 {
		t.Errorf("the store lists %d layers, want the 2 written", len(now))
	}
}
