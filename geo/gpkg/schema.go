package gpkg

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// reserved columns of every feature table.
const (
	fidColumn  = "fid"
	geomColumn = "geom"
	idColumn   = "id"
)

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func featureWhere(i int, id string) string {
	if id != "" {
		return fmt.Sprintf("feature %d (id %q)", i+1, id)
	}
	return fmt.Sprintf("feature %d", i+1)
}

func checkColumnName(name string, folded map[string]string) error {
	lower := strings.ToLower(name)
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("a property has an empty name")
	case lower == fidColumn || lower == geomColumn:
		return fmt.Errorf("property %q is a reserved column name; rename it", name)
	case len(name) > 255:
		return fmt.Errorf("property name %.20q... is longer than 255 bytes", name)
	}
	if other, ok := folded[lower]; ok {
		return fmt.Errorf("properties %q and %q differ only in case", other, name)
	}
	return nil
}

func kindOf(v any) geo.ColumnType {
	switch v := v.(type) {
	case int64:
		return geo.Integer
	case float64:
		return geo.Real
	case bool:
		return geo.Boolean
	case string:
		if geo.IsDate(v) {
			return geo.Date
		}
		if geo.IsDateTime(v) {
			return geo.DateTime
		}
	}
	return geo.Text
}

func mergeKinds(kinds map[geo.ColumnType]bool) geo.ColumnType {
	switch len(kinds) {
	case 0:
		return geo.Text
	case 1:
		for k := range kinds {
			return k
		}
	case 2:
		switch {
		case kinds[geo.Integer] && kinds[geo.Real]:
			return geo.Real
		case kinds[geo.Date] && kinds[geo.DateTime]:
			return geo.DateTime
		}
	}
	return geo.Text
}

func geometryTypeName(g orb.Geometry) geo.ColumnType {
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

// mergeGeometryTypes names the column type; a single type and its multi
// form are promoted to the multi form (as ogr2ogr -nlt PROMOTE_TO_MULTI), so
// GIS programs see one typed layer instead of a generic one.
func mergeGeometryTypes(seen map[geo.ColumnType]bool) string {
	switch len(seen) {
	case 0:
		return "GEOMETRY"
	case 1:
		for t := range seen {
			return string(t)
		}
	case 2:
		for _, base := range []string{"POINT", "LINESTRING", "POLYGON"} {
			if seen[geo.ColumnType(base)] && seen[geo.ColumnType("MULTI"+base)] {
				return "MULTI" + base
			}
		}
	}
	return "GEOMETRY"
}

// promote turns a single geometry into its multi form when the column
// holds the multi type.
func promote(g orb.Geometry, geometryType string) orb.Geometry {
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

// storedValue converts a property value to what the column keeps.
func storedValue(c geo.Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.Type {
	case geo.Integer:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case geo.Real:
		switch n := v.(type) {
		case float64:
			return n, nil
		case int64:
			return float64(n), nil
		}
	case geo.Boolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case geo.Date:
		if s, ok := v.(string); ok && geo.IsDate(s) {
			return s, nil
		}
	case geo.DateTime:
		if s, ok := v.(string); ok && (geo.IsDateTime(s) || geo.IsDate(s)) {
			return s, nil
		}
	case geo.Text:
		switch s := v.(type) {
		case string:
			return s, nil
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

func describeType(t geo.ColumnType) string {
	switch t {
	case geo.Integer:
		return "an integer"
	case geo.Real:
		return "a number"
	case geo.Boolean:
		return "true or false"
	case geo.Date:
		return "a date (YYYY-MM-DD)"
	case geo.DateTime:
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
