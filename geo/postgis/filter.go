package postgis

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// CQL2 filters become PostgreSQL here, as geo/gpkg's filter.go makes them
// SQLite: every literal is a bound parameter with an explicit type, and
// every identifier one of the table's own columns. The SQL means what
// cql2.Eval means, NULLs included, and the contract tests (geo/storetest)
// hold both stores to it on the same data. The choices that make them
// agree:
//
//   - Text compares by its bytes (COLLATE "C"), whatever the database's
//     collation. LIKE is PostgreSQL's, which is case-sensitive and has
//     CQL2's wildcards; the pattern is rewritten only for a trailing
//     backslash, which CQL2 reads as itself.
//   - DATE columns compare with dates (and date strings) as dates. When a
//     timestamp or a DATETIME column is involved both sides are moments
//     (a date is its midnight UTC), and a DATETIME column is rounded to the
//     millisecond as cql2.Millisecond does, SQLite's resolution.
//   - S_INTERSECTS is ST_Intersects (GEOS), which uses the GiST index; a
//     GEOMETRYCOLLECTION literal is tested member by member.

// Limits kept the same as the GeoPackage store's, so that a filter one
// store refuses the other refuses too.
const (
	maxPatternLength = 50000
	maxFilterValues  = 10000
)

// compileFilter turns a CQL2 expression into an SQL condition on the
// table aliased t, with ? placeholders and their arguments. Unknown
// properties and type mismatches are *InvalidError.
func (t *table) compileFilter(e cql2.Expr) (string, []any, error) {
	c := filterCompiler{t: t}
	f, err := c.expr(e)
	if err != nil {
		return "", nil, err
	}
	if len(f.args) > maxFilterValues {
		return "", nil, geo.Invalidf("filter", "it has %d values; the limit is %d", len(f.args), maxFilterValues)
	}
	return f.sql, f.args, nil
}

// frag is a piece of SQL with the arguments of its placeholders.
type frag struct {
	sql  string
	args []any
}

func sqlf(format string, parts ...frag) frag {
	var out frag
	strs := make([]any, len(parts))
	for i, p := range parts {
		strs[i] = p.sql
		out.args = append(out.args, p.args...)
	}
	out.sql = fmt.Sprintf(format, strs...)
	return out
}

// join combines conditions with AND or OR as a balanced tree, so that a
// long chain does not nest deeper than the parser allows.
func join(op string, parts []frag) frag {
	if len(parts) == 1 {
		return parts[0]
	}
	if len(parts) > 4 {
		mid := len(parts) / 2
		return join(op, []frag{join(op, parts[:mid]), join(op, parts[mid:])})
	}
	var out frag
	sqls := make([]string, len(parts))
	for i, p := range parts {
		sqls[i] = p.sql
		out.args = append(out.args, p.args...)
	}
	out.sql = "(" + strings.Join(sqls, " "+op+" ") + ")"
	return out
}

type filterCompiler struct{ t *table }

func (c filterCompiler) expr(e cql2.Expr) (frag, error) {
	switch e := e.(type) {
	case cql2.Logical:
		if len(e.Args) == 0 { // built in Go: the empty AND holds, the empty OR does not
			return constant(e.Op == "AND"), nil
		}
		parts := make([]frag, len(e.Args))
		for i, arg := range e.Args {
			p, err := c.expr(arg)
			if err != nil {
				return frag{}, err
			}
			parts[i] = p
		}
		return join(e.Op, parts), nil
	case cql2.Not:
		f, err := c.expr(e.Arg)
		return sqlf("(NOT %s)", f), err
	case cql2.BoolLiteral:
		return constant(bool(e)), nil
	case cql2.Compare:
		return c.compare(e)
	case cql2.Like:
		return c.like(e)
	case cql2.In:
		return c.in(e)
	case cql2.Between:
		return c.between(e)
	case cql2.IsNull:
		return c.isNull(e)
	case cql2.Spatial:
		return c.spatial(e)
	case cql2.Temporal:
		return c.temporal(e)
	}
	return frag{}, geo.Invalidf("filter", "unsupported expression %T", e)
}

type valueKind int

const (
	kNumber valueKind = iota + 1
	kText
	kBool
	kDate
	kDateTime
	kInterval
	kGeometry
)

