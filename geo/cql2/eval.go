package cql2

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Eval decides whether one feature matches e. It is the reference the
// store's SQL is tested against: simple rather than fast.
//
// get returns a property's value as the store gives it (int64, float64,
// string, bool or nil; dates are "YYYY-MM-DD" strings) and false for a
// property the feature's layer does not have, which is an error. The
// value of a date-time (DATETIME) property is a time.Time: the store
// compares those as moments, whatever text they were written as. geom is
// the feature's geometry: the geometry property of S_INTERSECTS, whatever
// its name.
//
// NULL follows SQL's three-valued logic: a comparison, LIKE, IN,
// BETWEEN, spatial or temporal test with a NULL operand is unknown; NOT
// unknown is unknown; unknown AND false is false, unknown OR true is
// true; and an unknown result does not match. Only IS NULL sees NULL.
//
// Values compare as the SQL does: numbers numerically (integers exactly),
// text by its UTF-8 bytes, booleans only with = and <>. Against a
// time.Time or a DATE or TIMESTAMP literal, a string is read as a moment
// (a date is its midnight UTC), and moments compare to SQLite's
// resolution (see Millisecond). Two strings compare as text.
func Eval(e Expr, get func(name string) (any, bool), geom orb.Geometry) (bool, error) {
	ev := evaluator{get: get, geom: geom}
	t, err := ev.expr(e)
	return t == yes, err
}

// truth is a three-valued logic value, ordered so that AND is the
// minimum and OR the maximum.
type truth int8

const (
	no truth = iota
	unknown
	yes
)

func truthOf(b bool) truth {
	if b {
		return yes
	}
	return no
}

func (t truth) not() truth {
	switch t {
	case yes:
		return no
	case no:
		return yes
	}
	return unknown
}

func (t truth) negateIf(not bool) truth {
	if not {
		return t.not()
	}
	return t
}

type evaluator struct {
	get  func(string) (any, bool)
	geom orb.Geometry
}

func (ev evaluator) expr(e Expr) (truth, error) {
	switch e := e.(type) {
	case Logical:
		return ev.logical(e)
	case Not:
		t, err := ev.expr(e.Arg)
		return t.not(), err
	case BoolLiteral:
		return truthOf(bool(e)), nil
	case Compare:
		return ev.compare(e.Op, e.Left, e.Right)
	case Like:
		return ev.like(e)
	case In:
		return ev.in(e)
	case Between:
		lo, err := ev.compare(">=", e.Value, e.Low)
		if err != nil {
			return unknown, err
		}
		hi, err := ev.compare("<=", e.Value, e.High)
		if err != nil {
			return unknown, err
		}
		return and(lo, hi).negateIf(e.Not), nil
	case IsNull:
		v, err := ev.value(e.Value)
		if err != nil {
			return unknown, err
		}
		return truthOf((v == nil) != e.Not), nil
	case Spatial:
		return ev.spatial(e)
	case Temporal:
		return ev.temporal(e)
	}
	return unknown, fmt.Errorf("cql2: cannot evaluate %T", e)
}

func and(a, b truth) truth { return min(a, b) }
func or(a, b truth) truth  { return max(a, b) }

func (ev evaluator) logical(e Logical) (truth, error) {
	acc := yes
	if e.Op == "OR" {
		acc = no
	}
	for _, arg := range e.Args {
		t, err := ev.expr(arg)
		if err != nil {
			return unknown, err
		}
		if e.Op == "OR" {
			acc = or(acc, t)
		} else {
			acc = and(acc, t)
		}
	}
	return acc, nil
}

// moment is a DATE or TIMESTAMP literal's time, told apart from text.
type moment struct{ t time.Time }

