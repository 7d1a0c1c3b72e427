package kml

import (
	"bytes"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/internal/testio"
)

// FuzzKMLReader: any bytes as KML never panic and fail only with input
// errors.
func FuzzKMLReader(f *testing.F) {
	f.Add([]byte(`<kml><Document><Placemark id="a"><name>x</name><ExtendedData><Data name="k"><value>1</value></Data></ExtendedData><Point><coordinates>1,2</coordinates></Point></Placemark></Document></kml>`))
	f.Add([]byte(`<kml><Placemark><MultiGeometry><Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1</coordinates></LinearRing></outerBoundaryIs></Polygon><Point><coordinates>1,2,3</coordinates></Point></MultiGeometry></Placemark></kml>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), bytes.NewReader(data))
		if err != nil {
			if !geo.IsInvalid(err) {
				t.Fatalf("not an input error: %v", err)
			}
			return
		}
		testio.ReadRecords(t, r)
	})
}
