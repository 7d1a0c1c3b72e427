package geo

import (
	"encoding/binary"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	sf "github.com/peterstace/simplefeatures/geom"
)

// CheckValidity applies the OGC simple features rules beyond what
// ValidateGeometry checks: rings simple (no self-intersection), holes
// inside their shell, rings meeting at one point at most, polygons of a
// multipolygon not overlapping. It uses simplefeatures (pure Go, no cgo or
// libgeos) on the geometry's WKB. Points, which make up most data and
// cannot be invalid in these ways, skip it. Invalid geometries are
// refused, not repaired: every repair (GEOS's MakeValid, a buffer of 0)
// changes the shape in ways an analyst should decide on.
func CheckValidity(g orb.Geometry) error {
	switch g.(type) {
	case nil, orb.Point, orb.MultiPoint:
		return nil
	}
	if IsEmpty(g) {
		return nil
	}
	b, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return err
	}
	if _, err := sf.UnmarshalWKB(b); err != nil {
		return fmt.Errorf("invalid geometry: %v", err)
	}
	return nil
}
