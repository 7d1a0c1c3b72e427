package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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
