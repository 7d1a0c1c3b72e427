package storetest

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

func testRoundTrip(t *testing.T, open Opener) {
	square := orb.Ring{{60, 30}, {61, 30}, {61, 31}, {60, 31}, {60, 30}}
	hole := orb.Ring{{60.2, 30.2}, {60.2, 30.4}, {60.4, 30.4}, {60.4, 30.2}, {60.2, 30.2}}
	geometries := map[string]orb.Geometry{
		"point":           orb.Point{69.17233, 34.52813},
		"linestring":      orb.LineString{{60, 30}, {61.5, 31.25}},
		"polygon":         orb.Polygon{square, hole},
		"multipoint":      orb.MultiPoint{{60, 30}, {-179.5, -89}},
		"multilinestring": orb.MultiLineString{{{60, 30}, {61, 31}}, {{62, 32}, {63, 33}}},
		"multipolygon":    orb.MultiPolygon{{square}, {{{179, 0}, {180, 0}, {180, 1}, {179, 0}}}},
		"collection":      orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}},
	}
	props := map[string]any{
		"name":    "Kabul \"city\" ✓",
		"killed":  int64(33),
		"ratio":   1.5,
		"claimed": true,
		"date":    "2015-04-18",
		"at":      "2015-04-18T10:00:00Z",
		"missing": nil,
	}
	order := []string{"name", "killed", "ratio", "claimed", "date", "at", "missing"}
	for name, g := range geometries {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			in := []geo.Feature{{ID: "a", Geometry: g, Properties: props}, {ID: "b", Geometry: nil, Properties: map[string]any{}}}
			replace(t, s, "layer", in, order)
			got := all(t, s, "layer", geo.Query{})
			if len(got) != 2 {
				t.Fatalf("got %d features, want 2", len(got))
			}
			if !reflect.DeepEqual(got[0].Geometry, g) {
				t.Errorf("geometry: got %#v, want %#v", got[0].Geometry, g)
			}
			want := map[string]any{}
			for k, v := range props {
				want[k] = v
			}
			if !reflect.DeepEqual(got[0].Properties, want) {
				t.Errorf("properties: got %#v, want %#v", got[0].Properties, want)
			}
			if got[0].ID != "a" || got[1].ID != "b" || got[1].Geometry != nil {
				t.Errorf("ids or empty geometry wrong: %+v", got)
			}
			l, err := s.Layer(context.Background(), "layer")
			if err != nil {
				t.Fatal(err)
			}
			wantTypes := []geo.ColumnType{geo.Text, geo.Integer, geo.Real, geo.Boolean, geo.Date, geo.DateTime, geo.Text}
			var types []geo.ColumnType
			for _, c := range l.Schema.Columns {
				types = append(types, c.Type)
			}
			if !slices.Equal(types, wantTypes) {
				t.Errorf("column types: got %v, want %v", types, wantTypes)
			}
			if l.Bounds != g.Bound() {
				t.Errorf("bounds: got %v, want %v", l.Bounds, g.Bound())
			}
			one, err := s.Feature(context.Background(), "layer", "a")
			if err != nil || !reflect.DeepEqual(one.Geometry, g) {
				t.Errorf("Feature(a) = %+v, %v", one, err)
			}
		})
	}
}

func testBBoxMatchesBruteForce(t *testing.T, open Opener) {
	s := open(t)
	rng := rand.New(rand.NewPCG(1, 2))
	fs := make([]geo.Feature, 10000)
	for i := range fs {
		fs[i] = geo.Feature{Geometry: orb.Point{rng.Float64()*360 - 180, rng.Float64()*180 - 90}, Properties: map[string]any{"i": int64(i)}}
	}
	replace(t, s, "points", fs, nil)
	boxes := map[string]orb.Bound{
		"region":      {Min: orb.Point{50, 25}, Max: orb.Point{75, 42}},
		"whole world": {Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}},
		"thin strip":  {Min: orb.Point{-180, 10}, Max: orb.Point{180, 10.05}},
		"empty area":  {Min: orb.Point{1, 1}, Max: orb.Point{1.0001, 1.0001}},
		// edges on exact coordinates: inclusive, and finer than float32
		"edge on a point": {Min: fs[7].Geometry.(orb.Point), Max: orb.Point{fs[7].Geometry.(orb.Point)[0] + 1e-9, fs[7].Geometry.(orb.Point)[1] + 1e-9}},
	}
	for name, b := range boxes {
		t.Run(name, func(t *testing.T) {
			var want []int64
			for _, f := range fs {
				if b.Contains(f.Geometry.(orb.Point)) {
					want = append(want, f.Properties["i"].(int64))
				}
			}
			var got []int64
			for _, f := range all(t, s, "points", geo.Query{BBox: &b}) {
				got = append(got, f.Properties["i"].(int64))
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %d features, want %d", len(got), len(want))
			}
			n, err := s.Count(context.Background(), "points", geo.Query{BBox: &b})
			if err != nil || n != int64(len(want)) {
				t.Errorf("Count = %d, %v; want %d", n, err, len(want))
			}
		})
	}
	// Envelopes, not only points: a line whose envelope meets the box
	// is selected even where the line itself passes by.
	s2 := open(t)
	lines := []geo.Feature{
		{ID: "diagonal", Geometry: orb.LineString{{0, 0}, {10, 10}}},
		{ID: "far", Geometry: orb.LineString{{20, 20}, {30, 30}}},
	}
	replace(t, s2, "lines", lines, nil)
	corner := orb.Bound{Min: orb.Point{8, 0}, Max: orb.Point{10, 1}}
	if got := all(t, s2, "lines", geo.Query{BBox: &corner}); len(got) != 1 || got[0].ID != "diagonal" {
		t.Errorf("bbox on envelopes: %+v, want the diagonal line", got)
	}
}

