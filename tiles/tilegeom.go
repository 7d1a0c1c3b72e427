package tiles

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/simplify"
	sf "github.com/peterstace/simplefeatures/geom"
)

// Turning lines and shapes into tile geometry that keeps the MVT 2.1
// rules (§4.3.3.2: no LineTo of (0, 0); §4.3.4.4: rings closed by
// ClosePath alone, exterior rings wound positive and holes negative, no
// self-intersection or self-tangency). Three steps break them, and each
// is handled here:
//
//   - Snapping to the integer tile grid merges neighbouring points
//     (zero-length segments, a first point repeated before the close),
//     folds narrow spikes flat and can make a ring touch itself.
//   - Douglas-Peucker (orb's, per zoom in the Index, per tile past z9)
//     simplifies each ring alone, so a ring can cross itself or collapse.
//   - orb's clip.Polygon (Sutherland-Hodgman) joins the pieces of a
//     concave shape that leaves and re-enters the box with edges running
//     along the box's side, over each other.
//
// The Index's shapes for zooms below levelCount avoid all three: each
// level's polygons are simplified and made valid on that zoom's grid once
// (gridlevel.go), and a tile cuts them with clipPolygonToBox, which keeps
// them valid, and snaps only the points the cut adds (gridToTile). Other
// shapes (the store's, and deeper zooms') take the quick way (clip,
// simplify, snap, clean); each polygon it makes is checked (ringsApart,
// else simplefeatures' Validate, the validity rules of OGC simple
// features, which include MVT's ring rules). A polygon that fails is
// mended, or the feature is made again from the unsimplified source as
// the Index makes its levels, on the tile's grid (remadePolygons).

