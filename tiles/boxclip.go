package tiles

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// A rectangle clip that keeps a valid polygon valid. orb's clip.Polygon
// (Sutherland-Hodgman) joins the pieces of a concave shape along the
// box's side, over each other, so a big country's tile comes out invalid
// and costs an overlay; this one (Weiler-Atherton specialised to a box,
// as GEOS's RectangleIntersection that PostGIS uses) follows each ring's
// runs inside the box and joins them along the box's boundary, which
// gives the valid pieces of the intersection in one pass. No library in
// our stack clips this way.
//
// The box's sides lie half a unit inside the buffered tile, between the
// grid's lines: a polygon on the integer grid then never has a vertex on
// a side nor an edge along one, so no touching case needs handling; and
// snapToBox then moves the points on the sides out onto the buffered
// tile's edge, where no vertex of the polygon in the box lies, rather
// than onto one.

// The box, in tile units.
const (
	clipLo = -Buffer + 0.5
	clipHi = Extent + Buffer - 0.5
	clipW  = clipHi - clipLo
)

// snapToBox is snapPoint for clipPolygonToBox's pieces: points on the
// box's sides go out to the buffered tile's edge.
func snapToBox(p orb.Point) orb.Point {
	c := func(v float64) float64 {
		switch v {
		case clipLo:
			return -Buffer
		case clipHi:
			return Extent + Buffer
		}
		return math.Floor(v)
	}
	return orb.Point{c(p[0]), c(p[1])}
}

// boxRun is the part of a ring inside the box between the point where
// it comes in and the point where it goes out, at perimeter positions in
// and out (see perimeter).
type boxRun struct {
	pts     []orb.Point
	in, out float64
}