func testFailedReplaceLeavesNoTrace(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	good := []geo.Feature{{ID: "x", Geometry: orb.Point{1, 2}, Properties: map[string]any{"n": int64(1)}}}
	replace(t, s, "layer", good, nil)
	before := all(t, s, "layer", geo.Query{})

	bad := make([]geo.Feature, 100)
	for i := range bad {
		bad[i] = geo.Feature{ID: string(rune('a'+i%26)) + string(rune('a'+i/26)), Geometry: orb.Point{10, float64(i % 80)}, Properties: map[string]any{"n": int64(i)}}
	}
	bad[60].Geometry = orb.Point{10, 200}
	dup := slices.Clone(bad[:50])
	dup[40].ID = dup[3].ID
	cases := map[string]struct {
		layer    string
		features []geo.Feature
	}{
		"replace an existing layer": {"layer", bad},
		"create a new layer":        {"fresh", bad},
		"a duplicate id":            {"layer", dup},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			schema, err := InferSchema(c.features, nil)
			if err != nil {
				schema, _ = InferSchema(bad, nil)
			}
			_, err = s.ReplaceLayer(ctx, geo.LayerInfo{Name: c.layer}, schema, seq(c.features))
			if !geo.IsInvalid(err) {
				t.Fatalf("err = %v, want an invalid-input error", err)
			}
			if got := all(t, s, "layer", geo.Query{}); !reflect.DeepEqual(got, before) {
				t.Errorf("layer changed: %+v", got)
			}
			layers, err := s.Layers(ctx)
			if err != nil || len(layers) != 1 {
				t.Errorf("Layers = %v, %v; want only the first layer", layers, err)
			}
		})
	}
}

// testLayerMetadata: the texts, version and extent of a layer, its last
// change moving forward on every write, its profile from the dataset,
// and the layers' order.
func testLayerMetadata(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	pts := []geo.Feature{{ID: "a", Geometry: orb.Point{69, 34}, Properties: map[string]any{"killed": int64(3), "date": "2020-01-02"}},
		{ID: "b", Geometry: orb.Point{70, 35}, Properties: map[string]any{"killed": int64(4), "date": "2021-03-04"}}}
	schema, err := InferSchema(pts, []string{"killed", "date"})
	if err != nil {
		t.Fatal(err)
	}
	info := geo.LayerInfo{Name: "attacks", Title: "Attacks", Description: "what happened", Attribution: "© someone", Version: "v1"}
	if n, err := s.ReplaceLayer(ctx, info, schema, seq(pts)); err != nil || n != 2 {
		t.Fatalf("ReplaceLayer = %d, %v", n, err)
	}
	replace(t, s, "second", pts, nil)
	l, err := s.Layer(ctx, "attacks")
	if err != nil {
		t.Fatal(err)
	}
	if l.Title != "Attacks" || l.Description != "what happened" || l.Attribution != "© someone" || l.Version != "v1" || l.Count != 2 {
		t.Errorf("layer = %+v", l)
	}
	if l.TimeExtent != [2]string{"2020-01-02", "2021-03-04"} {
		t.Errorf("time extent %v", l.TimeExtent)
	}
	if want := (orb.Bound{Min: orb.Point{69, 34}, Max: orb.Point{70, 35}}); l.Bounds != want {
		t.Errorf("bounds %v, want %v", l.Bounds, want)
	}
	if l.Profile.Kind != geo.KindEvents {
		t.Errorf("the attacks layer's profile is %+v, want the dataset's events profile", l.Profile)
	}
	first, err := time.Parse(time.RFC3339Nano, l.Changed)
	if err != nil {
		t.Fatalf("last change %q: %v", l.Changed, err)
	}
	if d := time.Since(first); d < -time.Minute || d > time.Minute {
		t.Errorf("last change %s is not now", l.Changed)
	}
	if second, err := s.Layer(ctx, "second"); err != nil || second.Title != "second" || second.Profile.Kind != geo.KindGeneric {
		t.Errorf("a layer without a title or profile: %+v, %v", second, err)
	}
	// Replacing keeps the layer's place, takes the new texts, and moves
	// the last change forward even within the same millisecond.
	if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: "attacks", Title: "Attacks 2"}, schema, seq(pts[:1])); err != nil {
		t.Fatal(err)
	}
	l2, err := s.Layer(ctx, "attacks")
	if err != nil {
		t.Fatal(err)
	}
	if l2.Title != "Attacks 2" || l2.Version != "" || l2.Attribution != "" || l2.Count != 1 || l2.Bounds != pts[0].Geometry.Bound() {
		t.Errorf("replaced layer = %+v", l2)
	}
	if next, err := time.Parse(time.RFC3339Nano, l2.Changed); err != nil || !next.After(first) {
		t.Errorf("last change %s after %s", l2.Changed, l.Changed)
	}
	layers, err := s.Layers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range layers {
		names = append(names, l.Name)
	}
	if !slices.Equal(names, []string{"attacks", "second"}) {
		t.Errorf("layers %v, want them in the order they were first made", names)
	}
	// Titles are unique, and names the store keeps for itself are refused.
	if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: "third", Title: "Attacks 2"}, schema, seq(pts)); !geo.IsInvalid(err) {
		t.Errorf("a second layer with the same title: %v, want an input error", err)
	}
	for _, name := range []string{"khorasan_audit", "1abc", "a-b", strings.Repeat("x", 64)} {
		if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: name}, schema, seq(pts)); !geo.IsInvalid(err) {
			t.Errorf("layer name %q: %v, want an input error", name, err)
		}
	}
	if layers, err := s.Layers(ctx); err != nil || len(layers) != 2 {
		t.Errorf("after refused writes: %d layers, %v", len(layers), err)
	}
}

