package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/khorasan/khorasan/server/cache"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// otherRoute labels requests that no route answered: unknown paths, wrong
// methods, CORS preflights, missing static files. Labels never carry a
// raw path, whose values a client chooses without bound.
const otherRoute = "other"

// metrics is what /metrics serves, from a registry of the server's own
// (never Prometheus's global one): Go runtime and process metrics, the
// HTTP metrics that instrument records, and serverCollector's readings
// of the caches and layers.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	handler  http.Handler
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "khorasan_http_requests_total",
			Help: "HTTP requests answered, by route template (\"other\" when no route matched), method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "khorasan_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by route template, compression and ETag included.",
			// From a cached tile (well under a millisecond) to a request
			// that runs into the default 30 s RequestTimeout.
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests,
		m.duration,
		newServerCollector(s),
	)
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog: promLogger{s.log},
		// A layer count that fails to load must not hide the rest.
		ErrorHandling: promhttp.ContinueOnError,
		// gzipResponses compresses text answers, this one too.
		DisableCompression: true,
		// Counts failed scrapes in promhttp_metric_handler_errors_total.
		Registry: m.registry,
	})
	return m
}

// serveMetrics is GET /metrics, in the Prometheus text format.
func (m *metrics) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	m.handler.ServeHTTP(w, r)
}

// routeSlot is where the router tells instrument which route it matched.
type routeSlot struct{ template string }

type routeSlotKey struct{}

// instrument counts and times every request by route, method and status.
// It sits outside the router, so the router's 404 and 405, panics turned
// into 500 and preflights are counted too; routeTemplate fills in the
// route once the router has matched one.
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		slot := &routeSlot{}
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), routeSlotKey{}, slot)))
		route := slot.template
		if route == "" {
			route = otherRoute
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http sends 200
		}
		m.requests.WithLabelValues(route, methodLabel(r.Method), strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// routeTemplate is router middleware (it runs only once a route matched):
// it hands the matched route's path template to instrument.
func routeTemplate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slot, ok := r.Context().Value(routeSlotKey{}).(*routeSlot); ok {
			if route := mux.CurrentRoute(r); route != nil {
				if t, err := route.GetPathTemplate(); err == nil {
					slot.template = t
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// unrouted labels the request "other": the catch-all route of the page
// found no such file, so the path named nothing the server has.
func unrouted(r *http.Request) {
	if slot, ok := r.Context().Value(routeSlotKey{}).(*routeSlot); ok {
		slot.template = ""
	}
}

// methodLabel keeps the method label bounded: a client may send any token.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	}
	return "other"
}

// serverCollector reads the server's state at each scrape, so nothing has
// to remember to update it: the counters of the tile cache and of the
// items response cache, and the features in each layer.
type serverCollector struct {
	s                                                *Server
	hits, misses, bytes, maxBytes, entries, features *prometheus.Desc
	inMemory                                         *prometheus.Desc
}

func newServerCollector(s *Server) *serverCollector {
	cache := []string{"cache"}
	return &serverCollector{
		s: s,
		hits: prometheus.NewDesc("khorasan_cache_hits_total",
			"Lookups the cache answered, since start.", cache, nil),
		misses: prometheus.NewDesc("khorasan_cache_misses_total",
			"Lookups the cache could not answer, since start.", cache, nil),
		bytes: prometheus.NewDesc("khorasan_cache_bytes",
			"Bytes the cache holds now, keys and overhead included.", cache, nil),
		maxBytes: prometheus.NewDesc("khorasan_cache_max_bytes",
			"The cache's limit in bytes; 0 when it is off.", cache, nil),
		entries: prometheus.NewDesc("khorasan_cache_entries",
			"Entries the cache holds now.", cache, nil),
		features: prometheus.NewDesc("khorasan_layer_features",
			"Features in the layer.", []string{"layer"}, nil),
		inMemory: prometheus.NewDesc("khorasan_tile_layer_features_in_memory",
			"Features of the layer held in memory for vector tiles; 0 while it loads, or when it is over the limits and tiles read it from disk.", []string{"layer"}, nil),
	}
}

func (c *serverCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.hits, c.misses, c.bytes, c.maxBytes, c.entries, c.features, c.inMemory} {
		ch <- d
	}
}

func (c *serverCollector) Collect(ch chan<- prometheus.Metric) {
	// "tiles": vector and basemap tiles (server/tiles.go); "items": whole
	// items responses (responses.go).
	c.collectCache(ch, "tiles", c.s.tileCache)
	c.collectCache(ch, "items", c.s.responses)

	// The Collector interface passes no context; the store keeps the
	// layers' descriptions, so this is quick unless the database is stuck.
	ctx, cancel := context.WithTimeout(context.Background(), c.s.cfg.RequestTimeout)
	defer cancel()
	layers, err := c.s.store.Layers(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.features, fmt.Errorf("listing layers: %w", err))
		return
	}
	held := c.s.tileIndex.Held()
	for _, l := range layers {
		ch <- prometheus.MustNewConstMetric(c.features, prometheus.GaugeValue, float64(l.Count), l.Name)
		ch <- prometheus.MustNewConstMetric(c.inMemory, prometheus.GaugeValue, float64(held[l.Name]), l.Name)
	}
}

// collectCache reports one cache; a nil or switched-off cache reports zeros.
func (c *serverCollector) collectCache(ch chan<- prometheus.Metric, name string, lru *cache.LRU) {
	st := lru.Stats()
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(st.Hits), name)
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(st.Misses), name)
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(st.Bytes), name)
	ch <- prometheus.MustNewConstMetric(c.maxBytes, prometheus.GaugeValue, float64(st.Max), name)
	ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(st.Entries), name)
}

// promLogger passes promhttp's errors (a failed collector) to the log.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Error("metrics: " + fmt.Sprint(v...))
}
