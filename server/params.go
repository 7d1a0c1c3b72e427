package server

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/paulmach/orb"
)

const (
	defaultLimit = 100
	maxLimit     = 10000
)

// itemsParams are the parameters of the items endpoint besides property
// filters, which take any queryable's name.
var itemsParams = []string{"f", "bbox", "bbox-crs", "limit", "offset", "datetime", "filter", "filter-lang", "filter-crs", "sortby", "properties"}

// itemsRequest is a parsed items query.
type itemsRequest struct {
	query geo.Query
	// properties to return; nil means all.
	properties []string
}

// parseItems turns the items parameters into a store query, checking each
// against the layer so that every mistake is a 400 that names it.
func parseItems(q url.Values, l geo.Layer) (itemsRequest, error) {
	req := itemsRequest{query: geo.Query{Limit: defaultLimit}}
	var terms []cql2.Expr
	for name, vs := range q {
		if len(vs) > 1 {
			return req, &ParamError{name, "is given more than once"}
		}
		if slices.Contains(itemsParams, name) {
			continue
		}
		c, ok := l.Schema.Column(name)
		if !ok {
			return req, &ParamError{name, "is neither a parameter of this endpoint (" + strings.Join(itemsParams, ", ") +
				") nor a property of " + l.Name + " (" + strings.Join(columnNames(l.Schema), ", ") + ")"}
		}
		v, err := literal(c, vs[0])
		if err != nil {
			return req, err
		}
		terms = append(terms, cql2.Compare{Op: "=", Left: cql2.Property{Name: c.Name}, Right: v})
	}
	if v, ok := single(q, "limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return req, &ParamError{"limit", "must be a whole number from 1 to " + strconv.Itoa(maxLimit) + ", got " + strconv.Quote(v)}
		}
		req.query.Limit = min(n, maxLimit) // larger asks are clamped, as OGC API - Features allows
	}
	if v, ok := single(q, "offset"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return req, &ParamError{"offset", "must be a whole number, 0 or more, got " + strconv.Quote(v)}
		}
		req.query.Offset = n
	}
	for _, p := range []string{"bbox-crs", "filter-crs"} {
		if v, ok := single(q, p); ok && v != crs84 {
			return req, &ParamError{p, "only " + crs84 + " is supported"}
		}
	}
	if v, ok := single(q, "bbox"); ok {
		b, err := parseBBox(v)
		if err != nil {
			return req, err
		}
		req.query.BBox = &b
	}
	if v, ok := single(q, "datetime"); ok {
		t, err := parseDatetime(v, l)
		if err != nil {
			return req, err
		}
		if t != nil {
			terms = append(terms, t)
		}
	}
	if v, ok := single(q, "filter-lang"); ok && v != "cql2-text" {
		return req, &ParamError{"filter-lang", "only cql2-text is supported, got " + strconv.Quote(v)}
	}
	if v, ok := single(q, "filter"); ok {
		e, err := cql2.Parse(v)
		if err != nil {
			return req, &ParamError{"filter", err.Error()}
		}
		terms = append(terms, e)
	}
	if v, ok := single(q, "sortby"); ok {
		keys, err := parseSortBy(v, l.Schema)
		if err != nil {
			return req, err
		}
		req.query.SortBy = keys
	}
	if v, ok := single(q, "properties"); ok {
		props, err := parseProperties(v, l)
		if err != nil {
			return req, err
		}
		req.properties = props
	}
	switch len(terms) {
	case 0:
	case 1:
		req.query.Filter = terms[0]
	default:
		// Map order is random; sort for a stable SQL text.
		req.query.Filter = cql2.Logical{Op: "AND", Args: terms}
	}
	return req, nil
}

func columnNames(s geo.Schema) []string {
	names := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		names[i] = c.Name
	}
	return names
}

// literal reads a property filter's value as the column's type.
func literal(c geo.Column, v string) (cql2.Value, error) {
	switch c.Type {
	case geo.Integer:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, &ParamError{c.Name, "must be a whole number, got " + strconv.Quote(v)}
		}
		return cql2.Number{Value: float64(n), Int: true}, nil
	case geo.Real:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f != f {
			return nil, &ParamError{c.Name, "must be a number, got " + strconv.Quote(v)}
		}
		return cql2.Number{Value: f}, nil
	case geo.Boolean:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, &ParamError{c.Name, "must be true or false, got " + strconv.Quote(v)}
		}
		return cql2.Bool(b), nil
	case geo.Date:
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, &ParamError{c.Name, "must be a date, YYYY-MM-DD, got " + strconv.Quote(v)}
		}
		return cql2.Date{Time: t}, nil
	case geo.DateTime:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, &ParamError{c.Name, "must be an RFC 3339 date-time, got " + strconv.Quote(v)}
		}
		return cql2.Timestamp{Time: t}, nil
	}
	return cql2.String(v), nil
}

