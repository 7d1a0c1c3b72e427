package server

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/server/cache"
	"github.com/khorasan/khorasan/tiles"
	"github.com/khorasan/khorasan/tiles/basemap"
)

// TilesConfig configures the tile endpoints and what the page is told
// about them.
type TilesConfig struct {
	// CacheBytes bounds the in-memory cache of vector and basemap tiles:
	// 0 means DefaultTileCacheBytes, a negative number turns the cache off.
	CacheBytes int64
	// BasemapURL, when set, is an online XYZ tile URL template ({z}, {x},
	// {y}, optionally {s} and {r}) that the page uses instead of the
	// offline basemap. Empty keeps the page offline.
	BasemapURL string
	// BasemapAttribution credits the online basemap.
	BasemapAttribution string
	// VectorThreshold: the page draws layers with more features than this
	// from vector tiles, the others as GeoJSON; 0 means
	// DefaultVectorThreshold.
	VectorThreshold int
}

// Tile defaults.
const (
	DefaultTileCacheBytes = 256 << 20
	// DefaultVectorThreshold is where GeoJSON stops being the better
	// choice for the page: 5,000 points are about 1.5 MB of GeoJSON and
	// as many SVG elements, already slow to pan on a modest laptop.
	DefaultVectorThreshold = 5000
	// maxTileLayers bounds the layers one vector tile request may join.
	maxTileLayers = 16
	// tileFormat changes whenever the encoder's output does, so that
	// ETags of old tiles stop matching.
	tileFormat = "1"
	// basemapFormat likewise changes whenever the basemap's drawing does
	// (2: labels placed once per zoom in world pixels; 3: rivers, lakes,
	// places, ranges and peaks).
	basemapFormat = "3"
	// basemapLayer is the name the offline basemap is served under.
	basemapLayer = "basemap"
)

// tileService serves vector tiles, their TileJSON, the basemap and the
// page's configuration.
type tileService struct {
	s      *Server
	cfg    TilesConfig
	enc    *tiles.Encoder
	render *basemap.Renderer
	cache  *cache.LRU
	// workers holds a token for each tile being made; see work.
	workers chan struct{}
}

func (s *Server) newTiles() *tileService {
	cfg := s.cfg.Tiles
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = DefaultTileCacheBytes
	}
	if cfg.VectorThreshold <= 0 {
		cfg.VectorThreshold = DefaultVectorThreshold
	}
	return &tileService{
		s:       s,
		cfg:     cfg,
		enc:     &tiles.Encoder{Source: s.store, Index: s.tileIndex},
		render:  &basemap.Renderer{Source: s.store, Borders: s.basemapLayers().Borders, Cities: s.basemapLayers().Cities, Detail: s.cfg.BasemapDetail},
		cache:   cache.New(cfg.CacheBytes),
		workers: make(chan struct{}, runtime.GOMAXPROCS(0)),
	}
}

// work runs fn, which makes a tile, once fewer tiles than there are CPUs
// are being made. Making a tile is CPU-bound: more at once than the cores
// only take turns, so that under load every tile takes as long as the
// slowest. Waiting requests go first come, first served.
func (ts *tileService) work(ctx context.Context, fn func() error) error {
	select {
	case ts.workers <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-ts.workers }()
	return fn()
}

// tileRequest is a parsed tile path.
type tileRequest struct {
	layers  []string // sorted, without repeats
	z, x, y int
	format  string // "mvt" or "png"
	scale   int    // 1, or 2 for @2x.png
}

// parseTilePath reads /tiles/{layers}/{z}/{x}/{file}: file is {y}.mvt,
// or {y}.png and {y}@2x.png for the basemap. Numbers out of range and
// non-numbers are 400s, an unknown extension a 404.
func parseTilePath(layers, z, x, file string) (tileRequest, error) {
	req := tileRequest{scale: 1}
	name, ext, ok := strings.Cut(file, ".")
	switch {
	case !ok:
		return req, &statusError{http.StatusNotFound, "no tile format in " + strconv.Quote(file) + ": use .mvt, or .png for the basemap"}
	case ext == "mvt":
		req.format = "mvt"
	case ext == "png":
		req.format = "png"
		if base, ok := strings.CutSuffix(name, "@2x"); ok {
			name, req.scale = base, 2
		}
	default:
		return req, &statusError{http.StatusNotFound, "unknown tile format " + strconv.Quote("."+ext) + ": use .mvt, or .png for the basemap"}
	}
	for _, l := range strings.Split(layers, ",") {
		if l == "" {
			return req, &ParamError{Name: "layers", Reason: "an empty layer name in " + strconv.Quote(layers)}
		}
		if !slices.Contains(req.layers, l) {
			req.layers = append(req.layers, l)
		}
	}
	if len(req.layers) > maxTileLayers {
		return req, &ParamError{Name: "layers", Reason: fmt.Sprintf("at most %d layers in one tile, got %d", maxTileLayers, len(req.layers))}
	}
	slices.Sort(req.layers)
	if req.format == "png" && (len(req.layers) != 1 || req.layers[0] != basemapLayer) {
		return req, &statusError{http.StatusNotFound, "only the basemap has PNG tiles: /tiles/basemap/{z}/{x}/{y}.png; vector tiles are .mvt"}
	}
	var err error
	if req.z, err = tileNumber("z", z); err != nil {
		return req, err
	}
	if req.x, err = tileNumber("x", x); err != nil {
		return req, err
	}
	if req.y, err = tileNumber("y", name); err != nil {
		return req, err
	}
	maxZoom := tiles.MaxZoom
	if req.format == "png" {
		maxZoom = tiles.BasemapMaxZoom
	}
	if _, err := tiles.Check(req.z, req.x, req.y, maxZoom); err != nil {
		var ie *geo.InvalidError
		if errors.As(err, &ie) {
			return req, &ParamError{Name: ie.Where, Reason: ie.Msg}
		}
		return req, err
	}
	return req, nil
}

