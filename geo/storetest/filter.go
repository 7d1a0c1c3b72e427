package storetest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/paulmach/orb"
)

// testFilterMatchesEval runs filters of every kind through the store and
// through cql2.Eval, feature by feature, on the real default data: the
// SQL must select exactly what the reference evaluator does.
func testFilterMatchesEval(t *testing.T, open Opener) {
	s, fs := attacksStore(t, open)
	khorasan := khorasanWKT(t)
	kabulBoxWithHole := "POLYGON((68.5 34, 69.5 34, 69.5 35, 68.5 35, 68.5 34), (69.1 34.5, 69.2 34.5, 69.2 34.6, 69.1 34.6, 69.1 34.5))"
	deep := "killed > 100"
	for i := range 48 { // 96 levels of parentheses, within cql2.MaxDepth
		op := []string{"AND", "OR"}[i%2]
		deep = "(iso3 <> 'X" + string(rune('A'+i%26)) + "' " + op + " (" + deep + "))"
	}
	var manyEquals, manyValues []string
	for i := range 2000 {
		manyEquals = append(manyEquals, "killed = "+strconv.Itoa(i))
	}
	for i := range 5000 {
		manyValues = append(manyValues, strconv.Itoa(i*7))
	}

	filters := []string{
		// Comparisons.
		"city = 'Kabul'",
		"city <> 'Kabul'",
		"city < 'K'",
		"killed > 50",
		"killed >= 100",
		"killed < 5",
		"killed <= 2",
		"killed = 0",
		"killed = 33.0",
		"killed > 32.5",
		"5 > killed",
		"wounded > killed",
		"killed_low <> killed_high",
		"id = '2021-08-26-kabul-airport'",
		"id > '2024'",
		// NULLs: wounded is NULL for 3 events, end_date for 58.
		"wounded IS NULL",
		"wounded IS NOT NULL",
		"wounded < 10",
		"NOT wounded < 10",
		"NOT (wounded >= 10)",
		"wounded <> 50",
		"end_date IS NOT NULL",
		"end_date IS NULL",
		"NOT end_date > DATE('2000-01-01')",
		"end_date > date",
		"geometry IS NULL",
		"geometry IS NOT NULL",
		// LIKE: case-sensitive, % and _.
		"name LIKE 'Kabul%'",
		"name LIKE '%mosque%'",
		"name LIKE '%Mosque%'",
		"city LIKE 'K_bul'",
		"city NOT LIKE 'K%'",
		"id LIKE '2021-%'",
		"date LIKE '2022-__-0_'",
		"notes LIKE '%\"Wilayat Khorasan\"%'",
		"source_url LIKE '%https://%|%'",
		// IN and BETWEEN.
		"iso3 IN ('UZB', 'TJK')",
		"iso3 NOT IN ('AFG', 'PAK')",
		"killed IN (0, 2, 5.0)",
		"id IN ('2021-08-26-kabul-airport', 'nope')",
		"wounded NOT IN (50, 100)",
		"killed BETWEEN 20 AND 30",
		"killed NOT BETWEEN 1 AND 100",
		"wounded BETWEEN 0 AND 10",
		"wounded NOT BETWEEN 0 AND 10",
		"date BETWEEN '2021-01-01' AND '2021-12-31'",
		"date IN (DATE('2020-05-12'), TIMESTAMP('2021-08-26T00:00:00Z'))",
		// Dates.
		"date >= DATE('2024-01-01')",
		"date = '2020-05-12'",
		"date < TIMESTAMP('2016-10-24T12:00:00Z')",
		"date <= TIMESTAMP('2016-10-24T00:00:00Z')",
		"T_INTERSECTS(date, INTERVAL('2021-01-01', '2021-12-31'))",
		"T_INTERSECTS(date, INTERVAL('2024-01-01', '..'))",
		"T_INTERSECTS(date, INTERVAL('..', '2016-01-01'))",
		"T_INTERSECTS(date, DATE('2020-05-12'))",
		"T_INTERSECTS(date, INTERVAL('..', '..'))",
		"NOT T_INTERSECTS(end_date, INTERVAL('..', '..'))",
		"T_BEFORE(date, DATE('2017-01-01'))",
		"T_AFTER(date, DATE('2024-06-01'))",
		"T_BEFORE(date, INTERVAL('2016-07-23', '2017-01-01'))",
		"T_AFTER(date, INTERVAL('2016-01-01', '2024-09-02'))",
		"T_AFTER(date, INTERVAL('2016-01-01', '..'))",
		"NOT T_AFTER(date, INTERVAL('2016-01-01', '..'))",
		"T_AFTER(end_date, DATE('2016-01-01'))",
		"NOT T_AFTER(end_date, DATE('2016-01-01'))",
		"T_BEFORE(date, end_date)",
		"T_DISJOINT(date, INTERVAL('2017-01-01', '2023-12-31'))",
		"T_EQUALS(date, DATE('2020-05-12'))",
		"T_DURING(date, INTERVAL(TIMESTAMP('2021-08-25T12:00:00Z'), TIMESTAMP('2021-10-08T00:00:00Z')))",
		"T_STARTS(date, INTERVAL('2021-08-26', '2022-01-01'))",
		"T_CONTAINS(INTERVAL('2022-01-01', '2022-12-31'), date)",
		// Space.
		"S_INTERSECTS(geometry, BBOX(69, 34, 70, 35))",
		"S_INTERSECTS(geometry, " + khorasan + ")",
		"NOT S_INTERSECTS(geometry, " + khorasan + ")",
		"S_INTERSECTS(" + khorasan + ", geom)",
		"S_INTERSECTS(geom, POINT(69.17233 34.52813))",
		"S_INTERSECTS(geometry, BBOX(170, -90, 40, 90))",
		"S_INTERSECTS(geometry, LINESTRING(60 34.34817, 70 34.34817))",
		"S_INTERSECTS(geometry, MULTIPOLYGON(((66 29, 68 29, 68 31, 66 29)), ((52 29, 53 29, 53 30, 52 30, 52 29))))",
		"S_INTERSECTS(geometry, " + kabulBoxWithHole + ")",
		"NOT S_INTERSECTS(geometry, " + kabulBoxWithHole + ") AND city = 'Kabul'",
		"S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(37.39028 55.82583), LINESTRING(29 41.16048, 30 41.16048)))",
		// Several literals in one query, each prepared and found by its key.
		"S_INTERSECTS(geometry, " + kabulBoxWithHole + ") OR NOT S_INTERSECTS(geometry, " + khorasan + ")",
		// Combinations.
		"iso3 = 'AFG' AND (killed > 50 OR wounded IS NULL)",
		"(iso3 = 'PAK' OR iso3 = 'IRN') AND NOT attribution = 'claimed'",
		"NOT (iso3 = 'AFG' OR killed < 10)",
		"NOT (wounded < 10 AND iso3 = 'AFG')",
		"NOT (wounded < 10 OR iso3 = 'XXX')",
		"TRUE",
		"FALSE",
		"NOT FALSE AND killed > 100",
		"attack_type LIKE '%suicide%' AND S_INTERSECTS(geometry, " + khorasan + ") AND date >= DATE('2020-01-01')",
		"precision = 'city' OR precision = 'site' OR precision = 'district'",
		deep,
		strings.Join(manyEquals, " OR "),
		"killed IN (" + strings.Join(manyValues, ", ") + ")",
	}
	if len(filters) < 40 {
		t.Fatalf("only %d filters", len(filters))
	}
	for _, text := range filters {
		name := text
		if len(name) > 100 {
			name = name[:100]
		}
		t.Run(name, func(t *testing.T) {
			e, err := cql2.Parse(text)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(t, geo.Layer{}, e, fs)
			got := layerIDs(t, s, "attacks", e)
			if !slices.Equal(got, want) {
				t.Errorf("the store selects %d features, Eval %d\nstore: %v\n Eval: %v", len(got), len(want), got, want)
			}
		})
	}
}

