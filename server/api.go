package server

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

const (
	defaultLimit = 100
	maxLimit     = 10000
	crs84        = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
)

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// baseURL is where links point: the configured public URL, or the URL the
// client used, as a reverse proxy reports it.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimSuffix(s.cfg.BaseURL, "/")
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if fwd := r.Header.Get("Forwarded"); fwd != "" {
		first, _, _ := strings.Cut(fwd, ",")
		for _, pair := range strings.Split(first, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
			v = strings.Trim(v, `"`)
			switch strings.ToLower(k) {
			case "proto":
				scheme = v
			case "host":
				host = v
			}
		}
	} else {
		if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
			scheme, _, _ = strings.Cut(p, ",")
		}
		if h := r.Header.Get("X-Forwarded-Host"); h != "" {
			host, _, _ = strings.Cut(h, ",")
		}
	}
	if scheme != "http" && scheme != "https" {
		scheme = "http"
	}
	return scheme + "://" + strings.TrimSpace(host)
}

func writeJSON(w http.ResponseWriter, contentType string, v any) error {
	body, err := marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	_, err = w.Write(append(body, '\n'))
	return err
}

// marshal is json.Marshal without HTML escapes, so URLs stay readable.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.store.Layers(r.Context()); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, "application/json", map[string]string{"status": "ok"})
}

func (s *Server) landing(w http.ResponseWriter, r *http.Request) error {
	base := s.baseURL(r)
	return writeJSON(w, "application/json", map[string]any{
		"title":       "Khorasan map service",
		"description": "Layers of the historical Khorasan region, modern borders, cities and ISIS-K attack sites, as OGC API - Features.",
		"links": []link{
			{Href: base + "/api/", Rel: "self", Type: "application/json", Title: "this document"},
			{Href: base + "/api/collections", Rel: "data", Type: "application/json", Title: "the layers"},
		},
	})
}

type extent struct {
	Spatial struct {
		BBox [][]float64 `json:"bbox"`
		CRS  string      `json:"crs"`
	} `json:"spatial"`
}

type collectionDoc struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Attribution string   `json:"attribution,omitempty"`
	ItemType    string   `json:"itemType"`
	Extent      *extent  `json:"extent,omitempty"`
	CRS         []string `json:"crs"`
	Links       []link   `json:"links"`
}

func (s *Server) collectionDoc(base string, l geo.Layer) collectionDoc {
	c := collectionDoc{ID: l.Name, Title: l.Title, Description: l.Description, Attribution: l.Attribution, ItemType: "feature", CRS: []string{crs84}}
	if l.Count > 0 {
		c.Extent = &extent{}
		c.Extent.Spatial.BBox = [][]float64{{l.Bounds.Min[0], l.Bounds.Min[1], l.Bounds.Max[0], l.Bounds.Max[1]}}
		c.Extent.Spatial.CRS = crs84
	}
	self := base + "/api/collections/" + url.PathEscape(l.Name)
	c.Links = []link{
		{Href: self, Rel: "self", Type: "application/json", Title: "this collection"},
		{Href: self + "/items", Rel: "items", Type: "application/geo+json", Title: l.Title + " as GeoJSON"},
	}
	return c
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r.URL.Query(), "f"); err != nil {
		return err
	}
	layers, err := s.store.Layers(r.Context())
	if err != nil {
		return err
	}
	base := s.baseURL(r)
	docs := make([]collectionDoc, 0, len(layers))
	for _, l := range layers {
		docs = append(docs, s.collectionDoc(base, l))
	}
	return writeJSON(w, "application/json", map[string]any{
		"links":       []link{{Href: base + "/api/collections", Rel: "self", Type: "application/json"}},
		"collections": docs,
	})
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request, name string) error {
	if err := allowParams(r.URL.Query(), "f"); err != nil {
		return err
	}
	l, err := s.store.Layer(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, "application/json", s.collectionDoc(s.baseURL(r), l))
}

// itemsRequest is a parsed items query.
type itemsRequest struct {
	bbox   *orb.Bound
	limit  int
	offset int
}

func parseItems(q url.Values) (itemsRequest, error) {
	req := itemsRequest{limit: defaultLimit}
	if err := allowParams(q, "f", "bbox", "limit", "offset"); err != nil {
		return req, err
	}
	if v, ok := single(q, "limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return req, &ParamError{"limit", "must be a whole number from 1 to " + strconv.Itoa(maxLimit) + ", got " + strconv.Quote(v)}
		}
		req.limit = min(n, maxLimit) // larger asks are clamped, as OGC API - Features allows
	}
	if v, ok := single(q, "offset"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return req, &ParamError{"offset", "must be a whole number, 0 or more, got " + strconv.Quote(v)}
		}
		req.offset = n
	}
	if v, ok := single(q, "bbox"); ok {
		b, err := parseBBox(v)
		if err != nil {
			return req, err
		}
		req.bbox = &b
	}
	for name, vs := range q {
		if len(vs) > 1 {
			return req, &ParamError{name, "is given more than once"}
		}
	}
	return req, nil
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
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known {
			return &ParamError{name, "is not a parameter of this endpoint; known: " + strings.Join(allowed, ", ")}
		}
	}
	if f, ok := single(q, "f"); ok && f != "json" && f != "geojson" {
		return &ParamError{"f", "format " + strconv.Quote(f) + " is not available here; use f=json"}
	}
	return nil
}

