package figure

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/aggregate"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/khorasan/khorasan/geo/params"
	"github.com/khorasan/khorasan/tiles/basemap"
	"github.com/paulmach/orb"
)

// Defaults and bounds of Parse.
const (
	defaultWidth  = 1200
	defaultHeight = 800
	maxLayers     = 16
)

// Catalog is what Parse reads: the layers there are (a *gpkg.Store, or
// server's Store).
type Catalog interface {
	Layers(ctx context.Context) ([]geo.Layer, error)
}

// Params are the parameters of /render (and the flags of khorasan
// render) besides property filters, which take any property's name.
var Params = []string{"bbox", "center", "zoom", "width", "height", "scale", "layers", "events", "data", "title", "legend", "inset", "lang", "format",
	"choropleth", "size", "measure", "datetime", "filter", "filter-lang", "filter-crs"}

// Parse reads the /render parameters into a figure, checking each
// against the catalog so that every mistake is a *params.Error naming it.
//
// The view is bbox=minLon,minLat,maxLon,maxLat, or center=lon,lat with
// zoom, or neither (fit the selected features). layers defaults to every
// layer. The filters (datetime, property=value, a CQL2 filter) apply to
// each selected layer that has the properties they name, and leave the
// others whole; a filter that no selected layer can take is refused.
//
// events=ID,ID names the events layers drawn, as the page's link does
// (the other layers are layers='s); data=ID the one the figure is about
// (first in the legend, and counted by the choropleth), drawn whatever
// events says. choropleth=country|hex (hex with size=KM) fills countries
// or hexagon cells by the counts of that layer, measure=count (default)
// or magnitude.
func Parse(ctx context.Context, store Catalog, q url.Values) (Figure, error) {
	f := Figure{Width: defaultWidth, Height: defaultHeight, Scale: 1, Legend: true, Format: FormatPNG}
	for name, vs := range q {
		if strings.TrimSpace(name) == "" {
			return f, &params.Error{Name: "query", Reason: "a parameter has no name (\"=value\")"}
		}
		if len(vs) > 1 {
			return f, &params.Error{Name: name, Reason: "is given more than once"}
		}
	}
	if err := parseOutput(q, &f); err != nil {
		return f, err
	}
	if err := parseView(q, &f); err != nil {
		return f, err
	}
	if err := f.Check(); err != nil {
		var ie *geo.InvalidError
		if errors.As(err, &ie) {
			return f, &params.Error{Name: ie.Where, Reason: ie.Msg}
		}
		return f, err
	}
	all, err := store.Layers(ctx)
	if err != nil {
		return f, err
	}
	layers, err := selectLayers(q, all)
	if err != nil {
		return f, err
	}
	if layers, err = selectEvents(q, all, layers, &f); err != nil {
		return f, err
	}
	if err := parseChoropleth(q, layers, &f); err != nil {
		return f, err
	}
	filters, err := layerFilters(q, layers)
	if err != nil {
		return f, err
	}
	for i, l := range layers {
		f.Layers = append(f.Layers, Layer{Layer: l, Filter: filters[i]})
	}
	return f, nil
}

// parseOutput reads what the figure is drawn as: width, height, scale,
// format, legend, inset, title and lang.
func parseOutput(q url.Values, f *Figure) error {
	if err := pixelsParam(q, "width", &f.Width, MaxSide); err != nil {
		return err
	}
	if err := pixelsParam(q, "height", &f.Height, MaxSide); err != nil {
		return err
	}
	if v, ok := params.Single(q, "scale"); ok {
		s, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(s >= 1 && s <= MaxScale) {
			return &params.Error{Name: "scale", Reason: fmt.Sprintf("must be a number from 1 to %d (2 for print), got %q", MaxScale, v)}
		}
		f.Scale = s
	}
	if v, ok := params.Single(q, "format"); ok {
		f.Format = strings.ToLower(strings.TrimSpace(v))
		if f.Format != FormatPNG && f.Format != FormatSVG && f.Format != FormatPDF {
			return &params.Error{Name: "format", Reason: fmt.Sprintf("must be png, svg or pdf, got %q", v)}
		}
	}
	if v, ok := params.Single(q, "legend"); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return &params.Error{Name: "legend", Reason: fmt.Sprintf("must be true or false, got %q", v)}
		}
		f.Legend = b
	}
	if v, ok := params.Single(q, "inset"); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return &params.Error{Name: "inset", Reason: fmt.Sprintf("must be true or false (default: true when width and height are %d or more), got %q", InsetMinSide, v)}
		}
		f.Inset = InsetOff
		if b {
			f.Inset = InsetOn
		}
	}
	if v, ok := params.Single(q, "title"); ok {
		f.Title = strings.TrimSpace(v)
	}
	if v, ok := params.Single(q, "lang"); ok {
		l, known := basemap.Lang(v)
		if !known || l != v {
			return &params.Error{Name: "lang", Reason: fmt.Sprintf("must be one of %s (the basemap's label language), got %q", strings.Join(basemap.Languages, ", "), v)}
		}
		f.Lang = l
	}
	return nil
}

