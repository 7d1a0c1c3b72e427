package cql2

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// feature is the one the Eval tests look at.
var feature = map[string]any{
	"city":     "Kabul",
	"killed":   int64(33),
	"ratio":    0.5,
	"wounded":  nil,
	"date":     "2021-08-26",
	"end_date": nil,
	"at":       "2021-08-26T09:30:00+04:30",
	"claimed":  true,
	"notes":    "50% of 100_000 [sic] *",
	"big":      int64(1<<62 + 1),
	"nul":      "ab\x00cd",
}

func get(name string) (any, bool) {
	v, ok := feature[name]
	return v, ok
}

var kabul = orb.Point{69.17233, 34.52813}

func TestEval(t *testing.T) {
	tests := map[string]bool{
		"city = 'Kabul'":               true,
		"city <> 'Kabul'":              false,
		"city < 'Kandahar'":            true, // byte order
		"city = 'kabul'":               false,
		"killed = 33":                  true,
		"killed = 33.0":                true,
		"killed > 32.5":                true,
		"killed < 33.0000001":          true,
		"33 = killed":                  true,
		"ratio = 0.5":                  true,
		"ratio < killed":               true,
		"big > 4611686018427387904":    true, // 2^62 exactly, compared as integers
		"big > 4611686018427387904.0":  true, // and against a float, still exactly
		"claimed = TRUE":               true,
		"claimed <> false":             true,
		"TRUE":                         true,
		"FALSE":                        false,
		"NOT FALSE":                    true,
		"killed BETWEEN 33 AND 34":     true,
		"killed BETWEEN 34 AND 40":     false,
		"killed NOT BETWEEN 34 AND 40": true,
		"killed IN (1, 33)":            true,
		"killed NOT IN (1, 33)":        false,
		"city IN ('Herat', 'Kabul')":   true,
		"date = '2021-08-26'":          true,
		"date = DATE('2021-08-26')":    true,
		"date > DATE('2021-08-25')":    true,
		"date < TIMESTAMP('2021-08-26T00:00:00.001Z')": true,
		"date = TIMESTAMP('2021-08-26T00:00:00Z')":     true,
		"at = TIMESTAMP('2021-08-26T05:00:00Z')":       true, // +04:30 read as UTC
		"at > DATE('2021-08-26')":                      true,
		// LIKE: case-sensitive, % and _, backslash escapes.
		"city LIKE 'Ka%'":          true,
		"city LIKE 'ka%'":          false,
		"city LIKE '_abul'":        true,
		"city LIKE 'K_l'":          false,
		"city LIKE '%'":            true,
		"city NOT LIKE '%b%'":      false,
		"notes LIKE '50\\% of %'":  true,
		"notes LIKE '5\\%%'":       false,
		"notes LIKE '%100\\_000%'": true,
		"notes LIKE '%[sic] *'":    true,
		"date LIKE '2021-%'":       true,
		// NULL: three-valued, unknown does not match.
		"wounded = 1":                                false,
		"wounded <> 1":                               false,
		"NOT wounded = 1":                            false,
		"NOT (wounded = 1)":                          false,
		"wounded IS NULL":                            true,
		"wounded IS NOT NULL":                        false,
		"wounded = 1 OR killed = 33":                 true,
		"NOT (wounded = 1 AND killed = 1)":           true,  // unknown AND false is false
		"NOT (wounded = 1 OR killed = 1)":            false, // unknown OR false stays unknown
		"wounded IN (1, 2)":                          false,
		"wounded NOT IN (1, 2)":                      false,
		"wounded BETWEEN 1 AND 2":                    false,
		"wounded NOT BETWEEN 1 AND 2":                false,
		"end_date LIKE '%'":                          false,
		"end_date NOT LIKE '%'":                      false,
		"T_BEFORE(end_date, DATE('2100-01-01'))":     false,
		"NOT T_BEFORE(end_date, DATE('2100-01-01'))": false,
		"killed = wounded":                           false,
		// Temporal functions.
		"T_INTERSECTS(date, INTERVAL('2021-01-01', '2021-12-31'))":                                   true,
		"T_INTERSECTS(date, INTERVAL('2021-08-26', '2021-08-26'))":                                   true,
		"T_INTERSECTS(date, INTERVAL('2021-08-27', '..'))":                                           false,
		"T_INTERSECTS(date, INTERVAL('..', '..'))":                                                   true,
		"T_INTERSECTS(date, DATE('2021-08-26'))":                                                     true,
		"T_BEFORE(date, DATE('2021-08-27'))":                                                         true,
		"T_BEFORE(date, DATE('2021-08-26'))":                                                         false,
		"T_BEFORE(date, INTERVAL('2021-09-01', '2021-10-01'))":                                       true,
		"T_BEFORE(date, INTERVAL('..', '2021-10-01'))":                                               false, // it starts at minus infinity
		"T_AFTER(date, INTERVAL('2021-01-01', '2021-08-25'))":                                        true,
		"T_AFTER(date, INTERVAL('2021-01-01', '..'))":                                                false,
		"T_AFTER(DATE('2021-08-27'), date)":                                                          true,
		"T_DISJOINT(date, INTERVAL('2021-08-27', '..'))":                                             true,
		"T_EQUALS(date, DATE('2021-08-26'))":                                                         true,
		"T_DURING(date, INTERVAL('2021-01-01', '2022-01-01'))":                                       true,
		"T_DURING(date, INTERVAL('2021-08-26', '2022-01-01'))":                                       false, // starts with it
		"T_STARTS(date, INTERVAL('2021-08-26', '2022-01-01'))":                                       true,
		"T_FINISHES(date, INTERVAL('2021-01-01', '2021-08-26'))":                                     true,
		"T_MEETS(INTERVAL('2021-01-01', '2021-08-26'), date)":                                        true,
		"T_CONTAINS(INTERVAL('..', '..'), date)":                                                     true,
		"T_OVERLAPS(INTERVAL('2020-01-01', '2021-01-01'), INTERVAL('2020-06-01', '2022-01-01'))":     true,
		"T_OVERLAPPEDBY(INTERVAL('2020-06-01', '2022-01-01'), INTERVAL('2020-01-01', '2021-01-01'))": true,
		"T_AFTER(at, TIMESTAMP('2021-08-26T04:59:59.999Z'))":                                         true,
		// Spatial.
		"S_INTERSECTS(geometry, BBOX(69, 34, 70, 35))":                                                              true,
		"S_INTERSECTS(geometry, BBOX(70, 34, 71, 35))":                                                              false,
		"S_INTERSECTS(BBOX(69, 34, 70, 35), geometry)":                                                              true,
		"S_INTERSECTS(geometry, POINT(69.17233 34.52813))":                                                          true,
		"S_INTERSECTS(geometry, BBOX(69.17233, 34.52813, 70, 35))":                                                  true, // on the corner
		"S_INTERSECTS(geometry, POLYGON((60 30, 70 40, 60 40, 60 30)))":                                             false,
		"S_INTERSECTS(geometry, POLYGON((60 30, 70 30, 70 40, 60 40, 60 30), (69 34, 70 34, 70 35, 69 35, 69 34)))": false, // in the hole
		"S_INTERSECTS(geometry, LINESTRING(69 34.52813, 70 34.52813))":                                              true,
		"S_INTERSECTS(geometry, BBOX(170, -90, 70, 90))":                                                            true, // across the antimeridian
		// Combinations.
		"city = 'Kabul' AND (killed > 100 OR date >= DATE('2021-01-01'))": true,
		"NOT (city = 'Kabul') OR killed < 10":                             false,
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			e, err := Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Eval(e, get, kabul)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("Eval(%s) = %v, want %v", in, got, want)
			}
		})
	}
}

