package data

import (
	"encoding/json"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb/geojson"
)

// attackFeature is what the checks read of an embedded attack.
type attackFeature struct {
	ID       string `json:"id"`
	Geometry struct {
		Type        string    `json:"type"`
		Coordinates []float64 `json:"coordinates"`
	} `json:"geometry"`
	Properties struct {
		Date        string `json:"date"`
		Killed      *int64 `json:"killed"`
		KilledLow   *int64 `json:"killed_low"`
		KilledHigh  *int64 `json:"killed_high"`
		Attribution string `json:"attribution"`
		SourceURL   string `json:"source_url"`
		Notes       string `json:"notes"`
	} `json:"properties"`
}

// TestEmbeddedAttacks checks every default event as the binary embeds it:
// two or more sources, a real date, a point on the globe, a death toll
// within its range and one of the three attributions.
func TestEmbeddedAttacks(t *testing.T) {
	raw, err := fs.ReadFile(FS, "attacks.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []attackFeature `json:"features"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) == 0 {
		t.Fatal("no attacks embedded")
	}
	ids := map[string]bool{}
	for i, f := range fc.Features {
		p := f.Properties
		name := f.ID
		if name == "" || ids[name] {
			t.Errorf("feature %d: id %q is empty or repeated", i, name)
		}
		ids[name] = true
		var sources []string
		for _, u := range strings.Split(p.SourceURL, " | ") {
			if u = strings.TrimSpace(u); u != "" {
				if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
					t.Errorf("%s: source %q is not a URL", name, u)
				}
				sources = append(sources, u)
			}
		}
		if len(sources) < 2 {
			t.Errorf("%s: %d sources, want 2 or more", name, len(sources))
		}
		d, err := time.Parse(time.DateOnly, p.Date)
		if err != nil {
			t.Errorf("%s: date %q: %v", name, p.Date, err)
		} else if !strings.HasPrefix(name, p.Date+"-") {
			t.Errorf("%s: id does not start with its date %s", name, p.Date)
		} else if d.Before(time.Date(2015, 1, 26, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: dated before ISIS-K was announced (2015-01-26)", name)
		}
		if c := f.Geometry.Coordinates; f.Geometry.Type != "Point" || len(c) != 2 || c[0] < -180 || c[0] > 180 || c[1] < -90 || c[1] > 90 {
			t.Errorf("%s: geometry %s %v is not a lon/lat point", name, f.Geometry.Type, c)
		}
		if p.Killed == nil || p.KilledLow == nil || p.KilledHigh == nil {
			t.Errorf("%s: killed, killed_low or killed_high is missing", name)
		} else if !(*p.KilledLow <= *p.Killed && *p.Killed <= *p.KilledHigh) {
			t.Errorf("%s: killed %d is outside killed_low..killed_high %d..%d", name, *p.Killed, *p.KilledLow, *p.KilledHigh)
		}
		switch p.Attribution {
		case "claimed", "attributed", "disputed":
		default:
			t.Errorf("%s: attribution %q, want claimed, attributed or disputed", name, p.Attribution)
		}
		if strings.Contains(p.Notes, "ATTRIBUTION WEAK") && p.Attribution != "attributed" {
			t.Errorf("%s: notes say ATTRIBUTION WEAK, but attribution is %q", name, p.Attribution)
		}
	}
}

// TestEmbeddedLayersPassTheirProfiles checks the description against the
// data: every feature of a described layer passes its profile's rules, and
// every layer the description or the basemap names is embedded.
func TestEmbeddedLayersPassTheirProfiles(t *testing.T) {
	ds, err := Dataset()
	if err != nil {
		t.Fatal(err)
	}
	var manifest []struct {
		Name string `json:"name"`
		File string `json:"file"`
	}
	raw, err := fs.ReadFile(FS, "layers.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, l := range manifest {
		files[l.Name] = l.File
	}
	for _, name := range []string{ds.Basemap.Borders, ds.Basemap.Cities} {
		if files[name] == "" {
			t.Errorf("the basemap draws layer %q, which is not embedded", name)
		}
	}
	for name, p := range ds.Layers {
		file, ok := files[name]
		if !ok {
			t.Errorf("profiles.json describes layer %q, which is not embedded", name)
			continue
		}
		raw, err := fs.ReadFile(FS, file)
		if err != nil {
			t.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(raw)
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, f := range fc.Features {
			props := map[string]any{}
			for k, v := range f.Properties {
				if n, ok := v.(float64); ok && n == float64(int64(n)) {
					v = int64(n)
				}
				props[k] = v
			}
			if reason := p.Check(geo.Feature{Geometry: f.Geometry, Properties: props}, false); reason != "" {
				t.Errorf("%s %v: %s", name, f.ID, reason)
			}
			checked++
		}
		if checked == 0 {
			t.Errorf("layer %q has no features", name)
		}
	}
}

// TestBasemapIsApart checks the basemap's reference data is embedded as
// Basemap() and nowhere the layers are read from: not in FS, not in the
// manifest, so never seeded and never listed.
func TestBasemapIsApart(t *testing.T) {
	want := []string{"lakes.geojson", "peaks.geojson", "places.geojson", "regions.geojson", "rivers.geojson"}
	got, err := fs.Glob(Basemap(), "*")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Basemap() holds %v, want %v", got, want)
	}
	for _, name := range got {
		raw, err := fs.ReadFile(Basemap(), name)
		if err != nil {
			t.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(raw)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if len(fc.Features) == 0 {
			t.Errorf("%s: no features", name)
		}
	}
	if _, err := fs.Stat(FS, "basemap"); err == nil {
		t.Error("FS holds basemap/: the layer files and the basemap's must stay apart")
	}
	manifest, err := fs.ReadFile(FS, "layers.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range want {
		if strings.Contains(string(manifest), name) {
			t.Errorf("layers.json names %s, which is basemap data, not a layer", name)
		}
	}
}

// TestAttributionStyleAgrees: the attacks profile's labels and colours
// of the attribution are static/style.json's, which the page and the
// figures draw with, so the two never tell a different story.
func TestAttributionStyleAgrees(t *testing.T) {
	ds, err := Dataset()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../static/style.json")
	if err != nil {
		t.Fatal(err)
	}
	var style struct {
		Attribution map[string]struct{ Color, Label string } `json:"attribution"`
	}
	if err := json.Unmarshal(raw, &style); err != nil {
		t.Fatal(err)
	}
	p, _ := ds.Profile("attacks")
	c, ok := p.Category("attribution")
	if !ok {
		t.Fatal("the attacks profile has no attribution category")
	}
	for _, v := range c.Values {
		s := style.Attribution[v]
		if c.Colors[v] != s.Color || c.Labels[v] != s.Label {
			t.Errorf("%s: profile %q %q, style.json %q %q", v, c.Colors[v], c.Labels[v], s.Color, s.Label)
		}
	}
	if len(style.Attribution) != len(c.Values) {
		t.Errorf("style.json styles %d attributions, the profile has %d", len(style.Attribution), len(c.Values))
	}
}
