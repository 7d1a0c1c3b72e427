package gpkg

import (
	"context"
	"slices"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
)

// FuzzFilter holds the SQL compiler to cql2.Eval on the attacks data for
// any filter the fuzzer finds: what the store accepts, Eval evaluates
// without error and to the same features; what it refuses is an input
// error, never a database error.
func FuzzFilter(f *testing.F) {
	s, fs := attacksStore(f)
	khorasan := khorasanWKT(f)
	seeds := []string{
		"killed > 50 AND wounded IS NULL",
		"NOT (wounded < 10 OR city = 'Kabul')",
		"name LIKE '%mosque%' OR city NOT LIKE 'K_b%'",
		"iso3 IN ('AFG', 'PAK') AND killed BETWEEN 10 AND 30",
		"date >= DATE('2021-01-01') AND end_date IS NULL",
		"date < TIMESTAMP('2016-10-24T12:00:00Z')",
		"T_INTERSECTS(date, INTERVAL('2020-01-01', '..'))",
		"NOT T_AFTER(end_date, INTERVAL('..', '2016-01-01'))",
		"T_DURING(date, INTERVAL('2019-01-01', TIMESTAMP('2021-08-26T10:00:00Z')))",
		"S_INTERSECTS(geometry, " + khorasan + ")",
		"NOT S_INTERSECTS(geometry, BBOX(69, 34, 70, 35)) AND killed > 20",
		"S_INTERSECTS(geometry, POINT(69.17233 34.52813))",
		"killed > wounded OR id = '2021-08-26-kabul-airport'",
		"TRUE AND NOT FALSE",
	}
	for _, seed := range seeds {
		f.Add(seed)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, text string) {
		e, err := cql2.Parse(text)
		if err != nil {
			return
		}
		var got []string
		err = s.Features(ctx, "attacks", geo.Query{Filter: e}, func(f geo.Feature) error {
			got = append(got, f.ID)
			return nil
		})
		if err != nil {
			if !geo.IsInvalid(err) {
				t.Fatalf("%s: %v", text, err)
			}
			return
		}
		var want []string
		for _, f := range fs {
			ok, err := cql2.Eval(e, evalGet(geo.Layer{}, f), f.Geometry)
			if err != nil {
				t.Fatalf("the store accepts %s but Eval fails: %v", text, err)
			}
			if ok {
				want = append(want, f.ID)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s\nstore: %v\n Eval: %v", text, got, want)
		}
	})
}
