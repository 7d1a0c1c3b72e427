package server

import (
	"net/url"
	"slices"
	"testing"

	"github.com/khorasan/khorasan/geo"
)

// fuzzLayer has a column of every type.
var fuzzLayer = geo.Layer{Name: "attacks", Schema: geo.Schema{HasID: true, GeometryType: "POINT", Columns: []geo.Column{
	{Name: "date", Type: geo.Date}, {Name: "city", Type: geo.Text}, {Name: "killed", Type: geo.Integer},
	{Name: "ratio", Type: geo.Real}, {Name: "when", Type: geo.DateTime}, {Name: "ok", Type: geo.Boolean},
}}}

func FuzzItemsQuery(f *testing.F) {
	for _, s := range []string{"bbox=60,30,70,40", "limit=10&offset=5", "bbox=1,2,3", "limit=-1", "bbox=NaN,1,2,3&f=json", "x=1",
		"datetime=2021-01-01/..", "killed=5&city=Kabul", "sortby=-killed,date", "properties=city", "filter=killed>5 AND city LIKE 'K%'",
		"datetime=2021-08-26T10:00:00Z", "when=true", "ratio=1.5", "properties=city,city,killed", "sortby=killed,-killed,id",
		"properties=city,city,city,city,city,city,city", "sortby=id,id,id,id,id,id,id,id"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		req, err := parseItems(q, fuzzLayer)
		if err != nil {
			return
		}
		if req.query.Limit < 1 || req.query.Limit > maxLimit || req.query.Offset < 0 {
			t.Fatalf("accepted limit %d offset %d", req.query.Limit, req.query.Offset)
		}
		if len(req.properties) > len(fuzzLayer.Schema.Columns) || len(req.query.SortBy) > len(fuzzLayer.Schema.Columns)+1 {
			t.Fatalf("accepted %d properties, %d sort keys", len(req.properties), len(req.query.SortBy))
		}
		for i, p := range req.properties {
			if slices.Contains(req.properties[:i], p) {
				t.Fatalf("property %q twice", p)
			}
		}
		for i, k := range req.query.SortBy {
			if slices.ContainsFunc(req.query.SortBy[:i], func(o geo.SortKey) bool { return o.Name == k.Name }) {
				t.Fatalf("sort key %q twice", k.Name)
			}
		}
		if b := req.query.BBox; b != nil && (b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] || b.Min[0] < -180 || b.Max[1] > 90) {
			t.Fatalf("accepted bbox %v", b)
		}
	})
}
