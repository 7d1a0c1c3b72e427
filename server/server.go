// Package server holds the HTTP face of the map service: the OGC API -
// Features reads and writes, tiles, /render, the web page and the
// operational endpoints. It imports geo and its packages but the store
// (which it reaches through Store and Editor), server/cache, and tiles,
// tiles/basemap and tiles/figure.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/server/cache"
	"github.com/khorasan/khorasan/tiles"
)

// Store is what the server needs of the layer store.
type Store interface {
	Layers(ctx context.Context) ([]geo.Layer, error)
	Layer(ctx context.Context, name string) (geo.Layer, error)
	Features(ctx context.Context, layer string, q geo.Query, fn func(geo.Feature) error) error
	Count(ctx context.Context, layer string, q geo.Query) (int64, error)
	Feature(ctx context.Context, layer, id string) (geo.Feature, error)
}

// GeoJSONStore is a store that writes features as GeoJSON itself,
// straight from its rows, without a geo.Feature each (geo/gpkg does).
// The items pages use it when Config.GeoJSON is set, and Store.Features
// with geojson.Encoder otherwise: the bytes are the same.
type GeoJSONStore interface {
	// GeoJSONFeatures calls fn with each feature Features gives for the
	// query, in its order, as the bytes geojson.AppendFeature writes of
	// it with the properties of schema (the layer's columns or a
	// selection of them, in that order). fn owns the bytes only until it
	// returns; an error from fn stops the scan and is returned.
	GeoJSONFeatures(ctx context.Context, layer string, q geo.Query, schema geo.Schema, fn func(feature []byte) error) error
}

// Config is what the server is told at start.
type Config struct {
	// BaseURL, when set, is the public URL the links point to (behind a
	// reverse proxy that rewrites paths); otherwise links follow the
	// request, and its Forwarded or X-Forwarded-Host/-Proto headers when
	// it comes from one of TrustedProxies.
	BaseURL string
	// TrustedProxies are the reverse proxies whose forwarding headers
	// links follow (ParseTrustedProxies); from other peers they are
	// ignored. Empty trusts none.
	TrustedProxies []netip.Prefix
	// Static holds the web page.
	Static fs.FS
	// RequestTimeout bounds the work on one request.
	RequestTimeout time.Duration
	// Tiles configures vector tiles, the basemap and their cache.
	Tiles TilesConfig
	// Writes turns on the write endpoints (edit.go).
	Writes WriteConfig
	// Style is static/style.json, the one map style: /render draws with
	// it. Without it /render answers 503.
	Style []byte
	// ResponseCacheBytes bounds the cache of whole items responses: 0
	// means 64 MiB, a negative number turns the cache off.
	ResponseCacheBytes int64
	// Dataset names the layers the basemap draws (data/profiles.json);
	// each layer's own profile comes from the store (geo.Layer.Profile).
	Dataset *geo.Dataset
	// BasemapDetail is the basemap's physical and cultural detail
	// (data.Basemap(): rivers, lakes, regions, peaks and places); nil
	// draws the basemap without it.
	BasemapDetail fs.FS
	// RenderTimeout bounds the drawing of one /render figure; 0 means
	// DefaultRenderTimeout.
	RenderTimeout time.Duration
	// RenderPixels is the pixel budget of the /render figures in flight
	// (see figurePixels); 0 means DefaultRenderPixels. A figure larger
	// than the budget is refused (400), one that finds it spent waits a
	// quarter of RenderTimeout and is then refused (503, Retry-After).
	RenderPixels int64
	// HeavySlots is how many heavy items requests (heavy.go) run at
	// once; 0 means half the CPUs. HeavyTimeout stops each; 0 means
	// DefaultHeavyTimeout.
	HeavySlots   int
	HeavyTimeout time.Duration
	// GeoJSON, when set, writes the GeoJSON of items pages (the store
	// itself, when it is a GeoJSONStore: serve sets it). It is told
	// apart from the Store so that a Store wrapped to change what
	// Features gives is not bypassed.
	GeoJSON GeoJSONStore
	// FrameAncestors is the CSP frame-ancestors source list of /embed:
	// the sites that may show it in an iframe; empty means any ("*").
	FrameAncestors string
}

// basemapLayers names the layers the basemap draws from; none without
// a dataset.
func (s *Server) basemapLayers() (b struct{ Borders, Cities string }) {
	if d := s.cfg.Dataset; d != nil {
		b.Borders, b.Cities = d.Basemap.Borders, d.Basemap.Cities
	}
	return b
}

// Server serves the map.
type Server struct {
	cfg     Config
	store   Store
	log     *slog.Logger
	pages   pages
	handler http.Handler
	// responses keeps items responses by layer version; see items.go.
	responses *cache.LRU
	// tileIndex holds the layers in memory for vector tiles.
	tileIndex *tiles.Index
	// tileCache is the tile service's cache, kept here for /metrics;
	// routes sets it.
	tileCache *cache.LRU
	// heavy bounds the items requests that scan whole layers.
	heavy *heavyPool
	// metrics is /metrics and the HTTP metrics' middleware (metrics.go).
	metrics *metrics
	// csp and embedCSP are the Content-Security-Policy of every response
	// and of /embed (security.go).
	csp, embedCSP string
	// renders is /render's service, with its pixel budget; routes makes it.
	renders *renderService
	// aggregates is /aggregate's service, whose borders in memory the
	// figures' choropleths share; routes makes it.
	aggregates *aggregates
	// profileWrites holds a profile's If-Match check and its write
	// together (profile.go).
	// (a pointer: benchmarks copy the Server).
	profileWrites *sync.Mutex
	// gzip keeps the gzip writers of every compression (gzip.go).
	gzip *gzipPool
	// relays carry long items pages to their clients (relay.go).
	relays *relays
}

// New builds the server's handler.
func New(cfg Config, store Store, log *slog.Logger) *Server {
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.ResponseCacheBytes == 0 {
		cfg.ResponseCacheBytes = defaultResponseCacheBytes
	}
	s := &Server{cfg: cfg, store: store, log: log, pages: parsePages(),
		tileIndex: tiles.NewIndex(store), gzip: &gzipPool{}, relays: newRelays(cfg.Writes.TempDir),
		profileWrites: &sync.Mutex{}}
	if cfg.ResponseCacheBytes > 0 {
		s.responses = cache.New(cfg.ResponseCacheBytes)
	}
	ancestors := cfg.FrameAncestors
	if CheckFrameAncestors(ancestors) != nil {
		ancestors = "*"
	}
	s.csp = contentSecurityPolicy(cfg.Tiles.BasemapURL, "'self'")
	s.embedCSP = contentSecurityPolicy(cfg.Tiles.BasemapURL, ancestors)
	s.heavy = newHeavyPool(cfg.HeavySlots, cfg.HeavyTimeout)
	s.metrics = newMetrics(s)
	s.handler = s.routes()
	return s
}

// Warm loads every layer into the vector tiles' memory, so that the
// first tiles after start wait for no layer to load; serve runs it in
// the background. Layers imported later load on their first tile.
func (s *Server) Warm(ctx context.Context) error {
	layers, err := s.store.Layers(ctx)
	if err != nil {
		return err
	}
	return s.tileIndex.Warm(ctx, layers)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}