var kindNames = map[valueKind]string{kNumber: "a number", kText: "text", kBool: "true or false",
	kDate: "a date", kDateTime: "a timestamp", kInterval: "an interval", kGeometry: "a geometry"}

func (k valueKind) temporal() bool { return k == kDate || k == kDateTime }

// operand is a compiled value: its SQL (a column or a typed placeholder),
// what kind of value it is, and how to name it in errors.
type operand struct {
	frag
	kind valueKind
	prop bool
	name string
	lit  cql2.Value // nil for properties
}

func (o operand) String() string {
	if o.prop {
		return fmt.Sprintf("property %q (%s)", o.name, kindNames[o.kind])
	}
	return fmt.Sprintf("%s (%s)", o.name, kindNames[o.kind])
}

func sqlDate(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func sqlTimestamp(t time.Time) string {
	return cql2.Millisecond(t).UTC().Format("2006-01-02T15:04:05.000Z")
}

func (c filterCompiler) operand(v cql2.Value) (operand, error) {
	lit := func(kind valueKind, cast string, arg any) operand {
		return operand{frag: frag{"?::" + cast, []any{arg}}, kind: kind, name: cql2.ShortValue(v), lit: v}
	}
	switch v := v.(type) {
	case cql2.Property:
		return c.property(v.Name)
	case cql2.String:
		return lit(kText, "text", string(v)), nil
	case cql2.Number:
		if v.Int {
			return lit(kNumber, "int8", int64(v.Value)), nil
		}
		return lit(kNumber, "float8", v.Value), nil
	case cql2.Bool:
		return lit(kBool, "boolean", bool(v)), nil
	case cql2.Date:
		if !cql2.WholeDay(v.Time) { // a Date built in Go with a time of day
			return lit(kDateTime, "timestamptz", sqlTimestamp(v.Time)), nil
		}
		return lit(kDate, "date", sqlDate(v.Time)), nil
	case cql2.Timestamp:
		return lit(kDateTime, "timestamptz", sqlTimestamp(v.Time)), nil
	case cql2.Interval:
		return operand{kind: kInterval, name: cql2.ShortValue(v), lit: v}, nil
	case cql2.Geometry:
		return operand{kind: kGeometry, name: cql2.ShortValue(v), lit: v}, nil
	}
	return operand{}, geo.Invalidf("filter", "unsupported value %T", v)
}

// property resolves a queryable: a column of the layer, "id" (the
// feature id) or the geometry. A real column wins over the special names.
func (c filterCompiler) property(name string) (operand, error) {
	t := c.t
	col := func(sql string, kind valueKind) (operand, error) {
		return operand{frag: frag{sql: sql}, kind: kind, prop: true, name: name}, nil
	}
	if column, ok := t.column(name); ok {
		return col(column.expr, columnKinds[column.Type])
	}
	switch {
	case name == idColumn && t.idCol != "":
		return col(`t.`+quote(t.idCol)+`::text`, kText)
	case name == idColumn:
		return col(`t.`+quote(t.fidCol)+`::int8`, kNumber)
	case name == geo.GeometryQueryable || name == geomColumn || name == t.geomCol:
		g, _ := t.geom()
		return col(g, kGeometry)
	}
	names := c.queryables()
	hint := ""
	for _, n := range names {
		if strings.EqualFold(n, name) {
			hint = fmt.Sprintf(" (did you mean %q? names are case-sensitive)", n)
		}
	}
	return operand{}, geo.Invalidf("filter", "layer %q has no property %q%s; its queryables are %s",
		t.Name, name, hint, strings.Join(names, ", "))
}

var columnKinds = map[geo.ColumnType]valueKind{geo.Integer: kNumber, geo.Real: kNumber, geo.Text: kText,
	geo.Boolean: kBool, geo.Date: kDate, geo.DateTime: kDateTime}

func (c filterCompiler) queryables() []string {
	names := []string{idColumn, geo.GeometryQueryable}
	for _, col := range c.t.Schema.Columns {
		if !slices.Contains(names, col.Name) {
			names = append(names, col.Name)
		}
	}
	return names
}

// moment is a temporal operand as a timestamptz, at the resolution
// moments compare at.
func moment(o operand) frag {
	switch {
	case o.kind == kDate:
		return sqlf("(%s::timestamp AT TIME ZONE 'UTC')", o.frag)
	case o.kind == kDateTime && o.prop:
		return millisecond(o.frag)
	}
	return o.frag // a literal, rounded already; a string literal read as one
}

// millisecond rounds a timestamptz as cql2.Millisecond does: to the
// nearest millisecond, except that a fraction past .999 stays .999.
func millisecond(f frag) frag {
	return sqlf("(CASE WHEN extract(microseconds FROM %s)::int8 %% 1000000 > 999000 THEN date_trunc('second', %s, 'UTC') + interval '999 milliseconds' "+
		"ELSE date_trunc('milliseconds', %s + interval '500 microseconds', 'UTC') END)", f, f, f)
}

// text is a text operand compared by its bytes.
func text(f frag) frag { return sqlf(`(%s COLLATE "C")`, f) }

// sides compiles the two operands of a comparison into SQL that compares
// as Eval does, or says why they cannot be compared.
func (c filterCompiler) sides(op string, l, r operand) (frag, frag, error) {
	for _, o := range []operand{l, r} {
		switch o.kind {
		case kGeometry:
			return frag{}, frag{}, geo.Invalidf("filter", "%s is a geometry: test it with S_INTERSECTS, not %s", o.name, op)
		case kInterval:
			return frag{}, frag{}, geo.Invalidf("filter", "%s belongs in a temporal function such as T_INTERSECTS, not in %s", o.name, op)
		}
	}
	switch {
	case l.kind == kNumber && r.kind == kNumber:
		return l.frag, r.frag, nil
	case l.kind == kText && r.kind == kText:
		return text(l.frag), r.frag, nil
	case l.kind == kBool && r.kind == kBool:
		if op != "=" && op != "<>" {
			return frag{}, frag{}, geo.Invalidf("filter", "true and false compare only with = and <>, not %s", op)
		}
		return l.frag, r.frag, nil
	case l.kind == kDate && r.kind == kDate:
		return l.frag, r.frag, nil
	case l.kind.temporal() && r.kind.temporal():
		return moment(l), moment(r), nil
	case l.kind.temporal() && l.prop && r.kind == kText && !r.prop:
		return c.dateText(l, r)
	case r.kind.temporal() && r.prop && l.kind == kText && !l.prop:
		rf, lf, err := c.dateText(r, l)
		return lf, rf, err
	}
	return frag{}, frag{}, geo.Invalidf("filter", "cannot compare %s with %s", l, r)
}

// dateText compiles a date column against a string, which must be a
// date itself (or a timestamp, for a DATETIME column).
func (c filterCompiler) dateText(col, s operand) (frag, frag, error) {
	str := string(s.lit.(cql2.String))
	switch {
	case col.kind == kDate && geo.IsDate(str):
		return col.frag, frag{"?::date", []any{str}}, nil
	case col.kind == kDateTime:
		if m, ok := cql2.ParseMoment(str); ok {
			return moment(col), frag{"?::timestamptz", []any{sqlTimestamp(m)}}, nil
		}
	}
	want := "'2021-08-26' or DATE('2021-08-26')"
	if col.kind == kDateTime {
		want = "'2021-08-26T09:30:00Z' or TIMESTAMP('2021-08-26T09:30:00Z')"
	}
	return frag{}, frag{}, geo.Invalidf("filter", "%s holds dates; compare it with a date such as %s, not %s", col.name, want, s.name)
}

func (c filterCompiler) operands(vs ...cql2.Value) ([]operand, error) {
	out := make([]operand, len(vs))
	for i, v := range vs {
		o, err := c.operand(v)
		if err != nil {
			return nil, err
		}
		out[i] = o
	}
	return out, nil
}

func (c filterCompiler) compare(e cql2.Compare) (frag, error) {
	o, err := c.operands(e.Left, e.Right)
	if err != nil {
		return frag{}, err
	}
	l, r, err := c.sides(e.Op, o[0], o[1])
	return sqlf("(%s "+e.Op+" %s)", l, r), err
}

func constant(b bool) frag {
	if b {
		return frag{sql: "TRUE"}
	}
	return frag{sql: "FALSE"}
}

func negate(f frag, not bool) frag {
	if not {
		return sqlf("(NOT %s)", f)
	}
	return f
}

func (c filterCompiler) in(e cql2.In) (frag, error) {
	o, err := c.operands(append([]cql2.Value{e.Value}, e.List...)...)
	if err != nil {
		return frag{}, err
	}
	if len(e.List) == 0 { // built in Go; as the GeoPackage store: x IN () is false even for NULL
		return constant(e.Not), nil
	}
	var lefts, rights []frag
	same := true
	for _, item := range o[1:] {
		l, r, err := c.sides("IN", o[0], item)
		if err != nil {
			return frag{}, err
		}
		same = same && (len(lefts) == 0 || l.sql == lefts[0].sql)
		lefts, rights = append(lefts, l), append(rights, r)
	}
	if same {
		var list strings.Builder
		var args []any
		for i, r := range rights {
			if i > 0 {
				list.WriteString(", ")
			}
			list.WriteString(r.sql)
			args = append(args, r.args...)
		}
		return negate(sqlf("(%s IN (%s))", lefts[0], frag{list.String(), args}), e.Not), nil
	}
	eqs := make([]frag, len(lefts))
	for i := range lefts {
		eqs[i] = sqlf("(%s = %s)", lefts[i], rights[i])
	}
	return negate(join("OR", eqs), e.Not), nil
}

func (c filterCompiler) between(e cql2.Between) (frag, error) {
	o, err := c.operands(e.Value, e.Low, e.High)
	if err != nil {
		return frag{}, err
	}
	l1, low, err := c.sides("BETWEEN", o[0], o[1])
	if err != nil {
		return frag{}, err
	}
	l2, high, err := c.sides("BETWEEN", o[0], o[2])
	if err != nil {
		return frag{}, err
	}
	return negate(sqlf("(%s >= %s AND %s <= %s)", l1, low, l2, high), e.Not), nil
}

// likePattern is the PostgreSQL LIKE pattern (backslash escapes) that
// matches what the CQL2 pattern does: the same, but for a trailing
// backslash, which CQL2 takes as itself and PostgreSQL refuses.
func likePattern(p string) string {
	rs := []rune(p)
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\\' {
			if i+1 == len(rs) {
				b.WriteString(`\\`)
				break
			}
			b.WriteRune('\\')
			i++
		}
		b.WriteRune(rs[i])
	}
	return b.String()
}

