package geo

import (
	"strings"
	"testing"
)

var testSchema = Schema{Columns: []Column{{Name: "date", Type: Date}, {Name: "at", Type: DateTime}, {Name: "n", Type: Integer},
	{Name: "share", Type: Real}, {Name: "who", Type: Text}, {Name: "name", Type: Text}}}

func TestProfileValidate(t *testing.T) {
	good := Profile{Kind: KindEvents, Time: "date", EndTime: "at", Magnitude: "n", MagnitudeHigh: "share", Counts: []string{"n"},
		Categories: []Category{{Property: "who", Values: []string{"x", "y"}, Labels: map[string]string{"x": "X"}, Colors: map[string]string{"x": "#abc", "y": "#A0B1C2"}}},
		Label:      "name", Popup: []string{"name", "n"}, Source: "who"}
	if err := good.Validate(testSchema); err != nil {
		t.Fatalf("a good profile: %v", err)
	}
	cases := []struct {
		name string
		edit func(p *Profile)
		want string
	}{
		{"unknown field", func(p *Profile) { p.Label = "title" }, `label: the layer has no property "title" (its properties are date, at, n, share, who, name)`},
		{"unknown popup field", func(p *Profile) { p.Popup = []string{"x"} }, `popup: the layer has no property "x"`},
		{"unknown category", func(p *Profile) { p.Categories[0].Property = "kind" }, `categories: the layer has no property "kind"`},
		{"text magnitude", func(p *Profile) { p.Magnitude = "who" }, `magnitude: property "who" is text, not a number`},
		{"date count", func(p *Profile) { p.Counts = []string{"date"} }, `counts: property "date" is a date (YYYY-MM-DD), not a number`},
		{"numeric time", func(p *Profile) { p.Time = "n" }, `time: property "n" is an integer, not a date or date-time`},
		{"text end", func(p *Profile) { p.EndTime = "who" }, `endTime: property "who" is text`},
		{"named colour", func(p *Profile) { p.Categories[0].Colors["x"] = "red" }, `colour "red" of "x" is not a CSS colour`},
		{"rgba colour", func(p *Profile) { p.Categories[0].Colors["x"] = "#aabbccdd" }, `"#aabbccdd"`},
		{"colour of no value", func(p *Profile) { p.Categories[0].Colors["z"] = "#000" }, `a colour for "z", which is not one of its values`},
		{"label of no value", func(p *Profile) { p.Categories[0].Labels["z"] = "Z" }, `a label for "z"`},
		{"closed without values", func(p *Profile) {
			p.Categories[0].Values = nil
			p.Categories[0].Colors = nil
			p.Categories[0].Labels = nil
		}, `needs its values`},
		{"category twice", func(p *Profile) { p.Categories = append(p.Categories, Category{Property: "who", Open: true}) }, `"who" is given twice`},
		{"events without time", func(p *Profile) { p.Time = "" }, "time: an events layer needs its time property"},
		{"unknown kind", func(p *Profile) { p.Kind = "rivers" }, `kind "rivers"`},
		{"unknown geometry", func(p *Profile) { p.Geometry = "POINT" }, `geometry "POINT"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := good.Clone()
			c.edit(&p)
			err := p.Validate(testSchema)
			if !IsInvalid(err) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v, want an input error saying %s", err, c.want)
			}
		})
	}
	if good.Categories[0].Colors["x"] != "#abc" || len(good.Categories[0].Colors) != 2 {
		t.Errorf("Clone shared the colours: %v", good.Categories[0].Colors)
	}
}

func TestProfileSet(t *testing.T) {
	var p Profile
	for _, kv := range [][2]string{
		{"kind", "events"}, {"time", "date"}, {"magnitude", "n"}, {"counts", "n, share"}, {"popup", "name,n"},
		{"categories.who.values", "x,y"}, {"categories.who.title", "Who"}, {"categories.who.colors.x", "#123"},
		{"categories.who.labels.y", "Why"}, {"categories.who.open", "true"}, {"categories.gone.values", "a"}, {"categories.gone", ""},
		{"label", "name"}, {"source", "who"},
	} {
		if err := p.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("%s=%s: %v", kv[0], kv[1], err)
		}
	}
	want := `{"kind":"events","time":"date","magnitude":"n","counts":["n","share"],"categories":[{"property":"who","title":"Who","values":["x","y"],"labels":{"y":"Why"},"colors":{"x":"#123"},"open":true}],"label":"name","popup":["name","n"],"source":"who"}`
	if got := p.String(); got != want {
		t.Errorf("after the sets:\n%s\nwant\n%s", got, want)
	}
	if err := p.Validate(testSchema); err != nil {
		t.Errorf("the set profile: %v", err)
	}
	if p.HasRules() != true || (Profile{Categories: []Category{{Property: "who", Open: true}}}).HasRules() {
		t.Error("an open category is no rule; a time is")
	}
	if p.Check(Feature{Properties: map[string]any{"who": "z", "date": "2020-01-01T10:00:00Z"}}, true) != "" {
		t.Error("an open category refused a value it does not list, or a date-time was no date")
	}
	for _, bad := range []string{"colour", "categories.", "categories.who.shade", "categories.who.colors", "categories.who.open"} {
		v := "x"
		if err := p.Set(bad, v); !IsInvalid(err) {
			t.Errorf("%s=%s: %v, want an input error", bad, v, err)
		}
	}
	if err := p.Set("kind", ""); err != nil || p.Kind != KindGeneric {
		t.Errorf("clearing the kind: %v %q", err, p.Kind)
	}
}

func TestParseProfile(t *testing.T) {
	if p, err := ParseProfile([]byte(`{"label":"name"}`)); err != nil || p.Kind != KindGeneric || p.Label != "name" {
		t.Errorf("%+v %v", p, err)
	}
	for _, bad := range []string{`{"colour":"#000"}`, `{`, `{} {}`, `[]`} {
		if _, err := ParseProfile([]byte(bad)); !IsInvalid(err) {
			t.Errorf("%s: %v, want an input error", bad, err)
		}
	}
}
