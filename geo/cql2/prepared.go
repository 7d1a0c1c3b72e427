package cql2

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/peterstace/simplefeatures/rtree"
)

// Prepared is a geometry made ready to be tested against many others:
// Intersects(g) gives what Intersects(g, geometry) gives, but each test
// costs about the logarithm of the prepared geometry's vertices instead of
// their number. A filter's literal is prepared once per query; the
// features it is tested against are small.
//
// The tests are the same as Intersects's, with the loops over the
// prepared geometry's vertices and edges replaced by searches of R-trees
// (simplefeatures' rtree) over them, for a superset of the elements that
// could make a test true; the rest of each loop could only have answered
// false. A Prepared is safe for concurrent use.
type Prepared struct {
	s *shape
	// points: s.points; lineSegs: the segments of s.lines; edgeSegs: the
	// segments of s.edges; starts: the first vertex of each of s.edges.
	points, lineSegs, edgeSegs, starts *rtree.RTree
	segs                               [][2]orb.Point // edgeSegs' and lineSegs' records
	polys                              *rtree.RTree   // s.polys by their outer ring's bound
	rings                              [][]preparedRing
}

// preparedRing is a polygon ring with its edges indexed, for the ray
// test of planar.RingContains.
type preparedRing struct {
	ring  orb.Ring
	bound orb.Bound
	edges *rtree.RTree // record i: the edge from ring[i] to ring[i+1]; the last, ring[0] to ring[len-1]
}

// Prepare makes g ready for many Intersects tests.
func Prepare(g orb.Geometry) *Prepared {
	s := decompose(g)
	p := &Prepared{s: s}
	var items []rtree.BulkItem
	for i, q := range s.points {
		items = append(items, rtree.BulkItem{Box: pointBox(q), RecordID: i})
	}
	p.points = rtree.BulkLoad(items)
	p.lineSegs = p.segments(s.lines)
	p.edgeSegs = p.segments(s.edges)
	items = items[:0]
	for i, l := range s.edges {
		items = append(items, rtree.BulkItem{Box: pointBox(l[0]), RecordID: i})
	}
	p.starts = rtree.BulkLoad(items)
	items = items[:0]
	p.rings = make([][]preparedRing, len(s.polys))
	for i, poly := range s.polys {
		for _, r := range poly {
			p.rings[i] = append(p.rings[i], prepareRing(r))
		}
		items = append(items, rtree.BulkItem{Box: box(p.rings[i][0].bound), RecordID: i})
	}
	p.polys = rtree.BulkLoad(items)
	return p
}

func (p *Prepared) segments(lines []orb.LineString) *rtree.RTree {
	var items []rtree.BulkItem
	for _, l := range lines {
		for i := 1; i < len(l); i++ {
			items = append(items, rtree.BulkItem{Box: segBox(l[i-1], l[i]), RecordID: len(p.segs)})
			p.segs = append(p.segs, [2]orb.Point{l[i-1], l[i]})
		}
	}
	return rtree.BulkLoad(items)
}

func prepareRing(r orb.Ring) preparedRing {
	items := make([]rtree.BulkItem, 0, len(r))
	for i := 0; i+1 < len(r); i++ {
		items = append(items, rtree.BulkItem{Box: segBox(r[i], r[i+1]), RecordID: i})
	}
	items = append(items, rtree.BulkItem{Box: segBox(r[0], r[len(r)-1]), RecordID: len(r) - 1})
	return preparedRing{ring: r, bound: r.Bound(), edges: rtree.BulkLoad(items)}
}

func pointBox(q orb.Point) rtree.Box {
	return rtree.Box{MinX: q[0], MinY: q[1], MaxX: q[0], MaxY: q[1]}
}

func box(b orb.Bound) rtree.Box {
	return rtree.Box{MinX: b.Min[0], MinY: b.Min[1], MaxX: b.Max[0], MaxY: b.Max[1]}
}

func segBox(a, b orb.Point) rtree.Box {
	return rtree.Box{MinX: min(a[0], b[0]), MinY: min(a[1], b[1]), MaxX: max(a[0], b[0]), MaxY: max(a[1], b[1])}
}

// search reports whether fn holds for any record of t that meets b.
func search(t *rtree.RTree, b rtree.Box, fn func(int) bool) bool {
	found := false
	t.RangeSearch(b, func(id int) error {
		if fn(id) {
			found = true
			return rtree.Stop
		}
		return nil
	})
	return found
}

// Intersects reports whether g and the prepared geometry share a point,
// exactly as Intersects(g, prepared) does.
func (p *Prepared) Intersects(g orb.Geometry) bool {
	sg, sp := decompose(g), p.s
	if sg.empty() || sp.empty() || !sg.bound.Intersects(sp.bound) {
		return false
	}
	return p.coveredPoint(sg) || p.pointOn(sg) || p.edgesCross(sg) || p.vertexInside(sg) || p.startInside(sg)
}

