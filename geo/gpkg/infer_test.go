package gpkg

import (
	"fmt"
	"slices"
	"strings"

	"github.com/khorasan/khorasan/geo"
)

// Tests build layers from slices through inferSchema and ReplaceLayer;
// imports infer as they read (geo/ingest's schemaBuilder, whose rules
// these helpers follow).

// inferSchema chooses column types from the values the features hold, the
// way GDAL does for GeoJSON: integers stay integers unless a real appears,
// ISO dates become DATE, mixed kinds fall back to TEXT. Columns follow
// order (the order properties first appear in the source); names missing
// from it come after, sorted.
func inferSchema(features []geo.Feature, order []string) (geo.Schema, error) {
	var s geo.Schema
	kinds := map[string]map[geo.ColumnType]bool{}
	seen := map[geo.ColumnType]bool{}
	ids := map[string]int{}
	withID := 0
	for i, f := range features {
		where := featureWhere(i, f.ID)
		if f.ID != "" {
			if prev, dup := ids[f.ID]; dup {
				return geo.Schema{}, geo.Invalidf(where, "duplicate id %q (also feature %d)", f.ID, prev+1)
			}
			ids[f.ID] = i
			withID++
		}
		if withID > 0 && withID != i+1 {
			return geo.Schema{}, geo.Invalidf(where, "some features have an id and some do not; give every feature a unique id or none")
		}
		if f.Geometry != nil {
			seen[geo.GeometryType(f.Geometry)] = true
		}
		for name, v := range f.Properties {
			k := kinds[name]
			if k == nil {
				k = map[geo.ColumnType]bool{}
				kinds[name] = k
			}
			if v != nil {
				k[kindOf(v)] = true
			}
		}
	}
	names := make([]string, 0, len(kinds))
	placed := map[string]bool{}
	for _, name := range order {
		if _, ok := kinds[name]; ok && !placed[name] {
			names = append(names, name)
			placed[name] = true
		}
	}
	var rest []string
	for name := range kinds {
		if !placed[name] {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	names = append(names, rest...)

	folded := map[string]string{} // SQLite column names ignore case
	for _, name := range names {
		if err := checkColumnName(name, folded); err != nil {
			return geo.Schema{}, geo.Invalidf("properties", "%v", err)
		}
		folded[strings.ToLower(name)] = name
		s.Columns = append(s.Columns, geo.Column{Name: name, Type: mergeKinds(kinds[name])})
	}
	s.HasID = withID > 0
	if s.HasID {
		if other, clash := folded[idColumn]; clash {
			return geo.Schema{}, geo.Invalidf("properties", "property %q clashes with the feature id; rename it", other)
		}
	}
	s.GeometryType = mergeGeometryTypes(seen)
	return s, nil
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

// mergeGeometryTypes promotes a single type and its multi form to the
// multi form, as imports do.
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
