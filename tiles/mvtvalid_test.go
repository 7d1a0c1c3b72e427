package tiles

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/paulmach/orb/encoding/mvt/vectortile"
)

// This file is a validator of Mapbox Vector Tiles against the rules of
// the MVT 2.1 specification that strict clients (and tippecanoe's and
// mapbox's validators) enforce. It reads the protobuf with orb's generated
// types but decodes the geometry command stream itself, because orb's
// decoder forgives what the rules forbid (zero-length segments, repeated
// first points, wrong winding). It is test code: the encoder must never
// make a tile it rejects.

// MVT rules, named as the test reports them.
const (
	ruleLayer        = "layer (§4.1: version 2, a name, unique, an extent)"
	ruleTags         = "tags (§4.4: pairs of key and value indices in range)"
	ruleCommands     = "commands (§4.3: command ids, counts and parameters)"
	ruleZeroLength   = "zero-length LineTo (§4.3.3.2)"
	ruleRepeatFirst  = "ring repeats its first point before ClosePath (§4.3.4.4)"
	ruleLineTooShort = "linestring under 2 distinct points (§4.3.4.3)"
	ruleDegenerate   = "ring under 3 distinct points or of zero area (§4.3.4.4)"
	ruleWinding      = "first ring of a polygon is not exterior (§4.3.4.4)"
	ruleSelfCross    = "ring self-intersects or self-touches (§4.3.4.4)"
	ruleExtent       = "coordinate outside the tile and its buffer"
)

// mvtProblem is one broken rule in one feature of one layer.
type mvtProblem struct {
	layer   string
	feature int
	rule    string
	detail  string
}

func (p mvtProblem) String() string {
	return fmt.Sprintf("layer %s feature %d: %s: %s", p.layer, p.feature, p.rule, p.detail)
}

// MVT geometry commands (§4.3.1).
const (
	cmdMoveTo    = 1
	cmdLineTo    = 2
	cmdClosePath = 7
)

// validateMVT checks every layer and feature of the tile b.
func validateMVT(b []byte) ([]mvtProblem, error) {
	var tile vectortile.Tile
	if err := tile.Unmarshal(b); err != nil {
		return nil, err
	}
	var out []mvtProblem
	names := map[string]bool{}
	for _, l := range tile.Layers {
		name := l.GetName()
		bad := func(f int, rule, format string, args ...any) {
			out = append(out, mvtProblem{layer: name, feature: f, rule: rule, detail: fmt.Sprintf(format, args...)})
		}
		switch {
		case l.GetVersion() != 2:
			bad(-1, ruleLayer, "version %d", l.GetVersion())
		case name == "":
			bad(-1, ruleLayer, "no name")
		case names[name]:
			bad(-1, ruleLayer, "second layer of the name")
		case l.GetExtent() == 0:
			bad(-1, ruleLayer, "extent 0")
		}
		names[name] = true
		for i, f := range l.Features {
			if len(f.Tags)%2 != 0 {
				bad(i, ruleTags, "%d tags", len(f.Tags))
			}
			for j := 0; j+1 < len(f.Tags); j += 2 {
				if int(f.Tags[j]) >= len(l.Keys) || int(f.Tags[j+1]) >= len(l.Values) {
					bad(i, ruleTags, "tag %d→%d with %d keys and %d values", f.Tags[j], f.Tags[j+1], len(l.Keys), len(l.Values))
				}
			}
			for _, p := range validateGeometry(f.GetType(), f.Geometry, int64(l.GetExtent())) {
				bad(i, p[0], "%s", p[1])
			}
		}
	}
	return out, nil
}

type xy struct{ x, y int64 }

// command is one decoded command: its id and its points, absolute.
type command struct {
	id     uint32
	points []xy
	// zero is the indices of parameters whose delta was (0, 0).
	zero []int
}

