package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/paulmach/orb"
)

// testFeatureEdits: create, update with a precondition, delete, each
// audited with the feature before and after; the layer's version and
// extent follow.
func testFeatureEdits(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	replace(t, s, "places", []geo.Feature{{ID: "a", Geometry: orb.Point{69, 34}, Properties: map[string]any{"name": "Kabul", "n": int64(1)}}}, []string{"name", "n"})
	before, err := s.Layer(ctx, "places")
	if err != nil {
		t.Fatal(err)
	}
	f, schema, err := s.CreateFeature(ctx, "places", geo.Feature{Geometry: orb.Point{62.2, 34.3}, Properties: map[string]any{"name": "Herat", "n": int64(2)}}, "alice")
	if err != nil || f.ID == "" || f.Properties["name"] != "Herat" {
		t.Fatalf("create: %v %v", f, err)
	}
	if _, _, err := s.CreateFeature(ctx, "places", geo.Feature{ID: "a", Geometry: orb.Point{1, 1}}, "alice"); !errors.Is(err, geo.ErrConflict) {
		t.Errorf("create with a taken id: %v", err)
	}
	if _, _, err := s.CreateFeature(ctx, "places", geo.Feature{Geometry: orb.Point{1, 1}, Properties: map[string]any{"nope": 1.5}}, "alice"); !geo.IsInvalid(err) {
		t.Errorf("unknown property: %v", err)
	}
	if _, _, err := s.CreateFeature(ctx, "places", geo.Feature{Geometry: orb.Point{1, 100}}, "alice"); !geo.IsInvalid(err) {
		t.Errorf("latitude 100: %v", err)
	}
	if _, _, err := s.CreateFeature(ctx, "places", geo.Feature{Geometry: orb.Point{1, 1}, Properties: map[string]any{"n": "many"}}, "alice"); !geo.IsInvalid(err) {
		t.Errorf("text in an integer column: %v", err)
	}
	if _, _, err := s.CreateFeature(ctx, "nope", geo.Feature{Geometry: orb.Point{1, 1}}, "alice"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("create in a missing layer: %v", err)
	}
	after, err := s.Layer(ctx, "places")
	if err != nil {
		t.Fatal(err)
	}
	if want := (orb.Bound{Min: orb.Point{62.2, 34}, Max: orb.Point{69, 34.3}}); after.Bounds != want || after.Count != 2 {
		t.Errorf("after a create: bounds %v, count %d; want %v, 2", after.Bounds, after.Count, want)
	}
	if t0, t1 := changed(t, before), changed(t, after); !t1.After(t0) {
		t.Errorf("a create did not move the last change forward: %s, then %s", before.Changed, after.Changed)
	}

	etag, _ := geojson.ETag(f, schema)
	// An update whose precondition holds, then one whose does not.
	check := func(want string) func(geo.Feature, geo.Schema) (geo.Feature, error) {
		return func(old geo.Feature, sc geo.Schema) (geo.Feature, error) {
			if tag, _ := geojson.ETag(old, sc); tag != want {
				return geo.Feature{}, geo.ErrPrecondition
			}
			old.Properties["n"] = old.Properties["n"].(int64) + 10
			return old, nil
		}
	}
	g, _, err := s.UpdateFeature(ctx, "places", f.ID, "bob", check(etag))
	if err != nil || g.Properties["n"] != int64(12) {
		t.Fatalf("update: %v %v", g, err)
	}
	if _, _, err := s.UpdateFeature(ctx, "places", f.ID, "bob", check(etag)); !errors.Is(err, geo.ErrPrecondition) {
		t.Errorf("stale update: %v", err)
	}
	if _, _, err := s.UpdateFeature(ctx, "places", "nope", "bob", check(etag)); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("missing feature: %v", err)
	}
	// An update that changes nothing is not an edit.
	same := func(old geo.Feature, _ geo.Schema) (geo.Feature, error) { return old, nil }
	if _, _, err := s.UpdateFeature(ctx, "places", f.ID, "dave", same); err != nil {
		t.Errorf("an update that changes nothing: %v", err)
	}
	if err := s.DeleteFeature(ctx, "places", "a", "carol", func(geo.Feature, geo.Schema) error { return geo.ErrPrecondition }); !errors.Is(err, geo.ErrPrecondition) {
		t.Errorf("a refused delete: %v", err)
	}
	if err := s.DeleteFeature(ctx, "places", "a", "carol", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Feature(ctx, "places", "a"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("deleted feature: %v", err)
	}
	if err := s.DeleteFeature(ctx, "places", "a", "carol", nil); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("deleting it again: %v", err)
	}
	h, err := s.History(ctx, geo.HistoryQuery{Layer: "places"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range h {
		got = append(got, e.Actor+" "+e.Action)
		if e.Layer != "places" || time.Since(e.Time) > time.Minute || e.Time.Location() != time.UTC {
			t.Errorf("entry %+v", e)
		}
	}
	if strings.Join(got, ", ") != "carol delete, bob update, alice create" {
		t.Fatalf("history %q", got)
	}
	props := func(raw json.RawMessage) map[string]any {
		var g struct{ Properties map[string]any }
		if err := json.Unmarshal(raw, &g); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
		return g.Properties
	}
	if h[0].FeatureID != "a" || h[0].New != nil || props(h[0].Old)["name"] != "Kabul" {
		t.Errorf("the delete's entry: %+v", h[0])
	}
	if h[1].FeatureID != f.ID || props(h[1].Old)["n"] != 2.0 || props(h[1].New)["n"] != 12.0 {
		t.Errorf("the update's entry: %s → %s", h[1].Old, h[1].New)
	}
	if h[2].Old != nil || props(h[2].New)["name"] != "Herat" {
		t.Errorf("the create's entry: %+v", h[2])
	}
	if h, err := s.History(ctx, geo.HistoryQuery{Actor: "bob", Limit: 5}); err != nil || len(h) != 1 || h[0].Action != "update" {
		t.Errorf("bob's history: %+v, %v", h, err)
	}
	if h, err := s.History(ctx, geo.HistoryQuery{FeatureID: f.ID}); err != nil || len(h) != 2 {
		t.Errorf("the feature's history: %d entries, %v", len(h), err)
	}
	if h, err := s.History(ctx, geo.HistoryQuery{Since: time.Now().Add(time.Hour)}); err != nil || len(h) != 0 {
		t.Errorf("history since an hour from now: %d entries, %v", len(h), err)
	}
}

func changed(t *testing.T, l geo.Layer) time.Time {
	t.Helper()
	c, err := time.Parse(time.RFC3339Nano, l.Changed)
	if err != nil {
		t.Fatalf("last change %q: %v", l.Changed, err)
	}
	return c
}

// testConcurrentUpdatesLoseNothing: concurrent read-modify-write updates
// lose nothing, because the change function runs inside the write
// transaction.
func testConcurrentUpdatesLoseNothing(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	replace(t, s, "c", []geo.Feature{{ID: "x", Geometry: orb.Point{1, 1}, Properties: map[string]any{"n": int64(0)}}}, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				_, _, err := s.UpdateFeature(ctx, "c", "x", "w", func(old geo.Feature, _ geo.Schema) (geo.Feature, error) {
					old.Properties["n"] = old.Properties["n"].(int64) + 1
					return old, nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	f, _ := s.Feature(ctx, "c", "x")
	if f.Properties["n"] != int64(200) {
		t.Errorf("n = %v, want 200", f.Properties["n"])
	}
	if h, err := s.History(ctx, geo.HistoryQuery{Layer: "c", Limit: 1000}); err != nil || len(h) != 200 {
		t.Errorf("%d audit entries, %v; want 200", len(h), err)
	}
}

// testRulesOnEdits: edits of a layer the dataset describes pass its
// profile's rules (the default data's attacks).
func testRulesOnEdits(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	schema := geo.Schema{GeometryType: "POINT", HasID: true, Columns: []geo.Column{
		{Name: "date", Type: geo.Date}, {Name: "end_date", Type: geo.Date}, {Name: "country", Type: geo.Text},
		{Name: "attribution", Type: geo.Text}, {Name: "killed", Type: geo.Integer}}}
	if _, err := s.ReplaceLayer(ctx, geo.LayerInfo{Name: "attacks"}, schema, seq(nil)); err != nil {
		t.Fatal(err)
	}
	base := map[string]any{"date": "2024-01-01", "country": "Afghanistan", "attribution": "claimed", "killed": int64(3)}
	cases := map[string]func(p map[string]any) orb.Geometry{
		"no country":       func(p map[string]any) orb.Geometry { delete(p, "country"); return orb.Point{69, 34} },
		"bad attribution":  func(p map[string]any) orb.Geometry { p["attribution"] = "rumoured"; return orb.Point{69, 34} },
		"negative killed":  func(p map[string]any) orb.Geometry { p["killed"] = int64(-1); return orb.Point{69, 34} },
		"future date":      func(p map[string]any) orb.Geometry { p["date"] = "2999-01-01"; return orb.Point{69, 34} },
		"end before start": func(p map[string]any) orb.Geometry { p["end_date"] = "2023-01-01"; return orb.Point{69, 34} },
		"no point":         func(p map[string]any) orb.Geometry { return nil },
		"not a date":       func(p map[string]any) orb.Geometry { p["date"] = "last Tuesday"; return orb.Point{69, 34} },
	}
	for name, mod := range cases {
		p := map[string]any{}
		for k, v := range base {
			p[k] = v
		}
		g := mod(p)
		if _, _, err := s.CreateFeature(ctx, "attacks", geo.Feature{Geometry: g, Properties: p}, "t"); !geo.IsInvalid(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	f, _, err := s.CreateFeature(ctx, "attacks", geo.Feature{Geometry: orb.Point{69, 34}, Properties: base}, "t")
	if err != nil {
		t.Fatalf("a good attack: %v", err)
	}
	_, _, err = s.UpdateFeature(ctx, "attacks", f.ID, "t", func(old geo.Feature, _ geo.Schema) (geo.Feature, error) {
		old.Properties["attribution"] = "rumoured"
		return old, nil
	})
	if !geo.IsInvalid(err) {
		t.Errorf("an update that breaks the rules: %v", err)
	}
	if n, err := s.Count(ctx, "attacks", geo.Query{}); err != nil || n != 1 {
		t.Errorf("%d attacks, %v; want the good one", n, err)
	}
}

// testEditsOfAFidLayer: in a layer without ids, features are named by
// their fid, and a created feature's id is the one it got.
func testEditsOfAFidLayer(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	replace(t, s, "plain", []geo.Feature{{Geometry: orb.LineString{{0, 0}, {1, 1}}, Properties: map[string]any{"label": "first"}}}, nil)
	f, _, err := s.CreateFeature(ctx, "plain", geo.Feature{ID: "ignored", Geometry: orb.LineString{{2, 2}, {3, 3}}, Properties: map[string]any{"label": "second"}}, "t")
	if err != nil || f.ID != "2" {
		t.Fatalf("create: %+v, %v; want fid 2", f, err)
	}
	if _, _, err := s.CreateFeature(ctx, "plain", geo.Feature{Geometry: orb.Point{2, 2}}, "t"); !geo.IsInvalid(err) {
		t.Errorf("a point in a line layer: %v", err)
	}
	// An update by fid (geo/gpkg once prepared a lookup by an id column
	// the layer does not have: "no such column: t.").
	g, _, err := s.UpdateFeature(ctx, "plain", "1", "t", func(old geo.Feature, _ geo.Schema) (geo.Feature, error) {
		old.Properties["label"] = nil
		old.Geometry = orb.LineString{{5, 5}, {6, 6}}
		return old, nil
	})
	if err != nil || g.ID != "1" || g.Properties["label"] != nil || g.Geometry.Bound() != (orb.Bound{Min: orb.Point{5, 5}, Max: orb.Point{6, 6}}) {
		t.Errorf("update by fid: %+v, %v", g, err)
	}
	if l, err := s.Layer(ctx, "plain"); err != nil || l.Bounds != (orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{6, 6}}) {
		t.Errorf("the extent grows with an update: %+v, %v", l.Bounds, err)
	}
	_, _, err = s.UpdateFeature(ctx, "plain", "1", "t", func(old geo.Feature, _ geo.Schema) (geo.Feature, error) {
		old.Properties["label"] = "first"
		old.Geometry = orb.LineString{{0, 0}, {1, 1}}
		return old, nil
	})
	if err != nil {
		t.Errorf("update back: %v", err)
	}
	if _, _, err := s.UpdateFeature(ctx, "plain", "x", "t", func(old geo.Feature, _ geo.Schema) (geo.Feature, error) { return old, nil }); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("update by an id that is no fid: %v", err)
	}
	if err := s.DeleteFeature(ctx, "plain", "x", "t", nil); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("delete by an id that is no fid: %v", err)
	}
	if err := s.DeleteFeature(ctx, "plain", "2", "t", nil); err != nil {
		t.Error(err)
	}
	if got := all(t, s, "plain", geo.Query{}); len(got) != 1 || got[0].ID != "1" || got[0].Properties["label"] != "first" {
		t.Errorf("after the edits: %+v", got)
	}
}
