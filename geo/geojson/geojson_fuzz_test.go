package geojson

import (
	"bytes"
	"reflect"
	"regexp"
	"testing"

	"github.com/khorasan/khorasan/geo"
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

// FuzzGeoJSONReader holds the streaming reader to decodeGeoJSON: it never
// panics, its errors are input errors, and whatever it accepts whole,
// decodeGeoJSON reads the same (the streaming reader is the stricter of
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
		got, _, err := ReadAll(bytes.NewReader(data))
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
			if _, err := AppendFeature(nil, ft, geo.Schema{HasID: ft.ID != ""}); err != nil {
				t.Fatalf("cannot encode what was read: %v", err)
			}
		}
		if hasCaseVariant(data) {
			// encoding/json matches member names without regard to case
			// ("Geometry"); RFC 7946 names are case-sensitive, as here.
			return
		}
		want, err := decodeGeoJSON(data)
		if err != nil {
			t.Fatalf("the reader accepts what decodeGeoJSON refuses (%v)", err)
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
