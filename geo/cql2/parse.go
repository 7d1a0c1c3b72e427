package cql2

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Parse reads a CQL2 text filter (OGC 21-065): AND, OR, NOT and
// parentheses; = <> < <= > >=; [NOT] LIKE, [NOT] IN, [NOT] BETWEEN,
// IS [NOT] NULL; properties (plain or "double-quoted"), 'strings' (a
// quote inside is doubled), numbers, TRUE and FALSE, DATE('...'), TIMESTAMP('...'),
// INTERVAL(a, b) with '..' for an open end; S_INTERSECTS with BBOX(...)
// or WKT (POINT, LINESTRING, POLYGON, their MULTI forms and
// GEOMETRYCOLLECTION); and the fifteen T_ temporal functions. Not read:
// arithmetic, CASEI/ACCENTI, array functions, other spatial functions,
// other functions, and properties as INTERVAL ends.
//
// Keywords and function names are case-insensitive; property names are
// not. Errors are *SyntaxError. The text may be MaxLength bytes long and
// nest MaxDepth levels deep.
func Parse(text string) (Expr, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if p.peek().kind == tEOF {
		return nil, &SyntaxError{Pos: 1, Msg: "empty filter"}
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if tok := p.peek(); tok.kind != tEOF {
		if tok.is(")") {
			return nil, p.errorf(tok, "')' closes no '('")
		}
		return nil, p.errorf(tok, "expected AND, OR or the end of the filter %s but found %s", p.after(), tok.describe())
	}
	return e, nil
}

// Supported predicate functions. The other CQL2 spatial and temporal
// functions are known by name so that their error says "not supported"
// rather than "unknown".
var (
	spatialOps     = map[string]bool{"S_INTERSECTS": true}
	otherSpatialOp = map[string]bool{"S_CONTAINS": true, "S_CROSSES": true, "S_DISJOINT": true,
		"S_EQUALS": true, "S_OVERLAPS": true, "S_TOUCHES": true, "S_WITHIN": true}
	unsupportedFunc = map[string]string{
		"CASEI":    "case-insensitive comparison (CASEI) is not supported",
		"ACCENTI":  "accent-insensitive comparison (ACCENTI) is not supported",
		"A_EQUALS": "array functions are not supported", "A_CONTAINS": "array functions are not supported",
		"A_CONTAINEDBY": "array functions are not supported", "A_OVERLAPS": "array functions are not supported",
	}
	geometryTags = map[string]bool{"POINT": true, "LINESTRING": true, "POLYGON": true, "MULTIPOINT": true,
		"MULTILINESTRING": true, "MULTIPOLYGON": true, "GEOMETRYCOLLECTION": true}
)

type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// after says where the parser is, for messages: "after '='".
func (p *parser) after() string {
	if p.i == 0 {
		return "at the start of the filter"
	}
	return "after " + p.toks[p.i-1].describe()
}

func (t token) is(punct string) bool { return t.kind == tPunct && t.text == punct }

func (t token) keyword(kw string) bool { return t.kind == tName && strings.EqualFold(t.text, kw) }

func (p *parser) errorf(at token, format string, args ...any) error {
	return &SyntaxError{Pos: at.pos, Msg: fmt.Sprintf(format, args...)}
}

// enter counts one level of nesting; every recursive rule calls it.
func (p *parser) enter(at token) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errorf(at, "filter nests deeper than %d levels", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) expect(punct, context string) (token, error) {
	tok := p.peek()
	if !tok.is(punct) {
		return tok, p.errorf(tok, "expected '%s' %s but found %s", punct, context, tok.describe())
	}
	return p.next(), nil
}

func (p *parser) or() (Expr, error) {
	return p.logical("OR", p.and)
}

func (p *parser) and() (Expr, error) {
	return p.logical("AND", p.not)
}

// logical parses operand {op operand}, flattening nested groups of the
// same operator: a AND (b AND c) is one AND of three.
func (p *parser) logical(op string, operand func() (Expr, error)) (Expr, error) {
	var args []Expr
	for {
		e, err := operand()
		if err != nil {
			return nil, err
		}
		if l, ok := e.(Logical); ok && l.Op == op {
			args = append(args, l.Args...)
		} else {
			args = append(args, e)
		}
		if !p.peek().keyword(op) {
			break
		}
		p.next()
	}
	if len(args) == 1 {
		return args[0], nil
	}
	return Logical{Op: op, Args: args}, nil
}

func (p *parser) not() (Expr, error) {
	tok := p.peek()
	if !tok.keyword("NOT") {
		return p.primary()
	}
	p.next()
	if err := p.enter(tok); err != nil {
		return nil, err
	}
	defer p.leave()
	e, err := p.not()
	if err != nil {
		return nil, err
	}
	return Not{Arg: e}, nil
}

func (p *parser) primary() (Expr, error) {
	tok := p.peek()
	if tok.is("(") {
		p.next()
		if err := p.enter(tok); err != nil {
			return nil, err
		}
		defer p.leave()
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")", fmt.Sprintf("to close the '(' at character %d", tok.pos)); err != nil {
			return nil, err
		}
		return e, nil
	}
	if tok.kind == tName && p.peekAt(1).is("(") {
		name := strings.ToUpper(tok.text)
		switch {
		case spatialOps[name]:
			return p.spatial()
		case temporalOps[name] != nil:
			return p.temporal()
		case otherSpatialOp[name]:
			return nil, p.errorf(tok, "%s is not supported; the spatial function is S_INTERSECTS", name)
		}
	}
	if tok.kind == tEOF || tok.kind == tPunct || tok.kind == tName && keywords[strings.ToUpper(tok.text)] &&
		!tok.keyword("TRUE") && !tok.keyword("FALSE") {
		return nil, p.errorf(tok, "expected a condition %s but found %s", p.after(), tok.describe())
	}
	left, err := p.value()
	if err != nil {
		return nil, err
	}
	return p.predicate(tok, left)
}