// parseDatetime reads an instant or an interval (with ".." or an empty
// side for an open end) and turns it into a temporal filter on the
// layer's date property.
func parseDatetime(v string, l geo.Layer) (cql2.Expr, error) {
	col, ok := l.DateColumn()
	if !ok {
		return nil, &ParamError{"datetime", l.Name + " has no date property to filter on"}
	}
	dateOnly := col.Type == geo.Date
	parts := strings.Split(v, "/")
	if len(parts) > 2 {
		return nil, &ParamError{"datetime", "is an instant or an interval start/end, got " + strconv.Quote(v)}
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
			return t, false, &ParamError{"datetime", strconv.Quote(s) + " is neither a date (2021-08-26) nor an RFC 3339 date-time (2021-08-26T10:00:00Z)"}
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
			return nil, &ParamError{"datetime", "an instant cannot be open (\"..\")"}
		}
		iv.End = iv.Start
	} else if iv.End, iv.OpenEnd, err = read(parts[1]); err != nil {
		return nil, err
	}
	if iv.OpenStart && iv.OpenEnd {
		return nil, nil // everything
	}
	if !iv.OpenStart && !iv.OpenEnd && iv.End.Before(iv.Start) {
		return nil, &ParamError{"datetime", "the interval ends before it starts"}
	}
	return cql2.Temporal{Op: "T_INTERSECTS", Left: cql2.Property{Name: col.Name}, Right: iv}, nil
}

// parseProperties reads the properties to return, in first-seen order.
// A name given twice is kept once: each would be a duplicate JSON key
// in every feature, and a long URL of one name repeated multiplied the
// body. A list longer than the layer's properties is refused, as only
// duplicates could make it so.
func parseProperties(v string, l geo.Layer) ([]string, error) {
	terms := strings.Split(v, ",")
	if len(terms) > len(l.Schema.Columns) {
		return nil, &ParamError{"properties", "lists " + strconv.Itoa(len(terms)) + " names, and " + l.Name + " has only " +
			strconv.Itoa(len(l.Schema.Columns)) + " properties: " + strings.Join(columnNames(l.Schema), ", ")}
	}
	props := []string{}
	for _, name := range terms {
		name = strings.TrimSpace(name)
		if name == "" || slices.Contains(props, name) {
			continue
		}
		if _, ok := l.Schema.Column(name); !ok {
			return nil, &ParamError{"properties", strconv.Quote(name) + " is not a property of " + l.Name + "; properties: " + strings.Join(columnNames(l.Schema), ", ")}
		}
		props = append(props, name)
	}
	return props, nil
}

// parseSortBy reads "-killed,date" (a leading + or - for the direction).
// A key given again is dropped (the first decides the order), and a list
// longer than the keys there are to sort by (id and the properties) is
// refused before SQLite would refuse its ORDER BY.
func parseSortBy(v string, s geo.Schema) ([]geo.SortKey, error) {
	terms := strings.Split(v, ",")
	if len(terms) > len(s.Columns)+1 {
		return nil, &ParamError{"sortby", "lists " + strconv.Itoa(len(terms)) + " keys; there are only " + strconv.Itoa(len(s.Columns)+1) +
			" to sort by: id, " + strings.Join(columnNames(s), ", ")}
	}
	var keys []geo.SortKey
	for _, term := range terms {
		term = strings.TrimSpace(term)
		k := geo.SortKey{}
		switch {
		case strings.HasPrefix(term, "-"):
			k.Desc, term = true, term[1:]
		case strings.HasPrefix(term, "+"):
			term = term[1:]
		}
		if _, ok := s.Column(term); !ok && term != "id" {
			return nil, &ParamError{"sortby", strconv.Quote(term) + " is not a property to sort by; use id or one of " + strings.Join(columnNames(s), ", ")}
		}
		k.Name = term
		if !slices.ContainsFunc(keys, func(o geo.SortKey) bool { return o.Name == term }) {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

func single(q url.Values, name string) (string, bool) {
	vs, ok := q[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// allowParams refuses parameters the endpoint does not know, so a typo
// does not silently return everything.
func allowParams(q url.Values, allowed ...string) error {
	for name := range q {
		if !slices.Contains(allowed, name) {
			return &ParamError{name, "is not a parameter of this endpoint; known: " + strings.Join(allowed, ", ")}
		}
	}
	return nil
}

// parseBBox reads minLon,minLat,maxLon,maxLat (or the 6-number 3D form,
// whose heights are ignored) in WGS 84.
func parseBBox(v string) (orb.Bound, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return orb.Bound{}, &ParamError{"bbox", "needs 4 numbers, minLon,minLat,maxLon,maxLat; got " + strconv.Quote(v)}
	}
	nums := make([]float64, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || n != n || n > 1e300 || n < -1e300 {
			return orb.Bound{}, &ParamError{"bbox", strconv.Quote(p) + " is not a number"}
		}
		nums[i] = n
	}
	if len(nums) == 6 {
		nums = []float64{nums[0], nums[1], nums[3], nums[4]}
	}
	b := orb.Bound{Min: orb.Point{nums[0], nums[1]}, Max: orb.Point{nums[2], nums[3]}}
	switch {
	case b.Min[0] < -180 || b.Max[0] > 180:
		return b, &ParamError{"bbox", "longitudes must be within -180..180"}
	case b.Min[1] < -90 || b.Max[1] > 90:
		return b, &ParamError{"bbox", "latitudes must be within -90..90"}
	case b.Min[0] > b.Max[0]:
		return b, &ParamError{"bbox", "minimum longitude is greater than maximum longitude"}
	case b.Min[1] > b.Max[1]:
		return b, &ParamError{"bbox", "minimum latitude is greater than maximum latitude"}
	}
	return b, nil
}
