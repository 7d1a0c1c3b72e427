package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/khorasan/khorasan/geo/storetest"
	"github.com/paulmach/orb"
)

func seqOf(fs ...geo.Feature) func(func(geo.Feature, error) bool) {
	return func(yield func(geo.Feature, error) bool) {
		for _, f := range fs {
			if !yield(f, nil) {
				return
			}
		}
	}
}

func features(t *testing.T, s *Store, layer string, q geo.Query) []geo.Feature {
	t.Helper()
	var out []geo.Feature
	if err := s.Features(context.Background(), layer, q, func(f geo.Feature) error {
		out = append(out, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOgr2ogrTables: tables GDAL wrote (ogr2ogr -f PostgreSQL) are layers,
// read, filtered and edited like the store's own, as geo/gpkg serves
// GDAL's GeoPackages.
func TestOgr2ogrTables(t *testing.T) {
	ogr2ogr, err := exec.LookPath("ogr2ogr")
	if err != nil {
		t.Fatal("ogr2ogr not found: install gdal-bin (make deps)")
	}
	ctx := context.Background()
	dsn := cluster.Database(t)
	pc, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	gdalDSN := fmt.Sprintf("PG:host=%s port=%d dbname=%s user=%s", pc.Host, pc.Port, pc.Database, pc.User)
	src := filepath.Join(t.TempDir(), "places.geojson")
	doc := `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[69.17,34.53]},"properties":{"name":"Kabul","pop":4601789,"share":0.5,"founded":"1504-01-01","seen":"2021-08-26T09:30:00Z","capital":true}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[62.2,34.35]},"properties":{"name":"Herat","pop":574276,"share":null,"founded":null,"seen":null,"capital":false}},
{"type":"Feature","geometry":null,"properties":{"name":"Nowhere","pop":0}}]}`
	if err := os.WriteFile(src, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-f", "PostgreSQL", gdalDSN, src, "-nln", "places"},
		// Web Mercator, in a column of GDAL's default name.
		{"-f", "PostgreSQL", gdalDSN, src, "-nln", "mercator", "-t_srs", "EPSG:3857", "-lco", "GEOMETRY_NAME=wkb_geometry"},
	} {
		if out, err := exec.Command(ogr2ogr, args...).CombinedOutput(); err != nil {
			t.Fatalf("ogr2ogr %v: %v\n%s", args, err, out)
		}
	}
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	layers, err := s.Layers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 || layers[0].Name != "places" || layers[1].Name != "mercator" {
		t.Fatalf("layers %+v", layers)
	}
	l := layers[0]
	types := map[string]geo.ColumnType{}
	for _, c := range l.Schema.Columns {
		types[c.Name] = c.Type
	}
	want := map[string]geo.ColumnType{"name": geo.Text, "pop": geo.Integer, "share": geo.Real, "founded": geo.Date, "seen": geo.DateTime, "capital": geo.Boolean}
	if !reflect.DeepEqual(types, want) || l.Count != 3 || l.Schema.GeometryType != "POINT" || l.Title != "places" {
		t.Errorf("layer %+v\ncolumns %v", l, types)
	}
	if want := (orb.Bound{Min: orb.Point{62.2, 34.35}, Max: orb.Point{69.17, 34.53}}); l.Bounds != want {
		t.Errorf("bounds %v, want %v", l.Bounds, want)
	}
	fs := features(t, s, "places", geo.Query{})
	if len(fs) != 3 || fs[0].ID != "1" || fs[0].Geometry != (orb.Point{69.17, 34.53}) || fs[2].Geometry != nil {
		t.Fatalf("features %+v", fs)
	}
	wantProps := map[string]any{"name": "Kabul", "pop": int64(4601789), "share": 0.5, "founded": "1504-01-01", "seen": "2021-08-26T09:30:00Z", "capital": true}
	if !reflect.DeepEqual(fs[0].Properties, wantProps) {
		t.Errorf("properties %#v", fs[0].Properties)
	}
	e, _ := cql2.Parse("pop > 100000 AND S_INTERSECTS(geometry, BBOX(60, 30, 65, 35))")
	if got := features(t, s, "places", geo.Query{Filter: e}); len(got) != 1 || got[0].Properties["name"] != "Herat" {
		t.Errorf("filtered: %+v", got)
	}
	// Another SRID reads in WGS 84, and filters meet it there.
	m := features(t, s, "mercator", geo.Query{})
	if p, ok := m[0].Geometry.(orb.Point); !ok || p[0] < 69.1699 || p[0] > 69.1701 || p[1] < 34.5299 || p[1] > 34.5301 {
		t.Errorf("a Web Mercator point read back as %v", m[0].Geometry)
	}
	box := orb.Bound{Min: orb.Point{60, 30}, Max: orb.Point{65, 35}}
	if got := features(t, s, "mercator", geo.Query{BBox: &box, Filter: e}); len(got) != 1 {
		t.Errorf("Web Mercator, bbox and filter: %+v", got)
	}
	// Edits, with a layer version of their own from then on.
	f, _, err := s.CreateFeature(ctx, "places", geo.Feature{Geometry: orb.Point{65.7, 31.6}, Properties: map[string]any{"name": "Kandahar", "pop": int64(614254)}}, "t")
	if err != nil || f.ID != "4" {
		t.Fatalf("create in GDAL's table: %+v, %v", f, err)
	}
	if _, _, err := s.CreateFeature(ctx, "mercator", geo.Feature{Geometry: orb.Point{65.7, 31.6}, Properties: map[string]any{"name": "Kandahar"}}, "t"); err != nil {
		t.Fatalf("create in a Web Mercator table: %v", err)
	}
	if got := features(t, s, "mercator", geo.Query{BBox: &orb.Bound{Min: orb.Point{65.6, 31.5}, Max: orb.Point{65.8, 31.7}}}); len(got) != 1 || got[0].Properties["name"] != "Kandahar" {
		t.Errorf("the feature written in Web Mercator: %+v", got)
	}
	if l, err := s.Layer(ctx, "places"); err != nil || l.Count != 4 || l.Changed == "" {
		t.Errorf("after an edit: %+v, %v", l, err)
	}
	// ogrinfo reads the table the store edited.
	if out, err := exec.Command("ogrinfo", "-ro", "-q", gdalDSN, "places").CombinedOutput(); err != nil || !strings.Contains(string(out), "Kandahar") {
		t.Errorf("ogrinfo: %v\n%s", err, out)
	}
}

// TestAnotherServerIsSeen: two stores on one database; a layer the one
// rewrites with other columns is read right away by the other.
func TestAnotherServerIsSeen(t *testing.T) {
	ctx := context.Background()
	dsn := cluster.Database(t)
	a, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	old := geo.Schema{GeometryType: "POINT", Columns: []geo.Column{{Name: "old", Type: geo.Text}}}
	if _, err := a.ReplaceLayer(ctx, geo.LayerInfo{Name: "layer"}, old, seqOf(geo.Feature{Geometry: orb.Point{1, 2}, Properties: map[string]any{"old": "x"}})); err != nil {
		t.Fatal(err)
	}
	if l, err := a.Layer(ctx, "layer"); err != nil || l.Schema.Columns[0].Name != "old" {
		t.Fatalf("%+v, %v", l, err)
	}
	nw := geo.Schema{GeometryType: "POINT", Columns: []geo.Column{{Name: "new", Type: geo.Integer}}}
	if _, err := b.ReplaceLayer(ctx, geo.LayerInfo{Name: "layer"}, nw, seqOf(geo.Feature{Geometry: orb.Point{3, 4}, Properties: map[string]any{"new": int64(1)}}, geo.Feature{Geometry: orb.Point{5, 6}})); err != nil {
		t.Fatal(err)
	}
	if got := features(t, a, "layer", geo.Query{}); len(got) != 2 || got[0].Properties["new"] != int64(1) {
		t.Errorf("features right after the other write: %+v", got)
	}
	a.recheck = 0
	if l, err := a.Layer(ctx, "layer"); err != nil || len(l.Schema.Columns) != 1 || l.Schema.Columns[0].Name != "new" || l.Count != 2 {
		t.Errorf("the first store still sees %+v, %v", l, err)
	}
	// An edit through b is seen by a's counts after its recheck.
	if _, _, err := b.CreateFeature(ctx, "layer", geo.Feature{Geometry: orb.Point{7, 8}}, "t"); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Count(ctx, "layer", geo.Query{}); err != nil || n != 3 {
		t.Errorf("count through the other store: %d, %v", n, err)
	}
}

// TestWhatPostgreSQLCannotHold: text with a NUL is refused as input, and
// nothing is written; an import refuses it feature by feature.
func TestWhatPostgreSQLCannotHold(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	schema := geo.Schema{GeometryType: "POINT", HasID: true, Columns: []geo.Column{{Name: "s", Type: geo.Text}, {Name: "d", Type: geo.Date}}}
	for name, f := range map[string]geo.Feature{
		"a NUL in text":             {ID: "a", Properties: map[string]any{"s": "ab\x00cd"}},
		"a NUL in the id":           {ID: "a\x00b"},
		"invalid UTF-8":             {ID: "a", Properties: map[string]any{"s": "\xff"}},
		"a date PostgreSQL has not": {ID: "a", Properties: map[string]any{"d": "0000-01-01"}},
	} {
		if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: "odd"}, schema, seqOf(f)); !geo.IsInvalid(err) {
			t.Errorf("%s: %v, want an input error", name, err)
		}
	}
	if _, err := s.Layer(ctx, "odd"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("a refused layer exists: %v", err)
	}
	// An import refuses them in its first pass, by line, so that
	// SkipInvalid leaves them out as it would any refused feature.
	doc := `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"s":"fine"}},
{"type":"Feature","id":"b","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"s":"ab\u0000cd"}},
{"type":"Feature","id":"c\u0000","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"s":"x"}},
{"type":"Feature","id":"d","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"n\u0000":"x"}}]}`
	src := ingest.Source{Name: "odd.geojson", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(doc)), nil }}
	rep, err := s.Import(ctx, src, ingest.ImportOptions{Layer: geo.LayerInfo{Name: "odd"}, Mode: ingest.ModeCreate})
	var re *ingest.RejectedError
	if !errors.As(err, &re) || rep.Rejected != 3 || rep.Errors[0].Line != 3 || !strings.Contains(rep.Errors[0].Reason, "NUL") {
		t.Fatalf("an import of NULs: %+v, %v", rep, err)
	}
	if _, err := s.Layer(ctx, "odd"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("a refused import made the layer: %v", err)
	}
	rep, err = s.Import(ctx, src, ingest.ImportOptions{Layer: geo.LayerInfo{Name: "odd"}, Mode: ingest.ModeCreate, SkipInvalid: true})
	if err != nil || rep.Inserted != 1 || rep.Rejected != 3 {
		t.Fatalf("skipping them: %+v, %v", rep, err)
	}
	if f, err := s.Feature(ctx, "odd", "a"); err != nil || f.Properties["s"] != "fine" {
		t.Errorf("the feature kept: %+v, %v", f, err)
	}
}