// testFilterKnownAnswers pins a few filters to answers worked out by hand
// from data/attacks.geojson and /work/shared/facts.
func testFilterKnownAnswers(t *testing.T, open Opener) {
	s, fs := attacksStore(t, open)
	khorasan := khorasanWKT(t)
	tests := map[string]struct {
		filter string
		want   []string
		count  int // when the list is long, just how many
	}{
		"three events have no wounded count": {filter: "wounded IS NULL", want: []string{
			"2021-10-03-kabul-eid-gah-mosque", "2023-01-11-kabul-foreign-ministry", "2024-01-28-istanbul-santa-maria-church"}},
		"two events last more than a day": {filter: "end_date IS NOT NULL", want: []string{
			"2016-10-24-quetta-police-college", "2020-08-02-jalalabad-prison"}},
		"Central Asia": {filter: "iso3 IN ('UZB', 'TJK')", want: []string{
			"2022-04-18-termez-rockets", "2022-05-07-tajikistan-rockets", "2022-07-05-termez-rockets"}},
		"over a hundred killed": {filter: "killed >= 100", want: []string{
			"2018-07-13-mastung-election-rally", "2021-08-26-kabul-airport", "2024-03-22-krasnogorsk-crocus-city-hall"}},
		"disputed attribution": {filter: "attribution = 'disputed'", want: []string{
			"2016-08-08-quetta-civil-hospital", "2020-05-12-kabul-maternity-ward", "2021-05-08-kabul-sayed-ul-shuhada-school"}},
		"by id":                          {filter: "id IN ('2021-08-26-kabul-airport', 'nope')", want: []string{"2021-08-26-kabul-airport"}},
		"LIKE is case-sensitive":         {filter: "name LIKE '%Mosque%'", want: nil},
		"lower-case mosque":              {filter: "name LIKE '%mosque%'", count: 10},
		"35 attacks inside Khorasan":     {filter: "S_INTERSECTS(geometry, " + khorasan + ")", count: 35},
		"25 outside":                     {filter: "NOT S_INTERSECTS(geometry, " + khorasan + ")", count: 25},
		"NOT does not pick up NULLs":     {filter: "NOT wounded < 10", count: 57 - 11}, // 57 known, 11 of them under 10
		"open-ended interval":            {filter: "T_INTERSECTS(date, INTERVAL('2025-01-01', '..'))", want: []string{"2025-02-11-kunduz-kabul-bank"}},
		"before the first recorded date": {filter: "T_BEFORE(date, DATE('2015-04-18'))", want: nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := cql2.Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			got := layerIDs(t, s, "attacks", e)
			if tc.count > 0 {
				if len(got) != tc.count {
					t.Errorf("%d features, want %d: %v", len(got), tc.count, got)
				}
			} else if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if brute := bruteForce(t, geo.Layer{}, e, fs); !slices.Equal(got, brute) {
				t.Errorf("Eval disagrees: %v", brute)
			}
		})
	}
}

