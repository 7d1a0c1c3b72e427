package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/csv"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/khorasan/khorasan/internal/testio"
	"github.com/paulmach/orb"
)

// Imports through the store (Store.Import, ingest's pipeline writing
// through the store's ingest.Target): every mode, dry run, skip-invalid,
// refused imports leaving no trace, the audit entries, the profiles'
// rules; moved from geo/ingest's tests with their assertions, which ran
// on a GeoPackage only. What tests the pipeline alone stays there.

// integrityCheck runs the store's own consistency check, when it has one
// (gpkg.Store's PRAGMA integrity_check and R-tree check).
func integrityCheck(t *testing.T, s Store) {
	t.Helper()
	if c, ok := s.(interface{ IntegrityCheck(context.Context) error }); ok {
		if err := c.IntegrityCheck(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func textSource(name, text string) ingest.Source {
	return ingest.Source{Name: name, Size: int64(len(text)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(text)), nil
	}}
}

func importText(t *testing.T, s Store, layer string, mode ingest.Mode, name, text string, opts ...func(*ingest.ImportOptions, *ingest.Source)) (*ingest.Report, error) {
	t.Helper()
	src := textSource(name, text)
	opt := ingest.ImportOptions{Layer: geo.LayerInfo{Name: layer}, Mode: mode, Actor: "test"}
	for _, o := range opts {
		o(&opt, &src)
	}
	return s.Import(context.Background(), src, opt)
}

func allFeatures(t *testing.T, s Store, layer string) map[string]geo.Feature {
	t.Helper()
	out := map[string]geo.Feature{}
	if err := s.Features(context.Background(), layer, geo.Query{}, func(f geo.Feature) error {
		out[f.ID] = f
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// history is the whole audit log, newest first.
func history(t *testing.T, s Store) []geo.AuditEntry {
	t.Helper()
	h, err := s.History(context.Background(), geo.HistoryQuery{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The exports of the profiles, kept once in geo/csv/testdata. GTD files
// are ISO-8859-1; imonth or iday 0 is unknown.
var (
	acledCSV = csvSample("acled.csv")
	ucdpCSV  = csvSample("ucdp.csv")
	gtdCSV   = csvSample("gtd.csv")
)

// csvSample reads a file of geo/csv/testdata, found from this file's
// place, whichever package's tests run the suite.
func csvSample(name string) string {
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		panic("storetest: cannot tell where its source is")
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "csv", "testdata", name))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// testImportRecognisesExports: an ACLED, UCDP or GTD export keeps its own
// columns and values, and its layer gets a profile in the export's
// vocabulary, its categories built from the values found.
func testImportRecognisesExports(t *testing.T, open Opener) {
	s := open(t)
	cases := []struct {
		name, file, profile string
		ids                 []string
		check               func(t *testing.T, fs map[string]geo.Feature)
		want                string // the layer's profile
	}{
		{"ACLED", acledCSV, "acled", []string{"AFG1001", "AFG1002"}, func(t *testing.T, fs map[string]geo.Feature) {
			f := fs["AFG1001"]
			want := map[string]any{"event_date": "2021-08-26", "fatalities": int64(170), "event_type": "Explosions/Remote violence", "sub_event_type": "Suicide bomb",
				"actor1": "Islamic State (Afghanistan)", "actor2": "Civilians (Afghanistan)", "location": "Kabul", "country": "Afghanistan", "geo_precision": int64(1)}
			for k, v := range want {
				if f.Properties[k] != v {
					t.Errorf("%s = %#v, want %#v", k, f.Properties[k], v)
				}
			}
			if fs["AFG1002"].Properties["event_date"] != "2022-01-15" {
				t.Errorf("15 January 2022 read as %v", fs["AFG1002"].Properties["event_date"])
			}
			if p := f.Geometry.(orb.Point); p != (orb.Point{69.1833, 34.5167}) {
				t.Errorf("point %v", p)
			}
		}, `{"kind":"events","noun":"an ACLED event","time":"event_date","magnitude":"fatalities","counts":["fatalities"],"categories":[` +
			`{"property":"event_type","title":"Event type","values":["Explosions/Remote violence","Violence against civilians"],"colors":{"Explosions/Remote violence":"#4e79a7","Violence against civilians":"#f28e2b"},"open":true},` +
			`{"property":"sub_event_type","title":"Sub-event type","values":["Attack","Suicide bomb"],"open":true},` +
			`{"property":"actor1","title":"Actor 1","values":["Islamic State (Afghanistan)"],"open":true}],` +
			`"label":"location","popup":["event_date","event_type","sub_event_type","actor1","actor2","fatalities","location","admin1","country","notes","source"],"source":"source"}`},
		{"UCDP", ucdpCSV, "ucdp", []string{"414081", "414082"}, func(t *testing.T, fs map[string]geo.Feature) {
			f := fs["414081"]
			want := map[string]any{"date_start": "2021-08-26", "date_end": "2021-08-26", "best": int64(183), "low": int64(170), "high": int64(185),
				"type_of_violence": int64(3), "side_a": "IS", "where_prec": int64(1)}
			for k, v := range want {
				if f.Properties[k] != v {
					t.Errorf("%s = %#v, want %#v", k, f.Properties[k], v)
				}
			}
			if fs["414082"].Properties["date_end"] != "2021-10-09" {
				t.Errorf("date_end %v", fs["414082"].Properties["date_end"])
			}
		}, `{"kind":"events","noun":"a UCDP event","time":"date_start","endTime":"date_end","magnitude":"best","magnitudeLow":"low","magnitudeHigh":"high","counts":["best","low","high"],"categories":[` +
			`{"property":"type_of_violence","title":"Type of violence","values":["3"],"labels":{"3":"One-sided violence"},"colors":{"3":"#4e79a7"},"open":true},` +
			`{"property":"side_a","title":"Side A","values":["IS"],"open":true}],` +
			`"label":"where_coordinates","popup":["date_start","date_end","type_of_violence","side_a","side_b","best","low","high","where_coordinates","adm_1","country","source_article"],"source":"source_article"}`},
		{"GTD", gtdCSV, "gtd", []string{"201508150001", "201600000002", "201602000003"}, func(t *testing.T, fs map[string]geo.Feature) {
			f := fs["201508150001"]
			// Latin-1 â is U+00E2; the file says Jal\xe2l\xe2b\xe2d.
			want := map[string]any{"date": "2015-08-15", "city": "Jal\u00e2l\u00e2b\u00e2d", "claimed": int64(1), "nkill": int64(12), "nwound": int64(20),
				"gname": "Khorasan Chapter of the Islamic State", "attacktype1_txt": "Bombing/Explosion", "target1": "Caf\u00e9", "scite1": "Source A"}
			for k, v := range want {
				if f.Properties[k] != v {
					t.Errorf("%s = %#v, want %#v", k, f.Properties[k], v)
				}
			}
			y := fs["201600000002"].Properties
			if y["date"] != "2016-01-01" || y["end_date"] != "2016-12-31" || y["claimed"] != int64(0) || y["nkill"] != nil || y["approxdate"] != "early 2016" {
				t.Errorf("unknown month: %v", y)
			}
			m := fs["201602000003"].Properties
			if m["date"] != "2016-02-01" || m["end_date"] != "2016-02-29" || m["nkill"] != int64(4) || m["nwound"] != nil {
				t.Errorf("unknown day: %v", m)
			}
		}, `{"kind":"events","noun":"a GTD incident","time":"date","endTime":"end_date","magnitude":"nkill","counts":["nkill","nwound"],"categories":[` +
			`{"property":"attacktype1_txt","title":"Attack type","values":["Bombing/Explosion","Armed Assault"],"colors":{"Armed Assault":"#f28e2b","Bombing/Explosion":"#4e79a7"},"open":true},` +
			`{"property":"gname","title":"Perpetrator group","values":["Khorasan Chapter of the Islamic State"],"open":true},` +
			`{"property":"claimed","title":"Claimed","values":["0","1"],"labels":{"0":"Not claimed","1":"Claimed"},"open":true},` +
			`{"property":"targtype1_txt","title":"Target type","values":["Military","Police","Private Citizens \u0026 Property"],"open":true}],` +
			`"label":"city","popup":["date","end_date","attacktype1_txt","targtype1_txt","target1","gname","claimed","nkill","nwound","city","provstate","country_txt","summary","scite1"],"source":"scite1"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Each into a layer of its own, which the dataset does not describe.
			rep, err := importText(t, s, c.profile, ingest.ModeCreate, "export.csv", c.file)
			if err != nil {
				t.Fatalf("%v\n%+v", err, rep)
			}
			if rep.Profile != c.profile || rep.Inserted != int64(len(c.ids)) {
				t.Errorf("report %+v", rep)
			}
			fs := allFeatures(t, s, c.profile)
			for _, id := range c.ids {
				if _, ok := fs[id]; !ok {
					t.Errorf("no feature %q", id)
				}
			}
			c.check(t, fs)
			l, err := s.Layer(context.Background(), c.profile)
			if err != nil {
				t.Fatal(err)
			}
			checkProfile(t, "the layer's profile", &l.Profile, c.want)
			checkProfile(t, "the stored profile", l.StoredProfile, c.want)
			checkProfile(t, "the report's profile", rep.LayerProfile, c.want)
		})
	}
}

// checkProfile compares a profile with the JSON it should have.
func checkProfile(t *testing.T, what string, p *geo.Profile, want string) {
	t.Helper()
	if p == nil {
		t.Errorf("%s: none, want %s", what, want)
		return
	}
	w, err := geo.ParseProfile([]byte(want))
	if err != nil {
		t.Fatalf("the test's profile: %v", err)
	}
	if got, want := p.String(), w.String(); got != want {
		t.Errorf("%s:\n%s\nwant\n%s", what, got, want)
	}
}

func testImportModes(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	csv1 := "id,lat,lon,name,count\na,34,69,Kabul,1\nb,34.3,62.2,Herat,2\n"
	rep, err := importText(t, s, "places", ingest.ModeCreate, "p.csv", csv1)
	if err != nil || rep.Inserted != 2 || !rep.Created {
		t.Fatalf("create: %+v %v", rep, err)
	}
	l1, _ := s.Layer(ctx, "places")
	if _, err := importText(t, s, "places", ingest.ModeCreate, "p.csv", csv1); !errors.Is(err, geo.ErrConflict) {
		t.Errorf("create over a layer: %v", err)
	}
	// append: new ids only, a new column comes with them.
	rep, err = importText(t, s, "places", ingest.ModeAppend, "p.csv", "id,lat,lon,name,count,note\nc,36.7,67.1,Mazar,3,north\n")
	if err != nil || rep.Inserted != 1 || len(rep.NewColumns) != 1 || rep.NewColumns[0] != (geo.Column{Name: "note", Type: geo.Text}) {
		t.Fatalf("append: %+v %v", rep, err)
	}
	if _, err := importText(t, s, "places", ingest.ModeAppend, "p.csv", "id,lat,lon\na,1,1\n"); err == nil || !strings.Contains(err.Error(), "use mode upsert") {
		t.Errorf("append of an existing id: %v", err)
	}
	// upsert: a changes, b is the same, d is new; columns the input lacks are kept.
	rep, err = importText(t, s, "places", ingest.ModeUpsert, "p.csv", "id,lat,lon,count\na,34,69,10\nb,34.3,62.2,2\nd,31.6,65.7,4\n")
	if err != nil || rep.Inserted != 1 || rep.Updated != 1 || rep.Unchanged != 1 {
		t.Fatalf("upsert: %+v %v", rep, err)
	}
	fs := allFeatures(t, s, "places")
	if a := fs["a"].Properties; a["count"] != int64(10) || a["name"] != "Kabul" {
		t.Errorf("upserted a: %v", a)
	}
	if len(fs) != 4 {
		t.Errorf("%d features", len(fs))
	}
	// dry run: the report, and nothing written.
	rep, err = importText(t, s, "places", ingest.ModeReplace, "p.csv", csv1, func(o *ingest.ImportOptions, _ *ingest.Source) { o.DryRun = true })
	if err != nil || rep.Deleted != 4 || rep.Inserted != 2 {
		t.Errorf("dry run: %+v %v", rep, err)
	}
	if n := len(allFeatures(t, s, "places")); n != 4 {
		t.Errorf("dry run wrote: %d features", n)
	}
	// every write moves last_change on
	l2, _ := s.Layer(ctx, "places")
	t1, _ := time.Parse(time.RFC3339Nano, l1.Changed)
	t2, _ := time.Parse(time.RFC3339Nano, l2.Changed)
	if !t2.After(t1) {
		t.Errorf("last_change %q, then %q", l1.Changed, l2.Changed)
	}
	// history: the upsert's change of a, and the imports.
	h, err := s.History(ctx, geo.HistoryQuery{Layer: "places"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range h {
		actions = append(actions, e.Action+":"+e.FeatureID)
	}
	if got := strings.Join(actions, " "); got != "import: update:a import: import:" {
		t.Errorf("history %q", got)
	}
	if !bytes.Contains(h[1].Old, []byte(`"count":1`)) || !bytes.Contains(h[1].New, []byte(`"count":10`)) {
		t.Errorf("update entry: old %s new %s", h[1].Old, h[1].New)
	}
	// replace
	rep, err = importText(t, s, "places", ingest.ModeReplace, "p.csv", csv1)
	if err != nil || rep.Deleted != 4 || rep.Inserted != 2 {
		t.Errorf("replace: %+v %v", rep, err)
	}
	integrityCheck(t, s)
	// What the bulk writes do to the writer's page cache is the store's:
	// geo/gpkg's TestImportRestoresPageCache.
}

// One refused row refuses the file, and the report names every one.
func testImportIsAllOrNothing(t *testing.T, open Opener) {
	s := open(t)
	if _, err := importText(t, s, "acled", ingest.ModeCreate, "a.csv", acledCSV); err != nil {
		t.Fatal(err)
	}
	before := allFeatures(t, s, "acled")
	bad := acledCSV +
		"AFG1003,2023-02-30,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,34.5,69.2,1,,,1\n" +
		"AFG1004,2023-03-01,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,134.5,69.2,1,,,1\n" +
		"AFG1005,2023-03-02,2023,Battles,Armed clash,X,,,Kabul,Kabul,34.5,69.2,1,,,1\n" +
		"AFG1006,2023-03-03,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,34.5,69.2,1,,,many\n" +
		"AFG1001,2023-03-04,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,34.5,69.2,1,,,1\n" +
		"AFG1007,2023-03-05,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,,,1,,,1\n" +
		"AFG1008,2023-03-05,2023\n"
	rep, err := importText(t, s, "acled", ingest.ModeUpsert, "a.csv", bad)
	var re *ingest.RejectedError
	if !errors.As(err, &re) || !geo.IsInvalid(err) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		`line 4 (id "AFG1003"): event_date: "2023-02-30" is not a date`,
		`line 5 (id "AFG1004"): geometry: latitude 134.5 is outside -90..90`,
		`line 7 (id "AFG1006"): fatalities "many" is not a whole number`,
		`line 8 (id "AFG1001"): duplicate id "AFG1001" (also at line 2)`,
		`line 9 (id "AFG1007"): no coordinates`,
		`line 10: row has 3 fields; the header has 16`,
	}
	if rep.Rejected != int64(len(want)) || len(rep.Errors) != len(want) {
		t.Fatalf("report: %d rejected, errors %v", rep.Rejected, rep.Errors)
	}
	for i, w := range want {
		if got := rep.Errors[i].String(); !strings.Contains(got, w) {
			t.Errorf("error %d: %q, want %q", i, got, w)
		}
	}
	if after := allFeatures(t, s, "acled"); len(after) != len(before) {
		t.Errorf("%d features after a refused import, %d before", len(after), len(before))
	}
	// With SkipInvalid the rest lands (AFG1005, whose country is empty:
	// ACLED's profile requires none), and the report still lists them.
	rep, err = importText(t, s, "acled", ingest.ModeUpsert, "a.csv", bad, func(o *ingest.ImportOptions, _ *ingest.Source) { o.SkipInvalid = true })
	if err != nil || rep.Rejected != int64(len(want)) || rep.Unchanged != 2 || rep.Inserted != 1 {
		t.Errorf("skip invalid: %+v %v", rep, err)
	}
}

func testImportGenericCSV(t *testing.T, open Opener) {
	s := open(t)
	file := "Event;Y;X;When;Deaths;Zip;Flag\nE1;34,5;69,2;02/03/2021;5;007;true\nE2;35,1;68,9;15/03/2021;;010;false\n"
	cm, err := csv.ParseColumnMap(`id=Event, lat=Y, lon=X, date=When, killed:integer=Deaths, "zip code"=Zip, flag=#7, source='spreadsheet'`)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := importText(t, s, "sheet", ingest.ModeCreate, "s.csv", file, func(o *ingest.ImportOptions, src *ingest.Source) {
		src.CSV = csv.Options{Columns: cm, DateOrder: "dmy"}
	})
	if err != nil {
		t.Fatalf("%v %+v", err, rep)
	}
	fs := allFeatures(t, s, "sheet")
	e1 := fs["E1"]
	want := map[string]any{"date": "2021-03-02", "killed": int64(5), "zip code": "007", "flag": true, "source": "spreadsheet"}
	for k, v := range want {
		if e1.Properties[k] != v {
			t.Errorf("%s = %#v, want %#v", k, e1.Properties[k], v)
		}
	}
	if e1.Geometry != (orb.Point{69.2, 34.5}) {
		t.Errorf("geometry %v", e1.Geometry)
	}
	if _, ok := e1.Properties["Deaths"]; ok {
		t.Error("unmapped column kept without *")
	}
	// Without an order, 02/03/2021 is ambiguous.
	_, err = importText(t, s, "sheet2", ingest.ModeCreate, "s.csv", file, func(o *ingest.ImportOptions, src *ingest.Source) { src.CSV = csv.Options{Columns: cm} })
	if err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("ambiguous dates: %v", err)
	}
	// A plain file keeps every column, typed by its values.
	if _, err := importText(t, s, "plain", ingest.ModeCreate, "p.csv", "id,latitude,longitude,n,x,d\na,1,2,3,1.5,2020-01-01\nb,3,4,5,,2020-01-02\n"); err != nil {
		t.Fatal(err)
	}
	l, _ := s.Layer(context.Background(), "plain")
	if got := columnsString(l.Schema); got != "n:INTEGER x:REAL d:DATE" {
		t.Errorf("columns %s", got)
	}
}

func testImportKML(t *testing.T, open Opener) {
	s := open(t)
	kml := `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder>
<Placemark id="p1"><name>Kabul</name><ExtendedData><Data name="killed"><value>5</value></Data></ExtendedData>
<Point><coordinates>69.17,34.53,1800</coordinates></Point></Placemark>
<Placemark id="p2"><name>Area</name><ExtendedData><SchemaData><SimpleData name="killed">7</SimpleData></SchemaData></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>60,30 61,30 61,31 60,31</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Folder></Document></kml>`
	rep, err := importText(t, s, "k", ingest.ModeCreate, "k.kml", kml)
	if err != nil {
		t.Fatalf("%v %+v", err, rep)
	}
	fs := allFeatures(t, s, "k")
	if fs["p1"].Properties["killed"] != int64(5) || fs["p2"].Properties["name"] != "Area" {
		t.Errorf("features %v", fs)
	}
	if p, ok := fs["p2"].Geometry.(orb.Polygon); !ok || len(p[0]) != 5 {
		t.Errorf("polygon (its open ring closed) %#v", fs["p2"].Geometry)
	}
}

// Bad input of every kind is a clear error, and nothing is written.
func testImportRefusesBadInput(t *testing.T, open Opener) {
	s := open(t)
	// The same 10 MB every run: random bytes may start like JSON (a
	// digit, a quote), which is refused with another message.
	garbage := make([]byte, 10<<20)
	rand.NewChaCha8([32]byte{'k', 'h', 'o', 'r', 'a', 's', 'a', 'n'}).Read(garbage)
	garbage[0] = 0xff
	cases := []struct {
		name, file, content string
		format              ingest.Format
		want                string
	}{
		{"garbage as CSV", "g.csv", string(garbage), "", "NUL bytes"},
		{"garbage as GeoJSON", "g.geojson", string(garbage), "", "not valid JSON"},
		{"garbage as KML", "g.kml", string(garbage), "", "XML"},
		{"garbage sniffed", "g", "\x7fELF" + string(garbage[:1000]), "", ""},
		{"empty CSV", "e.csv", "", "", "empty"},
		{"CSV without coordinates", "n.csv", "a,b\n1,2\n", "", "no coordinate columns"},
		{"ACLED without longitude", "a.csv", "event_id_cnty,event_date,latitude,fatalities\nX,2020-01-01,1,1\n", "", "no column longitude"},
		{"UTF-16 without BOM", "u.csv", "i\x00d\x00,\x00l\x00a\x00t\x00\n\x00", "", "NUL bytes"},
		{"unclosed quote", "q.csv", "id,lat,lon,note\na,1,2,\"open\nb,3,4,x\n", "", "quote"},
		{"deep GeoJSON", "d.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}}]}`, "", "nest deeper"},
		{"deep KML", "d.kml", "<kml>" + strings.Repeat("<Folder>", 10000) + strings.Repeat("</Folder>", 10000) + "</kml>", "", "nest deeper"},
		{"Latin-1 GeoJSON", "l.geojson", "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]},\"properties\":{\"c\":\"Caf\xe9\"}}", "", "not UTF-8"},
		{"self-intersecting polygon", "s.geojson", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[2,2],[2,0],[0,2],[0,0]]]},"properties":{}}`, "", "invalid geometry"},
		{"hole outside", "h.geojson", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[5,5],[6,5],[6,6],[5,5]]]},"properties":{}}`, "", "invalid geometry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := importText(t, s, "bad", ingest.ModeCreate, c.file, c.content)
			if err == nil {
				t.Fatal("accepted")
			}
			if !geo.IsInvalid(err) {
				t.Errorf("not an input error: %v", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%q does not say %q", err, c.want)
			}
			if _, err := s.Layer(context.Background(), "bad"); !errors.Is(err, geo.ErrNotFound) {
				t.Errorf("layer left behind: %v", err)
			}
		})
	}
}

// A big streaming import holds one feature at a time.
func testImportStreams(t *testing.T, open Opener) {
	if testing.Short() {
		t.Skip("short")
	}
	s := open(t)
	const n = 100_000
	head := `{"type":"FeatureCollection","features":[`
	src := ingest.Source{Name: "big.geojson", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(io.MultiReader(strings.NewReader(head+`{"type":"Feature","geometry":{"type":"Point","coordinates":[69.1,34.5]},"properties":{"k":1}}`),
			testio.Repeat([]byte(`,{"type":"Feature","geometry":{"type":"Point","coordinates":[69.1,34.5]},"properties":{"k":2,"note":"a note of some length to make the file bigger"}}`), n-1),
			strings.NewReader("]}"))), nil
	}}
	start := time.Now()
	rep, err := s.Import(context.Background(), src, ingest.ImportOptions{Layer: geo.LayerInfo{Name: "big"}, Mode: ingest.ModeCreate})
	if err != nil || rep.Inserted != n {
		t.Fatalf("%+v %v", rep, err)
	}
	t.Logf("%d features in %v", n, time.Since(start))
	integrityCheck(t, s)
}

// testLayerInfoAcrossModes pins what each import mode does with a layer's
// texts, version and date: the default data's upgrade path rests on it.
func testLayerInfoAcrossModes(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	doc := func(killed string) string {
		return `{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[69,34]},"properties":{"killed":` + killed + `}}]}`
	}
	write := func(mode ingest.Mode, info geo.LayerInfo, killed string) geo.Layer {
		t.Helper()
		info.Name = "events"
		if _, err := s.Import(ctx, textSource("e.geojson", doc(killed)), ingest.ImportOptions{Layer: info, Mode: mode}); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		l, err := s.Layer(ctx, "events")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	changed := func(l geo.Layer) time.Time {
		c, err := time.Parse(time.RFC3339Nano, l.Changed)
		if err != nil {
			t.Fatalf("last change %q: %v", l.Changed, err)
		}
		return c
	}

	l := write(ingest.ModeCreate, geo.LayerInfo{Title: "Events 1", Description: "one", Attribution: "credit", Version: "v1", Updated: day}, "1")
	if l.Title != "Events 1" || l.Version != "v1" || l.Attribution != "credit" || !changed(l).Equal(day) {
		t.Errorf("a created layer = %q %q %q %q, want its texts, version v1 and the data's day as last change", l.Title, l.Version, l.Attribution, l.Changed)
	}
	l = write(ingest.ModeUpsert, geo.LayerInfo{}, "2")
	if l.Title != "Events 1" || l.Description != "one" || l.Version != "v1" || l.Attribution != "credit" {
		t.Errorf("an upsert without texts changed them: %+v", l)
	}
	if !changed(l).After(day) {
		t.Errorf("an upsert did not move the last change forward: %s", l.Changed)
	}
	l = write(ingest.ModeUpsert, geo.LayerInfo{Title: "Events 2", Description: "two", Version: "v2", Updated: day}, "3")
	if l.Title != "Events 2" || l.Description != "two" || l.Version != "v2" || l.Attribution != "credit" {
		t.Errorf("an upsert with texts and a version = %+v, want them applied and the attribution kept", l)
	}
	if changed(l).Equal(day) {
		t.Error("Updated set the last change of a layer that already existed (caches keyed on it would not see the write)")
	}
	l = write(ingest.ModeReplace, geo.LayerInfo{}, "4")
	if l.Version != "" || l.Title != "Events 2" || l.Attribution != "credit" {
		t.Errorf("a replace without a version = %+v, want the version cleared and the texts kept", l)
	}
}

func columnsString(s geo.Schema) string {
	var parts []string
	for _, c := range s.Columns {
		parts = append(parts, c.Name+":"+string(c.Type))
	}
	return strings.Join(parts, " ")
}

// testReplaceKeepsTheLastChangeGiven: a layer written whole with a last
// change (a copy keeps the source's) records exactly that one; without
// one, the last change is now.
func testReplaceKeepsTheLastChangeGiven(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	pts := []geo.Feature{{ID: "a", Geometry: orb.Point{69, 34}}}
	schema, err := InferSchema(pts, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: "copied", Updated: at}, schema, seq(pts)); err != nil {
		t.Fatal(err)
	}
	if l, err := s.Layer(ctx, "copied"); err != nil || l.Changed != "2024-05-06T07:08:09.123Z" {
		t.Errorf("last change %q, %v; want the one given, to the millisecond", l.Changed, err)
	}
	// Every store writes it as GeoPackage reads it back: RFC 3339,
	// without the fraction's trailing zeros.
	if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: "copied", Updated: at.Truncate(time.Second)}, schema, seq(pts)); err != nil {
		t.Fatal(err)
	}
	if l, err := s.Layer(ctx, "copied"); err != nil || l.Changed != "2024-05-06T07:08:09Z" {
		t.Errorf("last change %q, %v; want 2024-05-06T07:08:09Z", l.Changed, err)
	}
	if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: "copied"}, schema, seq(pts)); err != nil {
		t.Fatal(err)
	}
	l, err := s.Layer(ctx, "copied")
	if err != nil {
		t.Fatal(err)
	}
	if c := changed(t, l); time.Since(c) > time.Minute || time.Since(c) < -time.Minute {
		t.Errorf("last change %s, want now", l.Changed)
	}
}