// value resolves an operand: a property's value or a literal's. Numbers
// become float64 or int64, as the store gives them.
func (ev evaluator) value(v Value) (any, error) {
	switch v := v.(type) {
	case Property:
		x, ok := ev.get(v.Name)
		if !ok {
			return nil, fmt.Errorf("unknown property %q", v.Name)
		}
		return x, nil
	case String:
		return string(v), nil
	case Number:
		if v.Int {
			return int64(v.Value), nil
		}
		return v.Value, nil
	case Bool:
		return bool(v), nil
	case Date:
		return moment{v.Time}, nil
	case Timestamp:
		return moment{v.Time}, nil
	case Interval, Geometry:
		return v, nil
	}
	return nil, fmt.Errorf("cql2: unknown operand %T", v)
}

func (ev evaluator) compare(op string, l, r Value) (truth, error) {
	a, err := ev.value(l)
	if err != nil {
		return unknown, err
	}
	b, err := ev.value(r)
	if err != nil {
		return unknown, err
	}
	return compareValues(op, a, b)
}

func compareValues(op string, a, b any) (truth, error) {
	if a == nil || b == nil {
		return unknown, nil
	}
	if c, ok := compareNumbers(a, b); ok {
		return truthOf(holds(op, c)), nil
	}
	if isMoment(a) || isMoment(b) {
		ta, oka := asMoment(a)
		tb, okb := asMoment(b)
		if oka == nil || okb == nil {
			return unknown, fmt.Errorf("cannot compare %s with %s", describeValue(a), describeValue(b))
		}
		if !*oka || !*okb {
			return unknown, nil // a string that is no date: SQLite's julianday gives NULL
		}
		return truthOf(holds(op, ta.Compare(tb))), nil
	}
	switch a := a.(type) {
	case string:
		if b, ok := b.(string); ok {
			return truthOf(holds(op, strings.Compare(a, b))), nil
		}
	case bool:
		if b, ok := b.(bool); ok {
			if op != "=" && op != "<>" {
				return unknown, fmt.Errorf("true and false compare only with = and <>, not %s", op)
			}
			return truthOf((a == b) == (op == "=")), nil
		}
	}
	return unknown, fmt.Errorf("cannot compare %s with %s", describeValue(a), describeValue(b))
}

func isMoment(v any) bool {
	switch v.(type) {
	case moment, time.Time:
		return true
	}
	return false
}

// asMoment reads a temporal operand; the *bool is nil when the value
// cannot be one at all, false when it is a string that is no moment.
func asMoment(v any) (time.Time, *bool) {
	t, f := true, false
	switch v := v.(type) {
	case moment:
		return Millisecond(v.t), &t
	case time.Time:
		return Millisecond(v), &t
	case string:
		if m, ok := parseMoment(v); ok {
			return m, &t
		}
		return time.Time{}, &f
	}
	return time.Time{}, nil
}

// parseMoment reads a stored date or date-time, to the millisecond.
func parseMoment(s string) (time.Time, bool) {
	t, ok := ParseMoment(s)
	return Millisecond(t), ok
}

// compareNumbers orders two numbers exactly, as SQLite does, even an
// int64 beyond 2^53 against a float64.
func compareNumbers(a, b any) (int, bool) {
	switch a := a.(type) {
	case int64:
		switch b := b.(type) {
		case int64:
			return cmpOrdered(a, b), true
		case float64:
			return cmpIntFloat(a, b), true
		}
	case float64:
		switch b := b.(type) {
		case int64:
			return -cmpIntFloat(b, a), true
		case float64:
			return cmpOrdered(a, b), true
		}
	}
	return 0, false
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpIntFloat(i int64, f float64) int {
	switch {
	case math.IsNaN(f):
		return 1 // SQLite has no NaN; never reached with stored values
	case f >= 1<<63:
		return -1
	case f < -(1 << 63):
		return 1
	}
	fl := math.Floor(f)
	if c := cmpOrdered(i, int64(fl)); c != 0 {
		return c
	}
	if f > fl {
		return -1
	}
	return 0
}

func describeValue(v any) string {
	switch v := v.(type) {
	case int64, float64:
		return fmt.Sprintf("number %v", v)
	case string:
		return fmt.Sprintf("text %q", shorten(v))
	case bool:
		return fmt.Sprintf("boolean %v", v)
	case moment:
		return "moment " + v.t.Format(time.RFC3339Nano)
	case time.Time:
		return "moment " + v.Format(time.RFC3339Nano)
	case Interval:
		return "an INTERVAL"
	case Geometry:
		return "a geometry"
	}
	return fmt.Sprintf("%T", v)
}

func (ev evaluator) like(e Like) (truth, error) {
	v, err := ev.value(e.Value)
	if err != nil || v == nil {
		return unknown, err
	}
	s, ok := v.(string)
	if !ok {
		return unknown, fmt.Errorf("LIKE needs text, not %s", describeValue(v))
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i] // SQLite's GLOB reads text only up to a NUL
	}
	return truthOf(Match(e.Pattern, s)).negateIf(e.Not), nil
}

