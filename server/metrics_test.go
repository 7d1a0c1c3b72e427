package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// serve runs one request through the whole handler, middleware included.
// With a recorder, ServeHTTP returns only once the metrics are recorded.
func serve(s *Server, method, path string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// parseMetrics reads the Prometheus text format.
func parseMetrics(t *testing.T, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v\n%s", err, body)
	}
	return families
}

// scrape is GET /metrics, parsed.
func scrape(t *testing.T, s *Server) map[string]*dto.MetricFamily {
	t.Helper()
	rec := serve(s, http.MethodGet, "/metrics", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d\n%s", rec.Code, rec.Body)
	}
	return parseMetrics(t, rec.Body.Bytes())
}

// sample finds the metric of family name with exactly these labels.
func sample(families map[string]*dto.MetricFamily, name string, labels map[string]string) (*dto.Metric, bool) {
	f, ok := families[name]
	if !ok {
		return nil, false
	}
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				match = false
				break
			}
		}
		if match {
			return m, true
		}
	}
	return nil, false
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return m.GetUntyped().GetValue()
}

func TestMetricsAfterTraffic(t *testing.T) {
	s, _ := newTestHandler(t)
	const (
		items = "/api/collections/{collection}/items"
		tile  = "/tiles/{layers}/{z}/{x}/{file}"
	)
	traffic := []struct {
		method, path string
		header       map[string]string
		status       int
	}{
		{"GET", "/api/collections/attacks/items", nil, 200},
		{"GET", "/api/collections/attacks/items", nil, 200}, // from the items cache
		{"GET", "/api/collections/nope/items", nil, 404},
		{"GET", "/no/such/page", nil, 404},
		{"GET", "/tiles/attacks/5/22/12.mvt", nil, 200},
		{"GET", "/tiles/attacks/5/22/12.mvt", nil, 200}, // from the tile cache
		{"GET", "/", nil, 200},
		{"DELETE", "/healthz", nil, 405},
		{"BREW", "/api/collections", nil, 405},
		{"OPTIONS", "/api/collections", map[string]string{"Origin": "https://a.example", "Access-Control-Request-Method": "GET"}, 204},
	}
	for _, req := range traffic {
		if rec := serve(s, req.method, req.path, req.header); rec.Code != req.status {
			t.Fatalf("%s %s: %d, want %d\n%s", req.method, req.path, rec.Code, req.status, rec.Body)
		}
	}
	// The tile request started loading attacks into memory, in the
	// background: wait for it.
	attacks, err := s.store.Layer(context.Background(), "attacks")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.tileIndex.Warm(context.Background(), []geo.Layer{attacks}); err != nil {
		t.Fatal(err)
	}
	families := scrape(t, s)

	type want struct {
		value   float64
		atLeast bool // value is a lower bound
	}
	cases := map[string]struct {
		metric string
		labels map[string]string
		want   want
	}{
		"items requests under their route template": {
			"khorasan_http_requests_total", map[string]string{"route": items, "method": "GET", "code": "200"}, want{2, false}},
		"a 404 of a route keeps its template": {
			"khorasan_http_requests_total", map[string]string{"route": items, "method": "GET", "code": "404"}, want{1, false}},
		"an unknown path is other": {
			"khorasan_http_requests_total", map[string]string{"route": "other", "method": "GET", "code": "404"}, want{1, false}},
		"tiles under their route template": {
			"khorasan_http_requests_total", map[string]string{"route": tile, "method": "GET", "code": "200"}, want{2, false}},
		"the page is the catch-all route": {
			"khorasan_http_requests_total", map[string]string{"route": "/", "method": "GET", "code": "200"}, want{1, false}},
		"a wrong method is other, 405": {
			"khorasan_http_requests_total", map[string]string{"route": "other", "method": "DELETE", "code": "405"}, want{1, false}},
		"an unknown method is labelled other": {
			"khorasan_http_requests_total", map[string]string{"route": "other", "method": "other", "code": "405"}, want{1, false}},
		"a CORS preflight is counted": {
			"khorasan_http_requests_total", map[string]string{"route": "other", "method": "OPTIONS", "code": "204"}, want{1, false}},
		"items durations by route": {
			"khorasan_http_request_duration_seconds", map[string]string{"route": items}, want{3, false}},
		"items cache hit":     {"khorasan_cache_hits_total", map[string]string{"cache": "items"}, want{1, true}},
		"items cache miss":    {"khorasan_cache_misses_total", map[string]string{"cache": "items"}, want{1, true}},
		"items cache entries": {"khorasan_cache_entries", map[string]string{"cache": "items"}, want{1, true}},
		"items cache bytes":   {"khorasan_cache_bytes", map[string]string{"cache": "items"}, want{1, true}},
		"items cache limit":   {"khorasan_cache_max_bytes", map[string]string{"cache": "items"}, want{defaultResponseCacheBytes, false}},
		"tile cache hit":      {"khorasan_cache_hits_total", map[string]string{"cache": "tiles"}, want{1, true}},
		"tile cache miss":     {"khorasan_cache_misses_total", map[string]string{"cache": "tiles"}, want{1, true}},
		"tile cache entries":  {"khorasan_cache_entries", map[string]string{"cache": "tiles"}, want{1, true}},
		"tile cache bytes":    {"khorasan_cache_bytes", map[string]string{"cache": "tiles"}, want{1, true}},
		"tile cache limit":    {"khorasan_cache_max_bytes", map[string]string{"cache": "tiles"}, want{DefaultTileCacheBytes, false}},
		"attacks features":    {"khorasan_layer_features", map[string]string{"layer": "attacks"}, want{3, false}},
		"regions features":    {"khorasan_layer_features", map[string]string{"layer": "regions"}, want{1, false}},
		"attacks tiled from memory": {
			"khorasan_tile_layer_features_in_memory", map[string]string{"layer": "attacks"}, want{3, false}},
		"regions not tiled yet, not loaded": {
			"khorasan_tile_layer_features_in_memory", map[string]string{"layer": "regions"}, want{0, false}},
		"the Go collector":      {"go_goroutines", nil, want{1, true}},
		"the process collector": {"process_start_time_seconds", nil, want{1, true}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, ok := sample(families, c.metric, c.labels)
			if !ok {
				t.Fatalf("no %s%v; the family has %v", c.metric, c.labels, families[c.metric].GetMetric())
			}
			got := value(m)
			if c.want.atLeast && got < c.want.value || !c.want.atLeast && got != c.want.value {
				t.Errorf("%s%v = %v, want %v (at least: %v)", c.metric, c.labels, got, c.want.value, c.want.atLeast)
			}
		})
	}

	t.Run("no raw path or method in any label", func(t *testing.T) {
		for name, f := range families {
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					for _, raw := range []string{"/api/collections/attacks", "/api/collections/nope", "/no/such/page", "/tiles/attacks/", "12.mvt", "BREW"} {
						if strings.Contains(l.GetValue(), raw) {
							t.Errorf("%s has label %s=%q: a raw request value", name, l.GetName(), l.GetValue())
						}
					}
				}
			}
		}
	})
}

