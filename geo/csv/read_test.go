package csv

import (
	"fmt"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/internal/testio"
	"github.com/paulmach/orb"
)

// readCSV reads a whole file, failing the test if it does not open.
func readCSV(t *testing.T, doc string, opt Options) (string, []geo.Record) {
	t.Helper()
	r, profile, err := NewReader(strings.NewReader(doc), opt)
	if err != nil {
		t.Fatal(err)
	}
	return profile, testio.ReadRecords(t, r)
}

func byID(recs []geo.Record) map[string]geo.Feature {
	out := map[string]geo.Feature{}
	for _, r := range recs {
		out[r.Feature.ID] = r.Feature
	}
	return out
}

func checkProperties(t *testing.T, f geo.Feature, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got, ok := f.Properties[k]; !ok || got != v {
			t.Errorf("%s: %s = %#v, want %#v", f.ID, k, got, v)
		}
	}
}

// The exports of ACLED, UCDP GED and GTD are recognised by their header
// and keep their own columns and values: only dates and counts are
// typed, and GTD's iyear/imonth/iday make a date.
func TestReaderRecognisesExports(t *testing.T) {
	cases := []struct {
		name, file, profile string
		ids                 []string
		check               func(t *testing.T, fs map[string]geo.Feature)
	}{
		{"ACLED", acledCSV, "acled", []string{"AFG1001", "AFG1002"}, func(t *testing.T, fs map[string]geo.Feature) {
			f := fs["AFG1001"]
			checkProperties(t, f, map[string]any{"event_date": "2021-08-26", "fatalities": int64(170), "event_type": geo.Cell("Explosions/Remote violence"),
				"sub_event_type": geo.Cell("Suicide bomb"), "actor1": geo.Cell("Islamic State (Afghanistan)"), "actor2": geo.Cell("Civilians (Afghanistan)"),
				"location": geo.Cell("Kabul"), "geo_precision": geo.Cell("1"), "source": geo.Cell("Pajhwok; BBC")})
			checkProperties(t, fs["AFG1002"], map[string]any{"event_date": "2022-01-15", "actor2": nil, "sub_event_type": geo.Cell("Attack"), "fatalities": int64(3)})
			for _, gone := range []string{"date", "killed", "attack_type", "perpetrator", "attribution", "event_id_cnty", "latitude"} {
				if _, ok := f.Properties[gone]; ok {
					t.Errorf("property %q: the export's columns are kept as they are", gone)
				}
			}
			if p := f.Geometry.(orb.Point); p != (orb.Point{69.1833, 34.5167}) {
				t.Errorf("point %v", p)
			}
		}},
		{"UCDP", ucdpCSV, "ucdp", []string{"414081", "414082"}, func(t *testing.T, fs map[string]geo.Feature) {
			checkProperties(t, fs["414081"], map[string]any{"date_start": "2021-08-26", "date_end": "2021-08-26", "best": int64(183), "low": int64(170), "high": int64(185),
				"type_of_violence": geo.Cell("3"), "side_a": geo.Cell("IS"), "where_prec": geo.Cell("1"), "where_coordinates": geo.Cell("Kabul town")})
			checkProperties(t, fs["414082"], map[string]any{"date_end": "2021-10-09", "source_article": nil})
		}},
		{"GTD", gtdCSV, "gtd", []string{"201508150001", "201600000002", "201602000003"}, func(t *testing.T, fs map[string]geo.Feature) {
			// Latin-1 â is U+00E2; the file says Jal\xe2l\xe2b\xe2d.
			checkProperties(t, fs["201508150001"], map[string]any{"date": "2015-08-15", "end_date": nil, "city": geo.Cell("Jal\u00e2l\u00e2b\u00e2d"), "claimed": geo.Cell("1"),
				"nkill": int64(12), "nwound": int64(20), "gname": geo.Cell("Khorasan Chapter of the Islamic State"), "attacktype1_txt": geo.Cell("Bombing/Explosion"),
				"targtype1_txt": geo.Cell("Private Citizens & Property"), "target1": geo.Cell("Caf\u00e9"), "scite1": geo.Cell("Source A"), "iyear": geo.Cell("2015")})
			checkProperties(t, fs["201600000002"], map[string]any{"date": "2016-01-01", "end_date": "2016-12-31", "claimed": geo.Cell("0"), "nkill": nil,
				"approxdate": geo.Cell("early 2016"), "imonth": geo.Cell("0")})
			// 4.0 is 4; -99 is GTD's unknown.
			checkProperties(t, fs["201602000003"], map[string]any{"date": "2016-02-01", "end_date": "2016-02-29", "nkill": int64(4), "nwound": nil})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			profile, recs := readCSV(t, c.file, Options{})
			if profile != c.profile || len(recs) != len(c.ids) {
				t.Fatalf("profile %q, %d records", profile, len(recs))
			}
			for _, r := range recs {
				if r.Err != nil {
					t.Errorf("line %d: %v", r.Line, r.Err)
				}
			}
			fs := byID(recs)
			for _, id := range c.ids {
				if _, ok := fs[id]; !ok {
					t.Errorf("no feature %q", id)
				}
			}
			c.check(t, fs)
		})
	}
}