// parseBBox reads minLon,minLat,maxLon,maxLat (or the 6-number 3D form,
// whose heights are ignored) in WGS 84.
func parseBBox(v string) (orb.Bound, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return orb.Bound{}, &ParamError{"bbox", "needs 4 numbers, minLon,minLat,maxLon,maxLat; got " + strconv.Itoa(len(parts))}
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

func (s *Server) items(w http.ResponseWriter, r *http.Request, name string) error {
	req, err := parseItems(r.URL.Query())
	if err != nil {
		return err
	}
	ctx := r.Context()
	l, err := s.store.Layer(ctx, name)
	if err != nil {
		return err
	}
	q := geo.Query{BBox: req.bbox, Limit: req.limit, Offset: req.offset}
	matched, err := s.store.Count(ctx, name, q)
	if err != nil {
		return err
	}
	// The body is built whole before it is sent, so a failure half-way
	// is an error response, never a truncated 200.
	var buf bytes.Buffer
	buf.WriteString(`{"type":"FeatureCollection","features":[`)
	returned := 0
	var scratch []byte
	err = s.store.Features(ctx, name, q, func(f geo.Feature) error {
		if returned > 0 {
			buf.WriteByte(',')
		}
		var err error
		scratch, err = geo.AppendFeatureJSON(scratch[:0], f, l.Schema)
		buf.Write(scratch)
		returned++
		return err
	})
	if err != nil {
		return err
	}
	base := s.baseURL(r) + "/api/collections/" + url.PathEscape(name) + "/items"
	links := []link{{Href: pageURL(base, r.URL.Query(), req.offset, req.limit), Rel: "self", Type: "application/geo+json", Title: "this page"}}
	if int64(req.offset+returned) < matched {
		links = append(links, link{Href: pageURL(base, r.URL.Query(), req.offset+req.limit, req.limit), Rel: "next", Type: "application/geo+json", Title: "next page"})
	}
	if req.offset > 0 {
		links = append(links, link{Href: pageURL(base, r.URL.Query(), max(0, req.offset-req.limit), req.limit), Rel: "prev", Type: "application/geo+json", Title: "previous page"})
	}
	tail, err := marshal(map[string]any{
		"numberMatched":  matched,
		"numberReturned": returned,
		"timeStamp":      time.Now().UTC().Format(time.RFC3339),
		"links":          links,
	})
	if err != nil {
		return err
	}
	buf.WriteString("],")
	buf.Write(tail[1:])
	buf.WriteByte('\n')
	w.Header().Set("Content-Type", "application/geo+json")
	_, err = buf.WriteTo(w)
	return err
}

// pageURL is the items URL with the same query and another page.
func pageURL(base string, q url.Values, offset, limit int) string {
	q2 := url.Values{}
	for k, v := range q {
		q2[k] = v
	}
	q2.Set("limit", strconv.Itoa(limit))
	if offset > 0 {
		q2.Set("offset", strconv.Itoa(offset))
	} else {
		q2.Del("offset")
	}
	return base + "?" + q2.Encode()
}

func (s *Server) item(w http.ResponseWriter, r *http.Request, name, id string) error {
	if err := allowParams(r.URL.Query(), "f"); err != nil {
		return err
	}
	ctx := r.Context()
	l, err := s.store.Layer(ctx, name)
	if err != nil {
		return err
	}
	f, err := s.store.Feature(ctx, name, id)
	if err != nil {
		return err
	}
	body, err := geo.AppendFeatureJSON(nil, f, l.Schema)
	if err != nil {
		return err
	}
	base := s.baseURL(r) + "/api/collections/" + url.PathEscape(name)
	links, _ := marshal([]link{
		{Href: base + "/items/" + url.PathEscape(id), Rel: "self", Type: "application/geo+json"},
		{Href: base, Rel: "collection", Type: "application/json"},
	})
	// Add the links inside the feature object.
	body = append(body[:len(body)-1], `,"links":`...)
	body = append(append(body, links...), "}\n"...)
	w.Header().Set("Content-Type", "application/geo+json")
	_, err = w.Write(body)
	return err
}

// static serves the page; a missing file is a problem+json 404 like
// every other.
func (s *Server) static() http.Handler {
	files := http.FileServerFS(s.cfg.Static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" {
			name = "."
		}
		if _, err := fs.Stat(s.cfg.Static, name); err != nil {
			s.notFound(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