// coveredPoint is sg.pointOn(sp): a point of g lies on the prepared shape.
func (p *Prepared) coveredPoint(sg *shape) bool {
	for _, q := range sg.points {
		if p.covers(q) {
			return true
		}
	}
	return false
}

// covers is sp.covers(q).
func (p *Prepared) covers(q orb.Point) bool {
	if !p.s.bound.Contains(q) {
		return false
	}
	at := pointBox(q)
	return search(p.points, at, func(i int) bool { return p.s.points[i] == q }) ||
		search(p.lineSegs, at, func(i int) bool {
			a, b := p.segs[i][0], p.segs[i][1]
			return orientation(a, b, q) == 0 && withinBox(a, b, q)
		}) ||
		p.inPolygon(q)
}

// inPolygon is planar.PolygonContains over every polygon of the shape.
func (p *Prepared) inPolygon(q orb.Point) bool {
	return search(p.polys, pointBox(q), func(i int) bool {
		rings := p.rings[i]
		if !rings[0].contains(q) {
			return false
		}
		for _, hole := range rings[1:] {
			if hole.contains(q) {
				return false
			}
		}
		return true
	})
}

// contains is planar.RingContains. Its ray goes from q towards +y, and
// only edges whose box meets that ray can cross it or hold q (rayIntersect
// answers false, false for every other edge), so the parity over them is
// the parity over all.
func (r preparedRing) contains(q orb.Point) bool {
	if !r.bound.Contains(q) {
		return false
	}
	in, on := false, false
	r.edges.RangeSearch(rtree.Box{MinX: q[0], MinY: q[1], MaxX: q[0], MaxY: math.Inf(1)}, func(i int) error {
		s, e := r.ring[0], r.ring[len(r.ring)-1]
		if i < len(r.ring)-1 {
			s, e = r.ring[i], r.ring[i+1]
		}
		cross, at := rayIntersect(q, s, e)
		if at {
			on = true
			return rtree.Stop
		}
		in = in != cross
		return nil
	})
	return on || in
}

// pointOn is sp.pointOn(sg): a point of the prepared shape lies on g; g
// covers nothing outside its bound.
func (p *Prepared) pointOn(sg *shape) bool {
	return search(p.points, box(sg.bound), func(i int) bool { return sg.covers(p.s.points[i]) })
}

// edgesCross is sg.edgesCross(sp): two segments that meet have boxes that
// meet.
func (p *Prepared) edgesCross(sg *shape) bool {
	for _, l := range sg.edges {
		for i := 1; i < len(l); i++ {
			a, b := l[i-1], l[i]
			if search(p.edgeSegs, segBox(a, b), func(j int) bool { return segmentsIntersect(a, b, p.segs[j][0], p.segs[j][1]) }) {
				return true
			}
		}
	}
	return false
}

// vertexInside is sg.vertexInside(sp): the first vertex of a line or ring
// of g is inside a prepared polygon.
func (p *Prepared) vertexInside(sg *shape) bool {
	for _, l := range sg.edges {
		if p.inPolygon(l[0]) {
			return true
		}
	}
	return false
}

// startInside is sp.vertexInside(sg): the first vertex of a prepared line
// or ring is inside a polygon of g, and so within g's bound.
func (p *Prepared) startInside(sg *shape) bool {
	if len(sg.polys) == 0 {
		return false
	}
	return search(p.starts, box(sg.bound), func(i int) bool {
		for _, poly := range sg.polys {
			if planar.PolygonContains(poly, p.s.edges[i][0]) {
				return true
			}
		}
		return false
	})
}

// rayIntersect is orb/planar's (v0.14.0, MIT licence), which
// planar.RingContains calls for each edge and does not export; the
// indexed ring test must decide each edge exactly as it does.
func rayIntersect(p, s, e orb.Point) (intersects, on bool) {
	if s[0] > e[0] {
		s, e = e, s
	}
	switch p[0] {
	case s[0]:
		if p[1] == s[1] {
			return false, true
		} else if s[0] == e[0] {
			if s[1] > e[1] && s[1] >= p[1] && p[1] >= e[1] {
				return false, true
			}
			if e[1] > s[1] && e[1] >= p[1] && p[1] >= s[1] {
				return false, true
			}
		}
		p[0] = math.Nextafter(p[0], math.Inf(1))
	case e[0]:
		if p[1] == e[1] {
			return false, true
		}
		p[0] = math.Nextafter(p[0], math.Inf(1))
	}
	if p[0] < s[0] || p[0] > e[0] {
		return false, false
	}
	if s[1] > e[1] {
		if p[1] > s[1] {
			return false, false
		} else if p[1] < e[1] {
			return true, false
		}
	} else {
		if p[1] > e[1] {
			return false, false
		} else if p[1] < s[1] {
			return true, false
		}
	}
	rs := (p[1] - s[1]) / (p[0] - s[0])
	ds := (e[1] - s[1]) / (e[0] - s[0])
	if rs == ds {
		return false, true
	}
	return rs <= ds, false
}

// Bound is the prepared geometry's bound.
func (p *Prepared) Bound() orb.Bound { return p.s.bound }