// testImportRefusesReservedNames: the names every store keeps for itself
// (the audit log's, khorasan_ ones) are refused up front, in every mode,
// dry run or not, and nothing changes (geo/gpkg tests its own names too).
func testImportRefusesReservedNames(t *testing.T, open Opener) {
	s := open(t)
	csv := "id,lat,lon,name\na,34,69,Kabul\n"
	if _, err := importText(t, s, "places", ingest.ModeCreate, "p.csv", csv); err != nil {
		t.Fatal(err)
	}
	before := history(t, s)
	for _, name := range []string{"khorasan_audit", "KHORASAN_AUDIT", "khorasan_audit_feature", "khorasan_other"} {
		for _, mode := range []ingest.Mode{ingest.ModeCreate, ingest.ModeAppend, ingest.ModeUpsert, ingest.ModeReplace} {
			for _, dry := range []bool{false, true} {
				_, err := importText(t, s, name, mode, "p.csv", csv, func(o *ingest.ImportOptions, _ *ingest.Source) { o.DryRun = dry })
				var inv *geo.InvalidError
				if !errors.As(err, &inv) || inv.Where != "layer name" || !strings.Contains(err.Error(), "reserved") || !strings.Contains(err.Error(), name) {
					t.Errorf("%s, %s, dry run %v: %v, want an InvalidError naming the layer as reserved", name, mode, dry, err)
				}
			}
		}
		if _, err := s.ImportGeoJSON(context.Background(), geo.LayerInfo{Name: name}, []byte(`{"type":"FeatureCollection","features":[]}`)); !geo.IsInvalid(err) {
			t.Errorf("ImportGeoJSON into %s: %v, want an input error", name, err)
		}
	}
	if after := history(t, s); len(after) != len(before) {
		t.Errorf("history grew from %d to %d entries", len(before), len(after))
	}
	integrityCheck(t, s)
	for _, name := range []string{"khorasan", "khorasanaudit", "my_khorasan_audit"} {
		if _, err := importText(t, s, name, ingest.ModeCreate, "p.csv", csv); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// testImportIntoAFidLayer: a layer without ids takes appended features,
// numbered on, and says the input's ids are not kept; upsert, which
// matches by id, is refused.
func testImportIntoAFidLayer(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	replace(t, s, "plain", []geo.Feature{{Geometry: orb.Point{1, 1}, Properties: map[string]any{"label": "first"}}}, nil)
	rep, err := importText(t, s, "plain", ingest.ModeAppend, "p.csv", "lat,lon,label\n2,2,second\n3,3,third\n")
	if err != nil || rep.Inserted != 2 || len(rep.Warnings) != 0 {
		t.Fatalf("append: %+v, %v", rep, err)
	}
	rep, err = importText(t, s, "plain", ingest.ModeAppend, "p.csv", "id,lat,lon,label\nx,4,4,fourth\n")
	if err != nil || rep.Inserted != 1 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "not kept") {
		t.Fatalf("append with ids: %+v, %v", rep, err)
	}
	var labels []string
	for _, f := range all(t, s, "plain", geo.Query{}) {
		labels = append(labels, f.ID+":"+f.Properties["label"].(string))
	}
	if got := strings.Join(labels, " "); got != "1:first 2:second 3:third 4:fourth" {
		t.Errorf("features %s", got)
	}
	if l, err := s.Layer(ctx, "plain"); err != nil || l.Count != 4 || l.Bounds != (orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{4, 4}}) {
		t.Errorf("layer after appends: %+v, %v", l, err)
	}
	if _, err := importText(t, s, "plain", ingest.ModeUpsert, "p.csv", "id,lat,lon,label\n1,5,5,changed\n"); !geo.IsInvalid(err) || !strings.Contains(err.Error(), "no id column") {
		t.Errorf("upsert into a fid layer: %v", err)
	}
	integrityCheck(t, s)
}

