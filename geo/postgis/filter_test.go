package postgis

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
)

// filterTable is a table as loadSchema would describe a layer with every
// column type, without a database.
func filterTable() *table {
	t := &table{
		Layer:  geo.Layer{Name: "attacks", Schema: geo.Schema{HasID: true, GeometryType: "POINT"}},
		fidCol: "fid", geomCol: "geom", idCol: "id", srid: 4326, plain: true,
	}
	for _, c := range []geo.Column{
		{Name: "city", Type: geo.Text}, {Name: "killed", Type: geo.Integer}, {Name: "ratio", Type: geo.Real},
		{Name: "claimed", Type: geo.Boolean}, {Name: "date", Type: geo.Date}, {Name: "at", Type: geo.DateTime},
		{Name: "attack type", Type: geo.Text},
	} {
		t.cols = append(t.cols, column{Column: c, expr: `t.` + quote(c.Name)})
		t.Schema.Columns = append(t.Schema.Columns, c)
	}
	return t
}

func compile(t *testing.T, tbl *table, text string) (string, []any, error) {
	t.Helper()
	e, err := cql2.Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return tbl.compileFilter(e)
}

// TestCompileFilterBindsEveryLiteral: whatever the filter says, its
// literals travel as typed arguments and never as SQL text.
func TestCompileFilterBindsEveryLiteral(t *testing.T) {
	tests := map[string]struct {
		filter   string
		literals []any // as bound
	}{
		"a string":                      {"city = 'Robert''); DROP TABLE attacks; --'", []any{"Robert'); DROP TABLE attacks; --"}},
		"a number":                      {"killed > 123456", []any{int64(123456)}},
		"a decimal":                     {"ratio < 0.123456", []any{0.123456}},
		"a boolean":                     {"claimed = TRUE", []any{true}},
		"a date":                        {"date >= DATE('2021-08-26')", []any{"2021-08-26"}},
		"a date as a string":            {"date = '2021-08-27'", []any{"2021-08-27"}},
		"a timestamp":                   {"at > TIMESTAMP('2021-08-26T09:30:00.1234Z')", []any{"2021-08-26T09:30:00.123Z"}},
		"a moment as a string, rounded": {"at = '2021-08-26T14:00:00.0004+04:30'", []any{"2021-08-26T09:30:00.000Z"}},
		"a LIKE pattern":                {"city LIKE 'Kab*l%'", []any{"Kab*l%"}},
		"a trailing backslash":          {`city LIKE 'Kabul\'`, []any{`Kabul\\`}},
		"IN list":                       {"city NOT IN ('Herat', 'Balkh')", []any{"Herat", "Balkh"}},
		"BETWEEN bounds":                {"killed BETWEEN 17 AND 4242", []any{int64(17), int64(4242)}},
		"an interval":                   {"T_INTERSECTS(date, INTERVAL('2019-01-01', '2019-12-31'))", []any{"2019-12-31", "2019-01-01"}},
		"a quoted name":                 {`"attack type" = 'suicide'`, []any{"suicide"}},
		"an id":                         {"id = 'x-1'", []any{"x-1"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sql, args, err := compile(t, filterTable(), tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			for _, lit := range tc.literals {
				if s := fmt.Sprint(lit); strings.Contains(sql, s) {
					t.Errorf("the SQL holds the literal %q: %s", s, sql)
				}
				found := false
				for _, a := range args {
					found = found || a == lit
				}
				if !found {
					t.Errorf("%#v is not among the arguments %#v", lit, args)
				}
			}
			if n := strings.Count(sql, "?::"); n != len(args) {
				t.Errorf("%d typed placeholders, %d arguments: %s", n, len(args), sql)
			}
			if n := strings.Count(numbered(sql), "$"); n != len(args) {
				t.Errorf("%d numbered placeholders, %d arguments: %s", n, len(args), numbered(sql))
			}
		})
	}
}

func TestCompileFilterSQL(t *testing.T) {
	tests := map[string]struct{ filter, sql string }{
		"LIKE is PostgreSQL's, case-sensitive": {"city LIKE 'K%'", `(t."city" LIKE ?::text)`},
		"text compares by its bytes":           {"city < 'K'", `((t."city" COLLATE "C") < ?::text)`},
		"a quoted name is a column":            {`"attack type" <> 'x'`, `((t."attack type" COLLATE "C") <> ?::text)`},
		"id is the id column":                  {"id = 'a'", `((t."id"::text COLLATE "C") = ?::text)`},
		"dates compare as dates":               {"date < DATE('2020-01-01')", `(t."date" < ?::date)`},
		"an integer literal stays exact":       {"killed = 3", `(t."killed" = ?::int8)`},
		"a decimal literal is a float8":        {"killed > 2.5", `(t."killed" > ?::float8)`},
		"an open interval end drops out":       {"T_INTERSECTS(date, INTERVAL('2020-01-01', '..'))", `(t."date" >= ?::date)`},
		"an unbounded interval keeps NULL":     {"T_INTERSECTS(date, INTERVAL('..', '..'))", `((t."date" IS NOT NULL) OR NULL)`},
		"S_INTERSECTS on the column itself, so the GiST index serves": {"S_INTERSECTS(geometry, POINT(1 2))",
			`ST_Intersects(t."geom", ST_GeomFromWKB(?::bytea, 4326))`},
		"a collection member by member": {"S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 2), POINT(3 4)))",
			`(ST_Intersects(t."geom", ST_GeomFromWKB(?::bytea, 4326)) OR ST_Intersects(t."geom", ST_GeomFromWKB(?::bytea, 4326)))`},
		"a missing or empty geometry is NULL": {"geometry IS NULL", `(t."geom" IS NULL OR ST_IsEmpty(t."geom"))`},
		"long chains are balanced": {"killed = 1 OR killed = 2 OR killed = 3 OR killed = 4 OR killed = 5",
			`(((t."killed" = ?::int8) OR (t."killed" = ?::int8)) OR ((t."killed" = ?::int8) OR (t."killed" = ?::int8) OR (t."killed" = ?::int8)))`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sql, _, err := compile(t, filterTable(), tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if sql != tc.sql {
				t.Errorf("got  %s\nwant %s", sql, tc.sql)
			}
		})
	}
}

// TestCompileFilterRefuses: the same filters are refused with the same
// messages as by the GeoPackage store.
func TestCompileFilterRefuses(t *testing.T) {
	tests := map[string]struct{ filter, msg string }{
		"unknown property": {"nope = 1",
			`layer "attacks" has no property "nope"; its queryables are id, geometry, city, killed, ratio, claimed, date, at, attack type`},
		"property names are case-sensitive":   {"City = 'Kabul'", `no property "City" (did you mean "city"? names are case-sensitive)`},
		"a name that tries to escape quoting": {`"city"" = 1 OR ""x" = 1`, `has no property "city\" = 1 OR \"x"`},
		"the fid is not a queryable":          {"fid = 1", `has no property "fid"`},
		"integer against string":              {"killed = 'many'", `cannot compare property "killed" (a number) with 'many' (text)`},
		"text against number":                 {"city > 5", `cannot compare property "city" (text) with 5 (a number)`},
		"id is text here":                     {"id = 5", `cannot compare property "id" (text) with 5 (a number)`},
		"boolean ordering":                    {"claimed < TRUE", "true and false compare only with = and <>, not <"},
		"boolean against number":              {"claimed = 1", `cannot compare property "claimed" (true or false) with 1 (a number)`},
		"LIKE on a number":                    {"killed LIKE '1%'", `LIKE works on text, and property "killed" (a number) is not text`},
		"LIKE on a timestamp":                 {"at LIKE '2021%'", `LIKE works on text, and property "at" (a timestamp) is not text`},
		"a date against a non-date string":    {"date > '2021'", `date holds dates; compare it with a date such as '2021-08-26' or DATE('2021-08-26'), not '2021'`},
		"a timestamp against a non-moment":    {"at > '2021'", `at holds dates; compare it with a date such as '2021-08-26T09:30:00Z'`},
		"a date against a number":             {"date > 2021", `cannot compare property "date" (a date) with 2021 (a number)`},
		"a text column against a date":        {"city = DATE('2021-01-01')", `cannot compare property "city" (text) with DATE('2021-01-01') (a date)`},
		"T_ on a number":                      {"T_BEFORE(killed, DATE('2021-01-01'))", `T_BEFORE compares dates, and property "killed" (a number) is not one`},
		"an interval in a comparison":         {"date = INTERVAL('2021-01-01', '..')", "belongs in a temporal function such as T_INTERSECTS, not in ="},
		"S_INTERSECTS on an attribute":        {"S_INTERSECTS(city, BBOX(0, 0, 1, 1))", "S_INTERSECTS takes the geometry property and a geometry"},
		"S_INTERSECTS of two literals":        {"S_INTERSECTS(POINT(0 0), BBOX(0, 0, 1, 1))", "S_INTERSECTS takes the geometry property"},
		"comparing the geometry":              {"geometry = POINT(1 2)", "geometry is a geometry: test it with S_INTERSECTS, not ="},
		"too many values": {"killed IN (" + strings.Repeat("1, ", maxFilterValues) + "1)",
			"it has 10001 values; the limit is 10000"},
		"a pattern too long": {"city LIKE '" + strings.Repeat("*", 60000) + "'", "the LIKE pattern is too long"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := compile(t, filterTable(), tc.filter)
			var ie *geo.InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("error = %v, want an *InvalidError", err)
			}
			if ie.Where != "filter" || !strings.Contains(ie.Msg, tc.msg) {
				t.Errorf("error = %q, want %q", err, tc.msg)
			}
		})
	}
}

func TestNumbered(t *testing.T) {
	got := numbered(`SELECT "a?""b" FROM t WHERE x = ? AND y = 'it''s ?' AND z IN (?, ?)`)
	want := `SELECT "a?""b" FROM t WHERE x = $1 AND y = 'it''s ?' AND z IN ($2, $3)`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
