package gpkg

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/storetest"
)

// attacksStore loads real attack data into a fresh GeoPackage and returns
// it with every feature, read back through the store: the default attacks
// layer as it was at 60 events, frozen in geo/storetest (whose contract
// tests filter it on every store).
func attacksStore(t testing.TB) (*Store, []geo.Feature) {
	t.Helper()
	data := storetest.Attacks60()
	s, err := Create(context.Background(), t.TempDir()+"/attacks.gpkg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.ImportGeoJSON(context.Background(), geo.LayerInfo{Name: "attacks"}, data); err != nil {
		t.Fatal(err)
	}
	var fs []geo.Feature
	if err := s.Features(context.Background(), "attacks", geo.Query{}, func(f geo.Feature) error {
		fs = append(fs, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(fs) != 60 {
		t.Fatalf("the attacks data has %d features, want 60", len(fs))
	}
	return s, fs
}

// khorasanWKT is the main outline of data/khorasan.geojson as CQL2 WKT.
func khorasanWKT(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile("../../data/khorasan.geojson")
	if err != nil {
		t.Fatalf("the default Khorasan data is needed: %v", err)
	}
	features, _, err := geojson.ReadAll(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range features {
		if f.ID == "main" {
			s := cql2.Format(cql2.Spatial{Op: "S_INTERSECTS", Left: cql2.Property{Name: "geometry"}, Right: cql2.Geometry{Geometry: f.Geometry}})
			return strings.TrimSuffix(strings.TrimPrefix(s, "S_INTERSECTS(geometry, "), ")")
		}
	}
	t.Fatal(`data/khorasan.geojson has no feature "main"`)
	return ""
}

// evalGet answers Eval's questions about a feature the way the store
// names things: "id" is the feature id, "geometry" its geometry, and a
// DATETIME property is a moment.
func evalGet(l geo.Layer, f geo.Feature) func(string) (any, bool) {
	return func(name string) (any, bool) {
		if v, ok := f.Properties[name]; ok {
			if c, _ := l.Schema.Column(name); c.Type == geo.DateTime && v != nil {
				t, err := time.Parse(time.RFC3339Nano, v.(string))
				return t, err == nil
			}
			return v, true
		}
		switch name {
		case idColumn:
			return f.ID, true
		case geo.GeometryQueryable, geomColumn:
			if f.Geometry == nil {
				return nil, true
			}
			return f.Geometry, true
		}
		return nil, false
	}
}

// bruteForce is the ids Eval selects, one feature at a time.
func bruteForce(t *testing.T, l geo.Layer, e cql2.Expr, fs []geo.Feature) []string {
	t.Helper()
	var ids []string
	for _, f := range fs {
		ok, err := cql2.Eval(e, evalGet(l, f), f.Geometry)
		if err != nil {
			t.Fatalf("Eval on %s: %v", f.ID, err)
		}
		if ok {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

func layerIDs(t *testing.T, s *Store, layer string, e cql2.Expr) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	if err := s.Features(ctx, layer, geo.Query{Filter: e}, func(f geo.Feature) error {
		ids = append(ids, f.ID)
		return nil
	}); err != nil {
		t.Fatalf("Features: %v", err)
	}
	n, err := s.Count(ctx, layer, geo.Query{Filter: e})
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	if n != int64(len(ids)) {
		t.Errorf("Count = %d, but Features gave %d", n, len(ids))
	}
	return ids
}