// tileNumber reads a tile coordinate: plain decimal digits, no sign.
func tileNumber(name, v string) (int, error) {
	if v == "" || len(v) > 9 || strings.TrimLeft(v, "0123456789") != "" {
		return 0, &ParamError{Name: name, Reason: "must be a whole number, 0 or more, got " + strconv.Quote(v)}
	}
	return strconv.Atoi(v)
}

// layerVersions looks up the layers and returns them with a string that
// changes whenever any of them is rewritten: the cache key and ETag
// depend on it, so an import invalidates the tiles of that layer only.
func (ts *tileService) layerVersions(ctx context.Context, names []string) ([]geo.Layer, string, error) {
	ls := make([]geo.Layer, 0, len(names))
	var v strings.Builder
	v.WriteString(tileFormat)
	for _, n := range names {
		l, err := ts.s.store.Layer(ctx, n)
		if err != nil {
			return nil, "", err
		}
		ls = append(ls, l)
		fmt.Fprintf(&v, "|%s@%s#%d", l.Name, l.Changed, l.Count)
	}
	return ls, v.String(), nil
}

func etagOf(key string) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	return `"t` + strconv.FormatUint(h.Sum64(), 36) + `"`
}

// vector serves one Mapbox Vector Tile.
func (ts *tileService) vector(w http.ResponseWriter, r *http.Request, req tileRequest) error {
	if err := allowTileParams(r); err != nil {
		return err
	}
	ctx := r.Context()
	ls, version, err := ts.layerVersions(ctx, req.layers)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("mvt|%s|%d/%d/%d", version, req.z, req.x, req.y)
	etag := etagOf(key)
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=60, must-revalidate")
	if notModified(w, r, etag) {
		return nil
	}
	entry, hit := ts.cache.Get(key)
	if !hit {
		tile, _ := tiles.Check(req.z, req.x, req.y, tiles.MaxZoom)
		err := ts.work(ctx, func() error {
			body, err := ts.enc.Encode(ctx, ls, tile)
			if err != nil {
				return err
			}
			entry = cache.Entry{Body: body}
			// Compress for this client, or for the cache's later ones.
			if len(body) > 0 && (ts.cache.On() || acceptsGzip(r.Header.Get("Accept-Encoding"))) {
				entry.Gzip = ts.gzipTile(body)
			}
			return nil
		})
		if err != nil {
			return err
		}
		ts.cache.Set(key, entry)
	}
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	return ts.write(w, r, entry, etag, hit)
}

// write sends a tile, gzipped when the client takes it and a gzipped copy
// is kept. The gzipped body has its own ETag (the same with -gzip), as the
// gzip middleware would give it.
func (ts *tileService) write(w http.ResponseWriter, r *http.Request, e cache.Entry, etag string, hit bool) error {
	h := w.Header()
	body := e.Body
	if e.Gzip != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = e.Gzip
		h.Set("Content-Encoding", "gzip")
		etag = gzipETag(etag)
	}
	h.Set("ETag", etag)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	if hit {
		h.Set("X-Tile-Cache", "hit")
	} else {
		h.Set("X-Tile-Cache", "miss")
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}