// pixelsParam reads a whole number of pixels from 1 to max into dst, if
// the parameter is given.
func pixelsParam(q url.Values, name string, dst *int, max int) error {
	v, ok := params.Single(q, name)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > max {
		return &params.Error{Name: name, Reason: fmt.Sprintf("must be a whole number of pixels from 1 to %d, got %q", max, v)}
	}
	*dst = n
	return nil
}

// parseView reads the view: bbox, or center with zoom, or neither.
func parseView(q url.Values, f *Figure) error {
	bbox, hasBBox := params.Single(q, "bbox")
	center, hasCenter := params.Single(q, "center")
	zoom, hasZoom := params.Single(q, "zoom")
	switch {
	case hasBBox && (hasCenter || hasZoom):
		return &params.Error{Name: "bbox", Reason: "give bbox, or center with zoom, not both"}
	case hasCenter != hasZoom:
		if hasCenter {
			return &params.Error{Name: "zoom", Reason: "center needs a zoom (0 to " + strconv.Itoa(MaxZoom) + ")"}
		}
		return &params.Error{Name: "center", Reason: "zoom needs a center=lon,lat"}
	case hasBBox:
		b, err := params.BBox(bbox)
		if err != nil {
			return err
		}
		f.Bound = &b
	case hasCenter:
		c, err := parseCenter(center)
		if err != nil {
			return err
		}
		f.Center = &c
		z, err := strconv.ParseFloat(strings.TrimSpace(zoom), 64)
		if err != nil {
			return &params.Error{Name: "zoom", Reason: fmt.Sprintf("must be a number from 0 to %d, got %q", MaxZoom, zoom)}
		}
		f.Zoom = z
	}
	return nil
}

// parseCenter reads center=lon,lat; Figure.Check checks its range.
func parseCenter(center string) (orb.Point, error) {
	parts := strings.Split(center, ",")
	if len(parts) != 2 {
		return orb.Point{}, &params.Error{Name: "center", Reason: "needs two numbers, lon,lat; got " + strconv.Quote(center)}
	}
	var c orb.Point
	for i, p := range parts {
		n, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return orb.Point{}, &params.Error{Name: "center", Reason: strconv.Quote(p) + " is not a number"}
		}
		c[i] = n
	}
	return c, nil
}

// selectLayers is the layers named by layers=, in their order and each
// once, or every layer.
func selectLayers(q url.Values, all []geo.Layer) ([]geo.Layer, error) {
	v, ok := params.Single(q, "layers")
	if !ok {
		return all, nil
	}
	var layers []geo.Layer
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, &params.Error{Name: "layers", Reason: "an empty layer name in " + strconv.Quote(v)}
		}
		i := slices.IndexFunc(all, func(l geo.Layer) bool { return l.Name == name })
		if i < 0 {
			return nil, &params.Error{Name: "layers", Reason: fmt.Sprintf("there is no layer %q; layers: %s", name, strings.Join(layerNames(all), ", "))}
		}
		if !slices.ContainsFunc(layers, func(l geo.Layer) bool { return l.Name == name }) {
			layers = append(layers, all[i])
		}
	}
	if len(layers) > maxLayers {
		return nil, &params.Error{Name: "layers", Reason: fmt.Sprintf("at most %d layers in one figure, got %d", maxLayers, len(layers))}
	}
	return layers, nil
}

