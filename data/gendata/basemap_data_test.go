package main

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// These tests read the committed files of data/basemap and compare them
// with the Natural Earth files they were cut from (data/src/naturalearth)
// and with the committed borders.

// defaultBox is the -basemap-box that generate.sh runs with.
func defaultBox(t *testing.T) orb.Bound {
	t.Helper()
	c, err := parseFlags([]string{"gendata"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	return c.basemapBox
}

// readSource reads one of the copied Natural Earth files.
func readSource(t *testing.T, file string) *geojson.FeatureCollection {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dataDir, "src", "naturalearth", file))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return fc
}

// find returns the one feature whose properties have these values.
func find(t *testing.T, fc *geojson.FeatureCollection, where string, want map[string]any) *geojson.Feature {
	t.Helper()
	var found []*geojson.Feature
	for _, f := range fc.Features {
		ok := true
		for k, v := range want {
			got := f.Properties[k]
			if s, isString := got.(string); isString {
				got = strings.Join(strings.Fields(s), " ")
			}
			ok = ok && got == v
		}
		if ok {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d features with %v, want 1", where, len(found), want)
	}
	return found[0]
}

// country returns the committed border of a country.
func country(t *testing.T, name string) orb.Geometry {
	t.Helper()
	return find(t, readCollection(t, "borders.geojson"), "borders.geojson", map[string]any{"name": name}).Geometry
}

func inside(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	}
	return false
}

func TestCommittedBasemapFiles(t *testing.T) {
	box := defaultBox(t)
	// Counts of the committed generation (SOURCES.md gives them too); a
	// new Natural Earth input changes them here.
	want := map[string]int{"rivers": 80, "lakes": 49, "regions": 66, "peaks": 56, "places": 512}
	keys := map[string][]string{
		"rivers":  {"name", "scalerank", "featurecla"},
		"lakes":   {"name", "scalerank", "featurecla", "label_lon", "label_lat"},
		"regions": {"name", "featurecla", "scalerank", "label_lon", "label_lat"},
		"peaks":   {"name", "elevation_m", "scalerank"},
		"places":  {"name", "name_ru", "name_en", "population", "scalerank", "country", "admin1", "featurecla"},
	}
	total := int64(0)
	for _, s := range neSpecs() {
		layer := strings.TrimSuffix(filepath.Base(s.out), ".geojson")
		st, err := os.Stat(filepath.Join(dataDir, s.out))
		if err != nil {
			t.Fatal(err)
		}
		total += st.Size()
		fc := readCollection(t, s.out)
		if len(fc.Features) != want[layer] {
			t.Errorf("%s: %d features, want %d", s.out, len(fc.Features), want[layer])
		}
		for i, f := range fc.Features {
			where := s.out + ": " + f.Properties.MustString("name", "(unnamed)")
			checkGeometry(t, where, f.Geometry)
			if b := f.Geometry.Bound(); !box.Contains(b.Min) || !box.Contains(b.Max) {
				t.Errorf("%s: %v reaches outside the box %v", where, b, box)
			}
			var got []string
			for k := range f.Properties {
				got = append(got, k)
			}
			slices.Sort(got)
			wantKeys := slices.Sorted(slices.Values(keys[layer]))
			if !slices.Equal(got, wantKeys) {
				t.Errorf("%s: properties %v, want %v", where, got, wantKeys)
			}
			if f.ID != nil {
				t.Errorf("%s: feature %d has id %v, want none", s.out, i, f.ID)
			}
			if s.label {
				p := orb.Point{f.Properties.MustFloat64("label_lon"), f.Properties.MustFloat64("label_lat")}
				if !inside(f.Geometry, p) {
					t.Errorf("%s: label %v is outside the polygon", where, p)
				}
			}
		}
	}
	if total > 3<<20 {
		t.Errorf("data/basemap holds %d bytes, want under 3 MiB", total)
	}
}

// TestCommittedAmuDarya checks the river that bounds historical Khorasan
// in the north: kept whole (it lies inside the box), every point one of
// Natural Earth's, rounded, and flowing through Turkmenistan and
// Uzbekistan as the borders draw them.
func TestCommittedAmuDarya(t *testing.T) {
	out := find(t, readCollection(t, "basemap/rivers.geojson"), "rivers", map[string]any{"name": "Amu Darya"})
	src := find(t, readSource(t, neSpecs()[0].file), "source rivers", map[string]any{"name": "Amu Darya", "featurecla": "River"})
	if out.Properties["featurecla"] != "River" || out.Properties["scalerank"] != src.Properties["scalerank"] {
		t.Errorf("Amu Darya = %v, want featurecla River and the source's scalerank %v", out.Properties, src.Properties["scalerank"])
	}
	srcLines, outLines := asLines(src.Geometry), asLines(out.Geometry)
	if len(outLines) != len(srcLines) {
		t.Fatalf("Amu Darya has %d lines, the source %d", len(outLines), len(srcLines))
	}
	tk, uz := country(t, "Turkmenistan"), country(t, "Uzbekistan")
	inTK, inUZ := 0, 0
	for i, ls := range outLines {
		if len(ls) != len(srcLines[i]) {
			t.Errorf("line %d: %d points, the source %d", i, len(ls), len(srcLines[i]))
			continue
		}
		for j, p := range ls {
			q := srcLines[i][j]
			if math.Abs(p[0]-q[0]) > 0.5e-5 || math.Abs(p[1]-q[1]) > 0.5e-5 {
				t.Errorf("line %d point %d = %v, the source's %v", i, j, p, q)
			}
			if inside(tk, p) {
				inTK++
			}
			if inside(uz, p) {
				inUZ++
			}
		}
	}
	if inTK == 0 || inUZ == 0 {
		t.Errorf("Amu Darya: %d points in Turkmenistan and %d in Uzbekistan, want some in each", inTK, inUZ)
	}
}