// predicate parses what follows a first operand.
func (p *parser) predicate(first token, left Value) (Expr, error) {
	tok := p.peek()
	switch {
	case tok.kind == tPunct && compareOps[tok.text]:
		p.next()
		right, err := p.value()
		if err != nil {
			return nil, err
		}
		return Compare{Op: tok.text, Left: left, Right: right}, nil
	case tok.keyword("NOT"):
		p.next()
		switch op := p.peek(); {
		case op.keyword("LIKE"), op.keyword("IN"), op.keyword("BETWEEN"):
			return p.negatable(left, true)
		default:
			return nil, p.errorf(op, "expected LIKE, IN or BETWEEN after NOT but found %s", op.describe())
		}
	case tok.keyword("LIKE"), tok.keyword("IN"), tok.keyword("BETWEEN"):
		return p.negatable(left, false)
	case tok.keyword("IS"):
		p.next()
		not := p.peek().keyword("NOT")
		if not {
			p.next()
		}
		if n := p.next(); !n.keyword("NULL") {
			return nil, p.errorf(n, "expected NULL or NOT NULL after IS but found %s", n.describe())
		}
		return IsNull{Value: left, Not: not}, nil
	}
	if b, ok := left.(Bool); ok {
		return BoolLiteral(b), nil
	}
	return nil, p.errorf(tok, "expected =, <>, <, <=, >, >=, LIKE, IN, BETWEEN or IS after %s but found %s",
		first.describe(), tok.describe())
}

var compareOps = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

func (p *parser) negatable(left Value, not bool) (Expr, error) {
	op := p.next()
	switch strings.ToUpper(op.text) {
	case "LIKE":
		pat := p.next()
		if pat.kind != tString {
			if pat.kind == tName && unsupportedFunc[strings.ToUpper(pat.text)] != "" {
				return nil, p.errorf(pat, "%s", unsupportedFunc[strings.ToUpper(pat.text)])
			}
			return nil, p.errorf(pat, "expected a pattern in quotes after LIKE but found %s", pat.describe())
		}
		return Like{Value: left, Pattern: pat.text, Not: not}, nil
	case "IN":
		open, err := p.expect("(", "to open the list after IN")
		if err != nil {
			return nil, err
		}
		var list []Value
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			if !p.peek().is(",") {
				break
			}
			p.next()
		}
		if _, err := p.expect(")", fmt.Sprintf("or ',' in the IN list opened at character %d", open.pos)); err != nil {
			return nil, err
		}
		return In{Value: left, List: list, Not: not}, nil
	default: // BETWEEN
		low, err := p.value()
		if err != nil {
			return nil, err
		}
		if and := p.next(); !and.keyword("AND") {
			return nil, p.errorf(and, "expected AND between the bounds of BETWEEN but found %s", and.describe())
		}
		high, err := p.value()
		if err != nil {
			return nil, err
		}
		return Between{Value: left, Low: low, High: high, Not: not}, nil
	}
}