// testImportRefusedByRules: a dry run and an import the layer's rules
// refuse leave no layer, no feature and no audit entry; an import that
// lands adds its summary to the audit log in the same transaction, and
// with SkipInvalid the features that pass land and the others are
// counted.
func testImportRefusedByRules(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	attack := func(id, country string) string {
		return `{"type":"Feature","id":"` + id + `","geometry":{"type":"Point","coordinates":[69,34]},"properties":{"date":"2024-01-01","country":"` + country + `","attribution":"claimed","killed":3}}`
	}
	doc := func(fs ...string) string {
		return `{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`
	}
	dry := func(o *ingest.ImportOptions, _ *ingest.Source) { o.DryRun = true }
	skip := func(o *ingest.ImportOptions, _ *ingest.Source) { o.SkipInvalid = true }
	rep, err := importText(t, s, "attacks", ingest.ModeCreate, "a.geojson", doc(attack("a", "Afghanistan")), dry)
	if err != nil || rep.Inserted != 1 || !rep.Created || !rep.DryRun {
		t.Fatalf("dry run: %+v, %v", rep, err)
	}
	if _, err := s.Layer(ctx, "attacks"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("a dry run made the layer: %v", err)
	}
	var re *ingest.RejectedError
	if _, err := importText(t, s, "attacks", ingest.ModeCreate, "a.geojson", doc(attack("a", "Afghanistan"), attack("b", ""))); !errors.As(err, &re) {
		t.Errorf("a feature without a country: %v, want it refused", err)
	}
	if _, err := s.Layer(ctx, "attacks"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("a refused import made the layer: %v", err)
	}
	if h := history(t, s); len(h) != 0 {
		t.Errorf("a dry run and a refused import left %d audit entries", len(h))
	}
	if _, err := importText(t, s, "attacks", ingest.ModeCreate, "a.geojson", doc(attack("a", "Afghanistan"))); err != nil {
		t.Fatal(err)
	}
	h := history(t, s)
	if len(h) != 1 || h[0].Action != "import" || h[0].Actor != "test" || h[0].Layer != "attacks" || h[0].FeatureID != "" ||
		!bytes.Contains(h[0].New, []byte(`"inserted":1`)) || !bytes.Contains(h[0].New, []byte(`"mode":"create"`)) || !bytes.Contains(h[0].New, []byte(`"source":"a.geojson"`)) {
		t.Fatalf("the import's audit entry: %+v (%s)", h, h[0].New)
	}
	before, err := s.Layer(ctx, "attacks")
	if err != nil {
		t.Fatal(err)
	}
	rep, err = importText(t, s, "attacks", ingest.ModeAppend, "b.geojson", doc(attack("b", ""), attack("c", "Iran")), skip, dry)
	if err != nil || rep.Rejected != 1 || rep.Inserted != 1 || len(rep.Errors) != 1 || rep.Errors[0].ID != "b" {
		t.Fatalf("a dry run skipping the invalid: %+v, %v", rep, err)
	}
	if n := len(allFeatures(t, s, "attacks")); n != 1 || len(history(t, s)) != 1 {
		t.Errorf("the dry run wrote: %d features, %d audit entries", n, len(history(t, s)))
	}
	if l, err := s.Layer(ctx, "attacks"); err != nil || l.Changed != before.Changed || l.Count != 1 {
		t.Errorf("after a dry run: %+v, %v; want the layer as before (%s)", l, err, before.Changed)
	}
	rep, err = importText(t, s, "attacks", ingest.ModeAppend, "b.geojson", doc(attack("b", ""), attack("c", "Iran")), skip)
	if err != nil || rep.Rejected != 1 || rep.Inserted != 1 {
		t.Fatalf("skipping the invalid: %+v, %v", rep, err)
	}
	fs := allFeatures(t, s, "attacks")
	if _, ok := fs["c"]; !ok || len(fs) != 2 {
		t.Errorf("features %v", fs)
	}
	if h := history(t, s); len(h) != 2 || !bytes.Contains(h[0].New, []byte(`"rejected":1`)) {
		t.Errorf("history %+v", h)
	}
	if l, err := s.Layer(ctx, "attacks"); err != nil || !changed(t, l).After(changed(t, before)) || l.Count != 2 {
		t.Errorf("after an append: %+v, %v", l, err)
	}
}

