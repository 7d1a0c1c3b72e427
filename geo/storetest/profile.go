package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/paulmach/orb"
)

// Profiles stored with a layer: set, read back, refused, carried by a
// whole-layer write, the rules they bring, and the ones imports leave.

const attackDoc = `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[69,34]},"properties":{"date":"2024-01-01","end_date":"2024-01-02","country":"Afghanistan","attribution":"claimed","killed":3,"name":"a"}},
{"type":"Feature","id":"b","geometry":{"type":"Point","coordinates":[70,35]},"properties":{"date":"2024-02-01","country":"Pakistan","attribution":"attributed","killed":0,"name":"b"}}]}`

// testStoredProfile: a profile set on a layer is what the store gives
// for it, over the dataset's; one that does not fit the layer is refused
// naming the field and leaves the stored one as it was; removing it
// falls back to the dataset's.
func testStoredProfile(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	if _, err := s.ImportGeoJSON(ctx, geo.LayerInfo{Name: "attacks"}, []byte(attackDoc)); err != nil {
		t.Fatal(err)
	}
	l, err := s.Layer(ctx, "attacks")
	if err != nil {
		t.Fatal(err)
	}
	described, _ := Dataset(t).Profile("attacks")
	if l.StoredProfile != nil || l.Profile.String() != described.String() {
		t.Fatalf("a layer without a stored profile: %v, %s; want the dataset's %s", l.StoredProfile, l.Profile, described)
	}
	mine := geo.Profile{Kind: geo.KindEvents, Noun: "an event", Time: "date", EndTime: "end_date", Magnitude: "killed", Counts: []string{"killed"},
		Categories: []geo.Category{{Property: "attribution", Title: "Who", Values: []string{"claimed", "attributed"},
			Labels: map[string]string{"claimed": "Claimed"}, Colors: map[string]string{"claimed": "#c0392b", "attributed": "#e68"}}},
		Label: "name", Popup: []string{"name", "date"}, Source: "country"}
	got, err := s.SetProfile(ctx, "attacks", &mine, "tester")
	if err != nil {
		t.Fatal(err)
	}
	for what, l := range map[string]geo.Layer{"SetProfile's": got, "Layer's": mustLayer(t, s, "attacks"), "Layers'": layerOf(t, s, "attacks")} {
		if l.StoredProfile == nil || l.StoredProfile.String() != mine.String() || l.Profile.String() != mine.String() {
			t.Errorf("%s layer: profile %s, stored %v; want %s", what, l.Profile, l.StoredProfile, mine)
		}
	}
	bad := []struct {
		name  string
		edit  func(p *geo.Profile)
		field string // what the message names
	}{
		{"a field the layer lacks", func(p *geo.Profile) { p.Label = "title" }, `label: the layer has no property "title"`},
		{"a category the layer lacks", func(p *geo.Profile) { p.Categories[0].Property = "group" }, `"group"`},
		{"a colour that is not one", func(p *geo.Profile) { p.Categories[0].Colors["claimed"] = "red" }, `colour "red" of "claimed"`},
		{"a colour of four digits", func(p *geo.Profile) { p.Categories[0].Colors["claimed"] = "#abcd" }, `"#abcd"`},
		{"a colour for no value", func(p *geo.Profile) { p.Categories[0].Colors["disputed"] = "#000" }, `"disputed", which is not one of its values`},
		{"a magnitude that is not numeric", func(p *geo.Profile) { p.Magnitude = "country" }, `magnitude: property "country" is text, not a number`},
		{"a count that is not numeric", func(p *geo.Profile) { p.Counts = []string{"name"} }, `counts: property "name"`},
		{"a time that is not a date", func(p *geo.Profile) { p.Time = "killed" }, `time: property "killed" is an integer, not a date`},
		{"events without a time", func(p *geo.Profile) { p.Time, p.EndTime = "", "" }, `time`},
		{"an unknown kind", func(p *geo.Profile) { p.Kind = "rivers" }, `kind "rivers"`},
	}
	for _, c := range bad {
		p := mine.Clone()
		c.edit(&p)
		_, err := s.SetProfile(ctx, "attacks", &p, "tester")
		if !geo.IsInvalid(err) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: %v, want an input error naming %s", c.name, err, c.field)
		}
		if l := mustLayer(t, s, "attacks"); l.StoredProfile == nil || l.StoredProfile.String() != mine.String() {
			t.Errorf("%s: the stored profile became %v", c.name, l.StoredProfile)
		}
	}
	if _, err := s.SetProfile(ctx, "nope", &mine, "tester"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("a profile for a layer that is not there: %v", err)
	}
	// The stored profile's rules are the layer's: a closed category
	// holds, and the dataset's rules (a country is required) no longer.
	pt := orb.Point{69, 34}
	if _, _, err := s.CreateFeature(ctx, "attacks", geo.Feature{ID: "c", Geometry: pt, Properties: map[string]any{"date": "2024-03-01", "attribution": "disputed"}}, "t"); !geo.IsInvalid(err) {
		t.Errorf("a value outside the stored profile's closed category: %v", err)
	}
	if _, _, err := s.CreateFeature(ctx, "attacks", geo.Feature{ID: "c", Geometry: pt, Properties: map[string]any{"date": "2024-03-01", "attribution": "claimed"}}, "t"); err != nil {
		t.Errorf("a feature the stored profile allows (without the country the dataset requires): %v", err)
	}
	h, err := s.History(ctx, geo.HistoryQuery{Layer: "attacks"})
	if err != nil {
		t.Fatal(err)
	}
	profiles := 0
	for _, e := range h {
		if e.Action == "profile" {
			profiles++
			if e.Actor != "tester" || !strings.Contains(string(e.New), `"noun":"an event"`) {
				t.Errorf("the profile's audit entry: %+v", e)
			}
		}
	}
	if profiles != 1 {
		t.Errorf("%d profile entries in the audit log, want 1 (refusals write none)", profiles)
	}
	// A whole-layer write (a copy) carries the profile it is given, and
	// without one the layer has none.
	fs := all(t, s, "attacks", geo.Query{})
	cur := mustLayer(t, s, "attacks")
	copied := geo.LayerInfo{Name: "copy", Profile: cur.StoredProfile}
	if _, err := s.ReplaceLayer(ctx, copied, cur.Schema, seq(fs)); err != nil {
		t.Fatal(err)
	}
	if c := mustLayer(t, s, "copy"); c.StoredProfile == nil || c.StoredProfile.String() != mine.String() {
		t.Errorf("a copy's profile: %v", c.StoredProfile)
	}
	if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: "copy"}, cur.Schema, seq(fs)); err != nil {
		t.Fatal(err)
	}
	if c := mustLayer(t, s, "copy"); c.StoredProfile != nil || c.Profile.Kind != geo.KindGeneric {
		t.Errorf("a layer replaced without a profile: %v, %s", c.StoredProfile, c.Profile)
	}
	// Removing the stored profile gives the dataset's back.
	l, err = s.SetProfile(ctx, "attacks", nil, "tester")
	if err != nil || l.StoredProfile != nil || l.Profile.String() != described.String() {
		t.Errorf("after removing the profile: %v, %v, %s", err, l.StoredProfile, l.Profile)
	}
}

