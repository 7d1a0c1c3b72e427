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
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/tiles/figure"
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
	maxRenderBody       = 1 << 20
	// renderFormat changes whenever the figures' drawing does, so that
	// ETags of old figures stop matching.
	renderFormat = "2"
)

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
	rs.figures = &figure.Renderer{Source: s.store, Style: st, Borders: s.basemapLayers().Borders, Cities: s.basemapLayers().Cities,
		Detail: s.cfg.BasemapDetail}
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
		return 0, &ParamError{Name: name, Reason: fmt.Sprintf("the figure needs %d pixels (width×scale × height×scale); this server draws at most %d at once", cost, rs.budget)}
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
	fig, err := figure.Parse(ctx, rs.s.store, q)
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
	base := rs.s.basemapLayers()
	names := []string{base.Borders, base.Cities}
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
		return nil, &ParamError{Name: "query", Reason: "a POST takes its parameters in the JSON body, not in the URL"}
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
		return nil, &ParamError{Name: "body", Reason: "is not a JSON object"}
	}
	// A second value after the object ({}{"width":0}) was ignored.
	if _, err := dec.Token(); err != io.EOF {
		return nil, &ParamError{Name: "body", Reason: "holds more than the one JSON object"}
	}
	q := url.Values{}
	for name, v := range fields {
		s, ok := jsonParam(v)
		if !ok {
			return nil, &ParamError{Name: name, Reason: "must be a string, a number, a boolean or an array of those"}
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
