package ingest_test

// The pipeline's tests run through a real GeoPackage store (gpkg.Store,
// which imports through ingest) on files in t.TempDir().

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/csv"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/khorasan/khorasan/internal/testio"
	"github.com/paulmach/orb"
)

// newStore creates a GeoPackage in a fresh temporary directory, with
// the default data's profiles (the attacks layer's rules).
func newStore(t *testing.T) *gpkg.Store {
	t.Helper()
	ds, err := data.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	s, err := gpkg.Create(context.Background(), filepath.Join(t.TempDir(), "test.gpkg"), gpkg.WithDataset(ds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func integrityCheck(t *testing.T, s *gpkg.Store) {
	t.Helper()
	if err := s.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func textSource(name, text string) ingest.Source {
	return ingest.Source{Name: name, Size: int64(len(text)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(text)), nil
	}}
}

func importText(t *testing.T, s *gpkg.Store, layer string, mode ingest.Mode, name, text string, opts ...func(*ingest.ImportOptions, *ingest.Source)) (*ingest.Report, error) {
	t.Helper()
	src := textSource(name, text)
	opt := ingest.ImportOptions{Layer: geo.LayerInfo{Name: layer}, Mode: mode, Actor: "test"}
	for _, o := range opts {
		o(&opt, &src)
	}
	return s.Import(context.Background(), src, opt)
}

func allFeatures(t *testing.T, s *gpkg.Store, layer string) map[string]geo.Feature {
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

// The exports of the profiles, kept once in geo/csv/testdata. GTD files
// are ISO-8859-1; imonth or iday 0 is unknown.
var (
	acledCSV = csvSample("acled.csv")
	ucdpCSV  = csvSample("ucdp.csv")
	gtdCSV   = csvSample("gtd.csv")
)

func csvSample(name string) string {
	b, err := os.ReadFile(filepath.Join("..", "csv", "testdata", name))
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestImportRecognisesExports(t *testing.T) {
	s := newStore(t)
	cases := []struct {
		name, file, profile string
		ids                 []string
		check               func(t *testing.T, fs map[string]geo.Feature)
	}{
		{"ACLED", acledCSV, "acled", []string{"acled:AFG1001", "acled:AFG1002"}, func(t *testing.T, fs map[string]geo.Feature) {
			f := fs["acled:AFG1001"]
			want := map[string]any{"date": "2021-08-26", "killed": int64(170), "attack_type": "Suicide bomb", "perpetrator": "Islamic State (Afghanistan)",
				"target": "Civilians (Afghanistan)", "city": "Kabul", "iso3": "AFG", "precision": "city", "attribution": "attributed", "name": "Suicide bomb in Kabul"}
			for k, v := range want {
				if f.Properties[k] != v {
					t.Errorf("%s = %#v, want %#v", k, f.Properties[k], v)
				}
			}
			if fs["acled:AFG1002"].Properties["date"] != "2022-01-15" {
				t.Errorf("15 January 2022 read as %v", fs["acled:AFG1002"].Properties["date"])
			}
			if p := f.Geometry.(orb.Point); p != (orb.Point{69.1833, 34.5167}) {
				t.Errorf("point %v", p)
			}
		}},
		{"UCDP", ucdpCSV, "ucdp", []string{"ucdp:414081", "ucdp:414082"}, func(t *testing.T, fs map[string]geo.Feature) {
			f := fs["ucdp:414081"]
			want := map[string]any{"date": "2021-08-26", "end_date": nil, "killed": int64(183), "killed_low": int64(170), "killed_high": int64(185),
				"attack_type": "one-sided violence", "perpetrator": "IS", "precision": "site"}
			for k, v := range want {
				if f.Properties[k] != v {
					t.Errorf("%s = %#v, want %#v", k, f.Properties[k], v)
				}
			}
			if fs["ucdp:414082"].Properties["end_date"] != "2021-10-09" {
				t.Errorf("end_date %v", fs["ucdp:414082"].Properties["end_date"])
			}
		}},
		{"GTD", gtdCSV, "gtd", []string{"gtd:201508150001", "gtd:201600000002", "gtd:201602000003"}, func(t *testing.T, fs map[string]geo.Feature) {
			f := fs["gtd:201508150001"]
			want := map[string]any{"date": "2015-08-15", "city": "Jalālābād", "attribution": "claimed", "killed": int64(12), "wounded": int64(20),
				"target": "Private Citizens & Property: Café", "source_url": "Source A | Source B"}
			// Latin-1 â is U+00E2; the file says Jal\xe2l\xe2b\xe2d.
			want["city"] = "Jal\u00e2l\u00e2b\u00e2d"
			for k, v := range want {
				if f.Properties[k] != v {
					t.Errorf("%s = %#v, want %#v", k, f.Properties[k], v)
				}
			}
			y := fs["gtd:201600000002"].Properties
			if y["date"] != "2016-01-01" || y["end_date"] != "2016-12-31" || y["attribution"] != "attributed" || y["killed"] != nil {
				t.Errorf("unknown month: %v", y)
			}
			m := fs["gtd:201602000003"].Properties
			if m["date"] != "2016-02-01" || m["end_date"] != "2016-02-29" || m["killed"] != int64(4) || m["wounded"] != nil {
				t.Errorf("unknown day: %v", m)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Into the attacks layer, whose rules they must pass.
			rep, err := importText(t, s, "attacks", ingest.ModeReplace, "export.csv", c.file)
			if err != nil {
				t.Fatalf("%v\n%+v", err, rep)
			}
			if rep.Profile != c.profile || rep.Inserted != int64(len(c.ids)) {
				t.Errorf("report %+v", rep)
			}
			fs := allFeatures(t, s, "attacks")
			for _, id := range c.ids {
				if _, ok := fs[id]; !ok {
					t.Errorf("no feature %q", id)
				}
			}
			c.check(t, fs)
		})
	}
}

func TestImportModes(t *testing.T) {
	s := newStore(t)
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
func TestImportIsAllOrNothing(t *testing.T) {
	s := newStore(t)
	if _, err := importText(t, s, "attacks", ingest.ModeCreate, "a.csv", acledCSV); err != nil {
		t.Fatal(err)
	}
	before := allFeatures(t, s, "attacks")
	bad := acledCSV +
		"AFG1003,2023-02-30,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,34.5,69.2,1,,,1\n" +
		"AFG1004,2023-03-01,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,134.5,69.2,1,,,1\n" +
		"AFG1005,2023-03-02,2023,Battles,Armed clash,X,,,Kabul,Kabul,34.5,69.2,1,,,1\n" +
		"AFG1006,2023-03-03,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,34.5,69.2,1,,,many\n" +
		"AFG1001,2023-03-04,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,34.5,69.2,1,,,1\n" +
		"AFG1007,2023-03-05,2023,Battles,Armed clash,X,,Afghanistan,Kabul,Kabul,,,1,,,1\n" +
		"AFG1008,2023-03-05,2023\n"
	rep, err := importText(t, s, "attacks", ingest.ModeUpsert, "a.csv", bad)
	var re *ingest.RejectedError
	if !errors.As(err, &re) || !geo.IsInvalid(err) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		`line 4 (id "acled:AFG1003"): event_date: "2023-02-30" is not a date`,
		`line 5 (id "acled:AFG1004"): geometry: latitude 134.5 is outside -90..90`,
		`line 6 (id "acled:AFG1005"): property "country" is required for an attack`,
		`line 7 (id "acled:AFG1006"): fatalities "many" is not a whole number`,
		`line 8 (id "acled:AFG1001"): duplicate id "acled:AFG1001" (also at line 2)`,
		`line 9 (id "acled:AFG1007"): no coordinates`,
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
	if after := allFeatures(t, s, "attacks"); len(after) != len(before) {
		t.Errorf("%d features after a refused import, %d before", len(after), len(before))
	}
	// With SkipInvalid the rest lands, and the report still lists them.
	rep, err = importText(t, s, "attacks", ingest.ModeUpsert, "a.csv", bad, func(o *ingest.ImportOptions, _ *ingest.Source) { o.SkipInvalid = true })
	if err != nil || rep.Rejected != int64(len(want)) || rep.Unchanged != 2 || rep.Inserted != 0 {
		t.Errorf("skip invalid: %+v %v", rep, err)
	}
}

func TestImportGenericCSV(t *testing.T) {
	s := newStore(t)
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

func columnsString(s geo.Schema) string {
	var parts []string
	for _, c := range s.Columns {
		parts = append(parts, c.Name+":"+string(c.Type))
	}
	return strings.Join(parts, " ")
}

func TestImportKML(t *testing.T) {
	s := newStore(t)
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
func TestImportRefusesBadInput(t *testing.T) {
	s := newStore(t)
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

// TestImportRefusesUnknownDateOrder pins date-order=ymd (or any other
// word), which read as no order: the import went ahead and refused every
// 02/01/2006 date as ambiguous, or took a file without such dates as if
// the option were fine.
func TestImportRefusesUnknownDateOrder(t *testing.T) {
	s := newStore(t)
	for _, order := range []string{"ymd", "DMY ", "x"} {
		t.Run(order, func(t *testing.T) {
			_, err := importText(t, s, "orders", ingest.ModeCreate, "o.csv", "id,lat,lon,date\na,1,2,02/01/2006\n", func(_ *ingest.ImportOptions, src *ingest.Source) {
				src.CSV.DateOrder = order
			})
			if !geo.IsInvalid(err) || !strings.Contains(err.Error(), "date-order") {
				t.Fatalf("got %v, want an input error naming date-order", err)
			}
		})
	}
	for _, order := range []string{"dmy", "MDY", ""} {
		if _, err := importText(t, s, "orders_"+strings.ToLower(order), ingest.ModeCreate, "o.csv", "id,lat,lon,date\na,1,2,2006-01-02\n", func(_ *ingest.ImportOptions, src *ingest.Source) {
			src.CSV.DateOrder = order
		}); err != nil {
			t.Errorf("date order %q: %v", order, err)
		}
	}
}

// A big streaming import holds one feature at a time.
func TestImportStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s := newStore(t)
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
