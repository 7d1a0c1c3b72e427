package geo

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paulmach/orb"
)

// What every store and the import pipeline share about the columns of a
// layer: the value a column keeps, a geometry's type name, and new ids.

// StoredValue converts a property value to what a column of c's type
// keeps, or says why it cannot. A value already of that type comes back
// as it is (not boxed again: it runs for every value an import writes).
func StoredValue(c Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.Type {
	case Integer:
		if _, ok := v.(int64); ok {
			return v, nil
		}
	case Real:
		switch n := v.(type) {
		case float64:
			return v, nil
		case int64:
			return float64(n), nil
		}
	case Boolean:
		if _, ok := v.(bool); ok {
			return v, nil
		}
	case Date:
		if s, ok := v.(string); ok && IsDate(s) {
			return v, nil
		}
	case DateTime:
		if s, ok := v.(string); ok && (IsDateTime(s) || IsDate(s)) {
			return v, nil
		}
	case Text:
		switch s := v.(type) {
		case string:
			return v, nil
		case int64, float64, bool:
			return fmt.Sprint(s), nil
		default:
			b, err := json.Marshal(s)
			if err != nil {
				return nil, err
			}
			return string(b), nil
		}
	}
	return nil, fmt.Errorf("property %q: want %s, got %s", c.Name, describeType(c.Type), describeValue(v))
}

func describeType(t ColumnType) string {
	switch t {
	case Integer:
		return "an integer"
	case Real:
		return "a number"
	case Boolean:
		return "true or false"
	case Date:
		return "a date (YYYY-MM-DD)"
	case DateTime:
		return "a date-time (RFC 3339)"
	}
	return "text"
}

func describeValue(v any) string {
	switch v := v.(type) {
	case int64:
		return fmt.Sprintf("integer %d", v)
	case float64:
		return fmt.Sprintf("number %v", v)
	case bool:
		return fmt.Sprintf("boolean %v", v)
	case string:
		return fmt.Sprintf("text %.40q", v)
	}
	return fmt.Sprintf("%T", v)
}

// GeometryType is the Schema.GeometryType name of g's type.
func GeometryType(g orb.Geometry) ColumnType {
	switch g.(type) {
	case orb.Point:
		return "POINT"
	case orb.LineString:
		return "LINESTRING"
	case orb.Polygon:
		return "POLYGON"
	case orb.MultiPoint:
		return "MULTIPOINT"
	case orb.MultiLineString:
		return "MULTILINESTRING"
	case orb.MultiPolygon:
		return "MULTIPOLYGON"
	case orb.Collection:
		return "GEOMETRYCOLLECTION"
	}
	return "GEOMETRY"
}

// Promote turns a single geometry into its multi form when the layer's
// geometry type is the multi type.
func Promote(g orb.Geometry, geometryType string) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		if geometryType == "MULTIPOINT" {
			return orb.MultiPoint{g}
		}
	case orb.LineString:
		if geometryType == "MULTILINESTRING" {
			return orb.MultiLineString{g}
		}
	case orb.Polygon:
		if geometryType == "MULTIPOLYGON" {
			return orb.MultiPolygon{g}
		}
	}
	return g
}

// NewID makes an id for a feature that comes without one, into a layer
// that keeps ids: a version 7 UUID, ordered by time.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	ms := uint64(time.Now().UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