// testNotFound: a missing layer or feature is geo.ErrNotFound from every
// read.
func testNotFound(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	replace(t, s, "withids", []geo.Feature{{ID: "a", Geometry: orb.Point{1, 2}}}, nil)
	replace(t, s, "byfid", []geo.Feature{{Geometry: orb.Point{1, 2}}}, nil)
	if f, err := s.Feature(ctx, "byfid", "1"); err != nil || f.ID != "1" {
		t.Errorf("the first feature by fid: %+v, %v", f, err)
	}
	checks := map[string]error{}
	_, checks["layer"] = s.Layer(ctx, "nope")
	_, checks["count"] = s.Count(ctx, "nope", geo.Query{})
	checks["features"] = s.Features(ctx, "nope", geo.Query{}, func(geo.Feature) error { return nil })
	_, checks["feature of a missing layer"] = s.Feature(ctx, "nope", "a")
	_, checks["missing id"] = s.Feature(ctx, "withids", "b")
	_, checks["missing fid"] = s.Feature(ctx, "byfid", "2")
	_, checks["an id that is no fid"] = s.Feature(ctx, "byfid", "a")
	_, checks["a fid where ids are kept"] = s.Feature(ctx, "withids", "1")
	for name, err := range checks {
		if !errors.Is(err, geo.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
}

// testSortBy: sort keys order as SQLite does (text by its bytes, NULLs
// first going up and last going down), the fid breaks ties, and an
// unknown key is an input error.
func testSortBy(t *testing.T, open Opener) {
	s, fs := attacksStore(t, open)
	ctx := context.Background()
	index := map[string]int{}
	for i, f := range fs {
		index[f.ID] = i // the fid order
	}
	compare := func(a, b any) int {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		case b == nil:
			return 1
		}
		switch a := a.(type) {
		case int64:
			return cmp.Compare(a, b.(int64))
		case float64:
			return cmp.Compare(a, b.(float64))
		case string:
			return strings.Compare(a, b.(string))
		}
		t.Fatalf("cannot compare %T", a)
		return 0
	}
	for _, keys := range [][]geo.SortKey{
		{{Name: "wounded"}},
		{{Name: "wounded", Desc: true}},
		{{Name: "city"}, {Name: "killed", Desc: true}},
		{{Name: "date", Desc: true}},
		{{Name: "id", Desc: true}},
		{{Name: "iso3"}, {Name: "end_date"}},
	} {
		want := slices.Clone(fs)
		slices.SortStableFunc(want, func(a, b geo.Feature) int {
			for _, k := range keys {
				av, bv := a.Properties[k.Name], b.Properties[k.Name]
				if k.Name == "id" {
					av, bv = a.ID, b.ID
				}
				c := compare(av, bv)
				if k.Desc {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return cmp.Compare(index[a.ID], index[b.ID])
		})
		got := all(t, s, "attacks", geo.Query{SortBy: keys})
		var gotIDs, wantIDs []string
		for i := range got {
			gotIDs, wantIDs = append(gotIDs, got[i].ID), append(wantIDs, want[i].ID)
		}
		if !slices.Equal(gotIDs, wantIDs) {
			t.Errorf("sortby %+v:\n got %v\nwant %v", keys, gotIDs, wantIDs)
		}
		page := all(t, s, "attacks", geo.Query{SortBy: keys, Limit: 7, Offset: 5})
		if len(page) != 7 || page[0].ID != wantIDs[5] || page[6].ID != wantIDs[11] {
			t.Errorf("sortby %+v, a page: %d features from %s", keys, len(page), page[0].ID)
		}
	}
	err := s.Features(ctx, "attacks", geo.Query{SortBy: []geo.SortKey{{Name: "nope"}}}, func(geo.Feature) error { return nil })
	if !geo.IsInvalid(err) {
		t.Errorf("unknown sort key: %v, want an input error", err)
	}
}
