package gpkg

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/storetest"
	"github.com/paulmach/orb"
)

// gdal runs a GDAL command line tool; GDAL is a dependency of the tests
// (make test installs gdal-bin), so its absence fails rather than skips.
func gdal(t *testing.T, tool string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not found: install gdal-bin (make test does it)", tool)
	}
	cmd := exec.Command(path, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, stderr.String())
	}
	if s := stderr.String(); s != "" {
		t.Errorf("%s printed warnings:\n%s", tool, s)
	}
	return string(out)
}

func TestGDALReadsOurGeoPackage(t *testing.T) {
	s := newStore(t)
	attacks := []geo.Feature{
		{ID: "2015-04-18-jalalabad-bank", Geometry: orb.Point{70.45153, 34.42647}, Properties: map[string]any{
			"date": "2015-04-18", "name": "Jalalabad", "killed": int64(33), "wounded": int64(100), "share": 0.5, "claimed": true}},
		{ID: "2016-07-23-kabul", Geometry: orb.Point{69.167, 34.533}, Properties: map[string]any{
			"date": "2016-07-23", "name": "Kabul", "killed": int64(80), "wounded": nil, "share": 1.0, "claimed": false}},
	}
	order := []string{"date", "name", "killed", "wounded", "share", "claimed"}
	schema, err := storetest.InferSchema(attacks, order)
	if err != nil {
		t.Fatal(err)
	}
	info := geo.LayerInfo{Name: "attacks", Title: "Attacks", Description: "test", Attribution: "sources listed per event"}
	if _, err := s.ReplaceLayer(context.Background(), info, schema, seq(attacks)); err != nil {
		t.Fatal(err)
	}
	// Replacing keeps one metadata document, not two.
	if _, err := s.ReplaceLayer(context.Background(), info, schema, seq(attacks)); err != nil {
		t.Fatal(err)
	}
	if l, err := s.Layer(context.Background(), "attacks"); err != nil || l.Attribution != info.Attribution || l.Title != "Attacks" {
		t.Errorf("layer %+v, %v", l, err)
	}
	region := []geo.Feature{
		{Geometry: orb.Polygon{{{60, 30}, {61, 30}, {61, 31}, {60, 30}}}, Properties: map[string]any{"name": "a"}},
		{Geometry: orb.MultiPolygon{{{{62, 30}, {63, 30}, {63, 31}, {62, 30}}}}, Properties: map[string]any{"name": "b"}},
	}
	replace(t, s, "region", region, nil)

	out := gdal(t, "ogrinfo", "-ro", "-so", "-al", s.Path())
	checks := map[string]string{
		"attacks layer":   `Layer name: attacks`,
		"attacks type":    `(?s)Layer name: attacks.*?Geometry: Point`,
		"attacks count":   `(?s)Layer name: attacks.*?Feature Count: 2`,
		"region promoted": `(?s)Layer name: region.*?Geometry: Multi Polygon`,
		"region count":    `(?s)Layer name: region.*?Feature Count: 2`,
		"srs":             `(?s)Layer name: attacks.*?WGS 84`,
		"date field":      `date: Date`,
		"text field":      `name: String`,
		"integer field":   `killed: Integer64`,
		"real field":      `share: Real`,
		"boolean field":   `claimed: Integer\(Boolean\)`,
		"id field":        `id: String`,
		"fid column":      `FID Column = fid`,
		"geometry column": `Geometry Column = geom`,
		"attacks extent":  `Extent: \(69\.167000, 34\.426470\) - \(70\.451530, 34\.533000\)`,
	}
	for name, pattern := range checks {
		if !regexp.MustCompile(pattern).MatchString(out) {
			t.Errorf("%s: ogrinfo output does not match %q", name, pattern)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
	// GDAL uses the R-tree for a spatial filter and finds only Kabul.
	out = gdal(t, "ogrinfo", "-ro", "-q", "-spat", "69", "34", "70", "35", s.Path(), "attacks")
	if !strings.Contains(out, "Kabul") || strings.Contains(out, "Jalalabad") {
		t.Errorf("spatial filter through GDAL:\n%s", out)
	}
}

func TestWeReadGDALsGeoPackage(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in.geojson")
	doc := `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[69.17233,34.52813]},"properties":{"name":"Kabul","killed":5,"rate":2.5,"when":"2021-08-26","ok":true}},
{"type":"Feature","id":"b","geometry":{"type":"Point","coordinates":[62.19967,34.34817]},"properties":{"name":"Herat","killed":null,"rate":1,"when":"2020-01-02","ok":false}},
{"type":"Feature","id":"c","geometry":{"type":"Point","coordinates":[66.8972,36.75635]},"properties":{"name":"Balkh \u00e9","killed":0,"rate":0,"when":null,"ok":null}}
]}`
	if err := os.WriteFile(src, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "gdal.gpkg")
	gdal(t, "ogr2ogr", "-f", "GPKG", dst, src, "-nln", "places")

	s, err := Open(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want, _, err := geojson.ReadAll(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := all(t, s, "places", geo.Query{})
	if len(got) != len(want) {
		t.Fatalf("got %d features, want %d", len(got), len(want))
	}
	for i := range got {
		w := want[i]
		if !reflect.DeepEqual(got[i].Geometry, w.Geometry) {
			t.Errorf("feature %d geometry: got %v, want %v", i, got[i].Geometry, w.Geometry)
		}
		// GDAL keeps a string id as an "id" field (not unique), so the
		// fid identifies the feature and "id" is a property.
		wantProps := map[string]any{"id": w.ID}
		for k, v := range w.Properties {
			wantProps[k] = v
		}
		if wantProps["rate"] != nil {
			wantProps["rate"] = toFloat(wantProps["rate"])
		}
		if !reflect.DeepEqual(got[i].Properties, wantProps) {
			t.Errorf("feature %d properties:\n got %#v\nwant %#v", i, got[i].Properties, wantProps)
		}
	}
	b := orb.Bound{Min: orb.Point{60, 30}, Max: orb.Point{65, 35}}
	if n, err := s.Count(context.Background(), "places", geo.Query{BBox: &b}); err != nil || n != 1 {
		t.Errorf("bbox over GDAL's R-tree: %d, %v; want 1 (Herat)", n, err)
	}
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

// A layer's profile is JSON text in gpkg_metadata that GDAL (and so
// QGIS) reads, and the file stays one GDAL opens without a warning.
func TestGDALReadsTheProfile(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	fs := []geo.Feature{{Geometry: orb.Point{69, 34}, Properties: map[string]any{"date": "2020-01-01", "n": int64(2), "kind": "x"}}}
	replace(t, s, "ev", fs, []string{"date", "n", "kind"})
	p := geo.Profile{Kind: geo.KindEvents, Time: "date", Magnitude: "n",
		Categories: []geo.Category{{Property: "kind", Values: []string{"x"}, Colors: map[string]string{"x": "#123456"}, Open: true}}}
	if _, err := s.SetProfile(ctx, "ev", &p, "t"); err != nil {
		t.Fatal(err)
	}
	gdal(t, "ogrinfo", "-ro", "-so", "-al", s.Path())
	out := gdal(t, "ogrinfo", "-ro", "-q", s.Path(), "-sql",
		"SELECT m.mime_type, m.metadata FROM gpkg_metadata m JOIN gpkg_metadata_reference r ON r.md_file_id = m.id WHERE r.table_name = 'ev' AND m.md_standard_uri = '"+profileURI+"'")
	for _, want := range []string{"application/json", `"magnitude": "n"`, `"x": "#123456"`} {
		if !strings.Contains(out, want) {
			t.Errorf("GDAL does not read %s in the profile:\n%s", want, out)
		}
	}
}
