package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

var testBox = orb.Bound{Min: orb.Point{40, 20}, Max: orb.Point{85, 48}}

// runFixture runs gendata on the fixtures and returns the output directory.
func runFixture(t *testing.T, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	var log bytes.Buffer
	if err := run(append(fixtureArgs(dir), extra...), &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	return dir
}

func readFixtureOutput(t *testing.T, dir, name string) (*geojson.FeatureCollection, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return fc, string(data)
}

func names(fc *geojson.FeatureCollection) string {
	var out []string
	for _, f := range fc.Features {
		n, _ := f.Properties["name"].(string)
		out = append(out, n)
	}
	return strings.Join(out, ",")
}

func TestRunBasemapRivers(t *testing.T) {
	fc, raw := readFixtureOutput(t, runFixture(t), "basemap/rivers.geojson")
	// Far River lies outside the box; ordered by scalerank, the unnamed
	// centre line (9) last.
	if got := names(fc); got != "Edge River,Long River," {
		t.Fatalf("rivers = %q, want Edge River (2), Long River (5, spaces collapsed), the unnamed one (9)", got)
	}
	edge, long, unnamed := fc.Features[0], fc.Features[1], fc.Features[2]
	// Edge River's first part is cut at lon 85, its second lies outside.
	if want := (orb.LineString{{80, 40}, {85, 40}}); !orb.Equal(edge.Geometry, want) {
		t.Errorf("Edge River = %v, want %v", edge.Geometry, want)
	}
	// Rounded to 5 decimals, the repeated point dropped.
	if want := (orb.LineString{{60.12346, 30}, {61, 31}, {62, 32}}); !orb.Equal(long.Geometry, want) {
		t.Errorf("Long River = %v, want %v", long.Geometry, want)
	}
	if unnamed.Properties["name"] != nil || unnamed.Properties["featurecla"] != "Lake Centerline" {
		t.Errorf("unnamed centre line = %v", unnamed.Properties)
	}
	if !strings.Contains(raw, `"properties":{"name":"Long River","scalerank":5,"featurecla":"River"}`) {
		t.Error("river properties are not name, scalerank (a whole number), featurecla, in that order, and only those")
	}
}

func TestRunBasemapLakes(t *testing.T) {
	fc, _ := readFixtureOutput(t, runFixture(t), "basemap/lakes.geojson")
	if got := names(fc); got != "Edge Lake,Square Lake" {
		t.Fatalf("lakes = %q, want Edge Lake (3), Square Lake (4)", got)
	}
	edge, square := fc.Features[0], fc.Features[1]
	wantEdge := orb.Polygon{{{84, 45}, {85, 45}, {85, 46}, {84, 46}, {84, 45}}}
	if !orb.Equal(edge.Geometry, wantEdge) {
		t.Errorf("Edge Lake = %v, want cut at lon 85: %v", edge.Geometry, wantEdge)
	}
	if lon, lat := edge.Properties["label_lon"], edge.Properties["label_lat"]; lon != 84.5 || lat != 45.5 {
		t.Errorf("Edge Lake label = %v, %v, want the centre of what is left, 84.5, 45.5", lon, lat)
	}
	// The fixture is clockwise; RFC 7946 wants exteriors counter-clockwise.
	if r := square.Geometry.(orb.Polygon)[0]; r.Orientation() != orb.CCW {
		t.Error("Square Lake's ring is not counter-clockwise")
	}
}

func TestRunBasemapRegions(t *testing.T) {
	dir := runFixture(t)
	fc, _ := readFixtureOutput(t, dir, "basemap/regions.geojson")
	// BIGLAND is a Continent: not kept.
	if got := names(fc); got != "HORSESHOE MTS.,Sand Desert,Dot Desert" {
		t.Fatalf("regions = %q", got)
	}
	// The horseshoe's centroid (63, 32.71) falls in its notch: the label
	// is the middle of the first widest stretch along that latitude.
	h := fc.Features[0]
	if lon, lat := h.Properties["label_lon"], h.Properties["label_lat"]; lon != 61.0 || lat != 32.71429 {
		t.Errorf("HORSESHOE MTS. label = %v, %v, want 61, 32.71429", lon, lat)
	}
	// The desert's label is the centroid of its larger part.
	d := fc.Features[1]
	if lon, lat := d.Properties["label_lon"], d.Properties["label_lat"]; lon != 51.0 || lat != 26.0 {
		t.Errorf("Sand Desert label = %v, %v, want 51, 26", lon, lat)
	}
	if _, ok := d.Geometry.(orb.MultiPolygon); !ok {
		t.Errorf("Sand Desert = %T, want its MultiPolygon kept", d.Geometry)
	}
	src, err := os.ReadFile(filepath.Join(dir, "SOURCES.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "they are kept as Natural Earth gives them: Dot Desert (") {
		t.Error("SOURCES.md does not list the region Natural Earth draws as a small spot")
	}
}

func TestRunBasemapPeaksAndPlaces(t *testing.T) {
	dir := runFixture(t)
	peaks, raw := readFixtureOutput(t, dir, "basemap/peaks.geojson")
	// The spot elevation is not a peak; Far Peak is outside; of one
	// scalerank, the higher first.
	if got := names(peaks); got != "Higher Peak,Test Peak" {
		t.Fatalf("peaks = %q", got)
	}
	if !orb.Equal(peaks.Features[1].Geometry, orb.Point{67.12346, 34.98765}) {
		t.Errorf("Test Peak = %v, want rounded to 5 decimals", peaks.Features[1].Geometry)
	}
	if !strings.Contains(raw, `"properties":{"name":"Test Peak","elevation_m":5048,"scalerank":4}`) {
		t.Error("peak properties are not name, elevation_m, scalerank")
	}

	places, raw := readFixtureOutput(t, dir, "basemap/places.geojson")
	if got := names(places); got != "Bigtown,Testabad,Oldtown" {
		t.Fatalf("places = %q, want by scalerank, then population", got)
	}
	want := `"properties":{"name":"Testabad","name_ru":"Тестабад","name_en":"Testabad","population":250000,"scalerank":3,"country":"Afghanistan","admin1":"Test","featurecla":"Admin-1 capital"}`
	if !strings.Contains(raw, want) {
		t.Errorf("Testabad's properties are not %s", want)
	}
	old := places.Features[2].Properties
	if old["population"] != nil || old["name_ru"] != nil || old["admin1"] != nil {
		t.Errorf("Oldtown = %v, want null population (POP_MAX -99), name_ru and admin1", old)
	}
}

func TestRunRefusesBoxWithoutRegion(t *testing.T) {
	var log bytes.Buffer
	// The fixture's Afghanistan spans lon 60..70.
	err := run(append(fixtureArgs(t.TempDir()), "-basemap-box", "40,20,65,48"), &log)
	if err == nil || !strings.Contains(err.Error(), "does not hold the 1:10m region") {
		t.Errorf("err = %v, want the box refused for not holding the region", err)
	}
}

func TestCutGeometry(t *testing.T) {
	cases := []struct {
		name string
		in   orb.Geometry
		want orb.Geometry
	}{
		{"a point inside is rounded", orb.Point{50.000004, 30.123456}, orb.Point{50, 30.12346}},
		{"a point on the edge is kept", orb.Point{85, 48}, orb.Point{85, 48}},
		{"a point outside is dropped", orb.Point{86, 30}, nil},
		{"a line leaving and coming back is two lines",
			orb.LineString{{80, 30}, {90, 30}, {90, 31}, {80, 31}},
			orb.MultiLineString{{{80, 30}, {85, 30}}, {{85, 31}, {80, 31}}}},
		{"a line outside is dropped", orb.LineString{{10, 10}, {11, 11}}, nil},
		{"a line rounded to one point is dropped", orb.LineString{{50, 30}, {50.000001, 30}}, nil},
		{"a polygon across the corner is cut to it",
			orb.Polygon{{{84, 47}, {86, 47}, {86, 49}, {84, 49}, {84, 47}}},
			orb.Polygon{{{84, 47}, {85, 47}, {85, 48}, {84, 48}, {84, 47}}}},
		{"a polygon outside is dropped", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, nil},
		{"a sliver rounded flat is dropped", orb.Polygon{{{50, 30}, {51, 30}, {51, 30.000001}, {50, 30}}}, nil},
	}
	for _, c := range cases {
		got, err := cutGeometry(c.in, testBox, 5)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if (got == nil) != (c.want == nil) || (got != nil && !orb.Equal(got, c.want)) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if _, err := cutGeometry(orb.MultiPoint{{50, 30}}, testBox, 5); err == nil {
		t.Error("a MultiPoint was accepted")
	}
}

func TestLabelPointInside(t *testing.T) {
	// A thin C whose centroid lies in its mouth.
	c := orb.Polygon{{{0, 0}, {10, 0}, {10, 1}, {1, 1}, {1, 9}, {10, 9}, {10, 10}, {0, 10}, {0, 0}}}
	p, err := labelPoint(c, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !planar.PolygonContains(c, p) {
		t.Errorf("label %v is outside the C", p)
	}
	// A hole under the centroid.
	ring := orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, {{2, 2}, {2, 8}, {8, 8}, {8, 2}, {2, 2}}}
	if p, err = labelPoint(ring, 5); err != nil || !planar.PolygonContains(ring, p) {
		t.Errorf("label %v (%v) is not inside the ring", p, err)
	}
	if _, err := labelPoint(orb.LineString{{0, 0}, {1, 1}}, 5); err == nil {
		t.Error("a line was given a label point")
	}
}

func TestNEProperties(t *testing.T) {
	p := geojson.Properties{"name": "  Amu  Darya ", "empty": "", "rank": 5.0, "half": 5.5, "text": "5", "null": nil}
	if v, err := neString(p, "name"); err != nil || v != "Amu Darya" {
		t.Errorf("name = %v, %v, want Amu Darya", v, err)
	}
	if v, err := neString(p, "empty"); err != nil || v != nil {
		t.Errorf("empty = %v, %v, want null", v, err)
	}
	if v, err := neInt(p, "rank"); err != nil || v != int64(5) {
		t.Errorf("rank = %v, %v, want 5", v, err)
	}
	if v, err := neInt(p, "null"); err != nil || v != nil {
		t.Errorf("null = %v, %v, want null", v, err)
	}
	for _, bad := range []struct {
		key string
		f   func(geojson.Properties, string) (any, error)
	}{{"missing", neString}, {"rank", neString}, {"missing", neInt}, {"half", neInt}, {"text", neInt}} {
		if v, err := bad.f(p, bad.key); err == nil {
			t.Errorf("%s accepted as %v", bad.key, v)
		}
	}
}

func TestCutLayerFailsOnChangedColumns(t *testing.T) {
	spec := neSpecs()[4] // populated places
	in := inputFile{label: "places", data: []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"NAME":"X","SCALERANK":1},"geometry":{"type":"Point","coordinates":[50,30]}}]}`)}
	if _, err := cutLayer(spec, in, testBox, 5); err == nil || !strings.Contains(err.Error(), "NAME_RU") {
		t.Errorf("err = %v, want the missing NAME_RU column named", err)
	}
	in.data = []byte(`{"type":"FeatureCollection","features":[]}`)
	if _, err := cutLayer(spec, in, testBox, 5); err == nil {
		t.Error("an empty file was accepted")
	}
}
