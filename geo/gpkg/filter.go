package gpkg

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// CQL2 filters become SQL here. Every literal is a bound parameter and
// every identifier one of the table's own columns, so no filter text ever
// reaches the SQL. The SQL means what cql2.Eval means, NULLs included
// (SQLite's WHERE is three-valued like Eval), and the tests hold the two
// to it on real data. The choices that make them agree:
//
//   - LIKE is case-sensitive, as CQL2 says, while SQLite's LIKE folds
//     ASCII case: patterns run as GLOB, translated by cql2.Glob.
//   - DATE columns hold 'YYYY-MM-DD' and compare with dates (and date
//     strings) as text. When a timestamp or a DATETIME column is involved,
//     both sides go through julianday(), to the millisecond; a date is its
//     midnight UTC. DATETIME text keeps the offset it was written with, so
//     it is never compared as text, and Eval sees its values as time.Time.
//   - S_INTERSECTS calls khorasan_intersects, which runs cql2.Intersects
//     through the literal prepared once for the query (prepared.go).

// Limits of what SQLite accepts: GLOB patterns (SQLITE_MAX_LIKE_PATTERN_LENGTH)
// and bound parameters (SQLITE_MAX_VARIABLE_NUMBER, with room left for the
// rest of the query).
const (
	maxGlobLength   = 50000
	maxFilterValues = 10000
)

// compileFilter turns a CQL2 expression into an SQL condition on the
// table aliased t, with its arguments. Unknown properties and type
// mismatches are *InvalidError.
func (t *table) compileFilter(e cql2.Expr) (string, []any, error) {
	c := filterCompiler{t: t}
	f, err := c.expr(e, false)
	if err != nil {
		return "", nil, err
	}
	if len(f.args) > maxFilterValues {
		return "", nil, geo.Invalidf("filter", "it has %d values; the limit is %d", len(f.args), maxFilterValues)
	}
	return f.sql, f.args, nil
}

// frag is a piece of SQL with the arguments of its placeholders, so that
// pieces can be combined in any order without losing track of them.
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

// join combines conditions with AND or OR as a balanced tree, because
// SQLite parses a long flat chain into a tree deeper than it allows.
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

