package kml

import (
	"bytes"
	"io"
	"testing"

	"github.com/khorasan/khorasan/geo"
)

// readAll reads every record of a reader; it fails the test on a panic
// or an error that is not an input error.
func fuzzReadAll(t *testing.T, r geo.RecordReader) {
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
		fuzzReadAll(t, r)
	})
}
