package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/khorasan/khorasan/tiles/figure"
	"github.com/paulmach/orb"
	"golang.org/x/sync/semaphore"
)

// Render defaults.
const (
	DefaultRenderTimeout = 20 * time.Second
	// DefaultRenderPixels is the pixel budget of the figures in flight:
	// two of the largest PNGs (8192² each) at once. A PNG holds 4 bytes a
	// pixel while it is drawn (and a 16 MiB band of rasterizer), so the
	// budget is about 550 MB of memory.
	DefaultRenderPixels = 2 * figure.MaxPixels
	defaultFigureWidth  = 1200
	defaultFigureHeight = 800
	maxFigureLayers     = 16
	maxRenderBody       = 1 << 20
	// renderFormat changes whenever the figures' drawing does, so that
	// ETags of old figures stop matching.
	renderFormat = "1"
)

// RenderParams are the parameters of /render (and the flags of khorasan
// render) besides property filters, which take any property's name.
var RenderParams = []string{"bbox", "center", "zoom", "width", "height", "scale", "layers", "title", "legend", "format",
	"datetime", "filter", "filter-lang", "filter-crs"}

// filterParams pass through to each layer's query.
var filterParams = []string{"datetime", "filter", "filter-lang", "filter-crs"}

// ParseFigure reads the /render parameters into a figure, checking each
// against the store so that every mistake is a *ParamError naming it.
//
// The view is bbox=minLon,minLat,maxLon,maxLat, or center=lon,lat with
// zoom, or neither (fit the selected features). layers defaults to every
// layer. The filters (datetime, property=value, a CQL2 filter) apply to
// each selected layer that has the properties they name, and leave the
// others whole; a filter that no selected layer can take is refused.
func ParseFigure(ctx context.Context, store Store, q url.Values) (figure.Figure, error) {
	f := figure.Figure{Width: defaultFigureWidth, Height: defaultFigureHeight, Scale: 1, Legend: true, Format: figure.FormatPNG}
	for name, vs := range q {
		if strings.TrimSpace(name) == "" {
			return f, &ParamError{"query", "a parameter has no name (\"=value\")"}
		}
		if len(vs) > 1 {
			return f, &ParamError{name, "is given more than once"}
		}
	}
	intParam := func(name string, dst *int, max int) error {
		v, ok := single(q, name)
		if !ok {
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > max {
			return &ParamError{name, fmt.Sprintf("must be a whole number of pixels from 1 to %d, got %q", max, v)}
		}
		*dst = n
		return nil
	}
	if err := intParam("width", &f.Width, figure.MaxSide); err != nil {
		return f, err
	}
	if err := intParam("height", &f.Height, figure.MaxSide); err != nil {
		return f, err
	}
	if v, ok := single(q, "scale"); ok {
		s, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(s >= 1 && s <= figure.MaxScale) {
			return f, &ParamError{"scale", fmt.Sprintf("must be a number from 1 to %d (2 for print), got %q", figure.MaxScale, v)}
		}
		f.Scale = s
	}
	if v, ok := single(q, "format"); ok {
		f.Format = strings.ToLower(strings.TrimSpace(v))
		if f.Format != figure.FormatPNG && f.Format != figure.FormatSVG && f.Format != figure.FormatPDF {
			return f, &ParamError{"format", fmt.Sprintf("must be png, svg or pdf, got %q", v)}
		}
	}
	if v, ok := single(q, "legend"); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return f, &ParamError{"legend", fmt.Sprintf("must be true or false, got %q", v)}
		}
		f.Legend = b
	}
	if v, ok := single(q, "title"); ok {
		f.Title = strings.TrimSpace(v)
	}
	bbox, hasBBox := single(q, "bbox")
	center, hasCenter := single(q, "center")
	zoom, hasZoom := single(q, "zoom")
	switch {
	case hasBBox && (hasCenter || hasZoom):
		return f, &ParamError{"bbox", "give bbox, or center with zoom, not both"}
	case hasCenter != hasZoom:
		if hasCenter {
			return f, &ParamError{"zoom", "center needs a zoom (0 to " + strconv.Itoa(figure.MaxZoom) + ")"}
		}
		return f, &ParamError{"center", "zoom needs a center=lon,lat"}
	case hasBBox:
		b, err := parseBBox(bbox)
		if err != nil {
			return f, err
		}
		f.Bound = &b
	case hasCenter:
		parts := strings.Split(center, ",")
		if len(parts) != 2 {
			return f, &ParamError{"center", "needs two numbers, lon,lat; got " + strconv.Quote(center)}
		}
		var c orb.Point
		for i, p := range parts {
			n, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return f, &ParamError{"center", strconv.Quote(p) + " is not a number"}
			}
			c[i] = n
		}
		f.Center = &c
		z, err := strconv.ParseFloat(strings.TrimSpace(zoom), 64)
		if err != nil {
			return f, &ParamError{"zoom", fmt.Sprintf("must be a number from 0 to %d, got %q", figure.MaxZoom, zoom)}
		}
		f.Zoom = z
	}
	if err := f.Check(); err != nil {
		var ie *geo.InvalidError
		if errors.As(err, &ie) {
			return f, &ParamError{ie.Where, ie.Msg}
		}
		return f, err
	}

	all, err := store.Layers(ctx)
	if err != nil {
		return f, err
	}
	var layers []geo.Layer
	if v, ok := single(q, "layers"); ok {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				return f, &ParamError{"layers", "an empty layer name in " + strconv.Quote(v)}
			}
			i := slices.IndexFunc(all, func(l geo.Layer) bool { return l.Name == name })
			if i < 0 {
				return f, &ParamError{"layers", fmt.Sprintf("there is no layer %q; layers: %s", name, strings.Join(layerNames(all), ", "))}
			}
			if !slices.ContainsFunc(layers, func(l geo.Layer) bool { return l.Name == name }) {
				layers = append(layers, all[i])
			}
		}
		if len(layers) > maxFigureLayers {
			return f, &ParamError{"layers", fmt.Sprintf("at most %d layers in one figure, got %d", maxFigureLayers, len(layers))}
		}
	} else {
		layers = all
	}
	filters, err := layerFilters(q, layers)
	if err != nil {
		return f, err
	}
	for i, l := range layers {
		f.Layers = append(f.Layers, figure.Layer{Layer: l, Filter: filters[i]})
	}
	return f, nil
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
		if !slices.Contains(RenderParams, name) {
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
			return nil, &ParamError{p, "is neither a parameter of /render (" + strings.Join(RenderParams, ", ") +
				") nor a property of the selected layers (" + strings.Join(layerNames(layers), ", ") + ")"}
		}
	}
	if _, ok := single(q, "datetime"); ok && !slices.ContainsFunc(layers, func(l geo.Layer) bool { _, ok := l.DateColumn(); return ok }) {
		return nil, &ParamError{"datetime", "none of the selected layers (" + strings.Join(layerNames(layers), ", ") + ") has a date property"}
	}
	var named []string
	text, hasFilter := single(q, "filter")
	if hasFilter {
		e, err := cql2.Parse(text)
		if err != nil {
			return nil, &ParamError{"filter", err.Error()}
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
			return nil, &ParamError{"filter", "no selected layer has all the properties it names (" + strings.Join(named, ", ") + ")"}
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
		req, err := parseItems(sub, l)
		if err != nil {
			return nil, err
		}
		out[i] = req.query.Filter
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

// renderService draws /render figures within two bounds: a slot (one
// per CPU) bounds the CPU they take, and a pixel budget their memory.
type renderService struct {
	s       *Server
	figures *figure.Renderer
	err     error // the style could not be read
	slots   chan struct{}
	timeout time.Duration
	// pixels admits figures by their cost in pixels (figurePixels);
	// budget is its size.
	pixels *semaphore.Weighted
	budget int64
}

func (s *Server) newRender() *renderService {
	rs := &renderService{s: s, timeout: s.cfg.RenderTimeout, slots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0))),
		budget: s.cfg.RenderPixels}
	if rs.timeout <= 0 {
		rs.timeout = DefaultRenderTimeout
	}
	if rs.budget <= 0 {
		rs.budget = DefaultRenderPixels
	}
	rs.pixels = semaphore.NewWeighted(rs.budget)
	st, err := figure.ParseStyle(s.cfg.Style)
	if len(s.cfg.Style) == 0 {
		err = errors.New("no map style (static/style.json) was configured")
	}
	if err != nil {
		rs.err = err
		s.log.Error("static maps are off", "err", err)
	}
	rs.figures = &figure.Renderer{Source: s.store, Style: st}
	s.renders = rs
	return rs
}

