package main

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// world-atlas stitches Natural Earth's polygons back together across the
// antimeridian and around the South Pole, as d3's spherical renderer
// expects. A planar consumer (Leaflet, GIS tools, our own renderer) would
// draw such a ring as a band across the whole map, so polygons are cut at
// ±180° here: a ring that crosses the antimeridian twice (Russia, Fiji)
// becomes two rings, one per side; a ring that crosses it once encircles
// a pole (Antarctica) and is closed along the map's edge through that pole.

func roundTo(v float64, decimals int) float64 {
	f := math.Pow(10, float64(decimals))
	r := math.Round(v*f) / f
	if r == 0 {
		return 0 // no "-0" in the output
	}
	return r
}

// roundRing rounds a ring to the given number of decimals, checks range
// and closure, and removes repeated points and zero-width spikes.
func roundRing(r orb.Ring, decimals int) (orb.Ring, error) {
	out := make(orb.Ring, 0, len(r))
	for _, p := range r {
		q := orb.Point{roundTo(p[0], decimals), roundTo(p[1], decimals)}
		if err := checkPoint(q); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	if len(out) == 0 || !out.Closed() {
		return nil, fmt.Errorf("ring is not closed")
	}
	return removeSpikes(out), nil
}

// removeSpikes drops repeated points and zero-width spikes A→B→A (which
// quantization leaves in world-atlas, e.g. on Pakistan's coast, and which
// make a ring self-intersecting), also across the ring's start. The result
// is closed; it may be degenerate.
func removeSpikes(r orb.Ring) orb.Ring {
	var s []orb.Point
	for _, p := range r[:len(r)-1] {
		switch {
		case len(s) > 0 && s[len(s)-1] == p:
			// repeated point
		case len(s) >= 2 && s[len(s)-2] == p:
			s = s[:len(s)-1] // drop the spike's tip; p equals the new last point
		default:
			s = append(s, p)
		}
	}
	for len(s) >= 2 {
		n := len(s)
		if s[n-1] == s[0] || s[n-2] == s[0] {
			s = s[:n-1] // a repeat, or a spike whose tip is the last point
		} else if s[n-1] == s[1] {
			s = s[1:] // a spike whose tip is the first point
		} else {
			break
		}
	}
	if len(s) == 0 {
		return orb.Ring{}
	}
	return append(orb.Ring(s), s[0])
}

// hasArea reports whether a closed ring has at least three distinct
// vertices and a non-zero area.
func hasArea(r orb.Ring) bool {
	return len(r) >= 4 && r.Orientation() != 0
}

// dedupe drops consecutive repeated points.
func dedupe(r orb.Ring) orb.Ring {
	out := r[:0:0]
	for _, p := range r {
		if len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	return out
}

// snapAntimeridian gives a point that lies exactly on ±180° the sign of
// the point before it (cyclically), so it is not mistaken for a crossing.
func snapAntimeridian(r orb.Ring) orb.Ring {
	n := len(r) - 1 // distinct points; r[n] == r[0]
	out := r.Clone()
	for i := range n {
		if math.Abs(out[i][0]) != 180 {
			continue
		}
		for k := 1; k < n; k++ {
			prev := out[(i-k+n)%n][0]
			if math.Abs(prev) != 180 {
				out[i][0] = math.Copysign(180, prev)
				break
			}
		}
	}
	out[n] = out[0]
	return out
}

// crossings are the indices i whose edge r[i]→r[i+1] jumps more than 180°
// of longitude, i.e. crosses the antimeridian.
func crossings(r orb.Ring) []int {
	var out []int
	for i := 0; i+1 < len(r); i++ {
		if math.Abs(r[i+1][0]-r[i][0]) > 180 {
			out = append(out, i)
		}
	}
	return out
}

// meridianPoints returns where edge a→b crosses the antimeridian, once on
// a's side and once on b's side.
func meridianPoints(a, b orb.Point, decimals int) (onA, onB orb.Point) {
	side := math.Copysign(180, a[0])
	bx := b[0] + 2*side // b's longitude continued past a's side
	t := 1.0
	if bx != a[0] {
		t = (side - a[0]) / (bx - a[0])
	}
	lat := roundTo(a[1]+t*(b[1]-a[1]), decimals)
	return orb.Point{side, lat}, orb.Point{-side, lat}
}

// cutRing splits an exterior ring at the antimeridian (see the comment at
// the top of this file). It returns the ring unchanged when it does not
// cross.
func cutRing(r orb.Ring, decimals int) ([]orb.Ring, error) {
	r = snapAntimeridian(r)
	cs := crossings(r)
	n := len(r) - 1
	switch len(cs) {
	case 0:
		return []orb.Ring{r}, nil
	case 1:
		e := cs[0]
		onA, onB := meridianPoints(r[e], r[e+1], decimals)
		pole := math.Copysign(90, onA[1])
		var out orb.Ring
		for k := 1; k <= n; k++ { // r[e+1] … r[e], cyclically
			out = append(out, r[(e+k)%n])
		}
		out = append(out, onA, orb.Point{onA[0], pole}, orb.Point{onB[0], pole}, onB, out[0])
		return []orb.Ring{dedupe(out)}, nil
	case 2:
		i, j := cs[0], cs[1]
		iA, iB := meridianPoints(r[i], r[i+1], decimals)
		jA, jB := meridianPoints(r[j], r[j+1], decimals)
		if iB[0] != jA[0] {
			return nil, fmt.Errorf("antimeridian crossings at %v and %v do not bound one side", iA, jA)
		}
		a := orb.Ring{iB}
		a = append(a, r[i+1:j+1]...)
		a = append(a, jA, iB)
		b := orb.Ring{jB}
		b = append(b, r[j+1:n]...)
		b = append(b, r[:i+1]...)
		b = append(b, iA, jB)
		return []orb.Ring{dedupe(a), dedupe(b)}, nil
	default:
		return nil, fmt.Errorf("ring crosses the antimeridian %d times; only 1 (around a pole) or 2 are handled", len(cs))
	}
}

// cleanPolygon rounds and validates a polygon, cuts it at the antimeridian
// and winds it as RFC 7946 asks: exterior rings counter-clockwise, holes
// clockwise. Rings without area are dropped; when the exterior is one of
// them (world-atlas draws the South Pole as a line), the next ring with an
// area becomes the exterior. It returns the polygons and how many rings it
// dropped.
func cleanPolygon(p orb.Polygon, decimals int) ([]orb.Polygon, int, error) {
	var rings []orb.Ring
	dropped := 0
	for i, r := range p {
		c, err := roundRing(r, decimals)
		if err != nil {
			return nil, 0, fmt.Errorf("ring %d: %w", i, err)
		}
		if !hasArea(c) {
			dropped++
			continue
		}
		rings = append(rings, c)
	}
	if len(rings) == 0 {
		return nil, dropped, nil
	}
	exteriors, err := cutRing(rings[0], decimals)
	if err != nil {
		return nil, 0, err
	}
	var out []orb.Polygon
	for _, e := range exteriors {
		if !hasArea(e) {
			dropped++
			continue
		}
		if e.Orientation() != orb.CCW {
			e.Reverse()
		}
		out = append(out, orb.Polygon{e})
	}
	for i, h := range rings[1:] {
		if len(crossings(snapAntimeridian(h))) > 0 {
			return nil, 0, fmt.Errorf("hole %d crosses the antimeridian", i+1)
		}
		if h.Orientation() != orb.CW {
			h.Reverse()
		}
		placed := false
		for k := range out {
			if planar.RingContains(out[k][0], h[0]) {
				out[k] = append(out[k], h)
				placed = true
				break
			}
		}
		if !placed {
			return nil, 0, fmt.Errorf("hole %d lies outside its exterior ring", i+1)
		}
	}
	return out, dropped, nil
}

// cleanGeometry applies cleanPolygon to a Polygon or MultiPolygon. A
// Polygon cut in two becomes a MultiPolygon. It returns nil when nothing
// with an area is left.
func cleanGeometry(g orb.Geometry, decimals int) (orb.Geometry, int, error) {
	var in orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		in = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		in = g
	default:
		return nil, 0, fmt.Errorf("unexpected geometry %s", g.GeoJSONType())
	}
	var out orb.MultiPolygon
	dropped := 0
	for i, p := range in {
		c, d, err := cleanPolygon(p, decimals)
		if err != nil {
			return nil, 0, fmt.Errorf("polygon %d: %w", i, err)
		}
		dropped += d
		out = append(out, c...)
	}
	switch {
	case len(out) == 0:
		return nil, dropped, nil
	case len(out) == 1 && g.GeoJSONType() == "Polygon":
		return out[0], dropped, nil
	}
	return out, dropped, nil
}
