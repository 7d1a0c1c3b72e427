package gpkg

import (
	"testing"

	"github.com/paulmach/orb"
)

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
