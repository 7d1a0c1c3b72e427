package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// These tests read the committed files of data/, so a hand edit or a
// broken regeneration is caught without npm or the network.

const dataDir = "../../data"

func readCollection(t *testing.T, name string) *geojson.FeatureCollection {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dataDir, name))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return fc
}

// checkGeometry checks every coordinate is WGS84 lon/lat and every polygon
// ring is closed with at least four points.
func checkGeometry(t *testing.T, where string, g orb.Geometry) {
	t.Helper()
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Point:
		if err := checkPoint(g); err != nil {
			t.Errorf("%s: %v", where, err)
		}
		return
	case orb.LineString:
		checkLines(t, where, orb.MultiLineString{g})
		return
	case orb.MultiLineString:
		checkLines(t, where, g)
		return
	case orb.Polygon:
		polys = []orb.Polygon{g}
	case orb.MultiPolygon:
		polys = g
	default:
		t.Errorf("%s: unexpected geometry %T", where, g)
		return
	}
	for _, p := range polys {
		for _, r := range p {
			if len(r) < 4 || !r.Closed() {
				t.Errorf("%s: ring of %d points is not closed", where, len(r))
			}
			for _, pt := range r {
				if err := checkPoint(pt); err != nil {
					t.Errorf("%s: %v", where, err)
					return
				}
			}
		}
	}
}

// checkLines checks every line has two or more points, all WGS84 lon/lat.
func checkLines(t *testing.T, where string, mls orb.MultiLineString) {
	t.Helper()
	for _, ls := range mls {
		if len(ls) < 2 {
			t.Errorf("%s: a line of %d points", where, len(ls))
		}
		for _, pt := range ls {
			if err := checkPoint(pt); err != nil {
				t.Errorf("%s: %v", where, err)
				return
			}
		}
	}
}

func TestCommittedAttacks(t *testing.T) {
	fc := readCollection(t, "attacks.geojson")
	rows := mustParseAttacksFile(t, filepath.Join(dataDir, "src", "attacks.csv"))
	if len(fc.Features) != len(rows) {
		t.Errorf("got %d attacks, want one per row of src/attacks.csv (%d)", len(fc.Features), len(rows))
	}
	ids := map[string]bool{}
	for i, f := range fc.Features {
		id, ok := f.ID.(string)
		if !ok || id == "" || ids[id] {
			t.Errorf("feature %d: id %v is missing or repeated", i, f.ID)
		}
		ids[id] = true
		if src, _ := f.Properties["source_url"].(string); src == "" {
			t.Errorf("%s: no source_url", id)
		}
		if _, ok := f.Properties["killed"].(float64); !ok {
			t.Errorf("%s: killed is %T, want a number", id, f.Properties["killed"])
		}
		if _, has := f.Properties["lat"]; has {
			t.Errorf("%s: lat kept as a property", id)
		}
		checkGeometry(t, id, f.Geometry)
	}
}

func TestCommittedKhorasan(t *testing.T) {
	fc := readCollection(t, "khorasan.geojson")
	if len(fc.Features) != 2 {
		t.Fatalf("got %d features, want 2", len(fc.Features))
	}
	for i, want := range []string{"main", "broad"} {
		f := fc.Features[i]
		if f.ID != want {
			t.Errorf("feature %d id = %v, want %s", i, f.ID, want)
		}
		if f.Properties["approximation"] != true {
			t.Errorf("%s: approximation = %v, want true", want, f.Properties["approximation"])
		}
		for _, k := range []string{"name", "definition", "sources", "note"} {
			if s, _ := f.Properties[k].(string); s == "" {
				t.Errorf("%s: %s is empty", want, k)
			}
		}
		if _, ok := f.Geometry.(orb.Polygon); !ok {
			t.Errorf("%s: geometry is %T, want Polygon", want, f.Geometry)
		}
		checkGeometry(t, want, f.Geometry)
	}
}

func TestCommittedBorders(t *testing.T) {
	fc := readCollection(t, "borders.geojson")
	if len(fc.Features) < 200 {
		t.Errorf("got %d countries, want about 240", len(fc.Features))
	}
	scales := map[string]int{}
	for _, f := range fc.Features {
		name, _ := f.Properties["name"].(string)
		if f.ID != nil {
			t.Errorf("%s: has feature id %v, want none", name, f.ID)
		}
		scales[f.Properties.MustString("scale", "")]++
		checkGeometry(t, name, f.Geometry)
		if name == "Afghanistan" && (f.Properties["iso_a3"] != "AFG" || f.Properties["iso_n3"] != "004" || f.Properties["scale"] != "10m") {
			t.Errorf("Afghanistan properties = %v", f.Properties)
		}
	}
	if scales["10m"] != 7 || scales["50m"] == 0 || len(scales) != 2 {
		t.Errorf("scales = %v, want 7 at 10m and the rest at 50m", scales)
	}
}

func TestCommittedCities(t *testing.T) {
	fc := readCollection(t, "cities.geojson")
	anchors, ids := 0, map[string]bool{}
	for _, f := range fc.Features {
		id, _ := f.ID.(string)
		if id == "" || ids[id] {
			t.Errorf("city id %v is missing or repeated", f.ID)
		}
		ids[id] = true
		if f.Properties["anchor"] == true {
			anchors++
		}
		if _, has := f.Properties["population"]; has {
			t.Errorf("%s: population given, but no source in hand has one", id)
		}
		checkGeometry(t, id, f.Geometry)
	}
	if anchors != 28 {
		t.Errorf("got %d anchor cities, want 28", anchors)
	}
}

func TestCommittedManifest(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(dataDir, "layers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var layers []layer
	if err := json.Unmarshal(data, &layers); err != nil {
		t.Fatal(err)
	}
	want := []string{"khorasan", "borders", "attacks", "cities"}
	if len(layers) != len(want) {
		t.Fatalf("got %d layers, want %d", len(layers), len(want))
	}
	for i, l := range layers {
		if l.Name != want[i] || l.Title == "" || l.Description == "" {
			t.Errorf("layer %d = %+v, want %s with a title and description", i, l, want[i])
		}
		if _, err := os.Stat(filepath.Join(dataDir, l.File)); err != nil {
			t.Errorf("layer %s: %v", l.Name, err)
		}
	}
}

func TestParseCountryNamesTakesTheShortest(t *testing.T) {
	names, err := parseCountryNames([]byte(`{"locale":"ru","countries":{"AF":"Афганистан","RU":["Российская Федерация","Россия"]}}`), "ru")
	if err != nil {
		t.Fatal(err)
	}
	if names["AF"] != "Афганистан" || names["RU"] != "Россия" {
		t.Errorf("names = %v, want AF Афганистан and the shorter RU Россия", names)
	}
	for _, bad := range []string{`{"locale":"de","countries":{"AF":"x"}}`, `{"locale":"ru","countries":{}}`, `{"locale":"ru","countries":{"AF":7}}`, `{"locale":"ru","countries":{"AF":[]}}`} {
		if _, err := parseCountryNames([]byte(bad), "ru"); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}
