package geojson

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
)

// marshalFeature is how AppendFeature wrote features before its fast
// paths, through encoding/json: the oracle its bytes are held to.
func marshalFeature(f geo.Feature, schema geo.Schema) ([]byte, error) {
	buf := []byte(`{"type":"Feature","id":`)
	if schema.HasID {
		var err error
		if buf, err = appendJSON(buf, f.ID); err != nil {
			return nil, err
		}
	} else {
		buf = append(buf, f.ID...)
	}
	buf = append(buf, `,"geometry":`...)
	if f.Geometry == nil {
		buf = append(buf, "null"...)
	} else {
		g, err := json.Marshal(geojson.NewGeometry(f.Geometry))
		if err != nil {
			return nil, err
		}
		buf = append(buf, g...)
	}
	buf = append(buf, `,"properties":{`...)
	for i, c := range schema.Columns {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendJSON(buf, c.Name); err != nil {
			return nil, err
		}
		buf = append(buf, ':')
		if buf, err = appendJSON(buf, f.Properties[c.Name]); err != nil {
			return nil, err
		}
	}
	return append(buf, "}}"...), nil
}

var oddStrings = []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\r", "\x00\x01\x1f\x7f", "<a href=\"x?a=1&b=2\">",
	"\u2028\u2029", "کرمان، ایران", "bad \xff\xfe utf-8", "\xe2\x80", "emoji 😀", "\b\f"}

var oddFloats = []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789.123456789, -1e-300, math.MaxFloat64,
	math.SmallestNonzeroFloat64, 65.123456789012345, 1.5e-10}

func TestEncoderWritesWhatEncodingJSONWrites(t *testing.T) {
	schema := geo.Schema{HasID: true, Columns: []geo.Column{{Name: "name", Type: geo.Text}, {Name: "n", Type: geo.Integer},
		{Name: "x", Type: geo.Real}, {Name: "ok", Type: geo.Boolean}, {Name: "odd \"name\"\u2028", Type: geo.Text}}}
	ring := orb.Ring{{60, 30}, {61, 30}, {61, 31}, {60, 30}}
	geoms := map[string]orb.Geometry{
		"nil": nil, "point": orb.Point{65.1, 33.25}, "multipoint": orb.MultiPoint{{1, 2}, {3, 4}},
		"linestring": orb.LineString{{1, 2}, {3, 4.5}}, "ring": ring, "polygon": orb.Polygon{ring, ring},
		"multilinestring": orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}},
		"multipolygon":    orb.MultiPolygon{{ring}, {ring, ring}}, "bound": orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{3, 4}},
		"collection": orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}}, "empty collection": orb.Collection{},
		"empty linestring": orb.LineString{}, "nil linestring": orb.LineString(nil), "empty polygon": orb.Polygon{},
		"polygon of an empty ring": orb.Polygon{{}}, "empty multipolygon": orb.MultiPolygon{}, "multipolygon of an empty polygon": orb.MultiPolygon{{}},
		"nan point": orb.Point{math.NaN(), 1}, "inf in a line": orb.LineString{{1, 2}, {math.Inf(1), 3}},
	}
	for i, f := range oddFloats {
		geoms["point of odd float "+string(rune('a'+i))] = orb.Point{f, -f}
	}
	props := []map[string]any{
		{}, {"name": nil, "n": int64(-42), "x": 2.5, "ok": true},
		{"name": "x", "n": int64(math.MaxInt64), "x": math.NaN()}, {"x": math.Inf(-1)},
		{"name": []any{"a", 1.0}, "n": map[string]any{"k": "<v>&"}, "x": json.Number("12"), "ok": int(7)},
	}
	for _, s := range oddStrings {
		props = append(props, map[string]any{"name": s, "odd \"name\"\u2028": s})
	}
	for _, f := range oddFloats {
		props = append(props, map[string]any{"x": f, "n": -f})
	}
	enc := NewEncoder(schema)
	noID := NewEncoder(geo.Schema{Columns: schema.Columns})
	for gname, g := range geoms {
		for pi, p := range props {
			for _, s := range oddStrings[:4] {
				f := geo.Feature{ID: s, Geometry: g, Properties: p}
				want, wantErr := marshalFeature(f, schema)
				got, err := AppendFeature([]byte("prefix"), f, schema)
				if (err != nil) != (wantErr != nil) {
					t.Fatalf("%s, properties %d: error %v, encoding/json's %v", gname, pi, err, wantErr)
				}
				if err != nil {
					continue
				}
				if !bytes.Equal(got[6:], want) {
					t.Fatalf("%s, properties %d:\n got %s\nwant %s", gname, pi, got[6:], want)
				}
				if got, _ := enc.Append(nil, f); !bytes.Equal(got, want) {
					t.Fatalf("%s, properties %d, Encoder:\n got %s\nwant %s", gname, pi, got, want)
				}
				// The row path: parts instead of a feature.
				values := make([]any, len(schema.Columns))
				for i, c := range schema.Columns {
					values[i] = p[c.Name]
				}
				row := enc.AppendStart(nil, f.ID)
				row, _ = AppendGeometry(row, g)
				if row, _ = enc.AppendProperties(row, values); !bytes.Equal(row, want) {
					t.Fatalf("%s, properties %d, row:\n got %s\nwant %s", gname, pi, row, want)
				}
			}
			f := geo.Feature{ID: "1234", Geometry: g, Properties: p}
			want, err := marshalFeature(f, noID.schema)
			if err != nil {
				continue
			}
			if got := noID.AppendStartFID(nil, 1234); !bytes.HasPrefix(want, got) {
				t.Fatalf("fid start %s is not the start of %s", got, want)
			}
		}
	}
}

