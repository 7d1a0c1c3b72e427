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

// polygonLevels is a feature's polygons (in world units) ready to be
// simplified for each zoom: the Douglas-Peucker weights of their points
// (ringWeights), worked out once for all zooms.
type polygonLevels struct {
	mp      orb.MultiPolygon
	weights [][][]float64
}

func newPolygonLevels(mp orb.MultiPolygon) *polygonLevels {
	pl := &polygonLevels{mp: mp, weights: make([][][]float64, len(mp))}
	for i, p := range mp {
		pl.weights[i] = make([][]float64, len(p))
		for j, r := range p {
			pl.weights[i][j] = ringWeights(openRing(r))
		}
	}
	return pl
}

// grid simplifies the polygons for zoom z, with Tolerance, on z's grid:
// tile units of z counted from the world's corner, snapped as tiles snap
// (so a tile of z only moves them by its corner), cleaned and valid
// (levelPolygon). whole is true when simplification keeps every point;
// ok is false when a polygon cannot be made valid.
func (pl *polygonLevels) grid(z int) (_ orb.MultiPolygon, whole, ok bool) {
	scale := Extent * float64(uint64(1)<<z)
	out := make(orb.MultiPolygon, 0, len(pl.mp))
	kept, total := 0, 0
	for i, p := range pl.mp {
		u := make(orb.Polygon, len(p))
		for j, r := range p {
			u[j] = make(orb.Ring, len(r))
			for k, q := range r {
				u[j][k] = orb.Point{q[0] * scale, q[1] * scale}
			}
			total += len(openRing(r))
		}
		// Weights are squared distances: in world units, scale² times
		// smaller than on the grid.
		q, k, ok := levelPolygon(u, Tolerance*Tolerance/(scale*scale), pl.weights[i])
		if !ok {
			return nil, false, false
		}
		kept += k
		if q != nil {
			out = append(out, q)
		}
	}
	return out, kept == total, true
}

// openRing is the ring r without its last point when that is the first
// again.
func openRing(r orb.Ring) orb.Ring {
	if n := len(r); n > 1 && r[0] == r[n-1] {
		return r[:n-1]
	}
	return r
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
// with Douglas-Peucker, keeping the points whose weights (ringWeights of
// each ring, worked out here when nil) pass minWeight, snaps them to the
// integer grid and makes that valid: where edges meet that should not,
// it puts back, on each, the source point farthest from it (as
// Douglas-Peucker would with a smaller tolerance), round after round.
// Where an edge meets another with nothing left to put back, the source
// itself folds on the grid: the smaller of the two loops they close is
// cut off (a sliver under a unit wide), or the hole dropped. Each round
// keeps or cuts a point, so this ends. The polygon comes out wound as
// snapPolygon winds, nil when nothing of it is left on the grid; kept
// is the number of source points kept; ok is false past maxLevelRounds.
func levelPolygon(u orb.Polygon, minWeight float64, weights [][]float64) (_ orb.Polygon, kept int, ok bool) {
	rings := make([]levelRing, 0, len(u))
	for j, r := range u {
		r = openRing(r)
		n := len(r)
		lr := levelRing{src: r, grid: make([]orb.Point, n), kept: make([]bool, n), cut: make([]bool, n)}
		for i, p := range lr.src {
			lr.grid[i] = orb.Point{math.Floor(p[0]), math.Floor(p[1])}
		}
		var w []float64
		if weights != nil {
			w = weights[j]
		} else {
			w = ringWeights(r)
		}
		if n >= 3 {
			for i, v := range w {
				lr.kept[i] = v > minWeight
			}
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

// ringWeights gives each point of the ring pts (not closed) the
// greatest squared tolerance at which Douglas-Peucker keeps it (infinite
// for the first point and the one farthest from it, which it always
// keeps): it keeps point i at squared tolerance t when weight i is over
// t. Douglas-Peucker keeps, on each chord, the point farthest from it
// when that is farther than the tolerance, and goes on with the two
// halves; so a point's weight is its distance from its chord, or its
// parent's weight when that is less. One run serves every zoom.
func ringWeights(pts []orb.Point) []float64 {
	n := len(pts)
	w := make([]float64, n)
	if n < 3 {
		return w
	}
	far, best := 0, -1.0
	for i := 1; i < n; i++ {
		if d := planar.DistanceSquared(pts[0], pts[i]); d > best {
			best, far = d, i
		}
	}
	w[0], w[far] = math.Inf(1), math.Inf(1)
	type span struct {
		a, b int // b may be n: the first point again
		cap  float64
	}
	at := func(i int) orb.Point { return pts[i%n] }
	stack := []span{{0, far, math.Inf(1)}, {far, n, math.Inf(1)}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		best, k := 0.0, -1
		for i := s.a + 1; i < s.b; i++ {
			if d := planar.DistanceFromSegmentSquared(at(s.a), at(s.b), pts[i]); d > best {
				best, k = d, i
			}
		}
		if k >= 0 {
			w[k] = min(best, s.cap)
			stack = append(stack, span{s.a, k, w[k]}, span{k, s.b, w[k]})
		}
	}
	return w
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
