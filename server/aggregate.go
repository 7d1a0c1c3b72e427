package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/aggregate"
	"github.com/khorasan/khorasan/geo/params"
	"github.com/paulmach/orb/geojson"
)

// aggregateParams are the parameters of the aggregate endpoint besides
// property filters: the grouping, and the filters of items.
var aggregateParams = []string{"f", "by", "size", "bbox", "bbox-crs", "datetime", "filter", "filter-lang", "filter-crs"}

// aggregateBy are the groupings, as by names them.
var aggregateBy = []string{"country", "hex", "month"}

// aggregateRequest is a parsed aggregate query.
type aggregateRequest struct {
	by    string
	size  float64 // km, for by=hex
	query geo.Query
}

// parseAggregate reads the aggregate parameters, checking each against
// the layer so that every mistake is a 400 that names it. The filters
// are those of items, read by the same functions.
func parseAggregate(q url.Values, l geo.Layer) (aggregateRequest, error) {
	var req aggregateRequest
	for name, vs := range q {
		if len(vs) > 1 {
			return req, &ParamError{Name: name, Reason: "is given more than once"}
		}
	}
	by, ok := params.Single(q, "by")
	switch {
	case !ok:
		return req, &ParamError{Name: "by", Reason: "is required: country, hex (with size) or month"}
	case by == "month" && l.Profile.Time == "":
		return req, &ParamError{Name: "by", Reason: "month needs the layer's time property, and the profile of " + l.Name + " names none"}
	case by == "month":
		if _, ok := l.Schema.Column(l.Profile.Time); !ok {
			return req, &ParamError{Name: "by", Reason: "month needs the layer's time property " + strconv.Quote(l.Profile.Time) + ", which " + l.Name + " does not have"}
		}
	case by != "country" && by != "hex":
		return req, &ParamError{Name: "by", Reason: "must be one of " + strings.Join(aggregateBy, ", ") + ", got " + strconv.Quote(by)}
	}
	req.by = by
	size, hasSize := params.Single(q, "size")
	switch {
	case by == "hex" && !hasSize:
		return req, &ParamError{Name: "size", Reason: "is required with by=hex: the hexagons' width in km, from " + strconv.Itoa(aggregate.MinHexKM) + " to " + strconv.Itoa(aggregate.MaxHexKM)}
	case by != "hex" && hasSize:
		return req, &ParamError{Name: "size", Reason: "is the hexagons' width: only by=hex takes it"}
	case hasSize:
		km, err := strconv.ParseFloat(strings.TrimSpace(size), 64)
		if err != nil || !(km >= aggregate.MinHexKM && km <= aggregate.MaxHexKM) {
			return req, &ParamError{Name: "size", Reason: "must be a number of km from " + strconv.Itoa(aggregate.MinHexKM) + " to " + strconv.Itoa(aggregate.MaxHexKM) + ", got " + strconv.Quote(size)}
		}
		req.size = km
	}
	filter, err := params.Filter(q, l, aggregateParams, func(name string) *params.Error {
		return &ParamError{Name: name, Reason: "is neither a parameter of this endpoint (" + strings.Join(aggregateParams, ", ") +
			") nor a property of " + l.Name + " (" + strings.Join(params.ColumnNames(l.Schema), ", ") + ")"}
	})
	if err != nil {
		return req, err
	}
	req.query.Filter = filter
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
	return req, nil
}

// aggregates serves the counts per group (geo/aggregate), keeping the
// borders layer in memory for by=country.
type aggregates struct {
	s *Server
	// countries is the borders layer in memory, shared with /render's
	// country choropleths.
	countries aggregate.CountriesCache
}

func (s *Server) newAggregates() *aggregates { return &aggregates{s: s} }

// borders returns the dataset's borders layer in memory, loading it
// again when its version moved on.
func (a *aggregates) borders(ctx context.Context) (*aggregate.Countries, string, error) {
	name := a.s.basemapLayers().Borders
	if name == "" {
		return nil, "", &ParamError{Name: "by", Reason: "country needs a borders layer, and this server's dataset names none"}
	}
	l, err := a.s.store.Layer(ctx, name)
	if errors.Is(err, geo.ErrNotFound) {
		return nil, "", &ParamError{Name: "by", Reason: "country needs the borders layer " + strconv.Quote(name) + ", which is not in the database"}
	}
	if err != nil {
		return nil, "", err
	}
	return a.countries.Get(ctx, a.s.store, l)
}