// figurePixels is what a figure costs of the pixel budget: a PNG its
// device pixels; an SVG or a PDF, which hold no raster, its page in CSS
// pixels, so that many at once are bounded too.
func figurePixels(f figure.Figure) int64 {
	if f.Format != figure.FormatPNG {
		return int64(f.Width) * int64(f.Height)
	}
	return int64(math.Ceil(float64(f.Width)*f.Scale)) * int64(math.Ceil(float64(f.Height)*f.Scale))
}

// admit takes the figure's pixels from the budget, waiting at most a
// quarter of the render timeout for figures in flight to finish (FIFO,
// so a large figure is not starved by small ones). The caller releases
// cost pixels when done.
func (rs *renderService) admit(ctx context.Context, f figure.Figure) (int64, error) {
	cost := figurePixels(f)
	if cost > rs.budget {
		name := "scale"
		if f.Format != figure.FormatPNG || f.Scale == 1 {
			name = "width"
		}
		return 0, &ParamError{name, fmt.Sprintf("the figure needs %d pixels (width×scale × height×scale); this server draws at most %d at once", cost, rs.budget)}
	}
	wait := rs.timeout / 4
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := rs.pixels.Acquire(wctx, cost); err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, &busyError{retryAfter: max(time.Second, wait), msg: fmt.Sprintf(
			"the server is drawing other figures and has no room for %d more pixels within %s; try again shortly, or ask for a smaller image", cost, wait.Round(time.Millisecond))}
	}
	return cost, nil
}

