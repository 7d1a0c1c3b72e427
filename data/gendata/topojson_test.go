package main

import (
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// The fixture testdata/tiny-topology.json is quantized with scale
// [0.5, 0.25] and translate [10, 20]. Its arcs, delta-decoded by hand:
//
//	arc 0: (0,0) (4,0) (4,4)        -> (10,20) (12,20) (12,21)
//	arc 1: (0,0) (0,4) (4,4)        -> (10,20) (10,21) (12,21)
//	arc 2: (8,8) (10,8) (10,10) (8,8) -> (14,22) (15,22) (15,22.5) (14,22)
func loadTiny(t *testing.T) (*topology, [][]orb.Point) {
	t.Helper()
	data, err := os.ReadFile("testdata/tiny-topology.json")
	if err != nil {
		t.Fatal(err)
	}
	topo, err := parseTopology(data)
	if err != nil {
		t.Fatal(err)
	}
	arcs, err := decodeArcs(topo)
	if err != nil {
		t.Fatal(err)
	}
	return topo, arcs
}

func TestDecodeArcs(t *testing.T) {
	_, arcs := loadTiny(t)
	want := [][]orb.Point{
		{{10, 20}, {12, 20}, {12, 21}},
		{{10, 20}, {10, 21}, {12, 21}},
		{{14, 22}, {15, 22}, {15, 22.5}, {14, 22}},
	}
	if len(arcs) != len(want) {
		t.Fatalf("got %d arcs, want %d", len(arcs), len(want))
	}
	for i := range want {
		if !orb.LineString(arcs[i]).Equal(orb.LineString(want[i])) {
			t.Errorf("arc %d = %v, want %v", i, arcs[i], want[i])
		}
	}
}

func TestDecodeArcsWithoutTransform(t *testing.T) {
	topo := &topology{Type: "Topology", Arcs: [][][]float64{{{1.5, 2}, {3, 4}}}}
	arcs, err := decodeArcs(topo)
	if err != nil {
		t.Fatal(err)
	}
	want := orb.LineString{{1.5, 2}, {3, 4}}
	if !orb.LineString(arcs[0]).Equal(want) {
		t.Errorf("got %v, want absolute positions %v", arcs[0], want)
	}
}

func TestTopoGeometry(t *testing.T) {
	topo, arcs := loadTiny(t)
	square := orb.Ring{{10, 20}, {12, 20}, {12, 21}, {10, 21}, {10, 20}}
	triangle := orb.Ring{{14, 22}, {15, 22}, {15, 22.5}, {14, 22}}
	cases := map[string]struct {
		want    orb.Geometry
		wantID  string
		wantErr string
	}{
		"Square":              {want: orb.Polygon{square}, wantID: "004"},
		"Square and triangle": {want: orb.MultiPolygon{{square}, {triangle}}, wantID: "4"},
		"Open":                {wantErr: "not closed"},
		"Out of range":        {wantErr: "out of range"},
		"Point":               {wantErr: "not supported"},
	}
	geoms := topo.Objects["countries"].Geometries
	if len(geoms) != len(cases) {
		t.Fatalf("fixture has %d geometries, want %d", len(geoms), len(cases))
	}
	for _, g := range geoms {
		name := g.Properties["name"].(string)
		tc, ok := cases[name]
		if !ok {
			t.Fatalf("no case for %q", name)
		}
		t.Run(name, func(t *testing.T) {
			got, err := g.geometry(arcs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !orb.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			id, ok, err := g.idString()
			if err != nil || !ok || id != tc.wantID {
				t.Errorf("id = %q, %v, %v; want %q", id, ok, err, tc.wantID)
			}
		})
	}
}

func TestStitchRingReversedArcComesFirst(t *testing.T) {
	_, arcs := loadTiny(t)
	// ~1 then 0: arc 1 backwards (12,21)->(10,20), then arc 0 (10,20)->(12,21).
	got, err := stitchRing(arcs, []int{^1, 0})
	if err != nil {
		t.Fatal(err)
	}
	want := orb.Ring{{12, 21}, {10, 21}, {10, 20}, {12, 20}, {12, 21}}
	if !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestParseTopologyRejectsOtherTypes(t *testing.T) {
	if _, err := parseTopology([]byte(`{"type":"FeatureCollection"}`)); err == nil {
		t.Error("a FeatureCollection was accepted as a Topology")
	}
}