// fitToTile clips g (in tile units, not yet snapped) to the buffered
// tile, simplifies lines and shapes with Tolerance when simplifyIt, snaps
// them to the integer grid and cleans them (see snapRing). Polygons that
// come out invalid are cut again from full(), the same feature in tile
// units without simplification or clipping; full may be nil when g is
// already that. nil when nothing is left.
func fitToTile(g orb.Geometry, simplifyIt bool, full func() orb.Geometry) orb.Geometry {
	switch g.(type) {
	case orb.Point, orb.MultiPoint:
		// Points are snapped first and kept when they land in the box,
		// as the Index's points are.
		g = ProjectGeometry(g, floorPoint)
	}
	if g = clip.Geometry(tileBox, g); g == nil || g.Dimensions() == 0 {
		return g
	}
	if simplifyIt {
		g = simplify.DouglasPeucker(Tolerance).Simplify(g)
	}
	switch g := g.(type) {
	case orb.LineString:
		if ls := snapLine(g); ls != nil {
			return ls
		}
		return nil
	case orb.MultiLineString:
		out := g[:0]
		for _, ls := range g {
			if ls = snapLine(ls); ls != nil {
				out = append(out, ls)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case orb.Polygon:
		return polygonsToTile(orb.MultiPolygon{g}, full)
	case orb.MultiPolygon:
		return polygonsToTile(g, full)
	case orb.Collection:
		out := g[:0]
		for _, c := range g {
			if c = fitToTile(c, false, nil); c != nil {
				out = append(out, c)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return nil
}

// mercatorWorld is Web Mercator's square world, in degrees.
var mercatorWorld = orb.Bound{Min: orb.Point{-180, -MaxLat}, Max: orb.Point{180, MaxLat}}

// mercatorCut cuts polygons that reach past Mercator's edge to the square
// world, in degrees, with simplefeatures' overlay. Projected whole, such a
// shape (Antarctica, whose Ross Ice Shelf reaches 85.4°S) has its points
// past the edge clamped onto it, where its ring runs along itself; a
// Sutherland-Hodgman clip makes the same overlap. The overlay merges
// those stretches into one valid boundary. Other geometries are returned
// as they are.
func mercatorCut(g orb.Geometry) orb.Geometry {
	mp, ok := asPolygons(g)
	if !ok {
		return g
	}
	b := mp.Bound()
	if b.Min[1] >= -MaxLat && b.Max[1] <= MaxLat {
		return g
	}
	world := sf.NewEnvelope(sf.XY{X: mercatorWorld.Min[0], Y: mercatorWorld.Min[1]}, sf.XY{X: mercatorWorld.Max[0], Y: mercatorWorld.Max[1]}).AsGeometry()
	var out orb.MultiPolygon
	for _, p := range mp {
		pb := p.Bound()
		if pb.Min[1] >= -MaxLat && pb.Max[1] <= MaxLat {
			out = append(out, p)
			continue
		}
		cut, err := sf.Intersection(toSF(p).AsGeometry(), world)
		if err != nil {
			// An invalid source: keep it as it is, for the later steps
			// to mend or send.
			out = append(out, p)
			continue
		}
		out = append(out, fromSF(cut)...)
	}
	return out
}

// asPolygons is g as a MultiPolygon when it is a Polygon or one.
func asPolygons(g orb.Geometry) (orb.MultiPolygon, bool) {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, true
	case orb.MultiPolygon:
		return g, true
	}
	return nil, false
}

func floorPoint(p orb.Point) orb.Point { return orb.Point{math.Floor(p[0]), math.Floor(p[1])} }

// snapPoint is a line's or shape's point on the grid, kept in the
// buffered tile: the overlay's cuts along the box's sides land a hair
// outside it.
func snapPoint(p orb.Point) orb.Point {
	c := func(v float64) float64 { return max(-Buffer, min(Extent+Buffer, math.Floor(v))) }
	return orb.Point{c(p[0]), c(p[1])}
}

// polygonsToTile snaps and cleans clipped polygons; if any comes out
// invalid, the feature is cut again from full (when given) by
// exactPolygons. A Polygon when one is left, a MultiPolygon when more.
func polygonsToTile(mp orb.MultiPolygon, full func() orb.Geometry) orb.Geometry {
	out := make(orb.MultiPolygon, 0, len(mp))
	valid := true
	for _, p := range mp {
		p = snapPolygon(p)
		if p == nil {
			continue
		}
		if !validPolygon(p) {
			fixed := repairPolygon(p)
			if fixed == nil {
				valid = false
				break
			}
			out = append(out, fixed...)
			continue
		}
		out = append(out, p)
	}
	if !valid {
		var src orb.MultiPolygon
		if full != nil {
			src, _ = asPolygons(full())
		}
		if src == nil {
			out = exactPolygons(mp)
		} else {
			out = remadePolygons(src)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// gridToTile cuts valid polygons on a zoom's grid (gridPolygons) to the
// buffered tile of that zoom whose corner is at (ox, oy) on the grid,
// with clipPolygonToBox, which keeps them valid, and snaps the points it
// adds on the box's sides. A piece that snapping leaves invalid is
// mended (repairPolygon) or cut exactly from the clipped, unsnapped piece
// (exactPolygons): small either way, unlike the feature it came from.
func gridToTile(mp orb.MultiPolygon, ox, oy float64) orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, p := range mp {
		pieces, ok := clipPolygonToBox(p, ox, oy)
		if !ok {
			moved := ProjectGeometry(orb.Clone(p), func(q orb.Point) orb.Point { return orb.Point{q[0] - ox, q[1] - oy} })
			out = append(out, exactPolygons(orb.MultiPolygon{moved.(orb.Polygon)})...)
			continue
		}
		for _, piece := range pieces {
			q := snapPolygonWith(slices.Clone(piece), snapToBox)
			switch {
			case q == nil:
			case validPolygon(q):
				out = append(out, q)
			default:
				if fixed := repairPolygon(q); fixed != nil {
					out = append(out, fixed...)
				} else {
					out = append(out, exactPolygons(orb.MultiPolygon{piece})...)
				}
			}
		}
	}
	return out
}

// remadePolygons simplifies each polygon of mp (valid, in tile units) on
// the tile's grid as the Index simplifies its levels (levelPolygon), so
// that it is valid there, and cuts it to the buffered tile (gridToTile);
// a polygon that cannot be made valid so is cut by exactPolygons.
func remadePolygons(mp orb.MultiPolygon) orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, p := range mp {
		if len(p) == 0 || !p.Bound().Intersects(tileBox) {
			continue
		}
		q, _, ok := levelPolygon(p, Tolerance*Tolerance, nil)
		switch {
		case !ok:
			out = append(out, exactPolygons(orb.MultiPolygon{p})...)
		case q != nil:
			out = append(out, gridToTile(orb.MultiPolygon{q}, 0, 0)...)
		}
	}
	return out
}

// exactPolygons cuts each polygon of mp (valid, in tile units) to the
// buffered tile with simplefeatures' overlay, then snaps and cleans the
// pieces. A piece that snapping still leaves invalid is left out rather
// than sent broken: it can only be a sliver of at most a few tile units,
// where the grid cannot hold its shape.
func exactPolygons(mp orb.MultiPolygon) orb.MultiPolygon {
	box := tileBoxSF()
	var out orb.MultiPolygon
	for _, p := range mp {
		if len(p) == 0 || !p.Bound().Intersects(tileBox) {
			continue
		}
		src := toSF(p)
		var cut sf.Geometry
		err := src.Validate()
		if err == nil {
			cut, err = sf.Intersection(src.AsGeometry(), box)
		}
		if err != nil {
			// The overlay misreads or refuses an invalid source (a shape
			// whose points Mercator's clamp at 85° laid along the world's
			// edge): the clipped shape, cleaned and mended, then serves.
			if q := snapPolygon(clip.Polygon(tileBox, orb.Clone(p).(orb.Polygon))); q != nil {
				if validPolygon(q) {
					out = append(out, q)
				} else if fixed := repairPolygon(q); fixed != nil {
					out = append(out, fixed...)
				} else {
					// Better a shape a strict client may refuse than a
					// country missing from every client's tile.
					out = append(out, q)
				}
			}
			continue
		}
		for _, piece := range fromSF(cut) {
			q := snapPolygon(piece)
			switch {
			case q == nil:
			case validPolygon(q):
				out = append(out, q)
			default:
				fixed := repairPolygon(q)
				out = append(out, fixed...)
			}
		}
	}
	return out
}

// repairPolygon mends a snapped polygon that is invalid where the grid
// made a ring touch or cross itself, or run back along itself: its
// overlay with the buffered tile (simplefeatures' Intersection; its
// UnaryUnion of one polygon finds no rings in such input) nodes
// every touch and crossing and rebuilds the area's boundary as valid
// rings. Touches land on grid points already; crossings give new points,
// so the result is snapped and checked again (a few rounds at most).
// nil when it cannot be mended.
func repairPolygon(p orb.Polygon) orb.MultiPolygon {
	want := polygonsArea(orb.MultiPolygon{p})
	for range 3 {
		u, err := sf.Intersection(toSF(p).AsGeometry(), tileBoxSF())
		if err != nil {
			return nil
		}
		var out orb.MultiPolygon
		ok := true
		for _, piece := range fromSF(u) {
			q := snapPolygon(piece)
			if q == nil {
				continue
			}
			if !validPolygon(q) {
				ok, p = false, q
				break
			}
			out = append(out, q)
		}
		// The overlay reads an invalid polygon's inside from its rings'
		// crossings, and on a ring folded over itself can take the
		// outside for the inside: a repair must keep the area.
		if ok && math.Abs(polygonsArea(out)-want) <= max(64, want/100) {
			return out
		}
		if ok {
			return nil
		}
	}
	return nil
}

// polygonsArea is the area of polygons wound as snapPolygon winds them.
func polygonsArea(mp orb.MultiPolygon) float64 {
	var a float64
	for _, p := range mp {
		for i, r := range p {
			if i == 0 {
				a += math.Abs(SignedArea(r))
			} else {
				a -= math.Abs(SignedArea(r))
			}
		}
	}
	return a
}

func tileBoxSF() sf.Geometry {
	return sf.NewEnvelope(sf.XY{X: tileBox.Min[0], Y: tileBox.Min[1]}, sf.XY{X: tileBox.Max[0], Y: tileBox.Max[1]}).AsGeometry()
}

// snapLine snaps a line to the grid and drops the points that land on
// the one before (a LineTo of (0, 0)); nil under two points.
func snapLine(ls orb.LineString) orb.LineString {
	out := ls[:0]
	for _, p := range ls {
		q := snapPoint(p)
		if len(out) > 0 && out[len(out)-1] == q {
			continue
		}
		out = append(out, q)
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// snapPolygon snaps each ring (snapRing) and winds the rings for MVT:
// the exterior with a positive surveyor's-formula area in tile
// coordinates (clockwise on screen), holes negative. A hole that
// collapses is dropped; nil when the exterior does.
func snapPolygon(p orb.Polygon) orb.Polygon { return snapPolygonWith(p, snapPoint) }

// snapPolygonWith is snapPolygon on the grid of snap.
func snapPolygonWith(p orb.Polygon, snap func(orb.Point) orb.Point) orb.Polygon {
	out := p[:0]
	for i, r := range p {
		r = snapRingWith(r, snap)
		if r == nil {
			if i == 0 {
				return nil
			}
			continue
		}
		if (i == 0) != (SignedArea(r) > 0) {
			r.Reverse()
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// snapRing snaps a ring to the integer grid and removes what snapping
// leaves that MVT forbids (see cleanRing); nil when under three points or
// no area is left.
func snapRing(r orb.Ring) orb.Ring { return snapRingWith(r, snapPoint) }

func snapRingWith(r orb.Ring, snap func(orb.Point) orb.Point) orb.Ring {
	pts := make([]orb.Point, len(r))
	for i, p := range r {
		pts[i] = snap(p)
	}
	return cleanRing(pts)
}

// cleanRing removes from a ring on the integer grid what MVT forbids:
// points equal to the one before, and points in line with their
// neighbours, which also takes out spikes that fold back along
// themselves (a→b→a). It works on the ring as a cycle, so the seam at the
// first point is cleaned too, and returns the ring closed (first point
// repeated last, which orb's encoder leaves out for ClosePath), reusing
// pts; nil when under three points or no area is left. No library in our
// stack cleans a snapped ring this way (simplefeatures' SnapToGrid rounds
// to decimal places and keeps such points), hence this loop.
func cleanRing(pts []orb.Point) orb.Ring {
	r, _ := cleanRingIndexed(pts, nil)
	return r
}

// cleanRingIndexed is cleanRing keeping idx, when not nil, the numbers
// of the points, beside them: the ring's point i is the one numbered
// idx[i].
func cleanRingIndexed(in []orb.Point, idx []int32) (orb.Ring, []int32) {
	pts := in[:0]
	ix := idx[:0]
	pop := func(n int) {
		pts = pts[:n]
		if idx != nil {
			ix = ix[:n]
		}
	}
	for k, q := range in {
		// Pop points that q makes redundant: the same point, or one in
		// line between (or folded back over) its neighbours.
		for {
			n := len(pts)
			if n >= 1 && pts[n-1] == q {
				pop(n - 1)
				continue
			}
			if n >= 2 && collinear(pts[n-2], pts[n-1], q) {
				pop(n - 1)
				continue
			}
			break
		}
		pts = append(pts, q)
		if idx != nil {
			ix = append(ix, idx[k])
		}
	}
	// The seam: the last points against the first ones.
	for changed := true; changed && len(pts) >= 3; {
		changed = false
		n := len(pts)
		switch {
		case pts[n-1] == pts[0], collinear(pts[n-2], pts[n-1], pts[0]):
			pop(n - 1)
			changed = true
		case collinear(pts[n-1], pts[0], pts[1]):
			pts = pts[1:]
			if idx != nil {
				ix = ix[1:]
			}
			changed = true
		}
	}
	if len(pts) < 3 {
		return nil, nil
	}
	ring := append(orb.Ring(pts), pts[0])
	if SignedArea(ring) == 0 {
		return nil, nil
	}
	if idx != nil {
		ix = append(ix, ix[0])
	}
	return ring, ix
}

// collinear: a, b and c (on the integer grid, so exactly) lie on a line.
func collinear(a, b, c orb.Point) bool {
	return (b[0]-a[0])*(c[1]-a[1])-(b[1]-a[1])*(c[0]-a[0]) == 0
}

// validPolygon checks a snapped polygon with simplefeatures: rings simple
// and closed, holes inside the exterior, rings meeting at a point at most.
// Polygons whose rings meet nowhere (ringsApart), nearly all of them,
// are known valid without it.
func validPolygon(p orb.Polygon) bool {
	return ringsApart(p) || toSF(p).Validate() == nil
}

// maxExact bounds the coordinates ringsApart takes: their differences'
// products stay exact in float64.
const maxExact = 1 << 24

// ringsApart reports whether the closed rings of p, on the integer grid,
// are simple and meet nowhere, with each hole inside the exterior and
// outside the other holes: valid by OGC's rules, which also let rings
// touch at a point. The test is exact, and much quicker than
// simplefeatures' (which builds an R-tree per ring) for a tile's
// polygon. false also when unsure: coordinates off the grid or past
// maxExact, or many holes.
func ringsApart(p orb.Polygon) bool {
	const maxHoles = 8
	if len(p) == 0 || len(p) > 1+maxHoles {
		return false
	}
	apart := true
	if !meetings(p, func(_, _, _, _ int32) bool { apart = false; return false }) || !apart {
		return false
	}
	return strayHole(p) < 0
}

// strayHole is the first hole of p (whose rings meet nowhere) that lies
// outside the exterior or inside another hole; -1 when none does. A hole
// is inside a ring when any point of it is, such as the middle of its
// first edge.
func strayHole(p orb.Polygon) int {
	for i, h := range p[1:] {
		m := orb.Point{(h[0][0] + h[1][0]) / 2, (h[0][1] + h[1][1]) / 2}
		if !insideRing(p[0], m) {
			return i + 1
		}
		for j, o := range p[1:] {
			if j != i && insideRing(o, m) {
				return i + 1
			}
		}
	}
	return -1
}

// meetings calls fn with each two edges of p (ring and index in it, edge
// i running from point i to i+1) that share a point they should not:
// edges that are not neighbours and meet at all, and neighbours that
// fold back along each other; until fn returns false. An exact sweep in
// order of the edges' least x compares only edges whose x ranges
// overlap. It returns false, calling fn for none, when p is not closed
// rings on the integer grid within maxExact.
func meetings(p orb.Polygon, fn func(ring1, edge1, ring2, edge2 int32) bool) bool {
	type edge struct {
		a, b                   orb.Point
		minX, maxX, minY, maxY float64
		ring, i, n             int32
	}
	count := 0
	for _, r := range p {
		if len(r) < 4 || r[0] != r[len(r)-1] {
			return false
		}
		count += len(r) - 1
	}
	edges := make([]edge, 0, count)
	for k, r := range p {
		n := int32(len(r) - 1)
		for i := range n {
			a, b := r[i], r[i+1]
			for _, v := range [4]float64{a[0], a[1], b[0], b[1]} {
				if v != math.Trunc(v) || math.Abs(v) > maxExact {
					return false
				}
			}
			edges = append(edges, edge{a, b, min(a[0], b[0]), max(a[0], b[0]), min(a[1], b[1]), max(a[1], b[1]), int32(k), i, n})
		}
	}
	slices.SortFunc(edges, func(e, f edge) int { return cmp.Compare(e.minX, f.minX) })
	for k := range edges {
		e := &edges[k]
		for l := k + 1; l < len(edges) && edges[l].minX <= e.maxX; l++ {
			f := &edges[l]
			if f.maxY < e.minY || f.minY > e.maxY {
				continue
			}
			if e.ring == f.ring && (f.i == (e.i+1)%e.n || e.i == (f.i+1)%e.n) {
				// Neighbours share a vertex, and meet elsewhere only when
				// one turns straight back along the other.
				a, b, c := e.a, e.b, f.b
				if f.i != (e.i+1)%e.n {
					a, b, c = f.a, f.b, e.b
				}
				if orientation(a, b, c) != 0 || (b[0]-a[0])*(c[0]-b[0])+(b[1]-a[1])*(c[1]-b[1]) >= 0 {
					continue
				}
			} else if !segmentsTouch(e.a, e.b, f.a, f.b) {
				continue
			}
			if !fn(e.ring, e.i, f.ring, f.i) {
				return true
			}
		}
	}
	return true
}

// orientation is the sign of the turn a→b→c: positive to the left,
// negative to the right, zero in line (exact within maxExact).
func orientation(a, b, c orb.Point) int {
	return cmp.Compare((b[0]-a[0])*(c[1]-a[1])-(b[1]-a[1])*(c[0]-a[0]), 0)
}

// segmentsTouch reports whether the closed segments a-b and c-d share a
// point (exact within maxExact).
func segmentsTouch(a, b, c, d orb.Point) bool {
	d1, d2 := orientation(c, d, a), orientation(c, d, b)
	d3, d4 := orientation(a, b, c), orientation(a, b, d)
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	on := func(a, b, p orb.Point) bool {
		return min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) && min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
	}
	return (d1 == 0 && on(c, d, a)) || (d2 == 0 && on(c, d, b)) || (d3 == 0 && on(a, b, c)) || (d4 == 0 && on(a, b, d))
}

func toSF(p orb.Polygon) sf.Polygon {
	rings := make([]sf.LineString, len(p))
	for i, r := range p {
		coords := make([]float64, 0, 2*len(r)+2)
		for _, q := range r {
			coords = append(coords, q[0], q[1])
		}
		if len(r) > 0 && r[0] != r[len(r)-1] {
			coords = append(coords, r[0][0], r[0][1])
		}
		rings[i] = sf.NewLineString(sf.NewSequence(coords, sf.DimXY))
	}
	return sf.NewPolygon(rings)
}

// fromSF returns the polygons of an overlay's result (which may also hold
// the lines and points where the shape only touches the box).
func fromSF(g sf.Geometry) orb.MultiPolygon {
	var out orb.MultiPolygon
	poly := func(p sf.Polygon) {
		var op orb.Polygon
		for i := range p.NumRings() {
			var ls sf.LineString
			if i == 0 {
				ls = p.ExteriorRing()
			} else {
				ls = p.InteriorRingN(i - 1)
			}
			seq := ls.Coordinates()
			r := make(orb.Ring, seq.Length())
			for j := range r {
				xy := seq.GetXY(j)
				r[j] = orb.Point{xy.X, xy.Y}
			}
			op = append(op, r)
		}
		if len(op) > 0 {
			out = append(out, op)
		}
	}
	switch g.Type() {
	case sf.TypePolygon:
		poly(g.MustAsPolygon())
	case sf.TypeMultiPolygon:
		mp := g.MustAsMultiPolygon()
		for i := range mp.NumPolygons() {
			poly(mp.PolygonN(i))
		}
	case sf.TypeGeometryCollection:
		gc := g.MustAsGeometryCollection()
		for i := range gc.NumGeometries() {
			out = append(out, fromSF(gc.GeometryN(i))...)
		}
	}
	return out
}
