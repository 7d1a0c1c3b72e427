package server

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/params"
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
	for name, vs := range q {
		if len(vs) > 1 {
			return req, &ParamError{Name: name, Reason: "is given more than once"}
		}
	}
	filter, err := params.Filter(q, l, itemsParams, func(name string) *params.Error {
		return &ParamError{Name: name, Reason: "is neither a parameter of this endpoint (" + strings.Join(itemsParams, ", ") +
			") nor a property of " + l.Name + " (" + strings.Join(params.ColumnNames(l.Schema), ", ") + ")"}
	})
	if err != nil {
		return req, err
	}
	req.query.Filter = filter
	if v, ok := params.Single(q, "limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return req, &ParamError{Name: "limit", Reason: "must be a whole number from 1 to " + strconv.Itoa(maxLimit) + ", got " + strconv.Quote(v)}
		}
		req.query.Limit = min(n, maxLimit) // larger asks are clamped, as OGC API - Features allows
	}
	if v, ok := params.Single(q, "offset"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return req, &ParamError{Name: "offset", Reason: "must be a whole number, 0 or more, got " + strconv.Quote(v)}
		}
		req.query.Offset = n
	}
	if v, ok := params.Single(q, "bbox-crs"); ok && v != crs84 {
		return req, &ParamError{Name: "bbox-crs", Reason: "only " + crs84 + " is supported"}
	}
	if v, ok := params.Single(q, "bbox"); ok {
		b, err := params.BBox(v)
		if err != nil {
			return req, err
		}
		req.query.BBox = &b
	}
	if v, ok := params.Single(q, "sortby"); ok {
		keys, err := parseSortBy(v, l.Schema)
		if err != nil {
			return req, err
		}
		req.query.SortBy = keys
	}
	if v, ok := params.Single(q, "properties"); ok {
		props, err := parseProperties(v, l)
		if err != nil {
			return req, err
		}
		req.properties = props
	}
	return req, nil
}

// parseProperties reads the properties to return, in first-seen order.
// A name given twice is kept once: each would be a duplicate JSON key
// in every feature, and a long URL of one name repeated multiplied the
// body. A list longer than the layer's properties is refused, as only
// duplicates could make it so.
func parseProperties(v string, l geo.Layer) ([]string, error) {
	terms := strings.Split(v, ",")
	if len(terms) > len(l.Schema.Columns) {
		return nil, &ParamError{Name: "properties", Reason: "lists " + strconv.Itoa(len(terms)) + " names, and " + l.Name + " has only " +
			strconv.Itoa(len(l.Schema.Columns)) + " properties: " + strings.Join(params.ColumnNames(l.Schema), ", ")}

	}
	props := []string{}
	for _, name := range terms {
		name = strings.TrimSpace(name)
		if name == "" || slices.Contains(props, name) {
			continue
		}
		if _, ok := l.Schema.Column(name); !ok {
			return nil, &ParamError{Name: "properties", Reason: strconv.Quote(name) + " is not a property of " + l.Name + "; properties: " + strings.Join(params.ColumnNames(l.Schema), ", ")}
		}
		props = append(props, name)
	}
	return props, nil
}

// parseSortBy reads "-size,title" (a leading + or - for the direction).
// A key given again is dropped (the first decides the order), and a list
// longer than the keys there are to sort by (id and the properties) is
// refused before SQLite would refuse its ORDER BY.
func parseSortBy(v string, s geo.Schema) ([]geo.SortKey, error) {
	terms := strings.Split(v, ",")
	if len(terms) > len(s.Columns)+1 {
		return nil, &ParamError{Name: "sortby", Reason: "lists " + strconv.Itoa(len(terms)) + " keys; there are only " + strconv.Itoa(len(s.Columns)+1) +
			" to sort by: id, " + strings.Join(params.ColumnNames(s), ", ")}

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
			return nil, &ParamError{Name: "sortby", Reason: strconv.Quote(term) + " is not a property to sort by; use id or one of " + strings.Join(params.ColumnNames(s), ", ")}
		}
		k.Name = term
		if !slices.ContainsFunc(keys, func(o geo.SortKey) bool { return o.Name == term }) {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// allowParams refuses parameters the endpoint does not know, so a typo
// does not silently return everything.
func allowParams(q url.Values, allowed ...string) error {
	for name := range q {
		if !slices.Contains(allowed, name) {
			return &ParamError{Name: name, Reason: "is not a parameter of this endpoint; known: " + strings.Join(allowed, ", ")}
		}
	}
	return nil
}