func (c filterCompiler) like(e cql2.Like) (frag, error) {
	o, err := c.operand(e.Value)
	if err != nil {
		return frag{}, err
	}
	var subject frag
	switch o.kind {
	case kText:
		subject = o.frag
	case kDate:
		subject = sqlf("to_char(%s, 'YYYY-MM-DD')", o.frag)
	case kDateTime:
		return frag{}, geo.Invalidf("filter", "LIKE works on text, and %s is not text; compare it with <, > or T_INTERSECTS", o)
	default:
		return frag{}, geo.Invalidf("filter", "LIKE works on text, and %s is not text", o)
	}
	pattern := likePattern(e.Pattern)
	if len(pattern) > maxPatternLength {
		return frag{}, geo.Invalidf("filter", "the LIKE pattern is too long")
	}
	return negate(sqlf("(%s LIKE %s)", subject, frag{"?::text", []any{pattern}}), e.Not), nil
}

func (c filterCompiler) isNull(e cql2.IsNull) (frag, error) {
	o, err := c.operand(e.Value)
	if err != nil {
		return frag{}, err
	}
	switch {
	case !o.prop: // a literal is never NULL
		return constant(e.Not), nil
	case o.kind == kGeometry:
		// An empty geometry reads back as none at all, so it is NULL too.
		return negate(sqlf("(%s IS NULL OR ST_IsEmpty(%s))", o.frag, o.frag), e.Not), nil
	case e.Not:
		return sqlf("(%s IS NOT NULL)", o.frag), nil
	}
	return sqlf("(%s IS NULL)", o.frag), nil
}