func TestEvalNoGeometry(t *testing.T) {
	for in, want := range map[string]bool{
		"S_INTERSECTS(geometry, BBOX(-180, -90, 180, 90))":     false,
		"NOT S_INTERSECTS(geometry, BBOX(-180, -90, 180, 90))": false,
	} {
		e, _ := Parse(in)
		if got, err := Eval(e, get, nil); err != nil || got != want {
			t.Errorf("Eval(%s) with no geometry = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	for in, msg := range map[string]string{
		"nope = 1":                            `unknown property "nope"`,
		"city = 1":                            `cannot compare text "Kabul" with number 1`,
		"killed LIKE '3%'":                    "LIKE needs text, not number 33",
		"claimed < TRUE":                      "true and false compare only with = and <>",
		"T_AFTER(killed, DATE('2020-01-01'))": "temporal functions take dates, not number 33",
	} {
		e, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Eval(e, get, kabul); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Eval(%s) error = %v, want %q", in, err, msg)
		}
	}
}

func TestMatchAndGlob(t *testing.T) {
	tests := []struct {
		pattern, glob string
		match, miss   []string
	}{
		{"Kabul%", "Kabul*", []string{"Kabul", "Kabul airport"}, []string{"kabul", "New Kabul"}},
		{"%bank%", "*bank*", []string{"bank", "Kabul bank branch"}, []string{"Bank"}},
		{"_abul", "?abul", []string{"Kabul", "Éabul"}, []string{"abul", "KKabul"}},
		{"a\\%b", "a%b", []string{"a%b"}, []string{"axb", "a%%b"}},
		{"a\\_b", "a_b", []string{"a_b"}, []string{"axb"}},
		{"a\\\\b", "a\\b", []string{"a\\b"}, []string{"ab"}},
		{"end\\", "end\\", []string{"end\\"}, []string{"end"}},
		{"[x]*?", "[[]x][*][?]", []string{"[x]*?"}, []string{"x", "[x]ab"}},
		{"%a%a%a%", "*a*a*a*", []string{"aaa", "banana"}, []string{"aa", "bnn"}},
		{"", "", []string{""}, []string{"a"}},
		{"%", "*", []string{"", "anything"}, nil},
	}
	for _, tc := range tests {
		if got := Glob(tc.pattern); got != tc.glob {
			t.Errorf("Glob(%q) = %q, want %q", tc.pattern, got, tc.glob)
		}
		for _, s := range tc.match {
			if !Match(tc.pattern, s) {
				t.Errorf("%q does not match %q", s, tc.pattern)
			}
		}
		for _, s := range tc.miss {
			if Match(tc.pattern, s) {
				t.Errorf("%q matches %q", s, tc.pattern)
			}
		}
	}
}

func TestIntersects(t *testing.T) {
	square := orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}}
	holed := orb.Polygon{square[0], {{1, 1}, {3, 1}, {3, 3}, {1, 3}, {1, 1}}}
	tests := map[string]struct {
		a, b orb.Geometry
		want bool
	}{
		"point inside":                    {orb.Point{2, 2}, square, true},
		"point on the edge":               {orb.Point{4, 2}, square, true},
		"point on a vertex":               {orb.Point{4, 4}, square, true},
		"point outside":                   {orb.Point{5, 2}, square, false},
		"point in the hole":               {orb.Point{2, 2}, holed, false},
		"point on the hole's edge":        {orb.Point{1, 2}, holed, true},
		"point on a line":                 {orb.Point{1, 1}, orb.LineString{{0, 0}, {2, 2}}, true},
		"point off a line":                {orb.Point{1, 1.1}, orb.LineString{{0, 0}, {2, 2}}, false},
		"same points":                     {orb.Point{1, 1}, orb.MultiPoint{{0, 0}, {1, 1}}, true},
		"crossing lines":                  {orb.LineString{{0, 0}, {2, 2}}, orb.LineString{{0, 2}, {2, 0}}, true},
		"touching lines":                  {orb.LineString{{0, 0}, {1, 1}}, orb.LineString{{1, 1}, {2, 0}}, true},
		"parallel lines":                  {orb.LineString{{0, 0}, {1, 1}}, orb.LineString{{0, 1}, {1, 2}}, false},
		"collinear overlapping lines":     {orb.LineString{{0, 0}, {2, 0}}, orb.LineString{{1, 0}, {3, 0}}, true},
		"collinear apart lines":           {orb.LineString{{0, 0}, {1, 0}}, orb.LineString{{2, 0}, {3, 0}}, false},
		"line through a polygon":          {orb.LineString{{-1, 2}, {5, 2}}, square, true},
		"line inside a polygon":           {orb.LineString{{1, 1}, {2, 2}}, square, true},
		"line inside the hole":            {orb.LineString{{1.5, 1.5}, {2.5, 2.5}}, holed, false},
		"polygon inside a polygon":        {orb.Polygon{{{1, 1}, {2, 1}, {2, 2}, {1, 1}}}, square, true},
		"polygon around a polygon":        {square, orb.Polygon{{{1, 1}, {2, 1}, {2, 2}, {1, 1}}}, true},
		"polygon in the hole":             {orb.Polygon{{{1.5, 1.5}, {2.5, 1.5}, {2.5, 2.5}, {1.5, 1.5}}}, holed, false},
		"overlapping polygons":            {square, orb.Polygon{{{3, 3}, {6, 3}, {6, 6}, {3, 3}}}, true},
		"polygons apart":                  {square, orb.Polygon{{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}, false},
		"bound and point":                 {orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}, orb.Point{1, 1}, true},
		"multipolygon second part":        {orb.MultiPolygon{{{{10, 10}, {11, 10}, {11, 11}, {10, 10}}}, square}, orb.Point{2, 2}, true},
		"collection":                      {orb.Collection{orb.Point{9, 9}, orb.LineString{{-1, 2}, {5, 2}}}, square, true},
		"nil":                             {nil, square, false},
		"empty polygon":                   {orb.Polygon{}, square, false},
		"polygon with an empty ring":      {orb.Polygon{{}}, orb.Point{0, 0}, false},
		"empty line in a multilinestring": {orb.MultiLineString{{}, {{1, 1}}}, square, true},
	}
	for name, tc := range tests {
		if got := Intersects(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: Intersects = %v, want %v", name, got, tc.want)
		}
		if got := Intersects(tc.b, tc.a); got != tc.want {
			t.Errorf("%s: Intersects swapped = %v, want %v", name, got, tc.want)
		}
	}
}