// selectEvents applies events= and data= to the layers layers= chose:
// the events layers drawn become those events names (in the store's
// order), with data's among them.
func selectEvents(q url.Values, all, layers []geo.Layer, f *Figure) ([]geo.Layer, error) {
	isEvents := func(l geo.Layer) bool { return layerKind(l) == geo.KindEvents }
	var eventNames []string
	for _, l := range all {
		if isEvents(l) {
			eventNames = append(eventNames, l.Name)
		}
	}
	find := func(param, name string) (geo.Layer, error) {
		i := slices.IndexFunc(all, func(l geo.Layer) bool { return l.Name == name })
		switch {
		case name == "":
			return geo.Layer{}, &params.Error{Name: param, Reason: "an empty layer name"}
		case i < 0:
			return geo.Layer{}, &params.Error{Name: param, Reason: fmt.Sprintf("there is no layer %q; events layers: %s", name, strings.Join(eventNames, ", "))}
		case !isEvents(all[i]):
			return geo.Layer{}, &params.Error{Name: param, Reason: fmt.Sprintf("%q is a %s layer, not an events layer; events layers: %s", name, layerKind(all[i]), strings.Join(eventNames, ", "))}
		}
		return all[i], nil
	}
	data, hasData := params.Single(q, "data")
	if hasData {
		data = strings.TrimSpace(data)
		if _, err := find("data", data); err != nil {
			return nil, err
		}
		f.Data = data
	}
	v, hasEvents := params.Single(q, "events")
	if !hasEvents && !hasData {
		return layers, nil
	}
	want := map[string]bool{}
	if hasEvents {
		for _, name := range strings.Split(v, ",") {
			l, err := find("events", strings.TrimSpace(name))
			if err != nil {
				return nil, err
			}
			want[l.Name] = true
		}
	} else {
		for _, l := range layers {
			want[l.Name] = isEvents(l)
		}
	}
	if hasData {
		want[data] = true
	}
	// layers= keeps its order for the other layers; events layers come
	// in the store's order, as the page's picker lists them.
	var out []geo.Layer
	for _, l := range layers {
		if !isEvents(l) {
			out = append(out, l)
		}
	}
	for _, l := range all {
		if isEvents(l) && want[l.Name] {
			out = append(out, l)
		}
	}
	if len(out) > maxLayers {
		return nil, &params.Error{Name: "events", Reason: fmt.Sprintf("at most %d layers in one figure, got %d", maxLayers, len(out))}
	}
	return out, nil
}

// parseChoropleth reads choropleth, size and measure, and picks the
// layer counted: data's, else the first events layer drawn.
func parseChoropleth(q url.Values, layers []geo.Layer, f *Figure) error {
	by, ok := params.Single(q, "choropleth")
	size, hasSize := params.Single(q, "size")
	measure, hasMeasure := params.Single(q, "measure")
	if !ok {
		switch {
		case hasSize:
			return &params.Error{Name: "size", Reason: "is the hexagons' width: only choropleth=hex takes it"}
		case hasMeasure:
			return &params.Error{Name: "measure", Reason: "says what a choropleth fills by: it needs choropleth=country or choropleth=hex"}
		}
		return nil
	}
	ch := &Choropleth{By: strings.TrimSpace(by), Measure: MeasureCount}
	if ch.By != ByCountry && ch.By != ByHex {
		return &params.Error{Name: "choropleth", Reason: fmt.Sprintf("must be country or hex (with size), got %q", by)}
	}
	range_ := fmt.Sprintf("from %d to %d", aggregate.MinHexKM, aggregate.MaxHexKM)
	switch {
	case ch.By == ByHex && !hasSize:
		return &params.Error{Name: "size", Reason: "is required with choropleth=hex: the hexagons' width in km, " + range_}
	case ch.By != ByHex && hasSize:
		return &params.Error{Name: "size", Reason: "is the hexagons' width: only choropleth=hex takes it"}
	case hasSize:
		km, err := strconv.ParseFloat(strings.TrimSpace(size), 64)
		if err != nil || !(km >= aggregate.MinHexKM && km <= aggregate.MaxHexKM) {
			return &params.Error{Name: "size", Reason: "must be a number of km " + range_ + ", got " + strconv.Quote(size)}
		}
		ch.Size = km
	}
	if hasMeasure {
		ch.Measure = strings.TrimSpace(measure)
		if ch.Measure != MeasureCount && ch.Measure != MeasureMagnitude {
			return &params.Error{Name: "measure", Reason: fmt.Sprintf("must be count or magnitude, got %q", measure)}
		}
	}
	var counted *geo.Layer
	for i, l := range layers {
		if layerKind(l) == geo.KindEvents && (counted == nil || l.Name == f.Data) {
			counted = &layers[i]
		}
	}
	if counted == nil {
		return &params.Error{Name: "choropleth", Reason: "counts an events layer, and the figure draws none (" + strings.Join(layerNames(layers), ", ") + ")"}
	}
	if ch.Measure == MeasureMagnitude {
		m := counted.Profile.Magnitude
		if _, has := counted.Schema.Column(m); m == "" || !has {
			return &params.Error{Name: "measure", Reason: "magnitude sums the profile's magnitude, and the profile of " + counted.Name + " names none it has"}
		}
	}
	ch.Layer = counted.Name
	f.Choropleth = ch
	return nil
}

