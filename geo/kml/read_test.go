package kml

import (
	"archive/zip"
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/internal/testio"
	"github.com/paulmach/orb"
)

const placemarks = `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder>
<Placemark id="p1"><name>Kabul</name><ExtendedData><Data name="killed"><value>5</value></Data></ExtendedData>
<Point><coordinates>69.17,34.53,1800</coordinates></Point></Placemark>
<Placemark id="p2"><name>Area</name><ExtendedData><SchemaData><SimpleData name="killed">7</SimpleData></SchemaData></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>60,30 61,30 61,31 60,31</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Folder></Document></kml>`

func readKML(t *testing.T, data []byte) ([]geo.Record, []string) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return testio.ReadRecords(t, r), r.Properties()
}

// Every Placemark, in Documents and Folders, is a feature: its name and
// ExtendedData as text, heights dropped, an open ring closed.
func TestReaderReadsPlacemarks(t *testing.T) {
	recs, order := readKML(t, []byte(placemarks))
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	p1, p2 := recs[0].Feature, recs[1].Feature
	if recs[0].Err != nil || recs[1].Err != nil {
		t.Errorf("errors %v, %v", recs[0].Err, recs[1].Err)
	}
	if p1.ID != "p1" || p1.Properties["killed"] != geo.Cell("5") || p1.Properties["name"] != geo.Cell("Kabul") || p1.Geometry != (orb.Point{69.17, 34.53}) {
		t.Errorf("p1 %#v", p1)
	}
	if p2.ID != "p2" || p2.Properties["killed"] != geo.Cell("7") || p2.Properties["name"] != geo.Cell("Area") {
		t.Errorf("p2 %#v", p2)
	}
	if p, ok := p2.Geometry.(orb.Polygon); !ok || len(p[0]) != 5 || p[0][0] != p[0][4] {
		t.Errorf("polygon (its open ring closed) %#v", p2.Geometry)
	}
	if !reflect.DeepEqual(order, []string{"name", "killed"}) {
		t.Errorf("properties %q", order)
	}
}

// A KMZ is read through the KML inside it.
func TestReaderReadsKMZ(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("doc.kml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, placemarks); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	recs, _ := readKML(t, buf.Bytes())
	if len(recs) != 2 || recs[0].Feature.ID != "p1" || recs[1].Feature.ID != "p2" {
		t.Errorf("records %+v", recs)
	}
}

// A Placemark that cannot be used is a record with an error; input that
// is not KML is an input error.
func TestReaderRefuses(t *testing.T) {
	recs, _ := readKML(t, []byte(`<kml><Placemark id="a"><Point><coordinates>1,2</coordinates></Point><Point><coordinates>3,4</coordinates></Point></Placemark></kml>`))
	if len(recs) != 1 || recs[0].Err == nil || !strings.Contains(recs[0].Err.Error(), "more than one geometry") {
		t.Errorf("two geometries: %+v", recs)
	}
	cases := map[string]struct{ doc, want string }{
		"not XML":          {"\x7fELF\x00\x01", "XML"},
		"not KML":          {"<html><body/></html>", "not KML"},
		"deep":             {"<kml>" + strings.Repeat("<Folder>", 10000) + strings.Repeat("</Folder>", 10000) + "</kml>", "nest deeper"},
		"truncated":        {`<kml><Placemark><name>x</name>`, "unexpected EOF"},
		"unknown encoding": {`<?xml version="1.0" encoding="EBCDIC"?><kml/>`, "not supported"},
		"empty KMZ":        {"PK\x03\x04", "KMZ"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(c.doc), strings.NewReader(c.doc))
			if err == nil {
				for err == nil {
					_, err = r.Read()
				}
			}
			if err == io.EOF || !geo.IsInvalid(err) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: want an input error saying %q", err, c.want)
			}
		})
	}
}
