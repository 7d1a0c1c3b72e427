package gpkg

import (
	"github.com/khorasan/khorasan/geo"
	"testing"

	"github.com/paulmach/orb"
)

func FuzzDecodeGeoJSON(f *testing.F) {
	seeds := []string{
		`{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[69,34]},"properties":{"n":1,"x":1.5,"d":"2021-08-26","b":true,"l":[1,2]}}]}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[60,30],[61,30],[61,31],[60,30]]]},"properties":null}`,
		`{"type":"MultiPolygon","coordinates":[[[[60,30],[61,30],[61,31],[60,30]]]]}`,
		`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}`,
		`{"type":"FeatureCollection","features":null}`,
		`[1,2]`, `{}`, `{"type":"Point","coordinates":[200,100]}`, "",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := DecodeGeoJSON(data)
		if err != nil {
			if !geo.IsInvalid(err) {
				t.Fatalf("error is not an input error: %v", err)
			}
			return
		}
		for _, feat := range doc.Features {
			if err := geo.ValidateGeometry(feat.Geometry); err != nil {
				t.Fatalf("decoded an invalid geometry: %v", err)
			}
			if _, err := AppendFeatureJSON(nil, feat, geo.Schema{HasID: feat.ID != ""}); err != nil {
				t.Fatalf("cannot encode what was decoded: %v", err)
			}
		}
		if _, err := InferSchema(doc.Features, doc.PropertyOrder); err != nil && !geo.IsInvalid(err) {
			t.Fatalf("schema error is not an input error: %v", err)
		}
	})
}

// FuzzDecodeGeometryBlob feeds GeoPackage geometry blobs, which come from
// files other programs wrote.
func FuzzDecodeGeometryBlob(f *testing.F) {
	for _, g := range []orb.Geometry{
		orb.Point{1, 2},
		orb.Polygon{{{60, 30}, {61, 30}, {61, 31}, {60, 30}}},
		orb.MultiLineString{{{1, 2}, {3, 4}}},
	} {
		b, _ := encodeGeometry(g)
		f.Add(b)
	}
	f.Add([]byte("GP\x00\x03\xe6\x10\x00\x00"))
	f.Fuzz(func(t *testing.T, blob []byte) {
		g, err := decodeGeometry(blob)
		if err != nil || g == nil {
			return
		}
		if _, err := encodeGeometry(g); err != nil {
			t.Fatalf("cannot re-encode %v: %v", g, err)
		}
		geometryBound(blob)
	})
}