func TestMetricsEndpoint(t *testing.T) {
	s, _ := newTestHandler(t)
	serve(s, http.MethodGet, "/api/collections/attacks/items", nil)
	cases := map[string]struct {
		method string
		header map[string]string
		status int
		check  func(t *testing.T, rec *httptest.ResponseRecorder)
	}{
		"text format, never stored": {"GET", map[string]string{"Accept-Encoding": "identity"}, 200, func(t *testing.T, rec *httptest.ResponseRecorder) {
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			if ce := rec.Header().Get("Content-Encoding"); ce != "" {
				t.Errorf("Content-Encoding %q without Accept-Encoding", ce)
			}
			parseMetrics(t, rec.Body.Bytes())
		}},
		"gzipped once": {"GET", map[string]string{"Accept-Encoding": "gzip"}, 200, func(t *testing.T, rec *httptest.ResponseRecorder) {
			if ce := rec.Header().Get("Content-Encoding"); ce != "gzip" {
				t.Fatalf("Content-Encoding %q", ce)
			}
			zr, err := gzip.NewReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
				t.Fatal("the body is gzipped twice")
			}
			families := parseMetrics(t, body)
			if _, ok := families["khorasan_http_requests_total"]; !ok {
				t.Error("no khorasan_http_requests_total")
			}
		}},
		"HEAD has no body": {"HEAD", nil, 200, func(t *testing.T, rec *httptest.ResponseRecorder) {
			if rec.Body.Len() != 0 {
				t.Errorf("%d bytes of body", rec.Body.Len())
			}
		}},
		"POST is refused": {"POST", nil, 405, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rec := serve(s, c.method, "/metrics", c.header)
			if rec.Code != c.status {
				t.Fatalf("%s /metrics: %d, want %d\n%s", c.method, rec.Code, c.status, rec.Body)
			}
			if c.check != nil {
				c.check(t, rec)
			}
		})
	}
}