// TestMigrations: the schema is made once and recorded; a database made
// by a newer khorasan is refused rather than misread.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	dsn := cluster.Database(t)
	for range 2 {
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n, v int
	if err := conn.QueryRow(ctx, `SELECT count(*), max(version) FROM khorasan_migrations`).Scan(&n, &v); err != nil || n != len(migrations()) || v != len(migrations()) {
		t.Errorf("migrations recorded: %d, latest %d, %v", n, v, err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO khorasan_migrations (version) VALUES (999)`); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, dsn); err == nil || !strings.Contains(err.Error(), "newer than this khorasan") {
		if s != nil {
			s.Close()
		}
		t.Errorf("a newer schema: %v", err)
	}
	if _, err := Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"); err == nil || strings.Contains(err.Error(), "password") {
		t.Errorf("no server: %v", err)
	}
}

// TestMigrationKeepsLayers: a database at schema version 1 (before
// profiles) gets the profile column, and its layers keep their texts and
// take the dataset's profile until one is set.
func TestMigrationKeepsLayers(t *testing.T) {
	ctx := context.Background()
	dsn := cluster.Database(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	v1 := `CREATE TABLE khorasan_migrations (version int PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now());` + migrations()[0] +
		`; INSERT INTO khorasan_migrations (version) VALUES (1);
CREATE TABLE attacks (fid int8 GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, geom geometry(POINT, 4326), date date, killed int8);
INSERT INTO khorasan_layers (name, title, changed) VALUES ('attacks', 'Old attacks', now());`
	if _, err := conn.Exec(ctx, v1); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dsn, WithDataset(storetest.Dataset(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.Layer(ctx, "attacks")
	if err != nil || l.Title != "Old attacks" || l.StoredProfile != nil || l.Profile.Noun != "an attack" {
		t.Fatalf("after the migration: %+v, %v", l, err)
	}
	p := geo.Profile{Kind: geo.KindEvents, Time: "date", Magnitude: "killed"}
	if l, err = s.SetProfile(ctx, "attacks", &p, "t"); err != nil || l.StoredProfile == nil || l.Profile.Magnitude != "killed" || l.Profile.Noun != "" {
		t.Errorf("a profile set after the migration: %+v, %v", l, err)
	}
}
