package postgis

import (
	"context"
	"fmt"
	"math"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// GeoJSONFeatures calls fn with each feature Features gives for the
// query, in its order, as the bytes geojson.AppendFeature writes of it
// with the properties of schema (the layer's, or a selection of its
// columns, in their order): the rows' WKB goes straight to coordinates,
// with no geo.Feature, in a buffer fn may use only until it returns.
// Not ST_AsGeoJSON: PostGIS writes numbers its own way, and the two
// stores' pages (and their ETags) must be the same bytes.
func (s *Store) GeoJSONFeatures(ctx context.Context, layer string, q geo.Query, schema geo.Schema, fn func(feature []byte) error) error {
	return s.withTable(ctx, layer, func(t *table, delivered *bool) error {
		cols := make([]column, 0, len(schema.Columns))
		for _, c := range schema.Columns {
			tc, ok := t.column(c.Name)
			if !ok {
				return geo.Invalidf("properties", "%q is not a property of layer %q", c.Name, t.Name)
			}
			cols = append(cols, tc)
		}
		return s.geoJSONRows(ctx, t, q, schema, cols, fn, delivered)
	})
}

func (s *Store) geoJSONRows(ctx context.Context, t *table, q geo.Query, schema geo.Schema, cols []column, fn func([]byte) error, delivered *bool) error {
	where, args, err := t.where(q)
	if err != nil {
		return err
	}
	order, err := t.orderBy(q.SortBy)
	if err != nil {
		return err
	}
	query := `SELECT ` + t.selectOf(cols) + ` FROM ` + quote(t.Name) + ` t` + where + order
	if q.Limit > 0 || q.Offset > 0 {
		var limit any
		if q.Limit > 0 {
			limit = int64(q.Limit)
		}
		query += ` LIMIT ?::int8 OFFSET ?::int8`
		args = append(args, limit, int64(q.Offset))
	}
	rows, err := s.reader.Query(ctx, numbered(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	enc := geojson.NewEncoder(schema)
	values := make([]any, len(cols))
	var buf []byte
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		fid, _ := vals[0].(int64)
		k := 2
		switch {
		case t.idCol != "":
			id, _ := vals[2].(string)
			buf = enc.AppendStart(buf[:0], id)
			k++
		case schema.HasID:
			buf = enc.AppendStart(buf[:0], formatFID(fid))
		default:
			buf = enc.AppendStartFID(buf[:0], fid)
		}
		if buf, err = appendGeometry(buf, vals[1], t.Name, fid); err != nil {
			return err
		}
		for i, c := range cols {
			values[i] = readValue(c.Type, vals[k+i])
		}
		if buf, err = enc.AppendProperties(buf, values); err != nil {
			return err
		}
		*delivered = true
		if err := fn(buf); err != nil {
			return err
		}
	}
	return rows.Err()
}

// appendGeometry writes a row's WKB as scanFID reads it: null for none,
// for an empty geometry and for POINT EMPTY (NaN coordinates).
func appendGeometry(buf []byte, v any, layer string, fid int64) ([]byte, error) {
	b, _ := v.([]byte)
	if b == nil {
		return append(buf, "null"...), nil
	}
	if out, ok := geojson.AppendWKB(buf, b); ok {
		return out, nil
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("layer %q, fid %d: geometry: %w", layer, fid, err)
	}
	if p, ok := g.(orb.Point); geo.IsEmpty(g) || (ok && math.IsNaN(p[0])) {
		g = nil
	}
	return geojson.AppendGeometry(buf, g)
}