// clipPolygonToBox returns the pieces of the valid polygon p (on the
// integer grid, exterior wound with a positive signed area, holes
// negative, rings closed) moved by (-ox, -oy) and cut to the box, wound
// the same way and not yet snapped (points on the box's sides have
// fractional coordinates). ok is false when rounding left the crossings
// of the box's boundary out of order, which a valid polygon cannot give
// in exact arithmetic: the caller then cuts p another way.
func clipPolygonToBox(p orb.Polygon, ox, oy float64) (_ orb.MultiPolygon, ok bool) {
	var runs []boxRun
	var holes []orb.Ring
	var exterior orb.Ring // when wholly inside
	boxInside := false    // the box lies inside the exterior, no ring crossing it
	for i, r := range p {
		rr, inside, whole := ringRuns(r, ox, oy)
		runs = append(runs, rr...)
		switch {
		case whole != nil && i == 0:
			exterior = whole
		case whole != nil:
			holes = append(holes, whole)
		case inside && i == 0:
			boxInside = true
		case inside:
			// The box lies in a hole: nothing of the polygon is in it.
			return nil, true
		}
	}
	if len(runs) == 0 {
		switch {
		case exterior != nil:
			return orb.MultiPolygon{append(orb.Polygon{exterior}, holes...)}, true
		case boxInside:
			box := orb.Ring{{clipLo, clipLo}, {clipHi, clipLo}, {clipHi, clipHi}, {clipLo, clipHi}, {clipLo, clipLo}}
			return orb.MultiPolygon{append(orb.Polygon{box}, holes...)}, true
		}
		return nil, true
	}
	shells, ok := joinRuns(runs)
	if !ok {
		return nil, false
	}
	out := make(orb.MultiPolygon, len(shells))
	for i, s := range shells {
		out[i] = orb.Polygon{s}
	}
	// Each hole wholly in the box goes to the piece around it.
	for _, h := range holes {
		if len(out) == 1 {
			out[0] = append(out[0], h)
			continue
		}
		// The middle of an edge of a hole is on no other ring of a valid
		// polygon (rings meet at vertices at most).
		m := orb.Point{(h[0][0] + h[1][0]) / 2, (h[0][1] + h[1][1]) / 2}
		found := false
		for i := range out {
			if insideRing(out[i][0], m) {
				out[i] = append(out[i], h)
				found = true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return out, true
}

// ringRuns cuts the ring r, moved by (-ox, -oy), to the box: its runs
// inside, or the whole ring (moved) when it lies in the box, or inside
// true when it neither meets the box nor leaves it out (the box is within
// the ring).
func ringRuns(r orb.Ring, ox, oy float64) (runs []boxRun, inside bool, whole orb.Ring) {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	if n < 3 {
		return nil, false, nil
	}
	at := func(i int) orb.Point { q := r[i%n]; return orb.Point{q[0] - ox, q[1] - oy} }
	first := at(0)
	startInside := inBox(first)
	var head []orb.Point // from the first point to the first exit
	var cur *boxRun
	if startInside {
		head = []orb.Point{first}
	}
	headOpen := startInside
	a := first
	for i := 1; i <= n; i++ {
		b := at(i)
		ain, bin := inBox(a), inBox(b)
		switch {
		case ain && bin:
			if headOpen {
				head = append(head, b)
			} else {
				cur.pts = append(cur.pts, b)
			}
		case ain:
			e, t := crossing(a, b, false)
			if headOpen {
				head = append(head, e)
				headOpen = false
			} else {
				cur.pts = append(cur.pts, e)
				cur.out = t
				runs = append(runs, *cur)
				cur = nil
			}
		case bin:
			e, t := crossing(a, b, true)
			cur = &boxRun{pts: []orb.Point{e, b}, in: t}
		default:
			if e0, t0, e1, t1, ok := through(a, b); ok {
				runs = append(runs, boxRun{pts: []orb.Point{e0, e1}, in: t0, out: t1})
			}
		}
		a = b
	}
	if headOpen {
		// Never left the box.
		return nil, false, orb.Ring(head)
	}
	if startInside {
		// The last run came back to the first point: it goes on with head.
		cur.pts = append(cur.pts, head[1:]...)
		cur.out = perimeterOf(head[len(head)-1])
		runs = append(runs, *cur)
	}
	if len(runs) == 0 {
		return nil, insideRing(r, orb.Point{ox + Extent/2, oy + Extent/2}), nil
	}
	return runs, false, nil
}

func inBox(p orb.Point) bool {
	return p[0] > clipLo && p[0] < clipHi && p[1] > clipLo && p[1] < clipHi
}

// span is where the segment a-b lies in the box, as fractions s0 <= s1
// of its length, and the axis and end of the box's side at each.
func span(a, b orb.Point) (s0, s1 float64, axis0, axis1 int, hi0, hi1, ok bool) {
	s0, s1 = 0, 1
	for k := range 2 {
		d := b[k] - a[k]
		if d == 0 {
			if a[k] <= clipLo || a[k] >= clipHi {
				return 0, 0, 0, 0, false, false, false
			}
			continue
		}
		tLo, tHi := (clipLo-a[k])/d, (clipHi-a[k])/d
		enter, leave, enterHi := tLo, tHi, false
		if d < 0 {
			enter, leave, enterHi = tHi, tLo, true
		}
		if enter > s0 {
			s0, axis0, hi0 = enter, k, enterHi
		}
		if leave < s1 {
			s1, axis1, hi1 = leave, k, !enterHi
		}
	}
	return s0, s1, axis0, axis1, hi0, hi1, s0 < s1
}

// pointAt is the point at fraction s of a-b, on the side (axis, hi).
func pointAt(a, b orb.Point, s float64, axis int, hi bool) orb.Point {
	var p orb.Point
	o := 1 - axis
	p[axis] = clipLo
	if hi {
		p[axis] = clipHi
	}
	p[o] = min(clipHi, max(clipLo, a[o]+s*(b[o]-a[o])))
	return p
}

// crossing is where the segment a-b, one end in the box, crosses its
// boundary: coming in (enter) or going out.
func crossing(a, b orb.Point, enter bool) (orb.Point, float64) {
	s0, s1, axis0, axis1, hi0, hi1, _ := span(a, b)
	p := pointAt(a, b, s1, axis1, hi1)
	if enter {
		p = pointAt(a, b, s0, axis0, hi0)
	}
	return p, perimeterOf(p)
}

// through is where a segment with both ends outside the box comes in
// and goes out, when it passes through.
func through(a, b orb.Point) (e0 orb.Point, t0 float64, e1 orb.Point, t1 float64, ok bool) {
	s0, s1, axis0, axis1, hi0, hi1, ok := span(a, b)
	if !ok {
		return
	}
	e0, e1 = pointAt(a, b, s0, axis0, hi0), pointAt(a, b, s1, axis1, hi1)
	return e0, perimeterOf(e0), e1, perimeterOf(e1), true
}

// perimeterOf is the position of a point of the box's boundary going
// round it with a positive signed area from its low corner: along y =
// lo, up x = hi, back along y = hi, down x = lo; in [0, 4·clipW).
func perimeterOf(p orb.Point) float64 {
	switch {
	case p[1] == clipLo && p[0] < clipHi:
		return p[0] - clipLo
	case p[0] == clipHi && p[1] < clipHi:
		return clipW + p[1] - clipLo
	case p[1] == clipHi && p[0] > clipLo:
		return 2*clipW + clipHi - p[0]
	}
	return 3*clipW + clipHi - p[1]
}

// boxCorners are the box's corners at their perimeter positions.
var boxCorners = [4]struct {
	t float64
	p orb.Point
}{{0, orb.Point{clipLo, clipLo}}, {clipW, orb.Point{clipHi, clipLo}}, {2 * clipW, orb.Point{clipHi, clipHi}}, {3 * clipW, orb.Point{clipLo, clipHi}}}

// joinRuns joins the runs into rings: from where a run goes out, along
// the box's boundary the positive way (the inside of the result on the
// left, as on every run), to where the next one comes in. Going round the
// boundary, the crossings of a valid polygon alternate out and in; ok is
// false when they do not.
func joinRuns(runs []boxRun) (_ []orb.Ring, ok bool) {
	type event struct {
		t   float64
		run int
		in  bool
	}
	events := make([]event, 0, 2*len(runs))
	for i, r := range runs {
		events = append(events, event{r.in, i, true}, event{r.out, i, false})
	}
	slices.SortFunc(events, func(a, b event) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return 0
	})
	// next[i] is the run entered after run i goes out.
	next := make([]int, len(runs))
	for k, e := range events {
		f := events[(k+1)%len(events)]
		if e.in == f.in || e.t == f.t {
			return nil, false
		}
		if !e.in {
			next[e.run] = f.run
		}
	}
	done := make([]bool, len(runs))
	var rings []orb.Ring
	for start := range runs {
		if done[start] {
			continue
		}
		var ring orb.Ring
		for i := start; !done[i]; i = next[i] {
			done[i] = true
			ring = append(ring, runs[i].pts...)
			ring = appendCorners(ring, runs[i].out, runs[next[i]].in)
		}
		rings = append(rings, append(ring, ring[0]))
	}
	return rings, true
}

// appendCorners appends the box's corners met going the positive way
// round from perimeter position from to position to.
func appendCorners(ring orb.Ring, from, to float64) orb.Ring {
	span := to - from
	if span < 0 {
		span += 4 * clipW
	}
	for k := range 8 {
		c := boxCorners[k%4]
		d := c.t - from + float64(k/4)*4*clipW
		if d > 0 && d < span {
			ring = append(ring, c.p)
		}
	}
	return ring
}

// insideRing reports whether p lies inside the ring r (crossing number;
// p on r's boundary counts either way).
func insideRing(r orb.Ring, p orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) {
			lhs, rhs := (p[0]-a[0])*(b[1]-a[1]), (p[1]-a[1])*(b[0]-a[0])
			if (b[1] > a[1]) == (lhs < rhs) {
				in = !in
			}
		}
	}
	return in
}
