package cql2

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Intersects reports whether two geometries share at least one point,
// in the plane of their coordinates (S_INTERSECTS). Boundaries count:
// a point on a polygon's edge intersects it. nil and empty geometries
// intersect nothing. The store's SQL function calls this too, so a filter
// run in SQL and by Eval agree.
//
// Two shapes meet when a point of one lies on the other, when an edge of
// one crosses an edge of the other, or, with no crossing, when one lies
// wholly inside a polygon of the other (then its first vertex does).
func Intersects(a, b orb.Geometry) bool {
	sa, sb := decompose(a), decompose(b)
	if sa.empty() || sb.empty() || !sa.bound.Intersects(sb.bound) {
		return false
	}
	return sa.pointOn(sb) || sb.pointOn(sa) || sa.edgesCross(sb) || sa.vertexInside(sb) || sb.vertexInside(sa)
}

// shape is a geometry taken apart: isolated points, lines, polygons, and
// the edges of both (lines and polygon rings).
type shape struct {
	points []orb.Point
	lines  []orb.LineString // lines and holes: edges that polygons do not cover
	edges  []orb.LineString // lines and rings
	polys  []orb.Polygon
	bound  orb.Bound
	any    bool
}

func (s *shape) empty() bool { return !s.any }

func (s *shape) extend(pts []orb.Point) {
	for _, p := range pts {
		if !s.any {
			s.bound, s.any = orb.Bound{Min: p, Max: p}, true
		} else {
			s.bound = s.bound.Extend(p)
		}
	}
}

func decompose(g orb.Geometry) *shape {
	s := &shape{}
	s.add(g)
	return s
}

func (s *shape) add(g orb.Geometry) {
	switch g := g.(type) {
	case orb.Point:
		s.points = append(s.points, g)
		s.extend([]orb.Point{g})
	case orb.MultiPoint:
		s.points = append(s.points, g...)
		s.extend(g)
	case orb.LineString:
		s.addLine(g, false)
	case orb.MultiLineString:
		for _, l := range g {
			s.addLine(l, false)
		}
	case orb.Ring:
		s.addPolygon(orb.Polygon{g})
	case orb.Polygon:
		s.addPolygon(g)
	case orb.MultiPolygon:
		for _, p := range g {
			s.addPolygon(p)
		}
	case orb.Bound:
		s.addPolygon(g.ToPolygon())
	case orb.Collection:
		for _, m := range g {
			s.add(m)
		}
	}
}

// addLine adds a line, or a polygon's ring when outer is true: the
// polygon itself covers its outer ring, but not the edges of its holes.
func (s *shape) addLine(l orb.LineString, outer bool) {
	switch {
	case len(l) == 0:
		return
	case len(l) == 1 && !outer: // degenerate: a point
		s.points = append(s.points, l[0])
	case len(l) > 1:
		s.edges = append(s.edges, l)
		if !outer {
			s.lines = append(s.lines, l)
		}
	}
	s.extend(l)
}

func (s *shape) addPolygon(p orb.Polygon) {
	var rings orb.Polygon
	for i, r := range p {
		if len(r) == 0 {
			if i == 0 {
				return // no outer ring: nothing to contain anything
			}
			continue
		}
		rings = append(rings, r)
		s.addLine(orb.LineString(r), i == 0)
		if len(r) > 1 && !r.Closed() {
			s.addLine(orb.LineString{r[len(r)-1], r[0]}, i == 0) // the closing edge
		}
	}
	if len(rings) > 0 {
		s.polys = append(s.polys, rings)
	}
}

// covers reports whether point p lies on the shape; a polygon covers its
// outer boundary, so only lines and holes need the on-segment test.
func (s *shape) covers(p orb.Point) bool {
	if !s.bound.Contains(p) {
		return false
	}
	for _, q := range s.points {
		if q == p {
			return true
		}
	}
	for _, l := range s.lines {
		for i := 1; i < len(l); i++ {
			if orientation(l[i-1], l[i], p) == 0 && withinBox(l[i-1], l[i], p) {
				return true
			}
		}
	}
	for _, poly := range s.polys {
		if planar.PolygonContains(poly, p) {
			return true
		}
	}
	return false
}

func (s *shape) pointOn(o *shape) bool {
	for _, p := range s.points {
		if o.covers(p) {
			return true
		}
	}
	return false
}

func (s *shape) vertexInside(o *shape) bool {
	if len(o.polys) == 0 {
		return false
	}
	for _, l := range s.edges {
		for _, poly := range o.polys {
			if planar.PolygonContains(poly, l[0]) {
				return true
			}
		}
	}
	return false
}

func (s *shape) edgesCross(o *shape) bool {
	for _, l := range s.edges {
		for i := 1; i < len(l); i++ {
			a, b := l[i-1], l[i]
			seg := orb.Bound{Min: a, Max: a}.Extend(b)
			if !seg.Intersects(o.bound) {
				continue
			}
			for _, m := range o.edges {
				for j := 1; j < len(m); j++ {
					if segmentsIntersect(a, b, m[j-1], m[j]) {
						return true
					}
				}
			}
		}
	}
	return false
}

// orientation is the sign of the turn a→b→c: positive counter-clockwise,
// negative clockwise, zero when the three are in line.
func orientation(a, b, c orb.Point) int {
	v := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// withinBox reports whether c lies in the box spanned by a and b; for a c
// in line with them, that is on the segment.
func withinBox(a, b, c orb.Point) bool {
	return min(a[0], b[0]) <= c[0] && c[0] <= max(a[0], b[0]) &&
		min(a[1], b[1]) <= c[1] && c[1] <= max(a[1], b[1])
}

func segmentsIntersect(p1, p2, q1, q2 orb.Point) bool {
	d1, d2 := orientation(q1, q2, p1), orientation(q1, q2, p2)
	d3, d4 := orientation(p1, p2, q1), orientation(p1, p2, q2)
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return d1 == 0 && withinBox(q1, q2, p1) || d2 == 0 && withinBox(q1, q2, p2) ||
		d3 == 0 && withinBox(p1, p2, q1) || d4 == 0 && withinBox(p1, p2, q2)
}