// validateGeometry returns [rule, detail] pairs for one feature.
func validateGeometry(typ vectortile.Tile_GeomType, geom []uint32, extent int64) (out [][2]string) {
	bad := func(rule, format string, args ...any) {
		out = append(out, [2]string{rule, fmt.Sprintf(format, args...)})
	}
	cmds, err := decodeCommands(geom)
	if err != nil {
		bad(ruleCommands, "%v", err)
		return out
	}
	// Our encoder keeps everything within Buffer of the tile.
	lo, hi := int64(-Buffer)*extent/Extent, extent+int64(Buffer)*extent/Extent
	for _, c := range cmds {
		for _, p := range c.points {
			if p.x < lo || p.x > hi || p.y < lo || p.y > hi {
				bad(ruleExtent, "(%d, %d)", p.x, p.y)
				return out
			}
		}
	}
	switch typ {
	case vectortile.Tile_POINT:
		if len(cmds) != 1 || cmds[0].id != cmdMoveTo || len(cmds[0].points) == 0 {
			bad(ruleCommands, "a point feature is one MoveTo, got %s", describe(cmds))
		}
	case vectortile.Tile_LINESTRING:
		if len(cmds) == 0 || len(cmds)%2 != 0 {
			bad(ruleCommands, "lines are MoveTo, LineTo pairs, got %s", describe(cmds))
			return out
		}
		for i := 0; i < len(cmds); i += 2 {
			m, l := cmds[i], cmds[i+1]
			if m.id != cmdMoveTo || len(m.points) != 1 || l.id != cmdLineTo || len(l.points) == 0 {
				bad(ruleCommands, "line %d: %s", i/2, describe(cmds[i:i+2]))
				continue
			}
			if len(l.zero) > 0 {
				bad(ruleZeroLength, "line %d, LineTo parameter %v at %v", i/2, l.zero, l.points[l.zero[0]])
			}
			if len(distinct(append([]xy{m.points[0]}, l.points...))) < 2 {
				bad(ruleLineTooShort, "line %d", i/2)
			}
		}
	case vectortile.Tile_POLYGON:
		if len(cmds) == 0 || len(cmds)%3 != 0 {
			bad(ruleCommands, "rings are MoveTo, LineTo, ClosePath, got %s", describe(cmds))
			return out
		}
		for i := 0; i < len(cmds); i += 3 {
			m, l, c := cmds[i], cmds[i+1], cmds[i+2]
			ring := i / 3
			if m.id != cmdMoveTo || len(m.points) != 1 || l.id != cmdLineTo || len(l.points) < 2 || c.id != cmdClosePath {
				bad(ruleCommands, "ring %d: %s", ring, describe(cmds[i:i+3]))
				continue
			}
			if len(l.zero) > 0 {
				bad(ruleZeroLength, "ring %d, LineTo parameter %v at %v", ring, l.zero, l.points[l.zero[0]])
			}
			pts := append([]xy{m.points[0]}, l.points...)
			if pts[len(pts)-1] == pts[0] {
				bad(ruleRepeatFirst, "ring %d at %v", ring, pts[0])
			}
			a := area2(pts)
			if len(distinct(pts)) < 3 || a == 0 {
				bad(ruleDegenerate, "ring %d: %d distinct points, twice the area %d", ring, len(distinct(pts)), a)
				continue
			}
			if i == 0 && a < 0 {
				bad(ruleWinding, "ring 0 has a negative area (%d/2)", a)
			}
			if at, ok := selfIntersection(pts); ok {
				bad(ruleSelfCross, "ring %d of %d points, near %v", ring, len(pts), at)
			}
		}
	default:
		bad(ruleCommands, "geometry type %v", typ)
	}
	return out
}

// decodeCommands reads the command stream of §4.3: a command integer (id
// in the low 3 bits, count above), then count pairs of zigzag deltas for
// MoveTo and LineTo, none for ClosePath (whose count must be 1).
func decodeCommands(geom []uint32) ([]command, error) {
	var out []command
	var cur xy
	for i := 0; i < len(geom); {
		id, count := geom[i]&7, geom[i]>>3
		i++
		c := command{id: id}
		switch id {
		case cmdMoveTo, cmdLineTo:
			if count == 0 {
				return nil, fmt.Errorf("command %d with count 0", id)
			}
			if uint64(len(geom)-i) < 2*uint64(count) {
				return nil, fmt.Errorf("command %d wants %d parameters, %d left", id, 2*count, len(geom)-i)
			}
			for k := 0; k < int(count); k++ {
				dx, dy := unzigzag(geom[i]), unzigzag(geom[i+1])
				i += 2
				if dx == 0 && dy == 0 {
					c.zero = append(c.zero, k)
				}
				cur = xy{cur.x + dx, cur.y + dy}
				c.points = append(c.points, cur)
			}
		case cmdClosePath:
			if count != 1 {
				return nil, fmt.Errorf("ClosePath with count %d", count)
			}
		default:
			return nil, fmt.Errorf("unknown command id %d", id)
		}
		out = append(out, c)
	}
	return out, nil
}

