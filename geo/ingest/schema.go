package ingest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/csv"
)

// schemaBuilder infers column types from values as they stream by.
type schemaBuilder struct {
	kinds map[string]map[geo.ColumnType]bool
	geoms map[geo.ColumnType]bool
}

func newSchemaBuilder() *schemaBuilder {
	return &schemaBuilder{kinds: map[string]map[geo.ColumnType]bool{}, geoms: map[geo.ColumnType]bool{}}
}

func (b *schemaBuilder) observe(name string, v any) {
	k := b.kinds[name]
	if k == nil {
		k = map[geo.ColumnType]bool{}
		b.kinds[name] = k
	}
	if v != nil {
		if c, ok := v.(geo.Cell); ok {
			if c != "" {
				k[csv.CellKind(string(c))] = true
			}
			return
		}
		k[kindOf(v)] = true
	}
}

// columns are the new columns in order (the order properties first
// appeared, then the rest sorted), checked against the names the layer
// already has.
func (b *schemaBuilder) columns(order, have []string) ([]geo.Column, error) {
	folded := map[string]string{}
	for _, h := range have {
		folded[strings.ToLower(h)] = h
	}
	var names []string
	placed := map[string]bool{}
	for _, n := range order {
		if _, ok := b.kinds[n]; ok && !placed[n] {
			names = append(names, n)
			placed[n] = true
		}
	}
	var rest []string
	for n := range b.kinds {
		if !placed[n] {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	names = append(names, rest...)
	var cols []geo.Column
	for _, n := range names {
		if err := checkColumnName(n, folded); err != nil {
			return nil, geo.Invalidf("properties", "%v", err)
		}
		folded[strings.ToLower(n)] = n
		cols = append(cols, geo.Column{Name: n, Type: mergeKinds(b.kinds[n])})
	}
	return cols, nil
}

// checkColumnName refuses a property name a column cannot have: empty,
// a key's, too long, or another's but for case (SQLite's column names
// ignore case).
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

// storeValue converts a property value, typed or read as text, to what
// the column keeps (which is also what reading it back gives).
func storeValue(c geo.Column, v any) (any, error) {
	if t, ok := v.(geo.Cell); ok {
		return csv.CellValue(c, string(t))
	}
	return geo.StoredValue(c, v)
}