func layerNames(ls []geo.Layer) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Name
	}
	return out
}

// layerFilters builds each layer's filter from the filter parameters it
// can take: property filters on its own properties, datetime when it has
// a date, a CQL2 filter when it has every property the filter names.
func layerFilters(q url.Values, layers []geo.Layer) ([]cql2.Expr, error) {
	var props []string
	for name := range q {
		if !slices.Contains(Params, name) {
			props = append(props, name)
		}
	}
	slices.Sort(props)
	has := func(l geo.Layer, name string) bool {
		_, ok := l.Schema.Column(name)
		return ok || name == "id" || name == geo.GeometryQueryable || name == "geom"
	}
	for _, p := range props {
		if !slices.ContainsFunc(layers, func(l geo.Layer) bool { _, ok := l.Schema.Column(p); return ok }) {
			return nil, &params.Error{Name: p, Reason: "is neither a parameter of /render (" + strings.Join(Params, ", ") +
				") nor a property of the selected layers (" + strings.Join(layerNames(layers), ", ") + ")"}

		}
	}
	if _, ok := params.Single(q, "datetime"); ok && !slices.ContainsFunc(layers, func(l geo.Layer) bool { _, ok := l.DateColumn(); return ok }) {
		return nil, &params.Error{Name: "datetime", Reason: "none of the selected layers (" + strings.Join(layerNames(layers), ", ") + ") has a date property"}
	}
	var named []string
	text, hasFilter := params.Single(q, "filter")
	if hasFilter {
		e, err := cql2.Parse(text)
		if err != nil {
			return nil, &params.Error{Name: "filter", Reason: err.Error()}
		}
		named = propertyNames(e)
		if !slices.ContainsFunc(layers, func(l geo.Layer) bool {
			for _, n := range named {
				if !has(l, n) {
					return false
				}
			}
			return true
		}) {
			return nil, &params.Error{Name: "filter", Reason: "no selected layer has all the properties it names (" + strings.Join(named, ", ") + ")"}
		}
	}
	out := make([]cql2.Expr, len(layers))
	for i, l := range layers {
		sub := url.Values{}
		for _, p := range props {
			if _, ok := l.Schema.Column(p); ok {
				sub[p] = q[p]
			}
		}
		if _, ok := l.DateColumn(); ok {
			if v, ok := q["datetime"]; ok {
				sub["datetime"] = v
			}
		}
		if hasFilter && !slices.ContainsFunc(named, func(n string) bool { return !has(l, n) }) {
			for _, p := range []string{"filter", "filter-lang", "filter-crs"} {
				if v, ok := q[p]; ok {
					sub[p] = v
				}
			}
		}
		if len(sub) == 0 {
			continue
		}
		e, err := layerFilter(sub, l)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// propertyNames lists the properties an expression names, sorted.
func propertyNames(e cql2.Expr) []string {
	seen := map[string]bool{}
	var value func(v cql2.Value)
	value = func(v cql2.Value) {
		if p, ok := v.(cql2.Property); ok {
			seen[p.Name] = true
		}
	}
	var expr func(e cql2.Expr)
	expr = func(e cql2.Expr) {
		switch e := e.(type) {
		case cql2.Logical:
			for _, a := range e.Args {
				expr(a)
			}
		case cql2.Not:
			expr(e.Arg)
		case cql2.Compare:
			value(e.Left)
			value(e.Right)
		case cql2.Like:
			value(e.Value)
		case cql2.In:
			value(e.Value)
			for _, v := range e.List {
				value(v)
			}
		case cql2.Between:
			value(e.Value)
			value(e.Low)
			value(e.High)
		case cql2.IsNull:
			value(e.Value)
		case cql2.Spatial:
			value(e.Left)
			value(e.Right)
		case cql2.Temporal:
			value(e.Left)
			value(e.Right)
		}
	}
	expr(e)
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// layerFilter reads the filter parameters layerFilters picked for a layer
// (its own properties, datetime, filter, filter-lang, filter-crs) as the
// items API does, into one expression (nil: none).
func layerFilter(q url.Values, l geo.Layer) (cql2.Expr, error) {
	return params.Filter(q, l, nil, func(name string) *params.Error {
		return &params.Error{Name: name, Reason: "is not a property of " + l.Name + " (" + strings.Join(params.ColumnNames(l.Schema), ", ") + ")"}
	})
}
