package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// ValidateGeometry checks what every stored geometry must satisfy:
// finite WGS 84 coordinates in range, lines of two points or more, rings
// closed with four points or more. nil (no geometry) is valid.
func ValidateGeometry(g orb.Geometry) error {
	switch g := g.(type) {
	case nil:
		return nil
	case orb.Point:
		return checkPoint(g)
	case orb.MultiPoint:
		return checkPoints(g)
	case orb.LineString:
		return checkLine(g)
	case orb.MultiLineString:
		for i, l := range g {
			if err := checkLine(l); err != nil {
				return fmt.Errorf("line %d: %w", i+1, err)
			}
		}
	case orb.Polygon:
		return checkPolygon(g)
	case orb.MultiPolygon:
		for i, p := range g {
			if err := checkPolygon(p); err != nil {
				return fmt.Errorf("polygon %d: %w", i+1, err)
			}
		}
	case orb.Collection:
		for i, m := range g {
			if err := ValidateGeometry(m); err != nil {
				return fmt.Errorf("member %d: %w", i+1, err)
			}
		}
	case orb.Ring:
		return checkRing(g)
	case orb.Bound:
		return checkPoints([]orb.Point{g.Min, g.Max})
	default:
		return fmt.Errorf("unsupported geometry %T", g)
	}
	return nil
}

func checkPoint(p orb.Point) error {
	lon, lat := p[0], p[1]
	switch {
	case math.IsNaN(lon) || math.IsInf(lon, 0) || math.IsNaN(lat) || math.IsInf(lat, 0):
		return fmt.Errorf("coordinate [%v, %v] is not a finite number", lon, lat)
	case lon < -180 || lon > 180:
		return fmt.Errorf("longitude %v is outside -180..180 (coordinates are [longitude, latitude])", lon)
	case lat < -90 || lat > 90:
		return fmt.Errorf("latitude %v is outside -90..90 (coordinates are [longitude, latitude])", lat)
	}
	return nil
}

func checkPoints(ps []orb.Point) error {
	for i, p := range ps {
		if err := checkPoint(p); err != nil {
			return fmt.Errorf("position %d: %w", i+1, err)
		}
	}
	return nil
}

func checkLine(l orb.LineString) error {
	if len(l) < 2 {
		return fmt.Errorf("a line needs at least 2 positions, has %d", len(l))
	}
	return checkPoints(l)
}

func checkRing(r orb.Ring) error {
	if len(r) < 4 {
		return fmt.Errorf("a ring needs at least 4 positions, has %d", len(r))
	}
	if !r.Closed() {
		return fmt.Errorf("ring is not closed: it starts at %v and ends at %v", r[0], r[len(r)-1])
	}
	return checkPoints(r)
}

func checkPolygon(p orb.Polygon) error {
	if len(p) == 0 {
		return fmt.Errorf("polygon has no rings")
	}
	for i, r := range p {
		if err := checkRing(r); err != nil {
			return fmt.Errorf("ring %d: %w", i+1, err)
		}
	}
	return nil
}

// CountPositions is the number of positions (vertices) in g.
func CountPositions(g orb.Geometry) int {
	switch g := g.(type) {
	case orb.Point:
		return 1
	case orb.MultiPoint:
		return len(g)
	case orb.LineString:
		return len(g)
	case orb.Ring:
		return len(g)
	case orb.MultiLineString:
		n := 0
		for _, l := range g {
			n += len(l)
		}
		return n
	case orb.Polygon:
		n := 0
		for _, r := range g {
			n += len(r)
		}
		return n
	case orb.MultiPolygon:
		n := 0
		for _, p := range g {
			n += CountPositions(p)
		}
		return n
	case orb.Collection:
		n := 0
		for _, m := range g {
			n += CountPositions(m)
		}
		return n
	}
	return 0
}

// IsEmpty reports whether g has no positions (an empty collection, line or polygon).
func IsEmpty(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.Point:
		return false
	case orb.LineString:
		return len(g) == 0
	case orb.Polygon:
		return len(g) == 0
	case orb.MultiPoint:
		return len(g) == 0
	case orb.MultiLineString:
		return len(g) == 0
	case orb.MultiPolygon:
		return len(g) == 0
	case orb.Collection:
		return len(g) == 0
	}
	return g == nil
}

// GrowBound is b grown by g's envelope; nil b is no bound yet, and an
// empty geometry grows nothing.
func GrowBound(b *orb.Bound, g orb.Geometry) *orb.Bound {
	if g == nil || IsEmpty(g) {
		return b
	}
	gb := g.Bound()
	if math.IsNaN(gb.Min[0]) {
		return b
	}
	if b != nil {
		gb = b.Union(gb)
	}
	return &gb
}