func (c filterCompiler) spatial(e cql2.Spatial) (frag, error) {
	if e.Op != "S_INTERSECTS" {
		return frag{}, geo.Invalidf("filter", "%s is not supported; use S_INTERSECTS", e.Op)
	}
	o, err := c.operands(e.Left, e.Right)
	if err != nil {
		return frag{}, err
	}
	prop, lit := o[0], o[1]
	if !prop.prop {
		prop, lit = lit, prop
	}
	if !prop.prop || prop.kind != kGeometry || lit.kind != kGeometry || lit.prop {
		return frag{}, geo.Invalidf("filter", "S_INTERSECTS takes the %s property and a geometry such as BBOX(...) or POLYGON(...); it got %s and %s",
			geo.GeometryQueryable, o[0], o[1])
	}
	g := lit.lit.(cql2.Geometry).Geometry
	// A collection meets a geometry when one of its members does; GEOS
	// before 3.13 refuses collections in some predicates.
	var members []orb.Geometry
	var flatten func(orb.Geometry)
	flatten = func(g orb.Geometry) {
		switch g := g.(type) {
		case orb.Collection:
			for _, m := range g {
				flatten(m)
			}
		case orb.Bound:
			members = append(members, g.ToPolygon())
		default:
			members = append(members, g)
		}
	}
	flatten(g)
	if len(members) == 0 {
		// An empty literal meets nothing; a missing geometry stays unknown.
		return sqlf("(CASE WHEN %s IS NULL THEN NULL ELSE FALSE END)", prop.frag), nil
	}
	srid := strconv.Itoa(c.t.literalSRID())
	tests := make([]frag, len(members))
	for i, m := range members {
		body, err := wkb.Marshal(m)
		if err != nil {
			return frag{}, geo.Invalidf("filter", "geometry %s: %v", lit.name, err)
		}
		tests[i] = sqlf("ST_Intersects(%s, ST_GeomFromWKB(%s, "+srid+"))", prop.frag, frag{"?::bytea", []any{body}})
	}
	return join("OR", tests), nil
}