// value parses an operand: a property, a literal or a literal-making
// function (DATE, TIMESTAMP, INTERVAL, BBOX, WKT).
func (p *parser) value() (Value, error) {
	tok := p.peek()
	switch tok.kind {
	case tString:
		p.next()
		return String(tok.text), nil
	case tNumber:
		p.next()
		return p.number(tok)
	case tQuoted:
		p.next()
		return Property{Name: tok.text}, nil
	case tName:
		name := strings.ToUpper(tok.text)
		switch {
		case name == "TRUE" || name == "FALSE":
			p.next()
			return Bool(name == "TRUE"), nil
		case keywords[name]:
			return nil, p.errorf(tok, "expected a value %s but found %s (put a property of that name in double quotes)", p.after(), tok.describe())
		case geometryTags[name] && (p.peekAt(1).is("(") || p.peekAt(1).kind == tName && zmTags[strings.ToUpper(p.peekAt(1).text)]):
			g, err := p.geometry()
			if err != nil {
				return nil, err
			}
			return Geometry{Geometry: g}, nil
		case p.peekAt(1).is("("):
			return p.function()
		}
		p.next()
		return Property{Name: tok.text}, nil
	}
	return nil, p.errorf(tok, "expected a value %s but found %s", p.after(), tok.describe())
}

// maxExactInt is the largest integer a float64 holds exactly.
const maxExactInt = 1 << 53

func (p *parser) number(tok token) (Value, error) {
	if !strings.ContainsAny(tok.text, ".eE") {
		if n, err := strconv.ParseInt(tok.text, 10, 64); err == nil && n >= -maxExactInt && n <= maxExactInt {
			return Number{Value: float64(n), Int: true}, nil
		}
	}
	f, err := strconv.ParseFloat(tok.text, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, p.errorf(tok, "number %s is out of range", shorten(tok.text))
	}
	return Number{Value: f}, nil
}

func (p *parser) function() (Value, error) {
	tok := p.next()
	name := strings.ToUpper(tok.text)
	switch name {
	case "DATE", "TIMESTAMP":
		p.next() // (
		t, err := p.instant(name, tok)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")", "to close "+name+"("); err != nil {
			return nil, err
		}
		if name == "DATE" {
			return Date{Time: t}, nil
		}
		return Timestamp{Time: t}, nil
	case "INTERVAL":
		return p.interval(tok)
	case "BBOX":
		return p.bbox(tok)
	}
	if spatialOps[name] || temporalOps[name] != nil {
		return nil, p.errorf(tok, "%s is a condition, not a value", name)
	}
	if msg := unsupportedFunc[name]; msg != "" {
		return nil, p.errorf(tok, "%s", msg)
	}
	return nil, p.errorf(tok, "unknown function %s", name)
}

// instant reads the quoted text of DATE(...) or TIMESTAMP(...).
func (p *parser) instant(kind string, fn token) (time.Time, error) {
	s := p.next()
	example := "DATE('2021-08-26')"
	if kind == "TIMESTAMP" {
		example = "TIMESTAMP('2021-08-26T09:30:00Z')"
	}
	if s.kind != tString {
		return time.Time{}, p.errorf(s, "expected a quoted %s after %s( but found %s; write it like %s",
			strings.ToLower(kind), kind, s.describe(), example)
	}
	t, ok := parseInstant(kind, s.text)
	if !ok {
		return time.Time{}, p.errorf(s, "%s is not a valid %s; write it like %s", s.describe(), strings.ToLower(kind), example)
	}
	return t, nil
}

