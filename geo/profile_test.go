package geo

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

const testDataset = `{
  "comment": "a test",
  "basemap": {"borders": "b", "cities": "c"},
  "magnitude": "deaths",
  "layers": {
    "b": {"kind": "reference"},
    "ev": {"kind": "events", "noun": "an event", "geometry": "Point", "required": ["date", "who"],
      "time": "date", "endTime": "end", "magnitude": "n", "magnitudeLow": "lo", "magnitudeHigh": "hi",
      "counts": ["n", "lo", "hi", "hurt"], "categories": [{"property": "who", "values": ["x", "y"]}]},
    "plain": {}
  }
}`

func TestParseDataset(t *testing.T) {
	d, err := ParseDataset([]byte(testDataset))
	if err != nil {
		t.Fatal(err)
	}
	if d.Basemap.Borders != "b" || d.Basemap.Cities != "c" {
		t.Errorf("basemap %+v", d.Basemap)
	}
	if p, ok := d.Profile("plain"); !ok || p.Kind != KindGeneric {
		t.Errorf("plain: %+v %v, want a generic profile", p, ok)
	}
	if p, ok := d.Profile("nope"); ok || p.Kind != KindGeneric || p.HasRules() {
		t.Errorf("undescribed layer: %+v %v", p, ok)
	}
	numeric := Schema{Columns: []Column{{Name: "deaths", Type: Integer}}}
	if got := d.ProfileOf("ev", numeric).Magnitude; got != "n" {
		t.Errorf("ProfileOf(ev).Magnitude = %q, want the profile's", got)
	}
	if got := d.ProfileOf("other", numeric); got.Magnitude != "deaths" || got.Kind != KindGeneric {
		t.Errorf("ProfileOf(other) = %+v, want generic with the dataset's default magnitude", got)
	}
	if got := d.ProfileOf("other", Schema{Columns: []Column{{Name: "deaths", Type: Text}}}).Magnitude; got != "" {
		t.Errorf("ProfileOf(other) with a text column: magnitude %q, want none", got)
	}
	if got := d.LayersOf(KindEvents); len(got) != 1 || got[0] != "ev" {
		t.Errorf("LayersOf(events) = %v", got)
	}
	for name, bad := range map[string]string{
		"unknown field":   `{"layers": {}, "colour": 1}`,
		"unknown kind":    `{"layers": {"a": {"kind": "rivers"}}}`,
		"events, no time": `{"layers": {"a": {"kind": "events"}}}`,
		"empty category":  `{"layers": {"a": {"categories": [{"property": "p"}]}}}`,
		"not JSON":        `{`,
	} {
		if _, err := ParseDataset([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestProfileCheck(t *testing.T) {
	d, err := ParseDataset([]byte(testDataset))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := d.Profile("ev")
	pt := orb.Point{1, 2}
	good := map[string]any{"date": "2020-01-02", "who": "x", "n": int64(3), "lo": int64(2), "hi": int64(5)}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name    string
		f       Feature
		partial bool
		want    string // a part of the reason; "" accepts
	}{
		{"good", Feature{Geometry: pt, Properties: good}, false, ""},
		{"no point", Feature{Geometry: orb.LineString{{0, 0}, {1, 1}}, Properties: good}, false, "an event needs a Point geometry"},
		{"no geometry", Feature{Properties: good}, false, "needs a Point"},
		{"partial without geometry", Feature{Properties: map[string]any{"n": int64(1)}}, true, ""},
		{"missing required", Feature{Geometry: pt, Properties: with("who", nil)}, false, `property "who" is required for an event`},
		{"blank required", Feature{Geometry: pt, Properties: with("who", "  ")}, false, `property "who" is required`},
		{"bad date", Feature{Geometry: pt, Properties: with("date", "2020-13-01")}, false, "is not a date"},
		{"future", Feature{Geometry: pt, Properties: with("date", "2999-01-01")}, false, "in the future"},
		{"end before", Feature{Geometry: pt, Properties: with("end", "2019-01-01")}, false, "end 2019-01-01 is before date 2020-01-02"},
		{"vocabulary", Feature{Geometry: pt, Properties: with("who", "z")}, false, `who "z" is not one of x, y`},
		{"not whole", Feature{Geometry: pt, Properties: with("hurt", 1.5)}, false, "is not a whole number"},
		{"negative", Feature{Geometry: pt, Properties: with("hurt", int64(-1))}, false, "hurt -1 is negative"},
		{"low above high", Feature{Geometry: pt, Properties: with("lo", int64(9))}, false, "lo 9 is above hi 5"},
		{"below low", Feature{Geometry: pt, Properties: with("n", int64(1))}, false, "n 1 is below lo 2"},
		{"above high", Feature{Geometry: pt, Properties: with("n", int64(8))}, false, "n 8 is above hi 5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := p.Check(c.f, c.partial)
			if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
				t.Errorf("Check = %q, want %q", got, c.want)
			}
		})
	}
}
