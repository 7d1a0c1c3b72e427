package kml

import (
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// TestKMLStreamIsKMLWriter: the streamed document is the held one, byte
// for byte, for every geometry type, escaping and no features at all.
func TestKMLStreamIsKMLWriter(t *testing.T) {
	schema := geo.Schema{Columns: []geo.Column{{Name: "name", Type: geo.Text}, {Name: "killed", Type: geo.Integer}}}
	features := []geo.Feature{
		{ID: "a", Geometry: orb.Point{69.2, 34.5}, Properties: map[string]any{"name": "Kabul <airport> & \"gate\"", "killed": int64(183)}},
		{ID: "b", Geometry: orb.LineString{{1, 2}, {3, 4}}, Properties: map[string]any{"killed": nil}},
		{ID: "c", Geometry: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, Properties: map[string]any{}},
		{ID: "d", Geometry: orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, Properties: map[string]any{"name": "ملک"}},
		{ID: "e", Properties: map[string]any{"name": "no geometry"}},
		{ID: "f", Geometry: orb.Collection{orb.Point{1, 1}, orb.MultiPoint{{2, 2}}}, Properties: map[string]any{}},
	}
	for name, fs := range map[string][]geo.Feature{"features": features, "none": nil} {
		t.Run(name, func(t *testing.T) {
			held, streamed := &strings.Builder{}, &strings.Builder{}
			kw := NewWriter("Attacks & <more>", schema)
			ks, err := NewStream(streamed, "Attacks & <more>", schema)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				if err := kw.Write(f); err != nil {
					t.Fatal(err)
				}
				if err := ks.Write(f); err != nil {
					t.Fatal(err)
				}
			}
			if err := kw.Flush(held); err != nil {
				t.Fatal(err)
			}
			if err := ks.Close(); err != nil {
				t.Fatal(err)
			}
			if held.String() != streamed.String() {
				t.Errorf("streamed:\n%s\nheld:\n%s", streamed, held)
			}
		})
	}
}
