package cql2

// Temporal functions compare the ends of two operands. An instant (a
// date property, DATE, TIMESTAMP) starts and ends at the same moment; an
// INTERVAL's '..' end is minus or plus infinity. Each function is a
// disjunction of conjunctions of endpoint comparisons, the definitions of
// CQL2 (OGC 21-065) section 7.12. Eval and the SQL compiler both read
// this table, so they cannot disagree on what a function means.

// Endpoint names one end of one operand of a temporal function.
type Endpoint int

// The ends of the two operands.
const (
	LeftStart Endpoint = iota
	LeftEnd
	RightStart
	RightEnd
)

// EndpointComparison is Left Op Right, with Op one of = < >.
type EndpointComparison struct {
	Left  Endpoint
	Op    string
	Right Endpoint
}

type conj = []EndpointComparison

func cmp(l Endpoint, op string, r Endpoint) EndpointComparison {
	return EndpointComparison{Left: l, Op: op, Right: r}
}

var temporalOps = map[string][]conj{
	"T_AFTER":        {{cmp(LeftStart, ">", RightEnd)}},
	"T_BEFORE":       {{cmp(LeftEnd, "<", RightStart)}},
	"T_CONTAINS":     {{cmp(LeftStart, "<", RightStart), cmp(LeftEnd, ">", RightEnd)}},
	"T_DISJOINT":     {{cmp(LeftStart, ">", RightEnd)}, {cmp(LeftEnd, "<", RightStart)}},
	"T_DURING":       {{cmp(LeftStart, ">", RightStart), cmp(LeftEnd, "<", RightEnd)}},
	"T_EQUALS":       {{cmp(LeftStart, "=", RightStart), cmp(LeftEnd, "=", RightEnd)}},
	"T_FINISHEDBY":   {{cmp(LeftStart, "<", RightStart), cmp(LeftEnd, "=", RightEnd)}},
	"T_FINISHES":     {{cmp(LeftStart, ">", RightStart), cmp(LeftEnd, "=", RightEnd)}},
	"T_INTERSECTS":   {{cmp(LeftStart, "<=", RightEnd), cmp(LeftEnd, ">=", RightStart)}},
	"T_MEETS":        {{cmp(LeftEnd, "=", RightStart)}},
	"T_METBY":        {{cmp(LeftStart, "=", RightEnd)}},
	"T_OVERLAPPEDBY": {{cmp(LeftStart, ">", RightStart), cmp(LeftStart, "<", RightEnd), cmp(LeftEnd, ">", RightEnd)}},
	"T_OVERLAPS":     {{cmp(LeftStart, "<", RightStart), cmp(LeftEnd, ">", RightStart), cmp(LeftEnd, "<", RightEnd)}},
	"T_STARTEDBY":    {{cmp(LeftStart, "=", RightStart), cmp(LeftEnd, ">", RightEnd)}},
	"T_STARTS":       {{cmp(LeftStart, "=", RightStart), cmp(LeftEnd, "<", RightEnd)}},
}

// TemporalDefinition is what the temporal function op means: true when
// every comparison of any one of the returned groups holds.
func TemporalDefinition(op string) ([][]EndpointComparison, bool) {
	d, ok := temporalOps[op]
	return d, ok
}

// Infinity is the side of an open interval end: -1 for a '..' start, +1
// for a '..' end, 0 for a real moment.
func Infinity(v Value, e Endpoint) int {
	iv, ok := v.(Interval)
	switch {
	case !ok:
		return 0
	case (e == LeftStart || e == RightStart) && iv.OpenStart:
		return -1
	case (e == LeftEnd || e == RightEnd) && iv.OpenEnd:
		return 1
	}
	return 0
}

// CompareInfinite settles a comparison when either side is infinite,
// where the moments themselves do not matter: known is false when both
// sides are real and the values must be compared.
func CompareInfinite(op string, left, right int) (result, known bool) {
	if left == 0 && right == 0 {
		return false, false
	}
	return holds(op, left-right), true
}

// holds applies op to the sign of left minus right.
func holds(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "<>":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0 // ">="
}
