// Package cql2 holds OGC Common Query Language (CQL2) text filters as an
// expression tree: parsed, formatted and evaluated on one feature (Eval, the
// reference the store's SQL is tested against), but never turned into SQL.
// It imports no package of the project.
package cql2

import (
	"strconv"
	"time"

	"github.com/paulmach/orb"
)

// Expr is a boolean expression.
type Expr interface{ isExpr() }

// Value is an operand: a Property, or a literal (String, Number, Bool,
// Date, Timestamp, Interval, Geometry).
type Value interface{ isValue() }

// Logical combines expressions: Op is "AND" or "OR"; Args has two or more.
type Logical struct {
	Op   string
	Args []Expr
}

// Not negates an expression.
type Not struct{ Arg Expr }

// Compare is a binary comparison; Op is one of = <> < <= > >=.
type Compare struct {
	Op          string
	Left, Right Value
}

// Like matches Value against Pattern (% any run, _ one character, \ to
// escape), case-sensitively as CQL2 says.
type Like struct {
	Value   Value
	Pattern string
	Not     bool
}

// In tests membership in a list of literals.
type In struct {
	Value Value
	List  []Value
	Not   bool
}

// Between tests Low <= Value <= High.
type Between struct {
	Value, Low, High Value
	Not              bool
}

// IsNull tests for a missing value.
type IsNull struct {
	Value Value
	Not   bool
}

// Spatial is a spatial predicate; Op is "S_INTERSECTS" (the only one the
// Basic Spatial Functions class needs), and more may come.
type Spatial struct {
	Op          string
	Left, Right Value // a Property (the geometry) and a Geometry literal
}

// Temporal is a temporal predicate; Op is "T_INTERSECTS", "T_BEFORE" or
// "T_AFTER" (and others as they are supported).
type Temporal struct {
	Op          string
	Left, Right Value // Property, Date, Timestamp or Interval
}

// BoolLiteral is TRUE or FALSE used as a whole predicate.
type BoolLiteral bool

// Property names a queryable of the collection.
type Property struct{ Name string }

// String is a character literal.
type String string

// Number is a numeric literal; Int says it was written without a
// fraction or exponent, so it compares exactly with integer columns.
type Number struct {
	Value float64
	Int   bool
}

// Bool is a boolean literal used as an operand.
type Bool bool

// Date is DATE('YYYY-MM-DD').
type Date struct{ Time time.Time }

// Timestamp is TIMESTAMP('...Z').
type Timestamp struct{ Time time.Time }

// Interval is INTERVAL(start, end); an open end is the zero time with the
// matching Open flag set ('..').
type Interval struct {
	Start, End         time.Time
	OpenStart, OpenEnd bool
	// DateOnly says both ends were dates, not timestamps.
	DateOnly bool
}

// WholeDays reports whether the interval's ends are whole days (UTC
// midnight), so that a store may compare it with DATE columns as dates.
// DateOnly is not enough: an interval built in Go may carry a time of day.
func (iv Interval) WholeDays() bool {
	return (iv.OpenStart || WholeDay(iv.Start)) && (iv.OpenEnd || WholeDay(iv.End))
}

// WholeDay reports whether t is a UTC midnight.
func WholeDay(t time.Time) bool {
	u := t.UTC()
	return t.Equal(time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC))
}

// Geometry is a geometry literal: BBOX(...) or WKT (POINT, POLYGON, ...).
type Geometry struct{ Geometry orb.Geometry }

func (Logical) isExpr()     {}
func (Not) isExpr()         {}
func (Compare) isExpr()     {}
func (Like) isExpr()        {}
func (In) isExpr()          {}
func (Between) isExpr()     {}
func (IsNull) isExpr()      {}
func (Spatial) isExpr()     {}
func (Temporal) isExpr()    {}
func (BoolLiteral) isExpr() {}

func (Property) isValue()  {}
func (String) isValue()    {}
func (Number) isValue()    {}
func (Bool) isValue()      {}
func (Date) isValue()      {}
func (Timestamp) isValue() {}
func (Interval) isValue()  {}
func (Geometry) isValue()  {}

// SyntaxError says where a filter stops making sense.
type SyntaxError struct {
	// Pos is the 1-based character position in the filter text.
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return "CQL2 syntax error at character " + strconv.Itoa(e.Pos) + ": " + e.Msg
}