// testImportGuessesProfile: a spreadsheet or GeoJSON with a date column
// that no dataset describes becomes an events layer with a profile read
// from its columns and values; one without a date, or one the dataset
// describes, gets none; a replace keeps a stored profile that still
// fits, and an append adds new values to its open categories.
func testImportGuessesProfile(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	sheet := "id,lat,lon,when,Deaths,group,name,notes,source\n" +
		"e1,34.5,69.2,2021-03-02,5,x,p,one,s1\n" +
		"e2,35.1,68.9,2021-03-15,,y,q,two,s2\n" +
		"e3,35.2,68.8,2021-04-01,1,x,r,three,s3\n"
	rep, err := importText(t, s, "sheet", ingest.ModeCreate, "s.csv", sheet)
	if err != nil {
		t.Fatalf("%v %+v", err, rep)
	}
	want := `{"kind":"events","time":"when","magnitude":"Deaths","categories":[{"property":"group","values":["x","y"],"colors":{"x":"#4e79a7","y":"#f28e2b"},"open":true}],"label":"name","source":"source"}`
	l := mustLayer(t, s, "sheet")
	checkProfile(t, "a spreadsheet's profile", l.StoredProfile, want)
	checkProfile(t, "the report's", rep.LayerProfile, want)
	doc := `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[69,34]},"properties":{"day":"2020-01-01","fatalities":2,"kind":"k1"}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[69,35]},"properties":{"day":"2020-01-02","fatalities":0,"kind":"k1"}}]}`
	if _, err := importText(t, s, "gj", ingest.ModeCreate, "g.geojson", doc); err != nil {
		t.Fatal(err)
	}
	// One value for two features is no category to choose from.
	checkProfile(t, "a GeoJSON's profile", mustLayer(t, s, "gj").StoredProfile, `{"kind":"events","time":"day","magnitude":"fatalities"}`)
	if _, err := importText(t, s, "places", ingest.ModeCreate, "p.csv", "id,lat,lon,name\na,34,69,p\n"); err != nil {
		t.Fatal(err)
	}
	if p := mustLayer(t, s, "places"); p.StoredProfile != nil || p.Profile.Kind != geo.KindGeneric {
		t.Errorf("a layer without dates: %v, %s; want none stored and a generic one", p.StoredProfile, p.Profile)
	}
	if _, err := importText(t, s, "attacks", ingest.ModeCreate, "a.geojson", attackDoc); err != nil {
		t.Fatal(err)
	}
	if a := mustLayer(t, s, "attacks"); a.StoredProfile != nil || a.Profile.Noun != "an attack" {
		t.Errorf("a layer the dataset describes: stored %v, profile %s; want the dataset's", a.StoredProfile, a.Profile)
	}
	// A replace keeps a profile set by hand while it fits.
	mine := geo.Profile{Kind: geo.KindEvents, Time: "when", Categories: []geo.Category{{Property: "group", Values: []string{"x"}, Open: true}}, Label: "notes"}
	if _, err := s.SetProfile(ctx, "sheet", &mine, "tester"); err != nil {
		t.Fatal(err)
	}
	if _, err := importText(t, s, "sheet", ingest.ModeReplace, "s.csv", sheet); err != nil {
		t.Fatal(err)
	}
	checkProfile(t, "after a replace", mustLayer(t, s, "sheet").StoredProfile, mine.String())
	// An append adds the values it brings to the open categories.
	more := "id,lat,lon,when,Deaths,group,name,notes,source\ne4,35,69,2021-05-01,2,z,s,four,s4\n"
	rep, err = importText(t, s, "sheet", ingest.ModeAppend, "m.csv", more)
	if err != nil {
		t.Fatal(err)
	}
	grown := `{"kind":"events","time":"when","categories":[{"property":"group","values":["x","z"],"open":true}],"label":"notes"}`
	checkProfile(t, "after an append", mustLayer(t, s, "sheet").StoredProfile, grown)
	checkProfile(t, "the append's report", rep.LayerProfile, grown)
}

func mustLayer(t *testing.T, s Store, name string) geo.Layer {
	t.Helper()
	l, err := s.Layer(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// layerOf is the layer as Layers lists it.
func layerOf(t *testing.T, s Store, name string) geo.Layer {
	t.Helper()
	ls, err := s.Layers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("Layers has no %q", name)
	return geo.Layer{}
}