// wkbOracle is AppendGeometry of what orb makes of b; ok is false when
// orb cannot read it.
func wkbOracle(b []byte) ([]byte, bool) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, false
	}
	out, err := AppendGeometry(nil, g)
	return out, err == nil
}

func TestAppendWKBWritesWhatOrbDecodes(t *testing.T) {
	ring := orb.Ring{{60, 30}, {61, 30}, {61.123456789, 31}, {60, 30}}
	cases := map[string]orb.Geometry{
		"point": orb.Point{65.1, -33.25}, "multipoint": orb.MultiPoint{{1, 2}, {3, 4}},
		"linestring": orb.LineString{{1, 2}, {3, 4.5}}, "polygon": orb.Polygon{ring, ring},
		"multilinestring": orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}},
		"multipolygon":    orb.MultiPolygon{{ring}, {ring, ring}}, "tiny": orb.Point{1e-9, 1e22},
	}
	for name, g := range cases {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			b, err := wkb.Marshal(g, order)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := wkbOracle(b)
			got, ok := AppendWKB([]byte("x"), b)
			if !ok || !bytes.Equal(got[1:], want) {
				t.Errorf("%s (%v): ok %v\n got %s\nwant %s", name, order, ok, got, want)
			}
		}
	}
	// What it leaves to the caller, and the caller's buffer untouched.
	refused := map[string]orb.Geometry{"collection": orb.Collection{orb.Point{1, 2}}, "empty linestring": orb.LineString{},
		"empty polygon": orb.Polygon{}, "nan": orb.Point{math.NaN(), math.NaN()}, "empty multipolygon": orb.MultiPolygon{}}
	for name, g := range refused {
		b, err := wkb.Marshal(g, binary.LittleEndian)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := AppendWKB([]byte("x"), b); ok || string(got) != "x" {
			t.Errorf("%s: ok %v, buffer %q", name, ok, got)
		}
	}
}

func FuzzAppendWKB(f *testing.F) {
	for _, g := range []orb.Geometry{orb.Point{1, 2}, orb.MultiPolygon{{{{1, 2}, {3, 4}, {5, 6}, {1, 2}}}}, orb.MultiLineString{{{1, 2}, {3, 4}}}} {
		b, _ := wkb.Marshal(g, binary.LittleEndian)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := AppendWKB(nil, b)
		if !ok {
			return
		}
		want, wok := wkbOracle(b)
		if !wok || !bytes.Equal(got, want) {
			t.Fatalf("AppendWKB(%x) = %s, orb reads %s (%v)", b, got, want, wok)
		}
	})
}

