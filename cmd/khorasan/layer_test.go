package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
)

// TestLayerProfile: khorasan layer profile shows the profile an ACLED
// import left, edits it with --set and --file, refuses a bad one naming
// the field and leaving it as it was, and --reset removes it.
func TestLayerProfile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.gpkg")
	file := writeFile(t, dir, "acled.csv", acledFile)
	out, _, err := khorasan(t, "import", "--db", db, "--layer", "acled", "--mode", "create", file)
	if err != nil || !strings.Contains(out, "profile: events, time event_date, magnitude fatalities, category event_type (2 values)") {
		t.Fatalf("import: %q %v", out, err)
	}
	show := func(args ...string) geo.Profile {
		t.Helper()
		out, stderr, err := khorasan(t, append([]string{"layer", "profile", "--db", db, "--layer", "acled"}, args...)...)
		if err != nil {
			t.Fatalf("layer profile %v: %v\n%s", args, err, stderr)
		}
		p, err := geo.ParseProfile([]byte(out))
		if err != nil {
			t.Fatalf("layer profile %v printed no profile: %v\n%s", args, err, out)
		}
		return p
	}
	p := show()
	if p.Kind != geo.KindEvents || p.Time != "event_date" || p.Magnitude != "fatalities" || p.Label != "location" {
		t.Errorf("the ACLED profile: %s", p)
	}
	if c, ok := p.Category("sub_event_type"); !ok || strings.Join(c.Values, "|") != "Attack|Suicide bomb" {
		t.Errorf("sub_event_type: %+v", c)
	}
	p = show("--set", "label=notes", "--set", "categories.event_type.colors.Battles=#0a0", "--set", "categories.event_type.values=Battles,Violence against civilians")
	if c, _ := p.Category("event_type"); p.Label != "notes" || c.Colors["Battles"] != "#0a0" || len(c.Values) != 2 {
		t.Errorf("after --set: %s", p)
	}
	before := p.String()
	for name, set := range map[string]string{
		"a colour that is not one":        "categories.event_type.colors.Battles=green",
		"a field the layer lacks":         "magnitude=killed",
		"a magnitude that is not numeric": "magnitude=location",
		"a time that is not a date":       "time=fatalities",
	} {
		_, _, err := khorasan(t, "layer", "profile", "--db", db, "--layer", "acled", "--set", set)
		field, _, _ := strings.Cut(set, "=")
		field = field[strings.LastIndex(field, ".")+1:]
		if err == nil || !geo.IsInvalid(err) || !strings.Contains(err.Error(), strings.SplitN(set, "=", 2)[1]) {
			t.Errorf("%s (%s): %v, want it refused naming it", name, field, err)
		}
		if got := show().String(); got != before {
			t.Errorf("%s changed the profile:\n%s", name, got)
		}
	}
	mine := writeFile(t, dir, "p.json", `{"kind":"events","time":"event_date","magnitude":"fatalities","categories":[{"property":"actor1","values":["Islamic State (Afghanistan)"],"colors":{"Islamic State (Afghanistan)":"#222"}}]}`)
	if p = show("--file", mine); len(p.Categories) != 1 || p.Categories[0].Property != "actor1" || p.Label != "" {
		t.Errorf("after --file: %s", p)
	}
	if _, _, err := khorasan(t, "layer", "profile", "--db", db, "--layer", "acled", "--file", writeFile(t, dir, "bad.json", `{"colour":"red"}`)); !geo.IsInvalid(err) {
		t.Errorf("a file with an unknown key: %v", err)
	}
	out, _, err = khorasan(t, "history", "--db", db, "--layer", "acled")
	if err != nil || strings.Count(out, " profile ") != 2 {
		t.Errorf("history of the profile:\n%s %v", out, err)
	}
	out, stderr, err := khorasan(t, "layer", "profile", "--db", db, "--layer", "acled", "--reset")
	var generic geo.Profile
	if err != nil || json.Unmarshal([]byte(out), &generic) != nil || generic.Kind != geo.KindGeneric || !strings.Contains(stderr, "stores no profile") {
		t.Errorf("--reset: %q %q %v", out, stderr, err)
	}
	for _, args := range [][]string{
		{"layer"}, {"layer", "rename"}, {"layer", "profile", "--db", db}, {"layer", "profile", "--db", db, "--layer", "acled", "--set", "novalue"},
		{"layer", "profile", "--db", db, "--layer", "acled", "--reset", "--set", "label=x"},
	} {
		if _, _, err := khorasan(t, args...); exitCode(err) != 2 {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if _, _, err := khorasan(t, "layer", "profile", "--db", db, "--layer", "nope"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("an unknown layer: %v", err)
	}
}
