package cql2

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

var fuzzSeeds = []string{
	"city = 'Kabul'",
	"killed > 10 AND wounded IS NULL",
	"killed >= -5.5e3 OR ratio < .5",
	`"attack type" <> 'it''s'`,
	"NOT (a = 1 OR b = 2) AND c = 3",
	"NOT NOT a = 1",
	"name LIKE 'Kab_l%'",
	"name NOT LIKE '%\\%%'",
	"iso3 IN ('AFG', 'PAK', 'IRN')",
	"killed NOT IN (1, 2.5, -3)",
	"killed BETWEEN 10 AND 100",
	"killed NOT BETWEEN 10 AND 100 AND TRUE",
	"wounded IS NOT NULL OR FALSE",
	"claimed = TRUE",
	"date >= DATE('2021-08-26')",
	"date < TIMESTAMP('2021-08-26T09:30:00.123+04:30')",
	"T_INTERSECTS(date, INTERVAL('2020-01-01', '..'))",
	"T_BEFORE(date, INTERVAL('..', DATE('2020-01-01')))",
	"T_AFTER(end_date, date)",
	"T_DURING(date, INTERVAL(TIMESTAMP('2020-01-01T00:00:00Z'), '2021-01-01'))",
	"S_INTERSECTS(geometry, BBOX(60, 30, 70, 40))",
	"S_INTERSECTS(geometry, BBOX(170, -10, -170, 10))",
	"S_INTERSECTS(geom, POINT(69.17 34.53))",
	"S_INTERSECTS(geometry, LINESTRING(60 30, 70 40))",
	"S_INTERSECTS(geometry, POLYGON((0 0, 4 0, 4 4, 0 0), (1 1, 2 1, 2 2, 1 1)))",
	"S_INTERSECTS(g, MULTIPOINT(1 2, (3 4)))",
	"S_INTERSECTS(g, MULTILINESTRING((1 2, 3 4), (5 6, 7 8)))",
	"S_INTERSECTS(g, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0))))",
	"S_INTERSECTS(g, GEOMETRYCOLLECTION(POINT(1 2), GEOMETRYCOLLECTION(POINT(3 4))))",
	"S_INTERSECTS(POINT Z (1 2 3), geometry)",
	"killed > wounded",
	"((((a = 1))))",
	"a = 1 ; b",
	"'unterminated",
	"FOO(1) = 2",
	"a IN ()",
	"",
	"city = 'مزار شریف'",
}

// FuzzCQL2: Parse never panics and reports errors as *SyntaxError within
// the text; whatever it parses, Eval does not panic on, and Format writes
// back as text that parses to the same tree.
func FuzzCQL2(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	values := map[string]any{
		"city": "Kabul", "killed": int64(33), "ratio": 0.5, "wounded": nil, "date": "2021-08-26",
		"end_date": nil, "claimed": true, "at": "2021-08-26T09:30:00Z", "junk": "not a date",
	}
	get := func(name string) (any, bool) {
		if v, ok := values[name]; ok {
			return v, true
		}
		// Every other name is a property too, of one of the kinds, so
		// that Eval goes past the lookup.
		switch len(name) % 4 {
		case 0:
			return nil, true
		case 1:
			return int64(len(name)), true
		case 2:
			return name, true
		}
		return false, len(name) > 20
	}
	f.Fuzz(func(t *testing.T, text string) {
		e, err := Parse(text)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Pos < 1 || se.Pos > utf8.RuneCountInString(text)+1 && len(text) <= MaxLength {
				t.Fatalf("error position %d is outside the %d-character text", se.Pos, utf8.RuneCountInString(text))
			}
			return
		}
		for _, g := range []orb.Geometry{nil, orb.Point{69, 34}, orb.Polygon{{{60, 30}, {70, 30}, {70, 40}, {60, 30}}}} {
			Eval(e, get, g)
		}
		formatted := Format(e)
		again, err := Parse(formatted)
		if err != nil {
			t.Fatalf("Format wrote %q, which does not parse: %v", formatted, err)
		}
		if f2 := Format(again); f2 != formatted {
			t.Fatalf("Format is not stable:\n%q\n%q", formatted, f2)
		}
	})
}