func FuzzAppendValue(f *testing.F) {
	for _, s := range oddStrings {
		f.Add(s, 1.5)
	}
	for _, x := range oddFloats {
		f.Add("", x)
	}
	f.Fuzz(func(t *testing.T, s string, x float64) {
		for _, v := range []any{s, x} {
			want, wantErr := appendJSON(nil, v)
			got, err := appendValue(nil, v)
			if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
				t.Fatalf("appendValue(%#v) = %s, %v; encoding/json writes %s, %v", v, got, err, want, wantErr)
			}
		}
	})
}

// benchFeatures are the features of the encoder's benchmarks: points
// with a date and a count as the attacks layer has, and a country-sized
// polygon.
func benchFeatures() (points []geo.Feature, country geo.Feature, schema geo.Schema) {
	rng := rand.New(rand.NewPCG(1, 2))
	schema = geo.Schema{HasID: true, Columns: []geo.Column{{Name: "date", Type: geo.Date}, {Name: "killed", Type: geo.Integer}}}
	for i := range 1000 {
		points = append(points, geo.Feature{ID: "synthetic-" + strings.Repeat("1", i%5+1), Geometry: orb.Point{44 + rng.Float64()*36, 24 + rng.Float64()*20},
			Properties: map[string]any{"date": "2021-03-14", "killed": int64(rng.IntN(60))}})
	}
	var ring orb.Ring
	for i := range 10_000 {
		a := 2 * math.Pi * float64(i) / 10_000
		ring = append(ring, orb.Point{65 + 5*math.Cos(a) + rng.Float64()*1e-3, 33 + 4*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	country = geo.Feature{ID: "AFG", Geometry: orb.MultiPolygon{{ring}}, Properties: map[string]any{"date": "2021-03-14", "killed": int64(3)}}
	return points, country, schema
}

// BenchmarkEncoder is the GeoJSON writer alone, per feature: a point
// from a geo.Feature and from a row's WKB, against encoding/json (the
// writer before its fast paths), and a 10,000-vertex polygon.
func BenchmarkEncoder(b *testing.B) {
	points, country, schema := benchFeatures()
	enc := NewEncoder(schema)
	type row struct {
		id     string
		wkb    []byte
		values []any
	}
	rows := make([]row, len(points))
	for i, f := range points {
		w, _ := wkb.Marshal(f.Geometry, binary.LittleEndian)
		rows[i] = row{f.ID, w, []any{f.Properties["date"], f.Properties["killed"]}}
	}
	countryWKB, _ := wkb.Marshal(country.Geometry, binary.LittleEndian)
	var buf []byte
	run := func(name string, fn func(i int) error) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := fn(i % len(points)); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(len(buf)), "bytes/feature")
		})
	}
	run("point/encoding-json", func(i int) (err error) { buf, err = marshalFeature(points[i], schema); return err })
	run("point/feature", func(i int) (err error) { buf, err = enc.Append(buf[:0], points[i]); return err })
	run("point/row-wkb", func(i int) (err error) {
		r := rows[i]
		buf = enc.AppendStart(buf[:0], r.id)
		buf, _ = AppendWKB(buf, r.wkb)
		buf, err = enc.AppendProperties(buf, r.values)
		return err
	})
	run("polygon-10000/encoding-json", func(int) (err error) { buf, err = marshalFeature(country, schema); return err })
	run("polygon-10000/row-wkb", func(int) (err error) {
		buf = enc.AppendStart(buf[:0], country.ID)
		buf, _ = AppendWKB(buf, countryWKB)
		buf, err = enc.AppendProperties(buf, []any{"2021-03-14", int64(3)})
		return err
	})
}