// A bad row is a record with an error, and the rows after it still read.
func TestReaderReportsBadRows(t *testing.T) {
	doc := acledCSV +
		"AFG1003,2023-02-30,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,34.5,69.2,1,,,1\n" +
		"AFG1006,2023-03-03,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,34.5,69.2,1,,,many\n" +
		"AFG1007,2023-03-05,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,,,1,,,1\n" +
		"AFG1008,2023-03-05,2023\n" +
		"\n"
	_, recs := readCSV(t, doc, Options{})
	var got []string
	for _, r := range recs {
		if r.Err != nil {
			got = append(got, fmt.Sprintf("%d: %v", r.Line, r.Err))
		} else {
			got = append(got, fmt.Sprintf("%d: ok", r.Line))
		}
	}
	want := []string{
		"2: ok", "3: ok",
		`4: event_date: "2023-02-30" is not a date`,
		`5: fatalities "many" is not a whole number`,
		`6: no coordinates`,
		`7: row has 3 fields; the header has 16`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("record %d: %q, want prefix %q", i+1, got[i], want[i])
		}
	}
}

func TestReaderColumnMap(t *testing.T) {
	file := "Event;Y;X;When;Deaths;Zip;Flag\nE1;34,5;69,2;02/03/2021;5;007;true\nE2;35,1;68,9;15/03/2021;;010;false\n"
	cm, err := ParseColumnMap(`id=Event, lat=Y, lon=X, date=When, killed:integer=Deaths, "zip code"=Zip, flag=#7, source='spreadsheet'`)
	if err != nil {
		t.Fatal(err)
	}
	profile, recs := readCSV(t, file, Options{Columns: cm, DateOrder: "dmy"})
	if profile != "generic" || len(recs) != 2 {
		t.Fatalf("profile %q, %d records", profile, len(recs))
	}
	e1 := recs[0].Feature
	checkProperties(t, e1, map[string]any{"date": "2021-03-02", "killed": int64(5), "zip code": geo.Cell("007"), "flag": geo.Cell("true"), "source": geo.Cell("spreadsheet")})
	if e1.ID != "E1" || e1.Geometry != (orb.Point{69.2, 34.5}) {
		t.Errorf("id %q, geometry %v", e1.ID, e1.Geometry)
	}
	if _, ok := e1.Properties["Deaths"]; ok {
		t.Error("unmapped column kept without *")
	}
	// Without an order, 02/03/2021 is ambiguous.
	_, recs = readCSV(t, file, Options{Columns: cm})
	if len(recs) == 0 || recs[0].Err == nil || !strings.Contains(recs[0].Err.Error(), "ambiguous") {
		t.Errorf("ambiguous dates: %+v", recs)
	}
	// A plain file keeps every other column, as text the store types.
	_, recs = readCSV(t, "id,latitude,longitude,n,x\na,1,2,3,\n", Options{})
	if f := recs[0].Feature; f.ID != "a" || f.Properties["n"] != geo.Cell("3") || f.Properties["x"] != nil || len(f.Properties) != 2 {
		t.Errorf("plain file: %+v", f)
	}
	// A WKT column when there are no coordinates.
	_, recs = readCSV(t, "x;y;wkt\n1;2;POINT(1 2)\n", Options{})
	if g := recs[0].Feature.Geometry; g != (orb.Point{1, 2}) {
		t.Errorf("WKT: %#v", g)
	}
}

// What cannot be read at all is refused when the reader opens.
func TestReaderRefuses(t *testing.T) {
	cases := []struct {
		name, doc string
		opt       Options
		want      string
	}{
		{"empty", "", Options{}, "empty"},
		{"no coordinates", "a,b\n1,2\n", Options{}, "no coordinate columns"},
		{"ACLED without longitude", "event_id_cnty,event_date,latitude,fatalities\nX,2020-01-01,1,1\n", Options{}, "no column longitude"},
		{"UTF-16 without BOM", "i\x00d\x00,\x00l\x00a\x00t\x00\n\x00", Options{}, "NUL bytes"},
		{"duplicate column", "id,lat,lon,Lat\n", Options{}, "both named"},
		{"unknown profile", "id,lat,lon\n", Options{Profile: "acme"}, "not a profile"},
		{"unknown date order", "id,lat,lon\n", Options{DateOrder: "ymd"}, "not a date order"},
		{"unknown encoding", "id,lat,lon\n", Options{Encoding: "ebcdic"}, "not an encoding"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := NewReader(strings.NewReader(c.doc), c.opt)
			if err == nil {
				t.Fatal("accepted")
			}
			if !geo.IsInvalid(err) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: want an input error saying %q", err, c.want)
			}
		})
	}
}