var figureTypes = map[string]string{
	figure.FormatPNG: "image/png",
	figure.FormatSVG: "image/svg+xml",
	figure.FormatPDF: "application/pdf",
}

// render serves /render: GET (and HEAD) with query parameters, or POST
// with the same fields in a JSON object.
func (rs *renderService) render(w http.ResponseWriter, r *http.Request) error {
	if rs.err != nil {
		return &statusError{http.StatusServiceUnavailable, "static maps are not available on this server: no map style"}
	}
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		var err error
		if q, err = renderBody(w, r); err != nil {
			return err
		}
	}
	ctx := r.Context()
	fig, err := ParseFigure(ctx, rs.s.store, q)
	if err != nil {
		return err
	}
	fig.BaseURL = rs.s.baseURL(r)
	h := w.Header()
	if r.Method != http.MethodPost {
		etag, err := rs.etag(ctx, fig, q)
		if err != nil {
			return err
		}
		cacheFor(w, 60)
		if notModified(w, r, etag) {
			return nil
		}
		h.Set("ETag", etag)
	} else {
		h.Set("Cache-Control", "no-store")
	}

	// Bounded work: one deadline from here to the last byte encoded, over
	// the wait for pixels and a slot, the drawing and the encoding.
	ctx, cancel := context.WithTimeout(ctx, rs.timeout)
	defer cancel()
	cost, err := rs.admit(ctx, fig)
	if err != nil {
		return rs.tooLong(err)
	}
	defer rs.pixels.Release(cost)
	select {
	case rs.slots <- struct{}{}:
		defer func() { <-rs.slots }()
	case <-ctx.Done():
		return rs.tooLong(ctx.Err())
	}
	var buf bytes.Buffer
	if err := rs.figures.Render(ctx, fig, &buf); err != nil {
		return rs.tooLong(err)
	}
	if err := ctx.Err(); err != nil {
		// Done just past the deadline: late is not a success either.
		return rs.tooLong(err)
	}
	h.Set("Content-Type", figureTypes[fig.Format])
	h.Set("Content-Disposition", `inline; filename="map.`+fig.Format+`"`)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("X-Content-Type-Options", "nosniff")
	if fig.Format == figure.FormatSVG {
		// Nothing in a figure runs or loads anything.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// tooLong turns the render deadline into a 503 that says what to do. It
// carries Retry-After as every 503 here does: on a loaded server the same
// figure may be drawn in time later.
func (rs *renderService) tooLong(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &busyError{retryAfter: max(time.Second, rs.timeout), msg: fmt.Sprintf(
			"the figure was not drawn within %s; ask for fewer layers, a narrower filter, a smaller area or a smaller image, or try again later", rs.timeout)}
	}
	return err
}

// etag names the figure's state: the request and the version of every
// layer it draws from, so an import changes it.
func (rs *renderService) etag(ctx context.Context, fig figure.Figure, q url.Values) (string, error) {
	var v strings.Builder
	v.WriteString(renderFormat + "|" + q.Encode() + "|" + fig.BaseURL)
	names := []string{"borders", "cities"}
	for _, l := range fig.Layers {
		names = append(names, l.Layer.Name)
	}
	for _, n := range names {
		l, err := rs.s.store.Layer(ctx, n)
		if errors.Is(err, geo.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&v, "|%s@%s#%d", l.Name, l.Changed, l.Count)
	}
	return etagOf(v.String()), nil
}

// renderBody reads a POST body: a JSON object whose fields are the GET
// parameters (strings, numbers, booleans; arrays for bbox, center and
// layers).
func renderBody(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if len(r.URL.Query()) > 0 {
		return nil, &ParamError{"query", "a POST takes its parameters in the JSON body, not in the URL"}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, &statusError{http.StatusUnsupportedMediaType, "POST /render takes a JSON object (Content-Type: application/json)"}
	}
	body, err := io.ReadAll(clientBody{http.MaxBytesReader(w, r.Body, maxRenderBody)})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &statusError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxRenderBody)}
		}
		return nil, err
	}
	var fields map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, &ParamError{"body", "is not a JSON object"}
	}
	// A second value after the object ({}{"width":0}) was ignored.
	if _, err := dec.Token(); err != io.EOF {
		return nil, &ParamError{"body", "holds more than the one JSON object"}
	}
	q := url.Values{}
	for name, v := range fields {
		s, ok := jsonParam(v)
		if !ok {
			return nil, &ParamError{name, "must be a string, a number, a boolean or an array of those"}
		}
		if v != nil {
			q.Set(name, s)
		}
	}
	return q, nil
}

func jsonParam(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			if _, nested := x.([]any); nested {
				return "", false
			}
			s, ok := jsonParam(x)
			if !ok || x == nil {
				return "", false
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), true
	}
	return "", false
}
