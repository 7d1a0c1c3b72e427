package cql2

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// sexpr prints a tree so that its shape shows: (AND (= a 1) (NOT ...)).
func sexpr(e Expr) string {
	switch e := e.(type) {
	case Logical:
		parts := []string{e.Op}
		for _, a := range e.Args {
			parts = append(parts, sexpr(a))
		}
		return "(" + strings.Join(parts, " ") + ")"
	case Not:
		return "(NOT " + sexpr(e.Arg) + ")"
	case BoolLiteral:
		return fmt.Sprint(bool(e))
	case Compare:
		return "(" + e.Op + " " + sval(e.Left) + " " + sval(e.Right) + ")"
	case Like:
		return "(" + neg(e.Not) + "LIKE " + sval(e.Value) + " " + sval(String(e.Pattern)) + ")"
	case In:
		parts := []string{neg(e.Not) + "IN", sval(e.Value)}
		for _, v := range e.List {
			parts = append(parts, sval(v))
		}
		return "(" + strings.Join(parts, " ") + ")"
	case Between:
		return "(" + neg(e.Not) + "BETWEEN " + sval(e.Value) + " " + sval(e.Low) + " " + sval(e.High) + ")"
	case IsNull:
		return "(" + neg(e.Not) + "NULL " + sval(e.Value) + ")"
	case Spatial:
		return "(" + e.Op + " " + sval(e.Left) + " " + sval(e.Right) + ")"
	case Temporal:
		return "(" + e.Op + " " + sval(e.Left) + " " + sval(e.Right) + ")"
	}
	return fmt.Sprintf("?%T", e)
}

func neg(n bool) string {
	if n {
		return "NOT-"
	}
	return ""
}

func sval(v Value) string {
	switch v := v.(type) {
	case Property:
		return "." + v.Name
	case String:
		return fmt.Sprintf("%q", string(v))
	case Number:
		if v.Int {
			return fmt.Sprintf("%di", int64(v.Value))
		}
		return fmt.Sprintf("%vf", v.Value)
	case Bool:
		return fmt.Sprint(bool(v))
	case Date:
		return "D" + v.Time.Format(time.DateOnly)
	case Timestamp:
		return "T" + v.Time.Format(time.RFC3339Nano)
	case Interval:
		end := func(t time.Time, open bool) string {
			if open {
				return ".."
			}
			return t.Format(time.RFC3339)
		}
		return fmt.Sprintf("[%s,%s date=%v]", end(v.Start, v.OpenStart), end(v.End, v.OpenEnd), v.DateOnly)
	case Geometry:
		return fmt.Sprintf("%T%v", v.Geometry, v.Geometry)
	}
	return fmt.Sprintf("?%T", v)
}

