package geojson

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/internal/testio"
)

func TestGeoJSONReaderReadsWhatDecodeGeoJSONReads(t *testing.T) {
	for _, name := range []string{"attacks", "borders", "khorasan", "cities"} {
		raw, err := os.ReadFile("../../data/" + name + ".geojson")
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeGeoJSON(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, order, err := ReadAll(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want.Features) {
			t.Errorf("%s: features differ", name)
		}
		if !reflect.DeepEqual(order, want.PropertyOrder) {
			t.Errorf("%s: order %v, want %v", name, order, want.PropertyOrder)
		}
	}
}

func TestGeoJSONReaderCases(t *testing.T) {
	cases := map[string]string{
		"type last":                              `{"features":[{"properties":{"a":1},"geometry":{"coordinates":[1,2],"type":"Point"},"type":"Feature"}],"type":"FeatureCollection"}`,
		"top feature":                            `{"type":"Feature","id":7,"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]},"properties":{"x":"y"}}`,
		"top geometry":                           `{"coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"type":"Polygon"}`,
		"multipolygon":                           `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]],[[0.1,0.1],[0.2,0.1],[0.2,0.2],[0.1,0.1]]],[[[5,5],[6,5],[6,6],[5,5]]]]}`,
		"collection":                             `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6],[7,8],[9,10]]]}]}`,
		"empty collection":                       `{"type":"GeometryCollection","geometries":[]}`,
		"nested props":                           `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"a":{"b":[1,2.5,"x",null,true]},"big":12345678901234567890,"f":1.5e3,"i":-4}}],"bbox":[1,2,3,4],"crs":{"x":{}}}`,
		"escapes":                                `{"type":"Feature","geometry":null,"properties":{"s":"a\"b\\c\/d\n\u00e9\ud83d\ude00\ud800x"}}`,
		"3d":                                     `{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2,3]},"properties":null}`,
		"null features":                          `{"type":"FeatureCollection","features":null}`,
		"duplicate props":                        `{"type":"Feature","geometry":null,"properties":{"a":1,"b":2,"a":3}}`,
		"empty multipoint":                       `{"type":"MultiPoint","coordinates":[]}`,
		"feature with a foreign features member": `{"type":"Feature","features":[{"type":"Feature"}]}`,
		"point with a foreign features member":   `{"type":"Point","coordinates":[1,2],"features":[{"type":"Feature","geometry":null,"properties":{}}]}`,
		"whitespace everywhere":                  " \n{ \"type\" : \"FeatureCollection\" ,\n \"features\" : [ \n { \"type\" : \"Feature\" , \"geometry\" : { \"type\" : \"Point\" , \"coordinates\" : [ 1 , 2 ] } , \"properties\" : { } } \n ] \n } \n",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			want, werr := decodeGeoJSON([]byte(doc))
			got, order, err := ReadAll(strings.NewReader(doc))
			if werr != nil || err != nil {
				t.Fatalf("decodeGeoJSON: %v; reader: %v", werr, err)
			}
			for i := range want.Features {
				if want.Features[i].Properties == nil {
					want.Features[i].Properties = map[string]any{}
				}
			}
			if !reflect.DeepEqual(got, want.Features) {
				t.Errorf("got %#v\nwant %#v", got, want.Features)
			}
			if len(want.PropertyOrder) > 0 && !reflect.DeepEqual(order, want.PropertyOrder) {
				t.Errorf("order %v, want %v", order, want.PropertyOrder)
			}
		})
	}
}

func TestGeoJSONReaderRefuses(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"empty", "", []string{"empty"}},
		{"garbage", "\x00\x01\x02", []string{"not valid JSON", "line 1, column 1"}},
		{"array", "[1,2]", []string{"not GeoJSON"}},
		{"malformed", "{\"type\":\"FeatureCollection\",\n\"features\":[{\"type\":\"Feature\",,}]}", []string{"line 2, column 31"}},
		{"truncated", `{"type":"FeatureCollection","features":[{"type":"Feature"`, []string{"ends too early"}},
		{"no type", `{"features":[]}`, []string{`no "type"`}},
		{"latin1", "{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"city\":\"Herat \xe9\"}}", []string{"not UTF-8", "line 1"}},
		{"deep properties", `{"type":"Feature","geometry":null,"properties":{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}}`, []string{"nest deeper than 64"}},
		{"deep skipped member", `{"type":"FeatureCollection","x":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat("}", 10000) + `,"features":[]}`, []string{"nest deeper than 64"}},
		{"deep coordinates", `{"type":"Point","coordinates":` + strings.Repeat("[", 10000) + `1,2` + strings.Repeat("]", 10000) + `}`, []string{"deeper than a MultiPolygon"}},
		{"trailing", `{"type":"FeatureCollection","features":[]} x`, []string{"after the end"}},
		{"bad number", `{"type":"Point","coordinates":[01,2]}`, []string{"bad number"}},
		{"features before a Feature's type", `{"features":[{"type":"Feature","geometry":null,"properties":{}}],"type":"Feature"}`, []string{`"features" member before its "type"`}},
		{"control char", "{\"type\":\"Feature\",\"properties\":{\"a\":\"x\ny\"}}", []string{"control character"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ReadAll(strings.NewReader(c.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			if !geo.IsInvalid(err) {
				t.Errorf("not an InvalidError: %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}

// Bad features are reported one by one, and the rest is still read.
func TestGeoJSONReaderGoesOnPastBadFeatures(t *testing.T) {
	doc := `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{}},
{"type":"Feature","geometry":{"type":"Point","coordinates":"here"},"properties":{}},
{"type":"Feature","id":"c","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]},"properties":{}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[1,200]},"properties":{}},
7,
{"type":"Feature","geometry":{"type":"Point","coordinates":[3,4]},"properties":{}}
]}`
	r := NewReader(strings.NewReader(doc))
	var lines []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Err != nil {
			lines = append(lines, fmt.Sprintf("%d: %v", rec.Line, rec.Err))
		} else {
			lines = append(lines, fmt.Sprintf("%d: ok", rec.Line))
		}
	}
	want := []string{"2: ok", "3: feature 2 at line 3, column 1: geometry: coordinates have the wrong shape", "4: feature 3 (id \"c\") at line 4, column 1: geometry: ring 1", "5: feature 4 at line 5, column 1: geometry: latitude 200", "6: feature 5 at line 6, column 1: a feature must be a JSON object", "7: ok"}
	if len(lines) != len(want) {
		t.Fatalf("got %q", lines)
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("record %d: %q, want prefix %q", i+1, lines[i], want[i])
		}
	}
}

// A geometry of ten million points is refused at the millionth-and-first,
// without the memory of ten million.
func TestGeoJSONReaderCapsPositions(t *testing.T) {
	const n = 10_000_000
	head := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[`
	src := io.MultiReader(strings.NewReader(head), testio.Repeat([]byte("[69.123456,34.123456],"), n), strings.NewReader("[1,2]]}}]}"))
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := NewReader(src)
	_, err := r.Read()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "more than 1000000 positions") {
		t.Fatalf("err = %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 200<<20 {
		t.Errorf("allocated %d MiB reading it", grew>>20)
	}
}

func TestGeoJSONReaderPassesReadErrorsOn(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader(`{"type":"FeatureCollection","features":[`), &failReader{boom}))
	_, err := r.Read()
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }
