package cql2

import (
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Format writes e as CQL2 text that Parse reads back to the same tree:
// for echoing a filter in links and messages, and for the fuzz test.
func Format(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case Logical:
		for i, arg := range e.Args {
			if i > 0 {
				b.WriteString(" " + e.Op + " ")
			}
			// AND binds tighter than OR, so only an OR inside an AND
			// needs parentheses; NOT binds tightest of all.
			_, isLogical := arg.(Logical)
			writeGrouped(b, arg, isLogical && e.Op == "AND")
		}
	case Not:
		b.WriteString("NOT ")
		_, isLogical := e.Arg.(Logical)
		writeGrouped(b, e.Arg, isLogical)
	case BoolLiteral:
		writeValue(b, Bool(e))
	case Compare:
		writeValue(b, e.Left)
		b.WriteString(" " + e.Op + " ")
		writeValue(b, e.Right)
	case Like:
		writeValue(b, e.Value)
		b.WriteString(not(e.Not) + " LIKE ")
		writeValue(b, String(e.Pattern))
	case In:
		writeValue(b, e.Value)
		b.WriteString(not(e.Not) + " IN (")
		for i, v := range e.List {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, v)
		}
		b.WriteString(")")
	case Between:
		writeValue(b, e.Value)
		b.WriteString(not(e.Not) + " BETWEEN ")
		writeValue(b, e.Low)
		b.WriteString(" AND ")
		writeValue(b, e.High)
	case IsNull:
		writeValue(b, e.Value)
		b.WriteString(" IS" + not(e.Not) + " NULL")
	case Spatial:
		writeCall(b, e.Op, e.Left, e.Right)
	case Temporal:
		writeCall(b, e.Op, e.Left, e.Right)
	}
}

// FormatValue writes one operand as CQL2 text.
func FormatValue(v Value) string {
	var b strings.Builder
	writeValue(&b, v)
	return b.String()
}

func writeGrouped(b *strings.Builder, e Expr, group bool) {
	if group {
		b.WriteString("(")
	}
	writeExpr(b, e)
	if group {
		b.WriteString(")")
	}
}

func not(n bool) string {
	if n {
		return " NOT"
	}
	return ""
}

func writeCall(b *strings.Builder, name string, args ...Value) {
	b.WriteString(name + "(")
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		writeValue(b, a)
	}
	b.WriteString(")")
}

func writeValue(b *strings.Builder, v Value) {
	switch v := v.(type) {
	case Property:
		if plainName(v.Name) {
			b.WriteString(v.Name)
		} else {
			b.WriteString(`"` + strings.ReplaceAll(v.Name, `"`, `""`) + `"`)
		}
	case String:
		b.WriteString("'" + strings.ReplaceAll(string(v), "'", "''") + "'")
	case Number:
		b.WriteString(formatNumber(v))
	case Bool:
		if v {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case Date:
		b.WriteString("DATE('" + v.Time.Format(time.DateOnly) + "')")
	case Timestamp:
		b.WriteString("TIMESTAMP('" + v.Time.UTC().Format(time.RFC3339Nano) + "')")
	case Interval:
		b.WriteString("INTERVAL(")
		writeEnd(b, v.Start, v.OpenStart, v.DateOnly)
		b.WriteString(", ")
		writeEnd(b, v.End, v.OpenEnd, v.DateOnly)
		b.WriteString(")")
	case Geometry:
		writeGeometry(b, v.Geometry)
	}
}

func writeEnd(b *strings.Builder, t time.Time, open, date bool) {
	switch {
	case open:
		b.WriteString("'..'")
	case date:
		writeValue(b, Date{t})
	default:
		writeValue(b, Timestamp{t})
	}
}

func formatNumber(n Number) string {
	if n.Int {
		return strconv.FormatInt(int64(n.Value), 10)
	}
	s := strconv.FormatFloat(n.Value, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0" // keep it a decimal: 5.0 is not the integer 5
	}
	return s
}

func plainName(s string) bool {
	if s == "" || keywords[strings.ToUpper(s)] {
		return false
	}
	for i, r := range s {
		if i == 0 && !isNameStart(r) || !isNamePart(r) {
			return false
		}
	}
	return true
}

func writeGeometry(b *strings.Builder, g orb.Geometry) {
	coord := func(p orb.Point) {
		b.WriteString(strconv.FormatFloat(p[0], 'g', -1, 64) + " " + strconv.FormatFloat(p[1], 'g', -1, 64))
	}
	points := func(ps []orb.Point) {
		b.WriteString("(")
		for i, p := range ps {
			if i > 0 {
				b.WriteString(", ")
			}
			coord(p)
		}
		b.WriteString(")")
	}
	polygon := func(p orb.Polygon) {
		b.WriteString("(")
		for i, r := range p {
			if i > 0 {
				b.WriteString(", ")
			}
			points(r)
		}
		b.WriteString(")")
	}
	switch g := g.(type) {
	case orb.Bound:
		b.WriteString("BBOX(")
		for i, v := range []float64{g.Min[0], g.Min[1], g.Max[0], g.Max[1]} {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		b.WriteString(")")
	case orb.Point:
		b.WriteString("POINT(")
		coord(g)
		b.WriteString(")")
	case orb.LineString:
		b.WriteString("LINESTRING")
		points(g)
	case orb.Polygon:
		b.WriteString("POLYGON")
		polygon(g)
	case orb.MultiPoint:
		b.WriteString("MULTIPOINT")
		points(g)
	case orb.MultiLineString:
		b.WriteString("MULTILINESTRING(")
		for i, l := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			points(l)
		}
		b.WriteString(")")
	case orb.MultiPolygon:
		b.WriteString("MULTIPOLYGON(")
		for i, p := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			polygon(p)
		}
		b.WriteString(")")
	case orb.Collection:
		b.WriteString("GEOMETRYCOLLECTION(")
		for i, m := range g {
			if i > 0 {
				b.WriteString(", ")
			}
			writeGeometry(b, m)
		}
		b.WriteString(")")
	}
}

// ShortValue is FormatValue cut to 60 characters, for messages.
func ShortValue(v Value) string {
	s := FormatValue(v)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