func TestParse(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"equality":                     {"city = 'Kabul'", `(= .city "Kabul")`},
		"every comparison operator":    {"a<>1 AND b<2 AND c<=3 AND d>4 AND e>=5", `(AND (<> .a 1i) (< .b 2i) (<= .c 3i) (> .d 4i) (>= .e 5i))`},
		"AND binds tighter than OR":    {"a = 1 OR b = 2 AND c = 3", `(OR (= .a 1i) (AND (= .b 2i) (= .c 3i)))`},
		"parentheses override":         {"(a = 1 OR b = 2) AND c = 3", `(AND (OR (= .a 1i) (= .b 2i)) (= .c 3i))`},
		"NOT binds tightest":           {"NOT a = 1 AND b = 2", `(AND (NOT (= .a 1i)) (= .b 2i))`},
		"NOT of a group":               {"NOT (a = 1 OR b = 2)", `(NOT (OR (= .a 1i) (= .b 2i)))`},
		"double NOT":                   {"NOT NOT a = 1", `(NOT (NOT (= .a 1i)))`},
		"same operator groups flatten": {"a = 1 AND (b = 2 AND c = 3)", `(AND (= .a 1i) (= .b 2i) (= .c 3i))`},
		"keywords ignore case":         {"a = 1 and not b is null Or c like 'x'", `(OR (AND (= .a 1i) (NOT (NULL .b))) (LIKE .c "x"))`},
		"quoted property name":         {`"attack type" = 'x' AND "and" = 1`, `(AND (= .attack type "x") (= .and 1i))`},
		"doubled quote in a string":    {"name = 'Bacha Khan''s'", `(= .name "Bacha Khan's")`},
		"empty string":                 {"name = ''", `(= .name "")`},
		"unicode in a string":          {"city = 'مزار شریف'", `(= .city "مزار شریف")`},
		"property names keep case":     {"Killed = 1", `(= .Killed 1i)`},
		"name with dots and colons":    {"props.a:b_1 = 1", `(= .props.a:b_1 1i)`},
		"literal on the left":          {"5 < killed", `(< 5i .killed)`},
		"property against property":    {"killed > wounded", `(> .killed .wounded)`},
		"integer":                      {"k = 42", `(= .k 42i)`},
		"negative integer":             {"k > -3", `(> .k -3i)`},
		"explicit plus":                {"k > +3", `(> .k 3i)`},
		"decimal":                      {"k = 2.5", `(= .k 2.5f)`},
		"leading dot":                  {"k = .5", `(= .k 0.5f)`},
		"exponent":                     {"k < 1.5e3", `(< .k 1500f)`},
		"negative exponent":            {"k < -2E-2", `(< .k -0.02f)`},
		"integer beyond 2^53 is float": {"k = 9007199254740993", `(= .k 9.007199254740992e+15f)`},
		"TRUE alone":                   {"TRUE", `true`},
		"FALSE in a group":             {"a = 1 OR (FALSE)", `(OR (= .a 1i) false)`},
		"boolean operand":              {"flag = true", `(= .flag true)`},
		"LIKE":                         {"name LIKE 'Kabul%'", `(LIKE .name "Kabul%")`},
		"NOT LIKE":                     {"name NOT LIKE '_abul'", `(NOT-LIKE .name "_abul")`},
		"IN":                           {"iso3 IN ('AFG', 'PAK')", `(IN .iso3 "AFG" "PAK")`},
		"NOT IN numbers":               {"k NOT IN (1, 2.5, -3)", `(NOT-IN .k 1i 2.5f -3i)`},
		"BETWEEN keeps its AND":        {"k BETWEEN 1 AND 10 AND w = 2", `(AND (BETWEEN .k 1i 10i) (= .w 2i))`},
		"NOT BETWEEN":                  {"k NOT BETWEEN 1 AND 10", `(NOT-BETWEEN .k 1i 10i)`},
		"IS NULL":                      {"wounded IS NULL", `(NULL .wounded)`},
		"IS NOT NULL":                  {"wounded IS NOT NULL", `(NOT-NULL .wounded)`},
		"DATE":                         {"date >= DATE('2021-08-26')", `(>= .date D2021-08-26)`},
		"TIMESTAMP in UTC":             {"t < TIMESTAMP('2021-08-26T09:30:00.5+04:30')", `(< .t T2021-08-26T05:00:00.5Z)`},
		"date property vs function":    {"T_BEFORE(date, DATE('2020-01-01'))", `(T_BEFORE .date D2020-01-01)`},
		"INTERVAL open end":            {"T_INTERSECTS(date, INTERVAL('2020-01-01', '..'))", `(T_INTERSECTS .date [2020-01-01T00:00:00Z,.. date=true])`},
		"INTERVAL open start":          {"T_INTERSECTS(date, INTERVAL('..', DATE('2020-01-01')))", `(T_INTERSECTS .date [..,2020-01-01T00:00:00Z date=true])`},
		"INTERVAL of timestamps": {"T_AFTER(date, INTERVAL(TIMESTAMP('2020-01-01T00:00:00Z'), '2020-02-01'))",
			`(T_AFTER .date [2020-01-01T00:00:00Z,2020-02-01T00:00:00Z date=false])`},
		"temporal function names ignore case": {"t_after(date, date('2020-01-01'))", `(T_AFTER .date D2020-01-01)`},
		"every temporal function parses":      {"T_DURING(date, INTERVAL('..','..')) OR T_MEETS(date, end_date)", `(OR (T_DURING .date [..,.. date=true]) (T_MEETS .date .end_date))`},
		"BBOX":                                {"S_INTERSECTS(geometry, BBOX(60, 30, 70, 40))", `(S_INTERSECTS .geometry orb.Bound{[60 30] [70 40]})`},
		"BBOX with z":                         {"S_INTERSECTS(geometry, BBOX(60, 30, 0, 70, 40, 9))", `(S_INTERSECTS .geometry orb.Bound{[60 30] [70 40]})`},
		"BBOX across the antimeridian": {"S_INTERSECTS(geometry, BBOX(170, -10, -170, 10))",
			`(S_INTERSECTS .geometry orb.MultiPolygon[[[[170 -10] [180 -10] [180 10] [170 10] [170 -10]]] [[[-180 -10] [-170 -10] [-170 10] [-180 10] [-180 -10]]]])`},
		"POINT":                            {"S_INTERSECTS(geom, POINT(69.17 34.53))", `(S_INTERSECTS .geom orb.Point[69.17 34.53])`},
		"POINT Z drops z":                  {"S_INTERSECTS(geom, POINT Z (69 34 1800))", `(S_INTERSECTS .geom orb.Point[69 34])`},
		"geometry first":                   {"S_INTERSECTS(point(1 2), geometry)", `(S_INTERSECTS orb.Point[1 2] .geometry)`},
		"LINESTRING":                       {"S_INTERSECTS(geometry, LINESTRING(60 30, 70 40))", `(S_INTERSECTS .geometry orb.LineString[[60 30] [70 40]])`},
		"POLYGON with a hole":              {"S_INTERSECTS(geometry, POLYGON((0 0, 4 0, 4 4, 0 0), (1 1, 2 1, 2 2, 1 1)))", `(S_INTERSECTS .geometry orb.Polygon[[[0 0] [4 0] [4 4] [0 0]] [[1 1] [2 1] [2 2] [1 1]]])`},
		"MULTIPOINT two ways":              {"S_INTERSECTS(g, MULTIPOINT(1 2, (3 4)))", `(S_INTERSECTS .g orb.MultiPoint[[1 2] [3 4]])`},
		"MULTILINESTRING":                  {"S_INTERSECTS(g, MULTILINESTRING((1 2, 3 4), (5 6, 7 8)))", `(S_INTERSECTS .g orb.MultiLineString[[[1 2] [3 4]] [[5 6] [7 8]]])`},
		"MULTIPOLYGON":                     {"S_INTERSECTS(g, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5))))", `(S_INTERSECTS .g orb.MultiPolygon[[[[0 0] [1 0] [1 1] [0 0]]] [[[5 5] [6 5] [6 6] [5 5]]]])`},
		"GEOMETRYCOLLECTION":               {"S_INTERSECTS(g, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1)))", `(S_INTERSECTS .g orb.Collection[[1 2] [[0 0] [1 1]]])`},
		"a property named like a geometry": {"point = 1", `(= .point 1i)`},
		"a property named date":            {"date = '2021-08-26'", `(= .date "2021-08-26")`},
		"whitespace everywhere":            {"\n\t( a\t=\n1 )\r\n", `(= .a 1i)`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := sexpr(e); got != tc.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
			again, err := Parse(Format(e))
			if err != nil {
				t.Fatalf("Parse(Format) of %q = %q: %v", tc.in, Format(e), err)
			}
			if sexpr(again) != tc.want {
				t.Errorf("Format(%q) = %q reads back as %s", tc.in, Format(e), sexpr(again))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]struct {
		in  string
		pos int
		msg string
	}{
		"empty":                      {"", 1, "empty filter"},
		"only spaces":                {"   ", 1, "empty filter"},
		"value missing at the end":   {"killed =", 9, "expected a value after '=' but found end of filter"},
		"value missing before AND":   {"killed = AND x = 1", 10, "expected a value after '=' but found AND (put a property of that name in double quotes)"},
		"unknown function":           {"FOO(1) = 2", 1, "unknown function FOO"},
		"unknown function, any case": {"a = upper(b)", 5, "unknown function UPPER"},
		"unterminated string":        {"name = 'Kabul AND x = 1", 8, "unterminated string starting at character 8"},
		"unterminated string later":  {"a = 1 AND b = 'xyz", 15, "unterminated string starting at character 15"},
		"unterminated quoted name":   {`"name = 1`, 1, "unterminated quoted name starting at character 1"},
		"empty quoted name":          {`"" = 1`, 1, `empty quoted name ""`},
		"position counts characters": {"city = 'مزار' AND", 18, "expected a condition after AND but found end of filter"},
		"unclosed parenthesis":       {"(a = 1 OR b = 2", 16, "expected ')' to close the '(' at character 1 but found end of filter"},
		"stray closing parenthesis":  {"a = 1)", 6, "')' closes no '('"},
		"missing operator":           {"killed 5", 8, "expected =, <>, <, <=, >, >=, LIKE, IN, BETWEEN or IS after name killed but found number 5"},
		"two conditions, no AND":     {"a = 1 b = 2", 7, "expected AND, OR or the end of the filter after number 1 but found name b"},
		"!= is not CQL2":             {"a != 1", 3, "'!=' is not CQL2; write <> for not equal"},
		"double equals":              {"a == 1", 4, "expected a value after '=' but found '='"},
		"stray character":            {"a = 1 ; b = 2", 7, "unexpected character ';'"},
		"arithmetic":                 {"a = 1 + b", 7, "unexpected character '+'"},
		"LIKE needs a string":        {"name LIKE 5", 11, "expected a pattern in quotes after LIKE but found number 5"},
		"CASEI is not supported":     {"name LIKE CASEI('k%')", 11, "case-insensitive comparison (CASEI) is not supported"},
		"NOT without LIKE/IN":        {"a NOT = 1", 7, "expected LIKE, IN or BETWEEN after NOT but found '='"},
		"IS without NULL":            {"a IS 1", 6, "expected NULL or NOT NULL after IS but found number 1"},
		"IN without list":            {"a IN 1", 6, "expected '(' to open the list after IN but found number 1"},
		"IN list unclosed":           {"a IN (1, 2", 11, "expected ')' or ',' in the IN list opened at character 6 but found end of filter"},
		"empty IN list":              {"a IN ()", 7, "expected a value after '(' but found ')'"},
		"BETWEEN without AND":        {"a BETWEEN 1 OR 2", 13, "expected AND between the bounds of BETWEEN but found OR"},
		"bad date":                   {"d = DATE('2021-02-30')", 10, "string '2021-02-30' is not a valid date; write it like DATE('2021-08-26')"},
		"date needs quotes":          {"d = DATE(2021)", 10, "expected a quoted date after DATE( but found number 2021; write it like DATE('2021-08-26')"},
		"timestamp as a date":        {"d = DATE('2021-08-26T10:00:00Z')", 10, "is not a valid date"},
		"bad timestamp":              {"d = TIMESTAMP('2021-08-26 10:00')", 15, "is not a valid timestamp"},
		"one-digit hour":             {"d = TIMESTAMP('2021-08-26T9:30:00Z')", 15, "is not a valid timestamp"},
		"offset of 24 hours":         {"d = TIMESTAMP('2021-08-26T09:30:00+24:00')", 15, "is not a valid timestamp"},
		"offset into year -1":        {"d = TIMESTAMP('0000-01-01T00:00:00+00:10')", 15, "is not a valid timestamp"},
		"interval backwards":         {"T_INTERSECTS(d, INTERVAL('2021-01-01', '2020-01-01'))", 40, "INTERVAL ends before it starts"},
		"interval end junk":          {"T_INTERSECTS(d, INTERVAL('2021-01-01', 'soon'))", 40, "string 'soon' is neither a date"},
		"temporal of a number":       {"T_BEFORE(date, 5)", 16, "T_BEFORE takes date properties, DATE(...), TIMESTAMP(...) or INTERVAL(...), not number 5"},
		"spatial of a string":        {"S_INTERSECTS(geometry, 'POINT(1 2)')", 24, "S_INTERSECTS takes the geometry property and a geometry"},
		"unsupported spatial":        {"S_WITHIN(geometry, BBOX(0,0,1,1))", 1, "S_WITHIN is not supported; the spatial function is S_INTERSECTS"},
		"predicate as a value":       {"a = S_INTERSECTS(geometry, BBOX(0,0,1,1))", 5, "S_INTERSECTS is a condition, not a value"},
		"BBOX of three":              {"S_INTERSECTS(g, BBOX(1, 2, 3))", 21, "BBOX takes 4 numbers"},
		"BBOX upside down":           {"S_INTERSECTS(g, BBOX(0, 10, 1, 5))", 17, "BBOX south 10 is greater than north 5"},
		"open ring":                  {"S_INTERSECTS(g, POLYGON((0 0, 1 0, 1 1, 0 1)))", 25, "the ring in POLYGON is not closed: it starts at 0 0 and ends at 0 1"},
		"short ring":                 {"S_INTERSECTS(g, POLYGON((0 0, 1 0, 0 0)))", 25, "a ring in POLYGON needs at least 4 positions, has 3"},
		"one-point line":             {"S_INTERSECTS(g, LINESTRING(0 0))", 27, "a line in LINESTRING needs at least 2 positions, has 1"},
		"comma in a point":           {"S_INTERSECTS(g, POINT(1, 2))", 24, "expected a number (y) in POINT but found ','"},
		"empty geometry":             {"S_INTERSECTS(g, POINT EMPTY)", 23, "empty geometries are not supported"},
		"huge number":                {"a = 1e999", 5, "number 1e999 is out of range"},
		"keyword as a property":      {"and = 1", 1, "expected a condition at the start of the filter but found AND"},
		"not valid UTF-8":            {"a = '\xff'", 6, "filter is not valid UTF-8"},
		"NUL":                        {"a LIKE '%\x00'", 10, "filter contains a NUL character"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tc.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want a *SyntaxError", tc.in, err)
			}
			if se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("Parse(%q) error = at %d %q, want at %d %q", tc.in, se.Pos, se.Msg, tc.pos, tc.msg)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	t.Run("deep parentheses are refused, not a stack overflow", func(t *testing.T) {
		in := strings.Repeat("(", 30000) + "a = 1" + strings.Repeat(")", 30000)
		_, err := Parse(in)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, "nests deeper than 100") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("deep NOT is refused", func(t *testing.T) {
		_, err := Parse(strings.Repeat("NOT ", 5000) + "a = 1")
		if err == nil || !strings.Contains(err.Error(), "nests deeper") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("deep geometry collections are refused", func(t *testing.T) {
		in := "S_INTERSECTS(g, " + strings.Repeat("GEOMETRYCOLLECTION(", 500) + "POINT(1 2)" + strings.Repeat(")", 501)
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), "nests deeper") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("nesting up to the limit is fine", func(t *testing.T) {
		in := strings.Repeat("(", MaxDepth-1) + "a = 1" + strings.Repeat(")", MaxDepth-1)
		if _, err := Parse(in); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("long filters are refused", func(t *testing.T) {
		in := "a IN (" + strings.Repeat("1, ", MaxLength/3) + "1)"
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), "the limit is 65536") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("long flat lists are fine", func(t *testing.T) {
		in := "a = 1" + strings.Repeat(" OR a = 1", 5000)
		e, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(e.(Logical).Args); n != 5001 {
			t.Fatalf("%d arguments", n)
		}
	})
}

func TestParseGeometryValues(t *testing.T) {
	e, err := Parse("S_INTERSECTS(geometry, POLYGON((53.9 37.3, 54.2 36.4, 55.3 35.6, 53.9 37.3)))")
	if err != nil {
		t.Fatal(err)
	}
	g := e.(Spatial).Right.(Geometry).Geometry
	want := orb.Polygon{{{53.9, 37.3}, {54.2, 36.4}, {55.3, 35.6}, {53.9, 37.3}}}
	if !orb.Equal(g, want) {
		t.Errorf("got %v, want %v", g, want)
	}
}

func TestMillisecond(t *testing.T) {
	base := time.Date(2021, 8, 26, 9, 30, 0, 0, time.UTC)
	for ns, want := range map[int]int{
		0: 0, 400_000: 0, 500_000: 1_000_000, 1_499_999: 1_000_000,
		998_600_000: 999_000_000, 999_400_000: 999_000_000, 999_600_000: 999_000_000, 999_999_999: 999_000_000,
	} {
		if got := Millisecond(base.Add(time.Duration(ns))); !got.Equal(base.Add(time.Duration(want))) {
			t.Errorf("Millisecond(.%09d) = %v, want .%09d", ns, got, want)
		}
	}
}