// testImportGeoJSON: the seeding import writes a layer whole with exactly
// the texts given, without rules or an audit entry; a refused document
// names its feature and changes nothing.
func testImportGeoJSON(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	doc := `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"k","geometry":{"type":"Point","coordinates":[69.17,34.53]},"properties":{"name":"Kabul","pop":4601789}},
{"type":"Feature","id":"h","geometry":{"type":"Point","coordinates":[62.2,34.35]},"properties":{"name":"Herat","pop":null}}]}`
	// attacks has rules, which seeding does not apply (no country here).
	n, err := s.ImportGeoJSON(ctx, geo.LayerInfo{Name: "attacks", Title: "Seeded", Description: "two towns", Version: "v1"}, []byte(doc))
	if err != nil || n != 2 {
		t.Fatalf("seed: %d, %v", n, err)
	}
	l, err := s.Layer(ctx, "attacks")
	if err != nil || l.Title != "Seeded" || l.Description != "two towns" || l.Version != "v1" || l.Count != 2 || columnsString(l.Schema) != "name:TEXT pop:INTEGER" {
		t.Errorf("seeded layer %+v, %v", l, err)
	}
	if f, err := s.Feature(ctx, "attacks", "k"); err != nil || f.Properties["pop"] != int64(4601789) || f.Geometry != (orb.Point{69.17, 34.53}) {
		t.Errorf("feature k: %+v, %v", f, err)
	}
	if n, err := s.ImportGeoJSON(ctx, geo.LayerInfo{Name: "attacks"}, []byte(doc)); err != nil || n != 2 {
		t.Fatalf("seed again: %d, %v", n, err)
	}
	if l, err := s.Layer(ctx, "attacks"); err != nil || l.Title != "attacks" || l.Description != "" || l.Version != "" {
		t.Errorf("seeded again without texts: %+v, %v; want exactly the texts given", l, err)
	}
	bad := strings.Replace(doc, "62.2,34.35", "62.2,134.35", 1)
	_, err = s.ImportGeoJSON(ctx, geo.LayerInfo{Name: "attacks"}, []byte(bad))
	if !geo.IsInvalid(err) || !strings.Contains(err.Error(), `feature 2 at line 3 (id "h")`) || !strings.Contains(err.Error(), "latitude") {
		t.Errorf("a latitude of 134: %v", err)
	}
	if got := allFeatures(t, s, "attacks"); len(got) != 2 || got["h"].Geometry != (orb.Point{62.2, 34.35}) {
		t.Errorf("after a refused seed: %v", got)
	}
	if h := history(t, s); len(h) != 0 {
		t.Errorf("seeding wrote %d audit entries", len(h))
	}
}