// expr compiles e. exact says that false and NULL must stay apart, as
// they must under NOT; elsewhere a NULL may become false, which lets a
// spatial test use the R-tree.
func (c filterCompiler) expr(e cql2.Expr, exact bool) (frag, error) {
	switch e := e.(type) {
	case cql2.Logical:
		if len(e.Args) == 0 { // built in Go: the empty AND holds, the empty OR does not
			return constant(e.Op == "AND"), nil
		}
		parts := make([]frag, len(e.Args))
		for i, arg := range e.Args {
			p, err := c.expr(arg, exact)
			if err != nil {
				return frag{}, err
			}
			parts[i] = p
		}
		return join(e.Op, parts), nil
	case cql2.Not:
		f, err := c.expr(e.Arg, true)
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
		return c.spatial(e, exact)
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

// operand is a compiled value: its SQL as stored (a column or a
// placeholder), what kind of value it is, and how to name it in errors.
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

// sqlDate and sqlTimestamp are the text forms literals are bound as: the
// form DATE columns hold, and one julianday() reads to the millisecond.
func sqlDate(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func sqlTimestamp(t time.Time) string {
	return cql2.Millisecond(t).UTC().Format("2006-01-02T15:04:05.000Z")
}

func (c filterCompiler) operand(v cql2.Value) (operand, error) {
	lit := func(kind valueKind, arg any) operand {
		return operand{frag: frag{"?", []any{arg}}, kind: kind, name: cql2.ShortValue(v), lit: v}
	}
	switch v := v.(type) {
	case cql2.Property:
		return c.property(v.Name)
	case cql2.String:
		return lit(kText, string(v)), nil
	case cql2.Number:
		if v.Int {
			return lit(kNumber, int64(v.Value)), nil
		}
		return lit(kNumber, v.Value), nil
	case cql2.Bool:
		return lit(kBool, bool(v)), nil
	case cql2.Date:
		if !cql2.WholeDay(v.Time) { // a Date built in Go with a time of day
			return lit(kDateTime, sqlTimestamp(v.Time)), nil
		}
		return lit(kDate, sqlDate(v.Time)), nil
	case cql2.Timestamp:
		return lit(kDateTime, sqlTimestamp(v.Time)), nil
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
	col := func(sqlName string, kind valueKind) (operand, error) {
		return operand{frag: frag{sql: "t." + quote(sqlName)}, kind: kind, prop: true, name: name}, nil
	}
	if column, ok := t.Schema.Column(name); ok {
		return col(column.Name, columnKinds[column.Type])
	}
	switch {
	case name == idColumn && t.idCol != "":
		return col(t.idCol, kText)
	case name == idColumn:
		return col(t.fidCol, kNumber)
	case name == geo.GeometryQueryable || name == geomColumn || name == t.geomCol:
		return col(t.geomCol, kGeometry)
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

func julianday(f frag) frag { return sqlf("julianday(%s)", f) }

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
	case l.kind == r.kind && (l.kind == kNumber || l.kind == kText):
		return l.frag, r.frag, nil
	case l.kind == kBool && r.kind == kBool:
		if op != "=" && op != "<>" {
			return frag{}, frag{}, geo.Invalidf("filter", "true and false compare only with = and <>, not %s", op)
		}
		return l.frag, r.frag, nil
	case l.kind == kDate && r.kind == kDate:
		return l.frag, r.frag, nil // as text: 'YYYY-MM-DD' sorts by date
	case l.kind.temporal() && r.kind.temporal():
		return julianday(l.frag), julianday(r.frag), nil
	case l.kind.temporal() && l.prop && r.kind == kText && !r.prop:
		return c.dateText(l, r)
	case r.kind.temporal() && r.prop && l.kind == kText && !l.prop:
		rf, lf, err := c.dateText(r, l)
		return lf, rf, err
	}
	return frag{}, frag{}, geo.Invalidf("filter", "cannot compare %s with %s", l, r)
}

// dateText compiles a date column against a string, which must be a
// date itself (or a timestamp, for a DATETIME column): SQLite would turn
// '2021' into a number, which no text equals. A DATE column compares as
// text; a DATETIME column as moments, since its text may carry any
// offset (the store reads it back in UTC).
func (c filterCompiler) dateText(col, s operand) (frag, frag, error) {
	text := string(s.lit.(cql2.String))
	switch {
	case col.kind == kDate && geo.IsDate(text):
		return col.frag, s.frag, nil
	case col.kind == kDateTime && validMoment(text):
		return julianday(col.frag), julianday(s.frag), nil
	}
	want := "'2021-08-26' or DATE('2021-08-26')"
	if col.kind == kDateTime {
		want = "'2021-08-26T09:30:00Z' or TIMESTAMP('2021-08-26T09:30:00Z')"
	}
	return frag{}, frag{}, geo.Invalidf("filter", "%s holds dates; compare it with a date such as %s, not %s", col.name, want, s.name)
}

func validMoment(s string) bool {
	_, ok := cql2.ParseMoment(s)
	return ok
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
		return frag{sql: "1"}
	}
	return frag{sql: "0"}
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
	if len(e.List) == 0 { // built in Go; SQLite's x IN () is false even for NULL
		return constant(e.Not), nil
	}
	// x IN (a, b) when x compares with every item the same way; else the
	// equivalent OR of equalities.
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

func (c filterCompiler) like(e cql2.Like) (frag, error) {
	o, err := c.operand(e.Value)
	if err != nil {
		return frag{}, err
	}
	switch o.kind {
	case kText, kDate:
	case kDateTime:
		// Its text is as written, offset and all, not as read back.
		return frag{}, geo.Invalidf("filter", "LIKE works on text, and %s is not text; compare it with <, > or T_INTERSECTS", o)
	default:
		return frag{}, geo.Invalidf("filter", "LIKE works on text, and %s is not text", o)
	}
	glob := cql2.Glob(e.Pattern)
	if len(glob) > maxGlobLength {
		return frag{}, geo.Invalidf("filter", "the LIKE pattern is too long")
	}
	return negate(sqlf("(%s GLOB %s)", o.frag, frag{"?", []any{glob}}), e.Not), nil
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
		// CASE, because ST_IsEmpty refuses NULL.
		return negate(sqlf("(CASE WHEN %s IS NULL THEN 1 ELSE ST_IsEmpty(%s) END)", o.frag, o.frag), e.Not), nil
	case e.Not:
		return sqlf("(%s IS NOT NULL)", o.frag), nil
	}
	return sqlf("(%s IS NULL)", o.frag), nil
}

func (c filterCompiler) spatial(e cql2.Spatial, exact bool) (frag, error) {
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
	if b, ok := g.(orb.Bound); ok {
		g = b.ToPolygon()
	}
	body, err := wkb.Marshal(g)
	if err != nil {
		return frag{}, geo.Invalidf("filter", "geometry %s: %v", lit.name, err)
	}
	test := sqlf("khorasan_intersects(%s, %s)", prop.frag, frag{"?", []any{newGeometryArg(body, g)}})
	if exact || c.t.rtree == "" {
		return test, nil
	}
	// Features outside the R-tree's candidates give false where the
	// test would give NULL (no geometry), which is the same to a WHERE.
	b := g.Bound()
	candidates := frag{
		sql:  "t." + quote(c.t.fidCol) + " IN (SELECT id FROM " + quote(c.t.rtree) + " WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)",
		args: []any{b.Max[0], b.Min[0], b.Max[1], b.Min[1]},
	}
	return sqlf("(%s AND %s)", candidates, test), nil
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
	julian := false
	for _, x := range o {
		switch {
		case x.kind == kDateTime:
			julian = true
		case x.kind == kInterval:
			julian = julian || !x.lit.(cql2.Interval).WholeDays()
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
		f := x.frag
		if iv, ok := x.lit.(cql2.Interval); ok {
			t := iv.Start
			if ep == cql2.LeftEnd || ep == cql2.RightEnd {
				t = iv.End
			}
			f = frag{"?", []any{sqlDate(t)}}
			if julian {
				f.args[0] = sqlTimestamp(t)
			}
		}
		if julian {
			f = julianday(f)
		}
		return f, 0
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
			f := x.frag
			if julian {
				f = julianday(f)
			}
			present = append(present, sqlf("(%s IS NOT NULL)", f))
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
