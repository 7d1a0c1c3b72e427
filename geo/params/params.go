// Package params reads the query parameters that select features (bbox,
// datetime, property=value) for the items API and figures alike; it
// imports geo and geo/cql2, and each mistake is an *Error naming its parameter.
package params

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/paulmach/orb"
)

// CRS84 is the one coordinate reference system of bbox-crs and filter-crs.
const CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

// Error is a query parameter that cannot be used.
type Error struct {
	Name   string
	Reason string
}

func (e *Error) Error() string { return "parameter " + e.Name + ": " + e.Reason }

// ColumnNames lists the schema's property names.
func ColumnNames(s geo.Schema) []string {
	names := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		names[i] = c.Name
	}
	return names
}

// Literal reads a property filter's value as the column's type.
func Literal(c geo.Column, v string) (cql2.Value, error) {
	switch c.Type {
	case geo.Integer:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, &Error{c.Name, "must be a whole number, got " + strconv.Quote(v)}
		}
		return cql2.Number{Value: float64(n), Int: true}, nil
	case geo.Real:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f != f {
			return nil, &Error{c.Name, "must be a number, got " + strconv.Quote(v)}
		}
		return cql2.Number{Value: f}, nil
	case geo.Boolean:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, &Error{c.Name, "must be true or false, got " + strconv.Quote(v)}
		}
		return cql2.Bool(b), nil
	case geo.Date:
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, &Error{c.Name, "must be a date, YYYY-MM-DD, got " + strconv.Quote(v)}
		}
		return cql2.Date{Time: t}, nil
	case geo.DateTime:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, &Error{c.Name, "must be an RFC 3339 date-time, got " + strconv.Quote(v)}
		}
		return cql2.Timestamp{Time: t}, nil
	}
	return cql2.String(v), nil
}

// Datetime reads an instant or an interval (with ".." or an empty
// side for an open end) and turns it into a temporal filter on the
// layer's date property.
func Datetime(v string, l geo.Layer) (cql2.Expr, error) {
	col, ok := l.DateColumn()
	if !ok {
		return nil, &Error{"datetime", l.Name + " has no date property to filter on"}
	}
	dateOnly := col.Type == geo.Date
	parts := strings.Split(v, "/")
	if len(parts) > 2 {
		return nil, &Error{"datetime", "is an instant or an interval start/end, got " + strconv.Quote(v)}
	}
	iv := cql2.Interval{DateOnly: dateOnly}
	read := func(s string) (time.Time, bool, error) {
		if s == ".." || s == "" {
			return time.Time{}, true, nil
		}
		// GDAL's OAPIF driver (3.6) writes a day as "2021-01-01T".
		if t, err := time.Parse(time.DateOnly, strings.TrimSuffix(s, "T")); err == nil {
			return t, false, nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return t, false, &Error{"datetime", strconv.Quote(s) + " is neither a date (2021-08-26) nor an RFC 3339 date-time (2021-08-26T10:00:00Z)"}
		}
		if dateOnly {
			// The layer keeps days, so an instant selects its day.
			t = t.UTC().Truncate(24 * time.Hour)
		}
		return t, false, nil
	}
	var err error
	if iv.Start, iv.OpenStart, err = read(parts[0]); err != nil {
		return nil, err
	}
	if len(parts) == 1 {
		if iv.OpenStart {
			return nil, &Error{"datetime", "an instant cannot be open (\"..\")"}
		}
		iv.End = iv.Start
	} else if iv.End, iv.OpenEnd, err = read(parts[1]); err != nil {
		return nil, err
	}
	if iv.OpenStart && iv.OpenEnd {
		return nil, nil // everything
	}
	if !iv.OpenStart && !iv.OpenEnd && iv.End.Before(iv.Start) {
		return nil, &Error{"datetime", "the interval ends before it starts"}
	}
	return cql2.Temporal{Op: "T_INTERSECTS", Left: cql2.Property{Name: col.Name}, Right: iv}, nil
}

// Single is the one value of parameter name, if it is given.
func Single(q url.Values, name string) (string, bool) {
	vs, ok := q[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// BBox reads minLon,minLat,maxLon,maxLat (or the 6-number 3D form,
// whose heights are ignored) in WGS 84.
func BBox(v string) (orb.Bound, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return orb.Bound{}, &Error{"bbox", "needs 4 numbers, minLon,minLat,maxLon,maxLat; got " + strconv.Quote(v)}
	}
	nums := make([]float64, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || n != n || n > 1e300 || n < -1e300 {
			return orb.Bound{}, &Error{"bbox", strconv.Quote(p) + " is not a number"}
		}
		nums[i] = n
	}
	if len(nums) == 6 {
		nums = []float64{nums[0], nums[1], nums[3], nums[4]}
	}
	b := orb.Bound{Min: orb.Point{nums[0], nums[1]}, Max: orb.Point{nums[2], nums[3]}}
	switch {
	case b.Min[0] < -180 || b.Max[0] > 180:
		return b, &Error{"bbox", "longitudes must be within -180..180"}
	case b.Min[1] < -90 || b.Max[1] > 90:
		return b, &Error{"bbox", "latitudes must be within -90..90"}
	case b.Min[0] > b.Max[0]:
		return b, &Error{"bbox", "minimum longitude is greater than maximum longitude"}
	case b.Min[1] > b.Max[1]:
		return b, &Error{"bbox", "minimum latitude is greater than maximum latitude"}
	}
	return b, nil
}

// Filter reads the parameters that select features of l into one
// expression (nil: none): name=value for each name that is not in
// others and is a property of l, datetime, and filter with filter-lang
// and filter-crs. unknown words the error for a name that is neither.
// The items API and figures read their filters through it.
func Filter(q url.Values, l geo.Layer, others []string, unknown func(name string) *Error) (cql2.Expr, error) {
	var terms []cql2.Expr
	// Sorted, so the same query gives the same expression (and SQL text).
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if slices.Contains(others, name) || slices.Contains(filterParams, name) {
			continue
		}
		c, ok := l.Schema.Column(name)
		if !ok {
			return nil, unknown(name)
		}
		v, err := Literal(c, q[name][0])
		if err != nil {
			return nil, err
		}
		terms = append(terms, cql2.Compare{Op: "=", Left: cql2.Property{Name: c.Name}, Right: v})
	}
	if v, ok := Single(q, "filter-crs"); ok && v != CRS84 {
		return nil, &Error{Name: "filter-crs", Reason: "only " + CRS84 + " is supported"}
	}
	if v, ok := Single(q, "datetime"); ok {
		t, err := Datetime(v, l)
		if err != nil {
			return nil, err
		}
		if t != nil {
			terms = append(terms, t)
		}
	}
	if v, ok := Single(q, "filter-lang"); ok && v != "cql2-text" {
		return nil, &Error{Name: "filter-lang", Reason: "only cql2-text is supported, got " + strconv.Quote(v)}
	}
	if v, ok := Single(q, "filter"); ok {
		e, err := cql2.Parse(v)
		if err != nil {
			return nil, &Error{Name: "filter", Reason: err.Error()}
		}
		terms = append(terms, e)
	}
	switch len(terms) {
	case 0:
		return nil, nil
	case 1:
		return terms[0], nil
	}
	return cql2.Logical{Op: "AND", Args: terms}, nil
}

// filterParams are the parameters Filter reads besides property names.
var filterParams = []string{"datetime", "filter", "filter-lang", "filter-crs"}
