package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/paulmach/orb"
)

// benchServer serves a layer of n synthetic points spread over the region.
func benchServer(b *testing.B, n int) *Server {
	b.Helper()
	ctx := context.Background()
	store, err := gpkg.Create(ctx, filepath.Join(b.TempDir(), "bench.gpkg"), gpkg.WithDataset(defaultDataset(b)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	rng := rand.New(rand.NewPCG(1, 2))
	features := make([]geo.Feature, n)
	for i := range features {
		features[i] = geo.Feature{
			ID:       fmt.Sprintf("synthetic-%d", i),
			Geometry: orb.Point{44 + rng.Float64()*36, 24 + rng.Float64()*20},
			Properties: map[string]any{
				"date":   fmt.Sprintf("20%02d-%02d-%02d", 15+rng.IntN(10), 1+rng.IntN(12), 1+rng.IntN(28)),
				"killed": int64(rng.IntN(60)),
			},
		}
	}
	schema := geo.Schema{HasID: true, GeometryType: "POINT", Columns: []geo.Column{{Name: "date", Type: geo.Date}, {Name: "killed", Type: geo.Integer}}}
	_, err = store.ReplaceLayer(ctx, geo.LayerInfo{Name: "points"}, schema, func(yield func(geo.Feature, error) bool) {
		for _, f := range features {
			if !yield(f, nil) {
				return
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	return New(Config{Static: fstest.MapFS{}, GeoJSON: store}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// BenchmarkItems measures warm requests (the response cache answers) and
// cold ones (the cache off: the database, the encoder).
func BenchmarkItems(b *testing.B) {
	warm := benchServer(b, 100000)
	cold := *warm
	cold.responses = nil // a nil cache keeps nothing
	cold.handler = cold.routes()
	for _, h := range []struct {
		name string
		h    http.Handler
	}{{"warm", warm}, {"cold", &cold}} {
		benchmarkItems(b, h.name, h.h)
	}
}

func benchmarkItems(b *testing.B, mode string, h http.Handler) {
	cases := map[string]string{
		"bbox limit 1000": "/api/collections/points/items?bbox=60,30,70,40&limit=1000",
		"single feature":  "/api/collections/points/items/synthetic-4242",
		"cql2 filter":     "/api/collections/points/items?filter=killed%3E50&limit=100",
	}
	for name, path := range cases {
		b.Run(mode+" "+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// discardResponse is a ResponseWriter that keeps only the status and
// the count of bytes, so that a long page's benchmark measures the
// server, not a recorder's growing buffer.
type discardResponse struct {
	header http.Header
	status int
	bytes  int64
}

func (d *discardResponse) Header() http.Header { return d.header }

func (d *discardResponse) WriteHeader(status int) {
	if d.status == 0 {
		d.status = status
	}
}

func (d *discardResponse) Write(p []byte) (int, error) {
	d.WriteHeader(http.StatusOK)
	d.bytes += int64(len(p))
	return len(p), nil
}

func (d *discardResponse) Flush() {}

// BenchmarkItemsLongPage is a cold page of 40 polygons of 10,000
// vertices each at full float64 precision (17 MB, streamed through the
// relay): the coordinates' text, the relay and the write path, as in a
// page of the 1:10m countries.
func BenchmarkItemsLongPage(b *testing.B) {
	ctx := context.Background()
	store, err := gpkg.Create(ctx, filepath.Join(b.TempDir(), "bench.gpkg"), gpkg.WithDataset(defaultDataset(b)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	rng := rand.New(rand.NewPCG(3, 4))
	schema := geo.Schema{HasID: true, GeometryType: "MULTIPOLYGON", Columns: []geo.Column{{Name: "name", Type: geo.Text}}}
	_, err = store.ReplaceLayer(ctx, geo.LayerInfo{Name: "shapes"}, schema, func(yield func(geo.Feature, error) bool) {
		for i := range 40 {
			cx, cy := -170+rng.Float64()*340, -80+rng.Float64()*160
			ring := make(orb.Ring, 0, 10_001)
			for j := range 10_000 {
				a := 2 * math.Pi * float64(j) / 10_000
				r := 5 + rng.Float64()*1e-3
				ring = append(ring, orb.Point{cx + r*math.Cos(a), cy + r/2*math.Sin(a)})
			}
			ring = append(ring, ring[0])
			f := geo.Feature{ID: fmt.Sprintf("shape-%d", i), Geometry: orb.MultiPolygon{{ring}}, Properties: map[string]any{"name": fmt.Sprintf("shape %d", i)}}
			if !yield(f, nil) {
				return
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	s := New(Config{Static: fstest.MapFS{}, GeoJSON: store, ResponseCacheBytes: -1}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.ReportAllocs()
	var bytes int64
	for b.Loop() {
		w := &discardResponse{header: http.Header{}}
		s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/collections/shapes/items?limit=40", nil))
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
		bytes = w.bytes
	}
	b.SetBytes(bytes)
}
