package gpkg

import (
	"bytes"
	"github.com/khorasan/khorasan/geo"
	"io"
	"reflect"
	"regexp"
	"testing"
)

var memberCaseRE = regexp.MustCompile(`"(?i:type|id|geometry|properties|features|coordinates|geometries|bbox)"`)

// hasCaseVariant finds a GeoJSON member name written in another case.
func hasCaseVariant(data []byte) bool {
	for _, m := range memberCaseRE.FindAll(data, -1) {
		if !bytes.Equal(m, bytes.ToLower(m)) {
			return true
		}
	}
	return false
}

// FuzzGeoJSONReader holds the streaming reader to DecodeGeoJSON: it never
// panics, its errors are input errors, and whatever it accepts whole,
// DecodeGeoJSON reads the same (the streaming reader is the stricter of
// the two: UTF-8 only, positions of two numbers or more, nesting capped).
func FuzzGeoJSONReader(f *testing.F) {
	for _, s := range []string{
		`{"type":"FeatureCollection","features":[{"type":"Feature","id":1,"geometry":{"type":"Point","coordinates":[1,2]},"properties":{"a":1,"b":"x","c":[1,{"d":null}]}}]}`,
		`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]},"properties":null}`,
		`{"type":"GeometryCollection","geometries":[{"type":"LineString","coordinates":[[1,2],[3,4]]}]}`,
		`{"features":[],"type":"FeatureCollection"}`,
		`{"type":"Feature","geometry":null,"properties":{"s":"\u00e9\ud83d\ude00"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _, err := readAllGeoJSON(data)
		if err != nil {
			if !geo.IsInvalid(err) {
				t.Fatalf("not an input error: %v", err)
			}
			return
		}
		for _, ft := range got {
			if err := geo.ValidateGeometry(ft.Geometry); err != nil {
				t.Fatalf("accepted an invalid geometry: %v", err)
			}
		}
		if hasCaseVariant(data) {
			// encoding/json matches member names without regard to case
			// ("Geometry"); RFC 7946 names are case-sensitive, as here.
			return
		}
		want, err := DecodeGeoJSON(data)
		if err != nil {
			t.Fatalf("the reader accepts what DecodeGeoJSON refuses (%v)", err)
		}
		for i := range want.Features {
			if want.Features[i].Properties == nil {
				want.Features[i].Properties = map[string]any{}
			}
		}
		if len(got) == 0 && len(want.Features) == 0 {
			return
		}
		if !reflect.DeepEqual(got, want.Features) {
			t.Fatalf("features differ:\n%#v\n%#v", got, want.Features)
		}
	})
}

// readAll reads every record of a reader; it fails the test on a panic
// or an error that is not an input error.
func fuzzReadAll(t *testing.T, r featureReader) {
	for range 100000 {
		rec, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			if !geo.IsInvalid(err) {
				t.Fatalf("not an input error: %v", err)
			}
			return
		}
		if rec.Err != nil && !geo.IsInvalid(rec.Err) {
			t.Fatalf("record error is not an input error: %v", rec.Err)
		}
	}
}

// FuzzCSVReader: any bytes as CSV, in any profile, never panic and fail
// only with input errors.
func FuzzCSVReader(f *testing.F) {
	f.Add([]byte("id,lat,lon,n\na,1,2,3\n"), "")
	f.Add([]byte(acledCSV), "acled")
	f.Add([]byte(gtdCSV), "gtd")
	f.Add([]byte(ucdpCSV), "ucdp")
	f.Add([]byte("x;y;wkt\n1;2;POINT(1 2)\n"), "generic")
	f.Fuzz(func(t *testing.T, data []byte, profile string) {
		r, _, err := newCSVReader(bytes.NewReader(data), CSVOptions{Profile: profile, DateOrder: "dmy"})
		if err != nil {
			if !geo.IsInvalid(err) {
				t.Fatalf("not an input error: %v", err)
			}
			return
		}
		fuzzReadAll(t, r)
	})
}

// FuzzKMLReader: any bytes as KML never panic and fail only with input
// errors.
func FuzzKMLReader(f *testing.F) {
	f.Add([]byte(`<kml><Document><Placemark id="a"><name>x</name><ExtendedData><Data name="k"><value>1</value></Data></ExtendedData><Point><coordinates>1,2</coordinates></Point></Placemark></Document></kml>`))
	f.Add([]byte(`<kml><Placemark><MultiGeometry><Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1</coordinates></LinearRing></outerBoundaryIs></Polygon><Point><coordinates>1,2,3</coordinates></Point></MultiGeometry></Placemark></kml>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := newKMLReader(bytes.NewReader(data), bytes.NewReader(data))
		if err != nil {
			if !geo.IsInvalid(err) {
				t.Fatalf("not an input error: %v", err)
			}
			return
		}
		fuzzReadAll(t, r)
	})
}