// testAuditReadAndRestored: EachAudit reads the log oldest first, as
// History has it; RestoreAudit appends entries as they were written
// elsewhere, numbered anew, in one transaction.
func testAuditReadAndRestored(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	if _, err := importText(t, s, "places", ingest.ModeCreate, "p.csv", "id,lat,lon,n\na,34,69,1\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := importText(t, s, "places", ingest.ModeUpsert, "p.csv", "id,lat,lon,n\na,34,69,2\n"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateFeature(ctx, "places", geo.Feature{ID: "b", Geometry: orb.Point{1, 1}}, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFeature(ctx, "places", "b", "bob", nil); err != nil {
		t.Fatal(err)
	}
	var read []geo.AuditEntry
	if err := s.EachAudit(ctx, func(e geo.AuditEntry) error { read = append(read, e); return nil }); err != nil {
		t.Fatal(err)
	}
	h := history(t, s)
	if len(read) != 5 || len(h) != 5 {
		t.Fatalf("EachAudit gave %d entries, History %d; want 5", len(read), len(h))
	}
	for i := range read {
		if !reflect.DeepEqual(read[i], h[len(h)-1-i]) {
			t.Errorf("entry %d: EachAudit %+v, History %+v", i, read[i], h[len(h)-1-i])
		}
	}
	stop := errors.New("stop")
	if err := s.EachAudit(ctx, func(geo.AuditEntry) error { return stop }); err != stop {
		t.Errorf("an error from fn: %v, want it returned", err)
	}

	d := open(t)
	old := []geo.AuditEntry{
		{ID: 7, Time: time.Date(2020, 1, 2, 3, 4, 5, 6_000_000, time.UTC), Actor: "carol", Action: "update", Layer: "x", FeatureID: "f1",
			Old: []byte(`{"type":"Feature","id":"f1","geometry":null,"properties":{"n":1}}`), New: []byte(`{"type":"Feature","id":"f1","geometry":null,"properties":{"n":2}}`)},
		{ID: 9, Time: time.Date(2021, 6, 7, 8, 9, 10, 0, time.UTC), Actor: "dave", Action: "import", Layer: "x", New: []byte(`{"read":1}`)},
	}
	entries := func(es []geo.AuditEntry, fail error) iter.Seq2[geo.AuditEntry, error] {
		return func(yield func(geo.AuditEntry, error) bool) {
			for _, e := range es {
				if !yield(e, nil) {
					return
				}
			}
			if fail != nil {
				yield(geo.AuditEntry{}, fail)
			}
		}
	}
	if n, err := d.RestoreAudit(ctx, entries(old, nil)); err != nil || n != 2 {
		t.Fatalf("restore: %d, %v", n, err)
	}
	if n, err := d.RestoreAudit(ctx, entries(read, nil)); err != nil || n != 5 {
		t.Fatalf("restore: %d, %v", n, err)
	}
	broken := errors.New("the source broke")
	if _, err := d.RestoreAudit(ctx, entries(read, broken)); !errors.Is(err, broken) {
		t.Errorf("a source that fails: %v, want its error", err)
	}
	var got []geo.AuditEntry
	if err := d.EachAudit(ctx, func(e geo.AuditEntry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	want := append(append([]geo.AuditEntry{}, old...), read...)
	if len(got) != len(want) {
		t.Fatalf("%d entries after the restores, want %d (a failed restore writes none)", len(got), len(want))
	}
	for i := range got {
		if i > 0 && got[i].ID <= got[i-1].ID {
			t.Errorf("entry %d is numbered %d after %d", i, got[i].ID, got[i-1].ID)
		}
		g, w := got[i], want[i]
		g.ID, w.ID = 0, 0
		if !reflect.DeepEqual(g, w) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if h, err := d.History(ctx, geo.HistoryQuery{Actor: "carol"}); err != nil || len(h) != 1 || !h[0].Time.Equal(old[0].Time) {
		t.Errorf("the restored entry through History: %+v, %v", h, err)
	}
}