// timestampRE is RFC 3339 as strictly as SQLite's date functions read
// it: time.Parse alone would also take a one-digit hour or a 24:00 offset.
var timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$`)

func parseInstant(kind, s string) (time.Time, bool) {
	if kind == "DATE" {
		t, err := time.Parse(time.DateOnly, s)
		return t, err == nil && len(s) == len(time.DateOnly)
	}
	if !timestampRE.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	// An offset can move year 0 or 9999 out of the four digits that
	// RFC 3339 and SQLite's date functions know.
	t = t.UTC()
	return t, err == nil && t.Year() >= 0 && t.Year() <= 9999
}

// ParseMoment reads a date (2021-08-26, its midnight UTC) or an RFC 3339
// timestamp, as strictly as SQLite's date functions do and as Eval reads
// strings compared with moments.
func ParseMoment(s string) (time.Time, bool) {
	if d, ok := parseInstant("DATE", s); ok {
		return d, true
	}
	return parseInstant("TIMESTAMP", s)
}

// Millisecond is t at the resolution moments compare at, SQLite's: the
// nearest millisecond, except that a fraction of .9995 or more is .999
// (SQLite caps it there rather than roll into the next second).
func Millisecond(t time.Time) time.Time {
	if ns := t.Nanosecond(); ns > 999_000_000 {
		t = t.Add(time.Duration(999_000_000 - ns))
	}
	return t.Round(time.Millisecond)
}

func (p *parser) interval(fn token) (Value, error) {
	p.next() // (
	var iv Interval
	var ends [2]token
	dateOnly := true
	for i := range 2 {
		if i == 1 {
			if _, err := p.expect(",", "between the ends of INTERVAL"); err != nil {
				return nil, err
			}
		}
		tok := p.next()
		ends[i] = tok
		var t time.Time
		open, date := false, false
		switch {
		case tok.kind == tString && tok.text == "..":
			open = true
		case tok.kind == tString:
			var ok bool
			if t, ok = parseInstant("DATE", tok.text); ok {
				date = true
			} else if t, ok = parseInstant("TIMESTAMP", tok.text); !ok {
				return nil, p.errorf(tok, "%s is neither a date (2021-08-26) nor a timestamp (2021-08-26T09:30:00Z) nor '..'", tok.describe())
			}
		case (tok.keyword("DATE") || tok.keyword("TIMESTAMP")) && p.peek().is("("):
			p.next()
			kind := strings.ToUpper(tok.text)
			var err error
			if t, err = p.instant(kind, tok); err != nil {
				return nil, err
			}
			if _, err := p.expect(")", "to close "+kind+"("); err != nil {
				return nil, err
			}
			date = kind == "DATE"
		default:
			return nil, p.errorf(tok, "expected a date, a timestamp or '..' in INTERVAL but found %s", tok.describe())
		}
		dateOnly = dateOnly && (open || date)
		if i == 0 {
			iv.Start, iv.OpenStart = t, open
		} else {
			iv.End, iv.OpenEnd = t, open
		}
	}
	iv.DateOnly = dateOnly
	if _, err := p.expect(")", "to close INTERVAL("); err != nil {
		return nil, err
	}
	if !iv.OpenStart && !iv.OpenEnd && iv.End.Before(iv.Start) {
		return nil, p.errorf(ends[1], "INTERVAL ends before it starts")
	}
	return iv, nil
}

// predicateArgs reads "(a, b)" after a predicate function's name.
func (p *parser) predicateArgs(name string) (Value, Value, [2]token, error) {
	var toks [2]token
	if _, err := p.expect("(", "after "+name); err != nil {
		return nil, nil, toks, err
	}
	toks[0] = p.peek()
	a, err := p.value()
	if err != nil {
		return nil, nil, toks, err
	}
	if _, err := p.expect(",", "between the arguments of "+name); err != nil {
		return nil, nil, toks, err
	}
	toks[1] = p.peek()
	b, err := p.value()
	if err != nil {
		return nil, nil, toks, err
	}
	if _, err := p.expect(")", "to close "+name+"("); err != nil {
		return nil, nil, toks, err
	}
	return a, b, toks, nil
}

func (p *parser) spatial() (Expr, error) {
	name := strings.ToUpper(p.next().text)
	a, b, toks, err := p.predicateArgs(name)
	if err != nil {
		return nil, err
	}
	for i, v := range []Value{a, b} {
		switch v.(type) {
		case Property, Geometry:
		default:
			return nil, p.errorf(toks[i], "%s takes the geometry property and a geometry such as BBOX(...) or POINT(...), not %s", name, toks[i].describe())
		}
	}
	return Spatial{Op: name, Left: a, Right: b}, nil
}

func (p *parser) temporal() (Expr, error) {
	name := strings.ToUpper(p.next().text)
	a, b, toks, err := p.predicateArgs(name)
	if err != nil {
		return nil, err
	}
	for i, v := range []Value{a, b} {
		switch v.(type) {
		case Property, Date, Timestamp, Interval:
		default:
			return nil, p.errorf(toks[i], "%s takes date properties, DATE(...), TIMESTAMP(...) or INTERVAL(...), not %s", name, toks[i].describe())
		}
	}
	return Temporal{Op: name, Left: a, Right: b}, nil
}
