package cql2

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"
)

// Geometry literals are read from the token stream rather than handed to
// a WKT library, so that errors point at the character that is wrong and
// nesting counts against MaxDepth. Z and M values are read and dropped:
// filters are planar, in the layer's longitude/latitude.

var zmTags = map[string]bool{"Z": true, "M": true, "ZM": true, "EMPTY": true}

// geometry parses tagged WKT: POINT(...), POLYGON(...), and so on.
func (p *parser) geometry() (orb.Geometry, error) {
	tag := p.next()
	if err := p.enter(tag); err != nil {
		return nil, err
	}
	defer p.leave()
	name := strings.ToUpper(tag.text)
	if t := p.peek(); t.kind == tName && zmTags[strings.ToUpper(t.text)] {
		if t.keyword("EMPTY") {
			return nil, p.errorf(t, "empty geometries are not supported")
		}
		p.next()
	}
	switch name {
	case "POINT":
		if _, err := p.expect("(", "after POINT"); err != nil {
			return nil, err
		}
		pt, err := p.point(name)
		if err != nil {
			return nil, err
		}
		_, err = p.expect(")", "to close POINT(")
		return pt, err
	case "LINESTRING":
		return p.lineString(name)
	case "POLYGON":
		return p.polygon(name)
	case "MULTIPOINT":
		return list(p, name, func() (orb.Point, error) {
			// Both MULTIPOINT(1 2, 3 4) and MULTIPOINT((1 2), (3 4)).
			if !p.peek().is("(") {
				return p.point(name)
			}
			p.next()
			pt, err := p.point(name)
			if err != nil {
				return pt, err
			}
			_, err = p.expect(")", "after a point of MULTIPOINT")
			return pt, err
		}, func(ps []orb.Point) orb.Geometry { return orb.MultiPoint(ps) })
	case "MULTILINESTRING":
		return list(p, name, func() (orb.LineString, error) { return p.lineString(name) },
			func(ls []orb.LineString) orb.Geometry { return orb.MultiLineString(ls) })
	case "MULTIPOLYGON":
		return list(p, name, func() (orb.Polygon, error) { return p.polygon(name) },
			func(ps []orb.Polygon) orb.Geometry { return orb.MultiPolygon(ps) })
	default: // GEOMETRYCOLLECTION
		return list(p, name, func() (orb.Geometry, error) {
			t := p.peek()
			if t.kind != tName || !geometryTags[strings.ToUpper(t.text)] {
				return nil, p.errorf(t, "expected a geometry such as POINT(...) in GEOMETRYCOLLECTION but found %s", t.describe())
			}
			return p.geometry()
		}, func(gs []orb.Geometry) orb.Geometry { return orb.Collection(gs) })
	}
}

// list parses "(" item {"," item} ")".
func list[T any](p *parser, name string, item func() (T, error), make func([]T) orb.Geometry) (orb.Geometry, error) {
	open, err := p.expect("(", "after "+name)
	if err != nil {
		return nil, err
	}
	var items []T
	for {
		it, err := item()
		if err != nil {
			return nil, err
		}
		items = append(items, it)
		if !p.peek().is(",") {
			break
		}
		p.next()
	}
	if _, err := p.expect(")", fmt.Sprintf("or ',' in the %s opened at character %d", name, open.pos)); err != nil {
		return nil, err
	}
	return make(items), nil
}

// point reads "x y" with up to two more ordinates (z, m), which it drops.
func (p *parser) point(name string) (orb.Point, error) {
	var xy [2]float64
	for i, axis := range []string{"x", "y"} {
		t := p.peek()
		if t.kind != tNumber {
			return orb.Point{}, p.errorf(t, "expected a number (%s) in %s but found %s", axis, name, t.describe())
		}
		p.next()
		v, err := p.number(t)
		if err != nil {
			return orb.Point{}, err
		}
		xy[i] = v.(Number).Value
	}
	for range 2 {
		if t := p.peek(); t.kind == tNumber {
			p.next()
			if _, err := p.number(t); err != nil {
				return orb.Point{}, err
			}
		}
	}
	return orb.Point(xy), nil
}

func (p *parser) points(name string) ([]orb.Point, token, error) {
	open, err := p.expect("(", "to open the positions of "+name)
	if err != nil {
		return nil, open, err
	}
	var pts []orb.Point
	for {
		pt, err := p.point(name)
		if err != nil {
			return nil, open, err
		}
		pts = append(pts, pt)
		if !p.peek().is(",") {
			break
		}
		p.next()
	}
	_, err = p.expect(")", fmt.Sprintf("or ',' in the positions opened at character %d", open.pos))
	return pts, open, err
}

func (p *parser) lineString(name string) (orb.LineString, error) {
	pts, open, err := p.points(name)
	if err != nil {
		return nil, err
	}
	if len(pts) < 2 {
		return nil, p.errorf(open, "a line in %s needs at least 2 positions, has %d", name, len(pts))
	}
	return orb.LineString(pts), nil
}

func (p *parser) polygon(name string) (orb.Polygon, error) {
	rings, err := list(p, name, func() (orb.Ring, error) {
		pts, open, err := p.points(name)
		if err != nil {
			return nil, err
		}
		r := orb.Ring(pts)
		if len(r) < 4 {
			return nil, p.errorf(open, "a ring in %s needs at least 4 positions, has %d", name, len(r))
		}
		if !r.Closed() {
			return nil, p.errorf(open, "the ring in %s is not closed: it starts at %v %v and ends at %v %v",
				name, r[0][0], r[0][1], r[len(r)-1][0], r[len(r)-1][1])
		}
		return r, nil
	}, func(rs []orb.Ring) orb.Geometry { return orb.Polygon(rs) })
	if err != nil {
		return nil, err
	}
	return rings.(orb.Polygon), nil
}

// bbox parses BBOX(west, south, east, north), or the six-number form
// with minimum and maximum z. A west greater than east crosses the
// antimeridian, as CQL2 allows.
func (p *parser) bbox(fn token) (Value, error) {
	open := p.next() // (
	var nums []float64
	for {
		t := p.peek()
		if t.kind != tNumber {
			return nil, p.errorf(t, "expected a number in BBOX but found %s", t.describe())
		}
		p.next()
		v, err := p.number(t)
		if err != nil {
			return nil, err
		}
		nums = append(nums, v.(Number).Value)
		if !p.peek().is(",") {
			break
		}
		p.next()
	}
	if _, err := p.expect(")", "to close BBOX("); err != nil {
		return nil, err
	}
	var w, s, e, n float64
	switch len(nums) {
	case 4:
		w, s, e, n = nums[0], nums[1], nums[2], nums[3]
	case 6:
		w, s, e, n = nums[0], nums[1], nums[3], nums[4]
	default:
		return nil, p.errorf(open, "BBOX takes 4 numbers (west, south, east, north) or 6 (with z), not %d", len(nums))
	}
	if s > n {
		return nil, p.errorf(fn, "BBOX south %v is greater than north %v", s, n)
	}
	if w > e {
		return Geometry{Geometry: orb.MultiPolygon{
			orb.Bound{Min: orb.Point{w, s}, Max: orb.Point{180, n}}.ToPolygon(),
			orb.Bound{Min: orb.Point{-180, s}, Max: orb.Point{e, n}}.ToPolygon(),
		}}, nil
	}
	return Geometry{Geometry: orb.Bound{Min: orb.Point{w, s}, Max: orb.Point{e, n}}}, nil
}
