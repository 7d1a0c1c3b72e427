package gpkg

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/mattn/go-sqlite3"
)

// Reading rows. go-sqlite3 turns the values of columns declared DATE,
// DATETIME or TIMESTAMP into time.Time (trying nine layouts in turn, an
// error each, for a plain date) and those declared BOOLEAN into bool; the
// store then formats the times back into text. The select lists read
// those columns as +col, which SQLite returns unchanged but without the
// declared type, and rowValue does what the driver did, with a fast path
// for the dates most layers hold: a page of dates costs no parsing.

// driverConverts says go-sqlite3 converts the values of a column of
// that declared type (lower case, as the driver compares it).
func driverConverts(decl string) bool {
	switch decl {
	case "date", "datetime", "timestamp", "boolean":
		return true
	}
	return false
}

// column is the select list's term for a column, t aliasing the table.
func (t *table) column(name string) string {
	if _, ok := t.raw[name]; ok {
		return `+t.` + quote(name)
	}
	return `t.` + quote(name)
}

// rowValue is the property value of v, read from the column c: what
// readValue makes of what go-sqlite3 would have returned.
func (t *table) rowValue(c geo.Column, v any) any {
	decl, ok := t.raw[c.Name]
	if !ok {
		return readValue(c.Type, v)
	}
	if s, ok := v.(string); ok && decl != "boolean" {
		// A plain date, as the driver's last layout reads it: midnight UTC.
		d := strings.TrimSuffix(s, "Z")
		if geo.IsDate(d) {
			switch {
			case c.Type != geo.Date:
				return d + "T00:00:00Z"
			case len(d) == len(s):
				return v // the same string, not boxed again
			}
			return d
		}
	}
	return readValue(c.Type, driverValue(decl, v))
}

// driverValue is what go-sqlite3 (with no _loc) returns for the value v
// of a column declared decl, a type driverConverts.
func driverValue(decl string, v any) any {
	if decl == "boolean" {
		if n, ok := v.(int64); ok {
			return n > 0
		}
		return v
	}
	switch v := v.(type) {
	case int64:
		// Milliseconds past 13 digits, seconds otherwise.
		if v > 1e12 || v < -1e12 {
			return time.Unix(0, v*int64(time.Millisecond)).UTC()
		}
		return time.Unix(v, 0).UTC()
	case string:
		s := strings.TrimSuffix(v, "Z")
		for _, layout := range sqlite3.SQLiteTimestampFormats {
			if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
				return t
			}
		}
		return time.Time{} // the driver's answer to text it cannot read
	}
	return v
}

// rowReader scans the rows of a select list of the fid, the geometry,
// the id column (when the layer has one) and columns, in that order.
type rowReader struct {
	t       *table
	columns []geo.Column
	fid     any
	geom    sql.RawBytes // valid until the next row
	id      any
	values  []any // columns' values as stored
	dest    []any
}

// selectColumns is the fid, the geometry, the id and columns.
func (t *table) selectColumns(columns []geo.Column) string {
	var b strings.Builder
	b.WriteString(`t.` + quote(t.fidCol) + `, t.` + quote(t.geomCol))
	if t.idCol != "" {
		b.WriteString(`, t.` + quote(t.idCol))
	}
	for _, c := range columns {
		b.WriteString(", " + t.column(c.Name))
	}
	return b.String()
}

func (t *table) newRowReader(columns []geo.Column) *rowReader {
	r := &rowReader{t: t, columns: columns, values: make([]any, len(columns))}
	r.dest = append(r.dest, &r.fid, &r.geom)
	if t.idCol != "" {
		r.dest = append(r.dest, &r.id)
	}
	for i := range r.values {
		r.dest = append(r.dest, &r.values[i])
	}
	return r
}

func (r *rowReader) scan(rows *sql.Rows) error { return rows.Scan(r.dest...) }

// featureID is the feature's id: its id column's, or its fid in decimal.
func (r *rowReader) featureID() string {
	if r.t.idCol == "" {
		fid, _ := r.fid.(int64)
		return strconv.FormatInt(fid, 10)
	}
	if s, ok := r.id.(string); ok {
		return s
	}
	return fmt.Sprint(r.id)
}

// feature is the row as a geo.Feature.
func (r *rowReader) feature() (geo.Feature, error) {
	f := geo.Feature{ID: r.featureID(), Properties: make(map[string]any, len(r.columns))}
	g, err := decodeGeometry(r.geom)
	if err != nil {
		return geo.Feature{}, fmt.Errorf("layer %q, fid %v: %w", r.t.Name, r.fid, err)
	}
	f.Geometry = g
	for i, c := range r.columns {
		f.Properties[c.Name] = r.t.rowValue(c, r.values[i])
	}
	return f, nil
}

// appendGeoJSON appends the row as a GeoJSON Feature, the bytes
// geojson.AppendFeature writes of feature(), without making it: the
// geometry goes from WKB to text, the values from the row to text.
func (r *rowReader) appendGeoJSON(buf []byte, enc *geojson.Encoder) ([]byte, error) {
	if fid, ok := r.fid.(int64); ok && r.t.idCol == "" {
		buf = enc.AppendStartFID(buf, fid)
	} else {
		buf = enc.AppendStart(buf, r.featureID())
	}
	var err error
	if buf, err = r.appendGeometry(buf); err != nil {
		return nil, err
	}
	for i, c := range r.columns {
		r.values[i] = r.t.rowValue(c, r.values[i])
	}
	return enc.AppendProperties(buf, r.values)
}

func (r *rowReader) appendGeometry(buf []byte) ([]byte, error) {
	if r.geom != nil {
		if h, err := parseHeader(r.geom); err == nil && !h.empty {
			if out, ok := geojson.AppendWKB(buf, h.wkb); ok {
				return out, nil
			}
		}
	}
	// NULL, empty, or what AppendWKB leaves to orb.
	g, err := decodeGeometry(r.geom)
	if err != nil {
		return nil, fmt.Errorf("layer %q, fid %v: %w", r.t.Name, r.fid, err)
	}
	return geojson.AppendGeometry(buf, g)
}

// GeoJSONFeatures calls fn with each feature the query selects, in the
// order of Features, as a GeoJSON Feature object: the bytes
// geojson.AppendFeature writes of what Features gives, with the
// properties of schema (the layer's, or a selection of its columns, in
// their order). It makes no geo.Feature: rows go straight to text, in a
// buffer fn may use only until it returns.
func (s *Store) GeoJSONFeatures(ctx context.Context, layer string, q geo.Query, schema geo.Schema, fn func(feature []byte) error) error {
	return s.withTable(ctx, layer, func(t *table) error {
		columns := make([]geo.Column, 0, len(schema.Columns))
		for _, c := range schema.Columns {
			tc, ok := t.Schema.Column(c.Name)
			if !ok {
				return geo.Invalidf("properties", "%q is not a property of layer %q", c.Name, t.Name)
			}
			columns = append(columns, tc)
		}
		enc := geojson.NewEncoder(schema)
		var buf []byte
		return s.scanRows(ctx, t, q, columns, func(r *rowReader) error {
			var err error
			if buf, err = r.appendGeoJSON(buf[:0], enc); err != nil {
				return err
			}
			return fn(buf)
		})
	})
}