// notModified answers 304 when If-None-Match names the tile's current
// state, in either encoding, repeating the tag the client sent.
func notModified(w http.ResponseWriter, r *http.Request, etag string) bool {
	inm := r.Header.Get("If-None-Match")
	if inm == "" {
		return false
	}
	gz := gzipETag(etag)
	for _, tag := range strings.Split(inm, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == etag || tag == gz || tag == "*" {
			if tag == "*" {
				tag = etag
			}
			w.Header().Set("ETag", tag)
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

func allowTileParams(r *http.Request) error {
	for name := range r.URL.Query() {
		if name != "v" {
			return &ParamError{Name: name, Reason: "is not a parameter of tiles; only v (any value, to bust caches) is accepted"}
		}
	}
	return nil
}

// gzipTile compresses a vector tile, nil when that saves nothing. Tiles
// are compressed at gzip's best speed: on a tile of 1,000 points (64 KB)
// it takes under a third of the default level's time for a body 15%
// larger, and a cold tile is compressed while its client waits.
func (ts *tileService) gzipTile(b []byte) []byte {
	gz := ts.s.gzip.compress(gzipFast, b)
	if len(gz) >= len(b) {
		return nil
	}
	return gz
}

// tileJSON serves the TileJSON 3.0.0 of one layer or of several joined
// with commas.
func (ts *tileService) tileJSON(w http.ResponseWriter, r *http.Request, layers string) error {
	if err := allowTileParams(r); err != nil {
		return err
	}
	req, err := parseTilePath(layers, "0", "0", "0.mvt")
	if err != nil {
		return err
	}
	ls, _, err := ts.layerVersions(r.Context(), req.layers)
	if err != nil {
		return err
	}
	names := strings.Join(req.layers, ",")
	tileURL := ts.s.baseURL(r) + "/tiles/" + names + "/{z}/{x}/{y}.mvt"
	tj := tiles.NewTileJSON(ls, tileURL, 0)
	w.Header().Set("Cache-Control", "public, max-age=60, must-revalidate")
	return writeJSON(w, "application/json", tj)
}

// pageConfig tells the page which basemap to draw and when to switch a
// layer to vector tiles.
func (ts *tileService) pageConfig(w http.ResponseWriter, r *http.Request) error {
	type basemap struct {
		URL           string `json:"url"`
		Offline       bool   `json:"offline"`
		MaxNativeZoom int    `json:"maxNativeZoom,omitempty"`
		Attribution   string `json:"attribution,omitempty"`
	}
	b := basemap{URL: "tiles/basemap/{z}/{x}/{y}{r}.png", Offline: true, MaxNativeZoom: tiles.BasemapMaxZoom,
		Attribution: "Basemap: khorasan, from Natural Earth (public domain)"}
	if ts.cfg.BasemapURL != "" {
		b = basemap{URL: ts.cfg.BasemapURL, Attribution: ts.cfg.BasemapAttribution}
	}
	w.Header().Set("Cache-Control", "no-cache")
	return writeJSON(w, "application/json", map[string]any{
		"basemap":         b,
		"vectorThreshold": ts.cfg.VectorThreshold,
		"tileMaxZoom":     tiles.MaxZoom,
	})
}

// tile serves a vector tile or a basemap tile.
func (ts *tileService) tile(w http.ResponseWriter, r *http.Request, req tileRequest) error {
	if req.format == "png" {
		return ts.basemap(w, r, req)
	}
	return ts.vector(w, r, req)
}

// citiesParam is the basemap tiles' query parameter that turns the city
// labels on or off, and langParam the one that picks the labels'
// language: names of the API, not of a layer.
const (
	citiesParam = "cities"
	langParam   = "lang"
)

// basemap serves one PNG tile of the offline basemap, drawn from the
// dataset's borders and cities layers; ?cities=off leaves the city labels
// out (the page draws its own), ?lang=ru names places and countries in
// Russian where the data has the name.
func (ts *tileService) basemap(w http.ResponseWriter, r *http.Request, req tileRequest) error {
	q := r.URL.Query()
	noCities := false
	lang := "en"
	langs := strings.Join(basemap.Languages, ", ")
	for name, vs := range q {
		switch {
		case name == "v":
		case name == citiesParam && len(vs) == 1 && (vs[0] == "off" || vs[0] == "on"):
			noCities = vs[0] == "off"
		case name == citiesParam:
			return &ParamError{Name: citiesParam, Reason: "must be on or off"}
		case name == langParam:
			l, ok := basemap.Lang(vs[0])
			if len(vs) != 1 || !ok || vs[0] != l {
				return &ParamError{Name: langParam, Reason: "must be one of " + langs}
			}
			lang = l
		default:
			return &ParamError{Name: name, Reason: "is not a parameter of basemap tiles; known: cities (on or off), lang (" + langs + "), v"}
		}
	}
	ctx := r.Context()
	var version strings.Builder
	version.WriteString(basemapFormat)
	base := ts.s.basemapLayers()
	for _, name := range []string{base.Borders, base.Cities} {
		l, err := ts.s.store.Layer(ctx, name)
		if errors.Is(err, geo.ErrNotFound) {
			continue // drawn without it
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(&version, "|%s@%s#%d", l.Name, l.Changed, l.Count)
	}
	key := fmt.Sprintf("png|%s|%d/%d/%d@%d|%v|%s", version.String(), req.z, req.x, req.y, req.scale, noCities, lang)
	etag := etagOf(key)
	w.Header().Set("Cache-Control", "public, max-age=3600, must-revalidate")
	if notModified(w, r, etag) {
		return nil
	}
	entry, hit := ts.cache.Get(key)
	if !hit {
		tile, _ := tiles.Check(req.z, req.x, req.y, tiles.BasemapMaxZoom)
		err := ts.work(ctx, func() error {
			body, err := ts.render.RenderTile(ctx, tile, req.scale, noCities, lang)
			entry = cache.Entry{Body: body}
			return err
		})
		if err != nil {
			return err
		}
		ts.cache.Set(key, entry)
	}
	w.Header().Set("Content-Type", "image/png")
	return ts.write(w, r, entry, etag, hit)
}
