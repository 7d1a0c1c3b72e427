package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const attacksHeader = "id,date,end_date,name,city,admin1,country,iso3,lat,lon,precision,killed,killed_low,killed_high,wounded,target,attack_type,attribution,source_url,notes\n"

// attackRow is a valid row with one column replaced.
func attackRow(column, value string) string {
	cells := map[string]string{
		"id": "2020-01-01-kabul-test", "date": "2020-01-01", "end_date": "", "name": "Test bombing",
		"city": "Kabul", "admin1": "Kabul", "country": "Afghanistan", "iso3": "AFG",
		"lat": "34.52813", "lon": "69.17233", "precision": "city",
		"killed": "5", "killed_low": "4", "killed_high": "6", "wounded": "",
		"target": "civilians", "attack_type": "suicide bombing", "attribution": "claimed",
		"source_url": "https://example.org/a | https://example.org/b", "notes": "a note, with a comma",
	}
	if column != "" {
		cells[column] = value
	}
	var out []string
	for _, h := range strings.Split(strings.TrimSpace(attacksHeader), ",") {
		v := cells[h]
		if strings.ContainsAny(v, ",\"") {
			v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		out = append(out, v)
	}
	return strings.Join(out, ",") + "\n"
}

func TestParseAttacksTyping(t *testing.T) {
	attacks, err := parseAttacks(strings.NewReader(attacksHeader + attackRow("", "")))
	if err != nil {
		t.Fatal(err)
	}
	a := attacks[0]
	if a.ID != "2020-01-01-kabul-test" || a.Point[0] != 69.17233 || a.Point[1] != 34.52813 {
		t.Errorf("id/point = %q %v", a.ID, a.Point)
	}
	got, err := json.Marshal(a.Props)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"date":"2020-01-01","end_date":null,"name":"Test bombing","city":"Kabul","admin1":"Kabul",` +
		`"country":"Afghanistan","iso3":"AFG","precision":"city","killed":5,"killed_low":4,"killed_high":6,` +
		`"wounded":null,"target":"civilians","attack_type":"suicide bombing","attribution":"claimed",` +
		`"source_url":"https://example.org/a | https://example.org/b","notes":"a note, with a comma"}`
	if string(got) != want {
		t.Errorf("properties (CSV order, typed, empty -> null):\n got %s\nwant %s", got, want)
	}
}

func TestParseAttacksRejects(t *testing.T) {
	cases := map[string]struct {
		csv     string
		wantErr string
	}{
		"bad lat is an error":                    {attacksHeader + attackRow("lat", "north"), "lat"},
		"lat beyond 90 is an error":              {attacksHeader + attackRow("lat", "91"), "outside"},
		"lon beyond 180 is an error":             {attacksHeader + attackRow("lon", "-180.5"), "outside"},
		"empty lon is an error":                  {attacksHeader + attackRow("lon", ""), "lon is empty"},
		"bad date is an error":                   {attacksHeader + attackRow("date", "2020-13-01"), "YYYY-MM-DD"},
		"bad end_date is an error":               {attacksHeader + attackRow("end_date", "01/02/2020"), "YYYY-MM-DD"},
		"end before start is an error":           {attacksHeader + attackRow("end_date", "2019-12-31"), "before"},
		"non-integer wounded is an error":        {attacksHeader + attackRow("wounded", "about 40"), "integer"},
		"negative killed is an error":            {attacksHeader + attackRow("killed", "-1"), "integer"},
		"killed outside its range is error":      {attacksHeader + attackRow("killed", "9"), "outside killed_low"},
		"empty source_url is an error":           {attacksHeader + attackRow("source_url", ""), "source_url is empty"},
		"unknown attribution is an error":        {attacksHeader + attackRow("attribution", "rumoured"), "attribution"},
		"unknown precision is an error":          {attacksHeader + attackRow("precision", "exact"), "precision"},
		"duplicate id is an error":               {attacksHeader + attackRow("", "") + attackRow("", ""), "already used"},
		"missing column is an error":             {strings.Replace(attacksHeader, ",iso3", ",iso", 1) + attackRow("", ""), "missing column \"iso3\""},
		"no rows is an error":                    {attacksHeader, "no rows"},
		"a weak attribution claimed is an error": {attacksHeader + attackRow("notes", "ATTRIBUTION WEAK: one report"), "want attributed"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := parseAttacks(strings.NewReader(tc.csv))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseAttacksKeepsWeakAttribution(t *testing.T) {
	row := strings.Replace(attackRow("notes", "ATTRIBUTION WEAK: one report"), ",claimed,", ",attributed,", 1)
	attacks, err := parseAttacks(strings.NewReader(attacksHeader + row))
	if err != nil {
		t.Fatal(err)
	}
	if got := attacks[0].Props.get("attribution"); got != "attributed" {
		t.Errorf("attribution = %v, want attributed kept", got)
	}
}

func TestParseAttacksFixture(t *testing.T) {
	attacks := mustParseAttacksFile(t, "testdata/attacks.csv")
	if len(attacks) != 3 {
		t.Fatalf("got %d attacks, want 3", len(attacks))
	}
}

func mustParseAttacksFile(t *testing.T, path string) []attack {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	attacks, err := parseAttacks(f)
	if err != nil {
		t.Fatal(err)
	}
	return attacks
}