// A database that stops answering loses the layer counts, not the scrape.
func TestMetricsWithoutDatabase(t *testing.T) {
	s, store := newTestHandler(t)
	serve(s, http.MethodGet, "/healthz", nil)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	// promhttp counts a failed gathering after it answers: the second
	// scrape shows the first one's error.
	scrape(t, s)
	families := scrape(t, s)
	if f, ok := families["khorasan_layer_features"]; ok {
		t.Errorf("layer counts from a closed database: %v", f.GetMetric())
	}
	for _, want := range []struct {
		metric string
		labels map[string]string
	}{
		{"khorasan_http_requests_total", map[string]string{"route": "/healthz", "method": "GET", "code": "200"}},
		{"khorasan_cache_entries", map[string]string{"cache": "tiles"}},
		{"promhttp_metric_handler_errors_total", map[string]string{"cause": "gathering"}},
	} {
		m, ok := sample(families, want.metric, want.labels)
		if !ok {
			t.Errorf("no %s%v", want.metric, want.labels)
			continue
		}
		if want.metric != "khorasan_cache_entries" && value(m) != 1 {
			t.Errorf("%s%v = %v, want 1", want.metric, want.labels, value(m))
		}
	}
}

// ResponseCacheBytes sets the items cache's size, and a negative one
// turns it off: equal requests then both go to the store.
func TestItemsCacheSize(t *testing.T) {
	const path = "/api/collections/attacks/items"
	cases := map[string]struct {
		bytes       int64
		wantMax     float64
		wantHits    float64
		wantEntries float64
	}{
		"default":    {0, defaultResponseCacheBytes, 1, 1},
		"1 MiB":      {1 << 20, 1 << 20, 1, 1},
		"turned off": {-1, 0, 0, 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s, _ := newTestHandler(t, Config{ResponseCacheBytes: c.bytes})
			first := serve(s, http.MethodGet, path, nil)
			second := serve(s, http.MethodGet, path, nil)
			if first.Code != http.StatusOK || second.Code != http.StatusOK {
				t.Fatalf("status %d, %d", first.Code, second.Code)
			}
			if first.Body.String() != second.Body.String() {
				t.Error("the second answer differs from the first")
			}
			families := scrape(t, s)
			for metric, want := range map[string]float64{
				"khorasan_cache_max_bytes":  c.wantMax,
				"khorasan_cache_hits_total": c.wantHits,
				"khorasan_cache_entries":    c.wantEntries,
			} {
				m, ok := sample(families, metric, map[string]string{"cache": "items"})
				if !ok {
					t.Fatalf("no %s", metric)
				}
				if got := value(m); got != want {
					t.Errorf("%s = %v, want %v", metric, got, want)
				}
			}
		})
	}
}