// testFilterWithBBoxAndPaging checks that a filter narrows a bbox query
// and that limits and counts still work with one.
func testFilterWithBBoxAndPaging(t *testing.T, open Opener) {
	s, _ := attacksStore(t, open)
	ctx := context.Background()
	e, err := cql2.Parse("killed > 20")
	if err != nil {
		t.Fatal(err)
	}
	kabul := orb.Bound{Min: orb.Point{69, 34}, Max: orb.Point{70, 35}}
	q := geo.Query{BBox: &kabul, Filter: e}
	n, err := s.Count(ctx, "attacks", q)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	if err := s.Features(ctx, "attacks", q, func(f geo.Feature) error {
		if k := f.Properties["killed"].(int64); k <= 20 || !kabul.Contains(f.Geometry.(orb.Point)) {
			t.Errorf("%s does not match", f.ID)
		}
		all = append(all, f.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != int64(len(all)) || n == 0 {
		t.Fatalf("Count %d, features %d", n, len(all))
	}
	q.Limit, q.Offset = 2, 1
	var page []string
	if err := s.Features(ctx, "attacks", q, func(f geo.Feature) error {
		page = append(page, f.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(page, all[1:3]) {
		t.Errorf("page %v, want %v", page, all[1:3])
	}
}

// testFilterDateTimes: a DATETIME column keeps each value's text as
// written, offsets and all; filters compare them as moments, to the
// millisecond, the way Eval does.
func testFilterDateTimes(t *testing.T, open Opener) {
	s := open(t)
	at := []any{"2021-08-26T09:30:00Z", "2021-08-26T14:00:00+04:30", "2021-08-26T09:30:00.9996Z",
		"2021-08-26T09:30:00.0004Z", "2021-08-26", "2021-08-25T23:59:59.999-01:00", nil}
	var fs []geo.Feature
	for i, v := range at {
		fs = append(fs, geo.Feature{ID: strconv.Itoa(i), Geometry: orb.Point{float64(i), 0},
			Properties: map[string]any{"at": v, "day": "2021-08-2" + strconv.Itoa(i%3+5)}})
	}
	replace(t, s, "events", fs, []string{"at", "day"})
	l, err := s.Layer(context.Background(), "events")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := l.Schema.Column("at"); c.Type != geo.DateTime {
		t.Fatalf("at is %s, want DATETIME", c.Type)
	}
	stored := all(t, s, "events", geo.Query{})
	for _, text := range []string{
		"at = TIMESTAMP('2021-08-26T09:30:00Z')",
		"at = '2021-08-26T09:30:00Z'",
		"at = '2021-08-26T14:00:00+04:30'",
		"at > TIMESTAMP('2021-08-26T09:30:00Z')",
		"at >= TIMESTAMP('2021-08-26T09:30:00.999Z')",
		"at < DATE('2021-08-26')",
		"at = DATE('2021-08-26')",
		"at <= '2021-08-26'",
		"at IN ('2021-08-26T09:30:00Z', TIMESTAMP('2021-08-26T00:59:59.999Z'))",
		"at BETWEEN '2021-08-26' AND TIMESTAMP('2021-08-26T09:30:00Z')",
		"at IS NULL",
		"NOT at > DATE('2000-01-01')",
		"T_INTERSECTS(at, INTERVAL('2021-08-26', '2021-08-26'))",
		"T_INTERSECTS(at, INTERVAL(TIMESTAMP('2021-08-26T09:30:00Z'), '..'))",
		"T_BEFORE(at, DATE('2021-08-26'))",
		"T_AFTER(at, day)",
		"T_EQUALS(at, day)",
		"at > day",
		"day < at",
		"T_DURING(at, INTERVAL('2021-08-25', TIMESTAMP('2021-08-26T09:30:01Z')))",
	} {
		t.Run(text, func(t *testing.T) {
			e, err := cql2.Parse(text)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(t, l, e, stored)
			if got := layerIDs(t, s, "events", e); !slices.Equal(got, want) {
				t.Errorf("store %v, Eval %v", got, want)
			}
		})
	}
	e, _ := cql2.Parse("at LIKE '2021%'")
	if err := s.Features(context.Background(), "events", geo.Query{Filter: e}, func(geo.Feature) error { return nil }); !geo.IsInvalid(err) {
		t.Errorf("LIKE on a DATETIME: %v, want an input error", err)
	}
}

// testFilterBuiltInGo: trees the server builds by hand (from datetime=
// and property parameters) need not look like what Parse makes: a
// DateOnly interval may carry a time of day, a Date may not be at
// midnight UTC. The store still agrees with Eval.
func testFilterBuiltInGo(t *testing.T, open Opener) {
	s, fs := attacksStore(t, open)
	kabulTime := time.FixedZone("AFT", 4*3600+1800)
	airport := time.Date(2021, 8, 26, 0, 0, 0, 0, time.UTC)
	tests := map[string]cql2.Expr{
		"a DateOnly interval starting mid-day": cql2.Temporal{Op: "T_INTERSECTS", Left: cql2.Property{Name: "date"},
			Right: cql2.Interval{Start: airport.Add(10 * time.Hour), OpenEnd: true, DateOnly: true}},
		"a DateOnly interval ending mid-day": cql2.Temporal{Op: "T_INTERSECTS", Left: cql2.Property{Name: "date"},
			Right: cql2.Interval{End: airport.Add(10 * time.Hour), OpenStart: true, DateOnly: true}},
		"a Date in another zone": cql2.Compare{Op: "<=", Left: cql2.Property{Name: "date"},
			Right: cql2.Date{Time: time.Date(2021, 8, 26, 0, 0, 0, 0, kabulTime)}},
		"a Timestamp in another zone": cql2.Compare{Op: ">=", Left: cql2.Property{Name: "date"},
			Right: cql2.Timestamp{Time: time.Date(2021, 8, 26, 4, 30, 0, 0, kabulTime)}},
		"an empty AND":                    cql2.Logical{Op: "AND"},
		"an empty OR":                     cql2.Logical{Op: "OR"},
		"NOT an empty OR":                 cql2.Not{Arg: cql2.Logical{Op: "OR"}},
		"a one-term AND":                  cql2.Logical{Op: "AND", Args: []cql2.Expr{cql2.IsNull{Value: cql2.Property{Name: "wounded"}}}},
		"IN an empty list":                cql2.In{Value: cql2.Property{Name: "wounded"}},
		"NOT IN an empty list, NULLs too": cql2.In{Value: cql2.Property{Name: "wounded"}, Not: true},
	}
	for name, e := range tests {
		t.Run(name, func(t *testing.T) {
			want := bruteForce(t, geo.Layer{}, e, fs)
			if got := layerIDs(t, s, "attacks", e); !slices.Equal(got, want) {
				t.Errorf("store %v\n Eval %v", got, want)
			}
		})
	}
}

// testFilterErrorsThroughTheStore: a bad filter is an input error from
// Features and Count alike, and a good one needs no cached count.
func testFilterErrorsThroughTheStore(t *testing.T, open Opener) {
	s := open(t)
	replace(t, s, "pts", []geo.Feature{
		{ID: "a", Geometry: orb.Point{1, 1}, Properties: map[string]any{"n": int64(1)}},
		{ID: "b", Geometry: orb.Point{2, 2}, Properties: map[string]any{"n": int64(2)}},
		{ID: "c", Properties: map[string]any{"n": nil}},
	}, nil)
	ctx := context.Background()
	bad, _ := cql2.Parse("n = 'x'")
	err := s.Features(ctx, "pts", geo.Query{Filter: bad}, func(geo.Feature) error { return nil })
	if !geo.IsInvalid(err) {
		t.Errorf("Features: %v, want an input error", err)
	}
	if _, err := s.Count(ctx, "pts", geo.Query{Filter: bad}); !geo.IsInvalid(err) {
		t.Errorf("Count: %v, want an input error", err)
	}
	for text, want := range map[string]int64{
		"n > 1":            1,
		"geometry IS NULL": 1,
		"NOT S_INTERSECTS(geometry, BBOX(0, 0, 1.5, 1.5))": 1, // c has no geometry: unknown
		"S_INTERSECTS(geometry, BBOX(0, 0, 1.5, 1.5))":     1,
	} {
		e, err := cql2.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.Count(ctx, "pts", geo.Query{Filter: e}); err != nil || n != want {
			t.Errorf("Count(%s) = %d, %v; want %d", text, n, err, want)
		}
	}
}

// testFilterOddText: text with GLOB's own wildcards, LIKE's and
// non-ASCII letters matches in SQL as it does in Eval. (Text with a NUL
// is the GeoPackage store's own test: PostgreSQL cannot hold it.)
func testFilterOddText(t *testing.T, open Opener) {
	s := open(t)
	values := []string{"ab", "a*b?[c]", "ÄBC", "äbc", "abc", "", "%_\\"}
	var fs []geo.Feature
	for i, v := range values {
		fs = append(fs, geo.Feature{ID: fmt.Sprint(i), Geometry: orb.Point{0, 0}, Properties: map[string]any{"s": v}})
	}
	replace(t, s, "odd", fs, nil)
	stored := all(t, s, "odd", geo.Query{})
	for _, text := range []string{
		"s LIKE 'ab'", "s LIKE 'ab%'", "s = 'ab'", "s > 'ab'", "s LIKE 'a*b?[c]'", "s LIKE 'a_b_[c%'",
		"s LIKE '[%'", "s LIKE 'äbc'", "s LIKE '_bc'", "s LIKE 'ÄB_'", "s < 'ä'", "s LIKE ''", "s LIKE '\\%\\_\\\\'",
		"s NOT LIKE '%b%'", "s LIKE '%\\'",
	} {
		e, err := cql2.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		want := bruteForce(t, geo.Layer{}, e, stored)
		if got := layerIDs(t, s, "odd", e); !slices.Equal(got, want) {
			t.Errorf("%s: store %v, Eval %v", text, got, want)
		}
	}
}
