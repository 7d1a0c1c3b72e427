package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/paulmach/orb"
)

// testGeoJSONIsAppendFeatureOfFeatures: GeoJSONFeatures writes of every
// query what geojson.AppendFeature writes of the features Features gives
// (the same bytes, so pages and ETags are the same whichever path a
// server takes), for every geometry and property type, ids of the layer's
// own or fids, and a selection of the properties.
func testGeoJSONIsAppendFeatureOfFeatures(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	square := orb.Ring{{60, 30}, {61, 30}, {61, 31}, {60, 31}, {60, 30}}
	geometries := []orb.Geometry{
		orb.Point{69.17233, 34.52813}, orb.LineString{{60, 30}, {61.5, 31.25}}, orb.Polygon{square},
		orb.MultiPoint{{60, 30}, {-179.5, -89}}, orb.MultiLineString{{{60, 30}, {61, 31}}, {{62, 32}, {63, 33}}},
		orb.MultiPolygon{{square}}, orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}}, nil,
	}
	var in []geo.Feature
	for i, g := range geometries {
		in = append(in, geo.Feature{ID: string(rune('a' + i)), Geometry: g, Properties: map[string]any{
			"name": "Kabul \"city\" ✓ <&>", "killed": int64(i * 7), "ratio": 1.5 / float64(i+1), "claimed": i%2 == 0,
			"date": "2015-04-18", "at": "2015-04-18T10:00:00.5Z", "missing": nil}})
	}
	order := []string{"name", "killed", "ratio", "claimed", "date", "at", "missing"}
	replace(t, s, "mixed", in, order)
	var fids []geo.Feature
	for i, f := range in {
		f.ID = ""
		f.Geometry = orb.Point{60 + float64(i), 30}
		fids = append(fids, f)
	}
	replace(t, s, "fids", fids, order)
	filter, err := cql2.Parse("killed >= 14")
	if err != nil {
		t.Fatal(err)
	}
	box := orb.Bound{Min: orb.Point{59, 29}, Max: orb.Point{62.5, 32}}
	for _, layer := range []string{"mixed", "fids"} {
		l, err := s.Layer(ctx, layer)
		if err != nil {
			t.Fatal(err)
		}
		picked := l.Schema
		picked.Columns = []geo.Column{l.Schema.Columns[3], l.Schema.Columns[0]}
		for _, schema := range []geo.Schema{l.Schema, picked} {
			for _, q := range []geo.Query{{}, {Limit: 3, Offset: 2}, {BBox: &box}, {Filter: filter}, {SortBy: []geo.SortKey{{Name: "ratio"}}, Limit: 4}} {
				var want, got []byte
				for _, f := range all(t, s, layer, q) {
					if want, err = geojson.AppendFeature(append(want, '\n'), f, schema); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.GeoJSONFeatures(ctx, layer, q, schema, func(b []byte) error {
					got = append(append(got, '\n'), b...)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s, %d columns, query %+v: GeoJSONFeatures wrote\n%.600s\nAppendFeature of Features\n%.600s", layer, len(schema.Columns), q, got, want)
				}
			}
		}
	}
	err = s.GeoJSONFeatures(ctx, "mixed", geo.Query{}, geo.Schema{Columns: []geo.Column{{Name: "nope", Type: geo.Text}}}, func([]byte) error { return nil })
	var ie *geo.InvalidError
	if !errors.As(err, &ie) || ie.Where != "properties" {
		t.Errorf("an unknown property: %v, want an invalid properties error", err)
	}
}