func (c filterCompiler) temporal(e cql2.Temporal) (frag, error) {
	def, ok := cql2.TemporalDefinition(e.Op)
	if !ok {
		return frag{}, geo.Invalidf("filter", "%s is not supported", e.Op)
	}
	o, err := c.operands(e.Left, e.Right)
	if err != nil {
		return frag{}, err
	}
	moments := false
	for _, x := range o {
		switch {
		case x.kind == kDateTime:
			moments = true
		case x.kind == kInterval:
			moments = moments || !x.lit.(cql2.Interval).WholeDays()
		case x.kind != kDate:
			return frag{}, geo.Invalidf("filter", "%s compares dates, and %s is not one", e.Op, x)
		}
	}
	end := func(ep cql2.Endpoint) (frag, int) {
		x := o[0]
		if ep == cql2.RightStart || ep == cql2.RightEnd {
			x = o[1]
		}
		if inf := cql2.Infinity(x.lit, ep); inf != 0 {
			return frag{}, inf
		}
		if iv, ok := x.lit.(cql2.Interval); ok {
			t := iv.Start
			if ep == cql2.LeftEnd || ep == cql2.RightEnd {
				t = iv.End
			}
			if moments {
				return frag{"?::timestamptz", []any{sqlTimestamp(t)}}, 0
			}
			return frag{"?::date", []any{sqlDate(t)}}, 0
		}
		if moments {
			return moment(x), 0
		}
		return x.frag, 0
	}
	var groups []frag
	always := false
	for _, group := range def {
		var conds []frag
		never := false
		for _, cmp := range group {
			l, li := end(cmp.Left)
			r, ri := end(cmp.Right)
			if res, known := cql2.CompareInfinite(cmp.Op, li, ri); known {
				never = never || !res
				continue
			}
			conds = append(conds, sqlf("(%s "+cmp.Op+" %s)", l, r))
		}
		switch {
		case never:
		case len(conds) == 0:
			always = true
		default:
			groups = append(groups, join("AND", conds))
		}
	}
	if !always && len(groups) > 0 {
		return join("OR", groups), nil
	}
	// The answer does not depend on the values, only on whether there
	// are any: NULL in, NULL out, as Eval has it.
	var present []frag
	for _, x := range o {
		if x.prop {
			present = append(present, sqlf("(%s IS NOT NULL)", x.frag))
		}
	}
	switch {
	case len(present) == 0:
		return constant(always), nil
	case always:
		return sqlf("(%s OR NULL)", join("AND", present)), nil
	}
	return sqlf("((NOT %s) AND NULL)", join("AND", present)), nil
}