func asLines(g orb.Geometry) orb.MultiLineString {
	switch g := g.(type) {
	case orb.LineString:
		return orb.MultiLineString{g}
	case orb.MultiLineString:
		return g
	}
	return nil
}

// TestCommittedRegions checks the ranges and deserts the issue names are
// there, and the Hindu Kush against Natural Earth and the borders.
func TestCommittedRegions(t *testing.T) {
	fc := readCollection(t, "basemap/regions.geojson")
	for _, n := range []string{"HINDU KUSH", "PAMIRS", "Kopet Dag Mts .", "GARAGUM DESERT", "Kavir Desert", "Fergana Valley", "ELBURZ MTS."} {
		find(t, fc, "regions", map[string]any{"name": n})
	}
	hk := find(t, fc, "regions", map[string]any{"name": "HINDU KUSH"})
	src := find(t, readSource(t, neSpecs()[2].file), "source regions", map[string]any{"name": "HINDU KUSH"})
	if hk.Properties["featurecla"] != "Range/mtn" || hk.Properties["scalerank"] != src.Properties["scalerank"] {
		t.Errorf("HINDU KUSH = %v, want Range/mtn and the source's scalerank %v", hk.Properties, src.Properties["scalerank"])
	}
	// Wholly inside the box, so not cut: the same extent, rounded.
	got, want := hk.Geometry.Bound(), src.Geometry.Bound()
	for i, v := range [4]float64{got.Min[0] - want.Min[0], got.Min[1] - want.Min[1], got.Max[0] - want.Max[0], got.Max[1] - want.Max[1]} {
		if math.Abs(v) > 0.5e-5 {
			t.Errorf("HINDU KUSH bound %v differs from the source's %v (side %d)", got, want, i)
		}
	}
	label := orb.Point{hk.Properties.MustFloat64("label_lon"), hk.Properties.MustFloat64("label_lat")}
	if !inside(country(t, "Afghanistan"), label) {
		t.Errorf("HINDU KUSH label %v is not in Afghanistan", label)
	}
}

// TestCommittedPlaces checks a few cities against Natural Earth's row
// (population from POP_MAX, the Russian name, the point) and the borders.
func TestCommittedPlaces(t *testing.T) {
	fc := readCollection(t, "basemap/places.geojson")
	src := readSource(t, neSpecs()[4].file)
	for _, c := range []struct{ name, country string }{
		{"Kabul", "Afghanistan"}, {"Herat", "Afghanistan"}, {"Kandahar", "Afghanistan"},
		{"Mashhad", "Iran"}, {"Tashkent", "Uzbekistan"}, {"Peshawar", "Pakistan"}, {"Quetta", "Pakistan"},
	} {
		out := find(t, fc, "places", map[string]any{"name": c.name, "country": c.country})
		in := find(t, src, "source places", map[string]any{"NAME": c.name, "ADM0NAME": c.country})
		if pop := out.Properties["population"]; pop != in.Properties["POP_MAX"] || pop.(float64) <= 0 {
			t.Errorf("%s: population %v, want POP_MAX %v", c.name, pop, in.Properties["POP_MAX"])
		}
		ru, _ := out.Properties["name_ru"].(string)
		if ru == "" || ru != in.Properties["NAME_RU"] || !strings.ContainsFunc(ru, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }) {
			t.Errorf("%s: name_ru %q, want NAME_RU %q in Cyrillic", c.name, ru, in.Properties["NAME_RU"])
		}
		p, q := out.Geometry.(orb.Point), in.Geometry.(orb.Point)
		if p != (orb.Point{roundTo(q[0], 5), roundTo(q[1], 5)}) {
			t.Errorf("%s: point %v, want the source's %v rounded", c.name, p, q)
		}
		if !inside(country(t, c.country), p) {
			t.Errorf("%s: %v is not inside %s's border", c.name, p, c.country)
		}
	}
	withRU, withPop := 0, 0
	for _, f := range fc.Features {
		if f.Properties["name_ru"] != nil {
			withRU++
		}
		if n, ok := f.Properties["population"].(float64); ok {
			withPop++
			if n <= 0 {
				t.Errorf("%v: population %v", f.Properties["name"], n)
			}
		}
	}
	if withRU < len(fc.Features)*9/10 || withPop < len(fc.Features)*9/10 {
		t.Errorf("of %d places, %d have a Russian name and %d a population; Natural Earth gives nearly all both", len(fc.Features), withRU, withPop)
	}
}

// TestNaturalEarthREADME checks the README of the copied files gives the
// sha256 of each, so that a changed copy is noticed.
func TestNaturalEarthREADME(t *testing.T) {
	dir := filepath.Join(dataDir, "src", "naturalearth")
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range neSpecs() {
		data, err := os.ReadFile(filepath.Join(dir, s.file))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if row := "| `" + s.file + "` |"; !strings.Contains(string(readme), row) || !strings.Contains(string(readme), hex.EncodeToString(sum[:])) {
			t.Errorf("README.md does not list %s with its sha256 %x", s.file, sum)
		}
	}
}