// aggregate answers GET /api/collections/{id}/aggregate: the features
// the items filters select, counted per country, hexagon cell or month,
// as a GeoJSON FeatureCollection of one feature per group (see
// docs/API.md). The work is one pass over the selected features, a
// heavy request (heavy.go) on a layer of more than heavyRows; what it
// holds is the groups, at most aggregate.MaxGroups.
func (a *aggregates) aggregate(w http.ResponseWriter, r *http.Request, name string) error {
	s, ctx := a.s, r.Context()
	l, err := s.store.Layer(ctx, name)
	if err != nil {
		return err
	}
	req, err := parseAggregate(r.URL.Query(), l)
	if err != nil {
		return err
	}
	if _, err := negotiate(r, formatJSON); err != nil {
		return err
	}
	var g aggregate.Grouping
	var bordersVersion string
	switch req.by {
	case "country":
		var c *aggregate.Countries
		if c, bordersVersion, err = a.borders(ctx); err != nil {
			return err
		}
		g = aggregate.Country(c)
	case "hex":
		if g, err = aggregate.Hex(req.size); err != nil {
			return &ParamError{Name: "size", Reason: err.Error()}
		}
	default:
		g = aggregate.Month(l.Profile.Time)
	}
	key := strings.Join([]string{"aggregate", bordersVersion, l.Name, l.Changed, strconv.FormatInt(l.Count, 10), s.baseURL(r), r.URL.Query().Encode()}, "\x00")
	if e, ok := s.responses.Get(key); ok {
		return writeCached(w, r, e)
	}
	if l.Count > heavyRows {
		heavyCtx, release, err := s.heavy.acquire(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return s.heavy.busy(err)
		}
		defer release()
		if e, ok := s.responses.Get(key); ok {
			return writeCached(w, r, e)
		}
		res, err := aggregate.Run(heavyCtx, s.store, l, req.query, g)
		if err != nil && heavyCtx.Err() != nil && ctx.Err() == nil {
			return s.heavy.busy(heavyCtx.Err()) // the pool's deadline, not the client's
		}
		return a.write(w, r, key, l, req, res, err)
	}
	res, err := aggregate.Run(ctx, s.store, l, req.query, g)
	return a.write(w, r, key, l, req, res, err)
}

// aggregateDoc is the answer: a GeoJSON FeatureCollection whose foreign
// members say what was counted.
type aggregateDoc struct {
	Type      string   `json:"type"`
	Layer     string   `json:"layer"`
	By        string   `json:"by"`
	Size      float64  `json:"size,omitempty"`
	Magnitude string   `json:"magnitude,omitempty"`
	Count     int64    `json:"count"`
	Sum       *float64 `json:"magnitude_sum,omitempty"`
	Summed    *int64   `json:"magnitude_count,omitempty"`
	// NumberReturned is the number of groups.
	NumberReturned int            `json:"numberReturned"`
	TimeStamp      string         `json:"timeStamp"`
	Links          []link         `json:"links"`
	Features       []aggregateRow `json:"features"`
}

type aggregateRow struct {
	Type       string            `json:"type"`
	ID         string            `json:"id,omitempty"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties map[string]any    `json:"properties"`
}

func (a *aggregates) write(w http.ResponseWriter, r *http.Request, key string, l geo.Layer, req aggregateRequest, res *aggregate.Result, err error) error {
	var many *aggregate.TooManyGroupsError
	switch {
	case errors.As(err, &many) && req.by == "hex":
		return &ParamError{Name: "size", Reason: err.Error() + "; use a larger size, a bbox or a filter"}
	case errors.As(err, &many):
		return &ParamError{Name: "by", Reason: err.Error() + "; use a bbox or a filter"}
	case err != nil:
		return err
	}
	doc := aggregateDoc{Type: "FeatureCollection", Layer: l.Name, By: res.By, Size: req.size, Magnitude: res.Magnitude,
		Count: res.Count, NumberReturned: len(res.Groups), TimeStamp: timeStamp(l.Changed), Features: []aggregateRow{}}
	if res.Magnitude != "" {
		doc.Summed = &res.Summed
		if res.Summed > 0 {
			doc.Sum = &res.Sum
		}
	}
	for _, gr := range res.Groups {
		row := aggregateRow{Type: "Feature", ID: gr.ID, Properties: gr.Properties}
		if gr.Geometry != nil {
			row.Geometry = geojson.NewGeometry(gr.Geometry)
		}
		row.Properties["count"] = gr.Count
		if res.Magnitude != "" {
			row.Properties["magnitude_count"] = gr.Summed
			row.Properties["magnitude_sum"] = nil // a sum of no magnitudes is unknown, not 0
			if gr.Summed > 0 {
				row.Properties["magnitude_sum"] = gr.Sum
			}
		}
		doc.Features = append(doc.Features, row)
	}
	base := a.s.baseURL(r) + "/api/collections/" + url.PathEscape(l.Name)
	self := r.URL.Query()
	self.Set("f", formatJSON)
	items := r.URL.Query()
	items.Del("by")
	items.Del("size")
	items.Set("f", formatJSON)
	doc.Links = []link{
		{Href: base + "/aggregate?" + self.Encode(), Rel: "self", Type: geoJSONType, Title: "these counts"},
		{Href: base + "?f=json", Rel: "collection", Type: "application/json", Title: l.Title},
		{Href: base + "/items?" + items.Encode(), Rel: "items", Type: geoJSONType, Title: "the features counted, page by page"},
	}
	body, err := marshal(doc)
	if err != nil {
		return err
	}
	rec := newResponseRecorder(w, len(body)+1, nil) // held whole: it never streams
	rec.Header().Set("Content-Type", geoJSONType)
	cacheFor(rec, 60)
	rec.Write(append(body, '\n'))
	e := rec.entry(a.s.gzip, acceptsGzip(r.Header.Get("Accept-Encoding")))
	a.s.responses.Set(key, e)
	return writeCached(w, r, e)
}
