package tiles

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// The Index's polygons for each zoom below levelCount are simplified in
// advance, put on that zoom's grid and made valid there, once per feature
// and zoom, so that a tile only cuts them (clipPolygonToBox) and snaps
// the points the cut adds. Douglas-Peucker simplifies each ring alone and
// can make it cross itself or another, and snapping can fold a strait
// narrower than the grid; no library in our stack simplifies while
// keeping a polygon valid on a grid, hence levelPolygon.

// maxLevelRounds bounds levelPolygon's rounds of refining and cutting.
const maxLevelRounds = 200

// gridPolygons simplifies the polygons of mp (in world units) for zoom z,
// with Tolerance, on z's grid: tile units of z counted from the world's
// corner, snapped as tiles snap (so a tile of z only moves them by its
// corner), cleaned and valid. whole is true when simplification kept
// every point; ok is false when a polygon cannot be made valid.
func gridPolygons(mp orb.MultiPolygon, z int) (_ orb.MultiPolygon, whole, ok bool) {
	scale := Extent * float64(uint64(1)<<z)
	out := make(orb.MultiPolygon, 0, len(mp))
	kept, total := 0, 0
	for _, p := range mp {
		u := make(orb.Polygon, len(p))
		for i, r := range p {
			u[i] = make(orb.Ring, len(r))
			for j, q := range r {
				u[i][j] = orb.Point{q[0] * scale, q[1] * scale}
			}
		}
		q, k, ok := levelPolygon(u, Tolerance)
		if !ok {
			return nil, false, false
		}
		kept += k
		for _, r := range p {
			total += len(r) - 1
		}
		if q != nil {
			out = append(out, q)
		}
	}
	return out, kept == total, true
}

// levelRing is a ring of levelPolygon's source: its points (the ring's
// last, the first again, left out), where they snap to, which are kept
// and which are cut for good.
type levelRing struct {
	src, grid []orb.Point
	kept, cut []bool
	dropped   bool
}

// levelPolygon simplifies the valid polygon u (unsnapped grid units)
// with Douglas-Peucker at tolerance tol, snaps what it keeps to the
// integer grid and makes that valid: where edges meet that should not,
// it puts back, on each, the source point farthest from it (as
// Douglas-Peucker would with a smaller tolerance), round after round.
// Where an edge meets another with nothing left to put back, the source
// itself folds on the grid: the smaller of the two loops they close is
// cut off (a sliver under a unit wide), or the hole dropped. Each round
// keeps or cuts a point, so this ends. The polygon comes out wound as
// snapPolygon winds, nil when nothing of it is left on the grid; kept
// is the number of source points kept; ok is false past maxLevelRounds.
func levelPolygon(u orb.Polygon, tol float64) (_ orb.Polygon, kept int, ok bool) {
	rings := make([]levelRing, 0, len(u))
	for _, r := range u {
		n := len(r)
		if n > 1 && r[0] == r[n-1] {
			n--
		}
		lr := levelRing{src: r[:n], grid: make([]orb.Point, n), kept: make([]bool, n), cut: make([]bool, n)}
		for i, p := range lr.src {
			lr.grid[i] = orb.Point{math.Floor(p[0]), math.Floor(p[1])}
		}
		if n >= 3 {
			simplifyRing(lr.src, tol*tol, lr.kept)
		}
		rings = append(rings, lr)
	}
	for range maxLevelRounds {
		q, idx, which := levelCandidate(rings)
		if q == nil {
			return nil, 0, true
		}
		type edge struct{ ring, i int32 }
		var bad [][2]edge
		if !meetings(q, func(r1, e1, r2, e2 int32) bool {
			bad = append(bad, [2]edge{{r1, e1}, {r2, e2}})
			return len(bad) < 4096
		}) {
			return nil, 0, false
		}
		if len(bad) == 0 {
			h := strayHole(q)
			if h < 0 {
				return orientPolygon(q), keptPoints(rings), true
			}
			rings[which[h]].dropped = true
			continue
		}
		progress := false
		seen := map[edge]bool{}
		for _, b := range bad {
			for _, e := range b {
				if !seen[e] {
					seen[e] = true
					progress = rings[which[e.ring]].refine(idx[e.ring], int(e.i)) || progress
				}
			}
		}
		if progress {
			continue
		}
		// Nothing left to put back. Rings may touch at a point.
		if validPolygon(q) {
			return orientPolygon(q), keptPoints(rings), true
		}
		b := bad[0]
		if b[0].ring != b[1].ring {
			// A hole against the exterior or another hole: the smaller goes.
			h := b[1].ring
			if h == 0 || (b[0].ring != 0 && math.Abs(SignedArea(q[b[0].ring])) < math.Abs(SignedArea(q[h]))) {
				h = b[0].ring
			}
			rings[which[h]].dropped = true
			continue
		}
		rings[which[b[0].ring]].cutLoop(q[b[0].ring], idx[b[0].ring], int(b[0].i), int(b[1].i))
	}
	return nil, 0, false
}