func (ev evaluator) in(e In) (truth, error) {
	acc := no
	for _, item := range e.List {
		t, err := ev.compare("=", e.Value, item)
		if err != nil {
			return unknown, err
		}
		acc = or(acc, t)
	}
	return acc.negateIf(e.Not), nil
}

func (ev evaluator) geometry(v Value) (orb.Geometry, error) {
	switch v := v.(type) {
	case Property:
		return ev.geom, nil
	case Geometry:
		return v.Geometry, nil
	}
	return nil, fmt.Errorf("S_INTERSECTS takes geometries, not %T", v)
}

func (ev evaluator) spatial(e Spatial) (truth, error) {
	if e.Op != "S_INTERSECTS" {
		return unknown, fmt.Errorf("%s is not supported", e.Op)
	}
	a, err := ev.geometry(e.Left)
	if err != nil {
		return unknown, err
	}
	b, err := ev.geometry(e.Right)
	if err != nil {
		return unknown, err
	}
	if a == nil || b == nil {
		return unknown, nil
	}
	return truthOf(Intersects(a, b)), nil
}

// span is a temporal operand: an instant starts and ends at once.
type span struct {
	start, end time.Time
	v          Value // the operand, for its open ends
}

func (ev evaluator) span(v Value) (*span, error) {
	if iv, ok := v.(Interval); ok {
		return &span{Millisecond(iv.Start), Millisecond(iv.End), iv}, nil
	}
	x, err := ev.value(v)
	if err != nil || x == nil {
		return nil, err
	}
	t, ok := asMoment(x)
	if ok == nil {
		return nil, fmt.Errorf("temporal functions take dates, not %s", describeValue(x))
	}
	if !*ok {
		return nil, nil
	}
	return &span{t, t, v}, nil
}

func (s *span) at(e Endpoint) time.Time {
	if e == LeftStart || e == RightStart {
		return s.start
	}
	return s.end
}

func (ev evaluator) temporal(e Temporal) (truth, error) {
	def, ok := temporalOps[e.Op]
	if !ok {
		return unknown, fmt.Errorf("%s is not supported", e.Op)
	}
	a, err := ev.span(e.Left)
	if err != nil {
		return unknown, err
	}
	b, err := ev.span(e.Right)
	if err != nil {
		return unknown, err
	}
	if a == nil || b == nil {
		return unknown, nil
	}
	side := func(ep Endpoint) *span {
		if ep == LeftStart || ep == LeftEnd {
			return a
		}
		return b
	}
	acc := no
	for _, group := range def {
		all := yes
		for _, c := range group {
			l, r := side(c.Left), side(c.Right)
			res, known := CompareInfinite(c.Op, Infinity(l.v, c.Left), Infinity(r.v, c.Right))
			if !known {
				res = holds(c.Op, l.at(c.Left).Compare(r.at(c.Right)))
			}
			all = and(all, truthOf(res))
		}
		acc = or(acc, all)
	}
	return acc, nil
}