func unzigzag(v uint32) int64 { return int64(int32(v>>1) ^ -int32(v&1)) }

func describe(cmds []command) string {
	s := ""
	for _, c := range cmds {
		name := map[uint32]string{cmdMoveTo: "MoveTo", cmdLineTo: "LineTo", cmdClosePath: "ClosePath"}[c.id]
		s += fmt.Sprintf("%s(%d) ", name, len(c.points))
	}
	return s
}

func distinct(pts []xy) []xy {
	s := slices.Clone(pts)
	slices.SortFunc(s, func(a, b xy) int { return cmp.Or(cmp.Compare(a.x, b.x), cmp.Compare(a.y, b.y)) })
	return slices.Compact(s)
}

// area2 is twice the surveyor's-formula area of the ring pts (closed
// implicitly), exact in integers.
func area2(pts []xy) int64 {
	var s int64
	for i := range pts {
		p, q := pts[i], pts[(i+1)%len(pts)]
		s += p.x*q.y - q.x*p.y
	}
	return s
}

func cross(o, a, b xy) int64 { return (a.x-o.x)*(b.y-o.y) - (a.y-o.y)*(b.x-o.x) }

func sign(v int64) int { return cmp.Compare(v, 0) }

// onSegment: p, known to be collinear with a-b, lies on the segment.
func onSegment(a, b, p xy) bool {
	return min(a.x, b.x) <= p.x && p.x <= max(a.x, b.x) && min(a.y, b.y) <= p.y && p.y <= max(a.y, b.y)
}

// segmentsMeet reports whether the closed segments a-b and c-d share a
// point, exactly (integer orientation tests).
func segmentsMeet(a, b, c, d xy) bool {
	d1, d2 := sign(cross(c, d, a)), sign(cross(c, d, b))
	d3, d4 := sign(cross(a, b, c)), sign(cross(a, b, d))
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return (d1 == 0 && onSegment(c, d, a)) || (d2 == 0 && onSegment(c, d, b)) ||
		(d3 == 0 && onSegment(a, b, c)) || (d4 == 0 && onSegment(a, b, d))
}

// selfIntersection finds two edges of the ring pts (closed implicitly, no
// repeated closing point) that meet where they should not: edges that are
// not neighbours sharing any point (a crossing, or a touch at a vertex),
// and neighbours that fold back along each other (a spike). Edges are
// swept in order of their least x, so only edges whose x ranges overlap
// are compared.
func selfIntersection(pts []xy) (xy, bool) {
	n := len(pts)
	type edge struct {
		i          int
		minX, maxX int64
	}
	edges := make([]edge, n)
	for i := range pts {
		a, b := pts[i], pts[(i+1)%n]
		edges[i] = edge{i, min(a.x, b.x), max(a.x, b.x)}
	}
	// Neighbours share a vertex; they are wrong only when the second turns
	// straight back over the first.
	for i := range pts {
		a, b, c := pts[i], pts[(i+1)%n], pts[(i+2)%n]
		if cross(a, b, c) == 0 && (b.x-a.x)*(c.x-b.x)+(b.y-a.y)*(c.y-b.y) < 0 {
			return b, true
		}
	}
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Compare(a.minX, b.minX) })
	for k, e := range edges {
		a, b := pts[e.i], pts[(e.i+1)%n]
		for _, f := range edges[k+1:] {
			if f.minX > e.maxX {
				break
			}
			if f.i == (e.i+1)%n || e.i == (f.i+1)%n {
				continue
			}
			c, d := pts[f.i], pts[(f.i+1)%n]
			if segmentsMeet(a, b, c, d) {
				return a, true
			}
		}
	}
	return xy{}, false
}