// keptPoints counts the points the rings keep.
func keptPoints(rings []levelRing) int {
	n := 0
	for _, r := range rings {
		for i, k := range r.kept {
			if k && !r.cut[i] && !r.dropped {
				n++
			}
		}
	}
	return n
}

// levelCandidate is the polygon of the rings' kept points, snapped and
// cleaned, with the numbers of its points in their rings and the ring of
// rings each of its rings is; nil when the exterior is gone.
func levelCandidate(rings []levelRing) (q orb.Polygon, idx [][]int32, which []int) {
	for ri := range rings {
		lr := &rings[ri]
		if lr.dropped {
			continue
		}
		var pts []orb.Point
		var ix []int32
		for i, k := range lr.kept {
			if k && !lr.cut[i] {
				pts = append(pts, lr.grid[i])
				ix = append(ix, int32(i))
			}
		}
		ring, ix := cleanRingIndexed(pts, ix)
		if ring == nil {
			if ri == 0 {
				return nil, nil, nil
			}
			continue
		}
		q = append(q, ring)
		idx = append(idx, ix)
		which = append(which, ri)
	}
	return q, idx, which
}

// between calls fn with the numbers of the ring's points strictly
// between points a and b, going forward round the ring.
func (lr *levelRing) between(a, b int32, fn func(i int)) {
	n := len(lr.src)
	for i := (int(a) + 1) % n; i != int(b); i = (i + 1) % n {
		fn(i)
	}
}

// refine keeps, on the candidate's edge e (from its point e to e+1,
// numbered by idx), the source point farthest from it; false when there
// is none left to keep.
func (lr *levelRing) refine(idx []int32, e int) bool {
	a, b := idx[e], idx[e+1]
	best, far := -1.0, -1
	lr.between(a, b, func(i int) {
		if lr.kept[i] || lr.cut[i] {
			return
		}
		if d := planar.DistanceFromSegmentSquared(lr.src[a], lr.src[b], lr.src[i]); d > best {
			best, far = d, i
		}
	})
	if far < 0 {
		return false
	}
	lr.kept[far] = true
	return true
}

// cutLoop cuts off the smaller of the two loops that the candidate ring
// r's edges e and f, which meet, close: its points, and every source
// point between its ends, are cut for good.
func (lr *levelRing) cutLoop(r orb.Ring, idx []int32, e, f int) {
	if e > f {
		e, f = f, e
	}
	n := len(r) - 1
	// The loop from e+1 to f, and the rest from f+1 round to e.
	inner := slices.Clone(r[e+1 : f+1])
	outer := append(slices.Clone(r[f+1:n]), r[:e+1]...)
	from, to := idx[e], idx[f+1]
	if math.Abs(SignedArea(inner)) > math.Abs(SignedArea(outer)) {
		from, to = idx[f], idx[(e+1)%n]
	}
	lr.between(from, to, func(i int) { lr.cut[i] = true })
}

// simplifyRing marks in kept the points of the ring pts (not closed)
// that Douglas-Peucker keeps at squared tolerance tol2: the first, the
// one farthest from it, and recursively the farthest from each chord
// when farther than the tolerance.
func simplifyRing(pts []orb.Point, tol2 float64, kept []bool) {
	n := len(pts)
	far, best := 0, -1.0
	for i := 1; i < n; i++ {
		if d := planar.DistanceSquared(pts[0], pts[i]); d > best {
			best, far = d, i
		}
	}
	kept[0], kept[far] = true, true
	type span struct{ a, b int } // b may be n: the first point again
	at := func(i int) orb.Point { return pts[i%n] }
	stack := []span{{0, far}, {far, n}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		best, k := -1.0, -1
		for i := s.a + 1; i < s.b; i++ {
			if d := planar.DistanceFromSegmentSquared(at(s.a), at(s.b), pts[i]); d > best {
				best, k = d, i
			}
		}
		if k >= 0 && best > tol2 {
			kept[k] = true
			stack = append(stack, span{s.a, k}, span{k, s.b})
		}
	}
}

// orientPolygon winds p's rings as snapPolygon does, in place.
func orientPolygon(p orb.Polygon) orb.Polygon {
	for i, r := range p {
		if (i == 0) != (SignedArea(r) > 0) {
			r.Reverse()
		}
	}
	return p
}
